"""Backups: a whole copy of the database, made while it is in use (DuckDB's ``COPY FROM
DATABASE`` into a new file attached beside it, in one transaction, so the copy is the
database as it stood at one moment: every table, sequence and view, the audit log's hash
chain intact), and a backup put back in its place."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from metrics.store.connection import Store


def copy_database(store: Store, target: Path) -> None:
    """Copy the whole database into a new file at ``target`` (the caller has checked that
    there is none there)."""
    alias = f"backup_{uuid.uuid4().hex[:12]}"
    quoted = str(target).replace("'", "''")
    cur = store.cursor()
    try:
        name = cur.execute("SELECT current_database()").fetchone()[0]
        cur.execute(f"ATTACH '{quoted}' AS {alias}")
        try:
            cur.execute(f'COPY FROM DATABASE "{name}" TO {alias}')
        finally:
            cur.execute(f"DETACH {alias}")
    except Exception:
        target.unlink(missing_ok=True)
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        raise
    finally:
        cur.close()


def put_back(backup: Path, db: Path, *, aside: Path) -> None:
    """Put the database file ``backup`` in place of ``db`` (which, with its write-ahead log,
    is moved to ``aside`` first): copied under another name, then renamed, so ``db`` is
    never half-written. No process may hold ``db`` meanwhile (the caller checks)."""
    staged = db.with_name(db.name + ".restoring")
    shutil.copyfile(backup, staged)
    if db.exists():
        os.replace(db, aside)
        wal = db.with_name(db.name + ".wal")
        if wal.exists():
            os.replace(wal, aside.with_name(aside.name + ".wal"))
    os.replace(staged, db)
