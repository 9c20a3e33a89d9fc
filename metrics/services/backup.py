"""Backups, as services: a whole copy of the database made while it is in use (by the app's
worker when the app holds the file: :mod:`metrics.services.handover`), and a backup put
back in place of the database, checked first: it must open, and its audit log's hash chain
must be whole.
"""

from __future__ import annotations

from pathlib import Path

from metrics.core.access import Actor, require
from metrics.core.chain import first_broken
from metrics.services.guard import audited
from metrics.store.backup import copy_database, load_into_server, put_back
from metrics.store.connection import Store, StoreError, is_server
from metrics.store.reads import people as people_reads


class BackupRefused(ValueError):
    """A backup that cannot be made or put back, and why."""


@audited
def backup(actor: Actor, store: Store, target: Path) -> int:
    """Copy the whole database to the new file ``target``, on the record (the entry is in
    the copy too); returns how many audit entries the copy holds."""
    require(actor, "back-up")
    if target.exists():
        raise BackupRefused(f"{target} exists already: give a new file for the backup")
    store.record_event(actor=actor.id, action="backed up", detail={"file": target.name})
    copy_database(store, target)
    with Store(target, read_only=True) as copy:
        return len(people_reads.audit_entries(copy))


def restore(actor: Actor, source: Path, db: Path | str, *, aside: Path) -> int:
    """Put the backup ``source`` in place of the database ``db`` (moved to ``aside``), once
    it opens and its audit chain is whole; the restore is recorded in the restored database.
    Returns how many audit entries it holds. Nothing may hold a file ``db`` meanwhile: the
    command line checks, since one process at a time may open it.

    ``db`` may be a PostgreSQL database: what it holds is backed up to ``aside`` first (if it
    holds more than its schema), then replaced by the backup's rows in one transaction,
    while the app runs (each app process copies them at its next read)."""
    require(actor, "back-up")
    try:
        with Store(source, read_only=True) as copy:
            entries = people_reads.audit_entries(copy)
    except StoreError as exc:
        raise BackupRefused(f"{source} is not a backup this product can read: {exc}") from None
    broken = first_broken(entries)
    if broken is not None:
        raise BackupRefused(
            f"{source}: the audit log's entry {broken} does not match its hash, so the backup "
            "has been changed since it was made; it is not put back"
        )
    if is_server(db):
        with Store(db) as server:
            if server.scalar("SELECT count(*) FROM audit_log WHERE actor NOT LIKE 'system%'"):
                copy_database(server, aside)
            load_into_server(server, source)
    else:
        put_back(source, db, aside=aside)
    with Store(db) as restored:
        restored.record_event(
            actor=actor.id,
            action="restored",
            detail={"from": source.name, "entries": len(entries), "previous": aside.name},
        )
    return len(entries) + 1
