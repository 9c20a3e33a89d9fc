"""Backups: a whole copy of the database, made while it is in use (DuckDB's ``COPY FROM
DATABASE`` into a new file attached beside it, in one transaction, so the copy is the
database as it stood at one moment: every table, sequence and view, the audit log's hash
chain intact), and a backup put back in its place.

A PostgreSQL database is backed up the same way, from the process's copy of it (its mirror,
brought up to date from one snapshot first), into the same kind of file; a file is put back
into a PostgreSQL database by replacing every table's rows in one transaction."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

from metrics.store.connection import Store
from metrics.store.postgres import PostgresStore
from metrics.store.schema import SEQUENCES


def copy_database(store: Store, target: Path) -> None:
    """Copy the whole database into a new file at ``target`` (the caller has checked that
    there is none there)."""
    if isinstance(store, PostgresStore):
        store.refresh()
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
        if isinstance(store, PostgresStore):
            _number_on(target)
    except Exception:
        target.unlink(missing_ok=True)
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        raise
    finally:
        cur.close()


def _number_on(copy: Path) -> None:
    """A copy of a mirror (whose sequences were never used): each sequence moved on past the
    highest id of its table, so the copy numbers new rows as the database would."""
    con = duckdb.connect(str(copy))
    try:
        for sequence, table in SEQUENCES.items():
            con.execute(
                f"SELECT count(nextval('{sequence}')) FROM "
                f"range((SELECT coalesce(max(id), 0) FROM {table}))"
            )
    finally:
        con.close()


def load_into_server(store: PostgresStore, source: Path) -> None:
    """Replace every row the PostgreSQL database holds with the tables of the database file
    ``source`` (a backup, or a database moving to the server), in one transaction; the
    sequences carry on from its highest ids. The server's schema stays its own (a file from
    an earlier schema has its columns matched by name)."""
    con = duckdb.connect(str(source), read_only=True)
    try:
        present = {name for (name,) in con.execute("SHOW TABLES").fetchall()}
        tables = {
            table: con.sql(f"SELECT * FROM {table}").pl()
            for table in store.tables
            if table in present and table != "schema_migrations"
        }
    finally:
        con.close()
    with store.transaction() as tx:
        for table in store.tables:
            if table != "schema_migrations":
                tx.execute(f"DELETE FROM {table}")
        for table, rows in tables.items():
            if rows.height:
                tx.insert_frame(table, rows)
        for sequence, table in SEQUENCES.items():
            tx.one(
                f"SELECT setval('{sequence}', greatest((SELECT max(id) FROM {table}), 1), "
                f"(SELECT count(*) > 0 FROM {table}))"
            )


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
