"""The connection to the DuckDB database file: transactions, reads, the schema's migrations,
and what a failure of the file means for a person.

The store only stores. Every SQL statement lives in this package: reads in
:mod:`metrics.store.reads`, writes in :mod:`metrics.store.writes` (one module per area), each
given records that the services have already decided. Every write runs in one
:meth:`Store.transaction` and leaves an entry in the audit log (:meth:`Tx.audit`).

DuckDB allows one read-write process per file (threads share it through cursors): run
the CLI's writing commands while the app is stopped, or point them at another file.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from metrics.core import chain
from metrics.core.catalogue import Catalogue
from metrics.core.clock import Clock, clock_from_environment
from metrics.core.settings import setting
from metrics.core.values import compute_indicator_values
from metrics.store.schema import AUDIT_CHAIN_VERSION, MIGRATIONS


def default_db_path() -> Path:
    return setting("OUTCOMES_DB")


def is_server(location: Path | str | None) -> bool:
    """Whether ``location`` names a PostgreSQL server (a ``postgresql://`` URL), not a file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def default_location() -> Path | str:
    """Where the record is kept: the PostgreSQL database ``OUTCOMES_DATABASE_URL`` names, or
    else the DuckDB file ``OUTCOMES_DB``."""
    return setting("OUTCOMES_DATABASE_URL") or default_db_path()


def location_exists(location: Path | str) -> bool:
    """A file that is there, or a server (whose absence is said when it is opened)."""
    return is_server(location) or Path(location).exists()


class StoreError(RuntimeError):
    """The store could not do what was asked."""


class StoreBusy(StoreError):
    """Another write held the store for longer than a write may wait."""


def busy(wait: float) -> StoreBusy:
    return StoreBusy(
        f"Another change was still being saved after {wait} seconds, so this one was not "
        "saved. Try again in a minute."
    )


class StoreInUse(StoreError):
    """Another process (the app, or another command) holds the database file."""

    def __init__(self, message: str, *, by_app: bool):
        super().__init__(message)
        self.by_app = by_app


def holder_pid(text: str) -> int | None:
    """The process holding the file, from DuckDB's lock message."""
    found = re.search(r"PID (\d+)", text)
    return int(found.group(1)) if found else None


def _is_app(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"streamlit" in command


_FULL = ("no space left", "disk full", "not enough space")
_DAMAGED = ("corrupt", "checksum", "invalid database", "not a valid")


def describe_error(exc: duckdb.Error, path: Path) -> str:
    """A DuckDB failure as a person can act on it (the library's text kept at the end)."""
    text = str(exc).split("\n")[0]
    lower = text.lower()
    if any(word in lower for word in _FULL):
        return (
            f"The disk holding {path} is full, so the change was not saved (nothing was "
            "changed). Free some space and try again."
        )
    if "could not set lock" in lower or "conflicting lock" in lower:
        pid = holder_pid(text)
        who = "the app" if pid and _is_app(pid) else "another program"
        return (
            f"The database {path} is in use by {who}"
            + (f" (process {pid})" if pid else "")
            + ". DuckDB lets one program use a database file at a time: stop the app "
            "(or the other command) and run this again, or do the same in the app "
            "(Submit a return checks and stores a return; every table has a CSV download)."
        )
    if any(word in lower for word in _DAMAGED):
        return (
            f"The database {path} is damaged ({text}). Restore it from the latest backup; "
            "nothing was changed."
        )
    return f"The database {path} could not complete the change ({text}); nothing was changed."


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """A read from the database file: a fault of the file itself (a damaged block, a full
    disk) becomes a :class:`StoreError` that says what to do, as it does for a write. Any
    other DuckDB error is a fault in this program and is raised as it is."""
    try:
        yield
    except duckdb.Error as exc:
        if any(word in str(exc).lower() for word in _FULL + _DAMAGED):
            raise StoreError(describe_error(exc, path)) from exc
        raise


class Tx:
    """One write transaction, as the write modules see it: statements on its cursor, frames
    inserted by name, the audit entry, and the time by the store's clock."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, clock: Clock, *, chained: bool = True):
        self.cur, self.clock = cur, clock
        self.chained = chained
        """Whether the audit log has its hash chain (a schema from before it has not)."""

    def execute(self, sql: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.cur.execute(sql, params or [])

    def one(self, sql: str, params: list[Any] | None = None) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    def frame(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        return self.cur.sql(sql, params=params or []).pl()

    def insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        """Insert a frame's rows into ``table``, matching columns by name."""
        self.cur.register("incoming_rows", frame)
        try:
            self.cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
        finally:
            self.cur.unregister("incoming_rows")

    def replace_rows(
        self, table: str, column: str, keys: list[str] | None, frame: pl.DataFrame
    ) -> None:
        """Replace the rows of ``table`` whose ``column`` is one of ``keys`` (every row:
        None) with ``frame``'s rows."""
        if keys is None:
            self.execute(f"DELETE FROM {table}")
        else:
            self.execute(f"DELETE FROM {table} WHERE list_contains(?, {column})", [keys])
        if not frame.is_empty():
            self.insert_frame(table, frame)

    def now(self) -> datetime:
        return self.clock.now()

    def audit(
        self,
        *,
        actor: str,
        action: str,
        submission_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """An entry in the audit log, in this transaction, chained by hash to the entry
        before it (:mod:`metrics.core.chain`; writes take turns, so the chain has one end).
        On a schema from before the chain it is written without one, and the first chained
        entry chains it."""
        fields = [self.now(), actor, action, submission_id, json.dumps(detail or {}, default=str)]
        if not self.chained:
            self.execute(
                "INSERT INTO audit_log (logged_at, actor, action, submission_id, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                fields,
            )
            return
        last = self.one("SELECT chain FROM audit_log ORDER BY id DESC LIMIT 1")
        previous = last[0] if last else None
        if last and previous is None:  # entries written before the chain: chain them first
            previous = _chain_unchained(self)
        row_id = self.one("SELECT nextval('audit_ids')")[0]
        self.execute(
            "INSERT INTO audit_log (id, logged_at, actor, action, submission_id, detail, chain) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [row_id, *fields, chain.link(previous, [row_id, *fields])],
        )


def record_migration(tx: Tx, version: int, description: str) -> None:
    """A migration applied, in ``schema_migrations`` and the audit log (in its transaction)."""
    tx.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, description, tx.now()])
    tx.audit(
        actor="system",
        action="migrate",
        detail={"version": version, "description": description},
    )


AUDIT_FIELDS = "id, logged_at, actor, action, submission_id, detail"
"""The audit log's columns that its hash chain covers, in order."""


def _chain_unchained(tx: Tx) -> str | None:
    """Give every audit entry written before the hash chain existed its hash, in id order;
    the last hash."""
    previous = None
    rows = tx.all(f"SELECT {AUDIT_FIELDS}, chain FROM audit_log ORDER BY id")
    for row in rows:
        previous = row[-1] or chain.link(previous, row[:-1])
        if row[-1] is None:
            tx.execute("UPDATE audit_log SET chain = ? WHERE id = ?", [previous, row[0]])
    return previous


READING_EVENTS = ("refused", "signed in", "signed out", "disclosed", "backed up")
"""Audit actions that record a reading, not a change to what is stored."""


class Store:
    """A DuckDB database file holding returns, findings, indicator values and the audit log.

    ``Store(url)`` with a ``postgresql://`` URL (or ``Store()`` with ``OUTCOMES_DATABASE_URL``
    set) is a :class:`~metrics.store.postgres.PostgresStore`: the same store, keeping the
    record in PostgreSQL."""

    on_a_server: type[Store] | None = None
    """The store for a PostgreSQL URL (:mod:`metrics.store.postgres` names itself here)."""

    def __new__(cls, path: Path | str | None = None, **_options: Any) -> Store:
        if cls is Store and is_server(default_location() if path is None else path):
            if Store.on_a_server is None:
                raise StoreError("this installation has no PostgreSQL support")
            return super().__new__(Store.on_a_server)
        return super().__new__(cls)

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
    ):
        self.path = Path(path) if path else default_db_path()
        self.clock: Clock = clock or clock_from_environment()
        """The one clock: every time this store records, and every "today" above it."""
        self.read_only = read_only
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            message = describe_error(exc, self.path)
            if " is in use by " in message:
                raise StoreInUse(message, by_app="in use by the app" in message) from None
            raise StoreError(message) from None
        self._write_lock = threading.Lock()
        self.commits = 0
        """Transactions committed through this store object: a reader that remembers
        :meth:`data_version` for a moment asks again once this has changed."""
        self.closed = False
        self._chained = True  # as every schema is once migrated (migrate says otherwise)
        if not read_only:
            self.migrate()

    # --- plumbing -------------------------------------------------------------------

    def close(self) -> None:
        self.closed = True
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread's reads."""
        return self._con.cursor()

    def frame(self, query: str, params: list[Any] | None = None) -> pl.DataFrame:
        """Run a read query and return a Polars frame."""
        cur = self._con.cursor()
        try:
            with reading(self.path):
                return cur.sql(query, params=params or []).pl()
        finally:
            cur.close()

    def scalar(self, query: str, params: list[Any] | None = None) -> Any:
        cur = self._con.cursor()
        try:
            with reading(self.path):
                row = cur.execute(query, params or []).fetchone()
            return None if row is None else row[0]
        finally:
            cur.close()

    @contextmanager
    def transaction(self, *, on_wait: Callable[[str], None] | None = None) -> Iterator[Tx]:
        """One write transaction: committed on success, rolled back on any exception.

        Writes in this process take turns. One that finds another in progress waits up to
        ``OUTCOMES_WRITE_WAIT_SECONDS`` (calling ``on_wait`` with a message first), then
        gives up with :class:`StoreBusy`. A DuckDB failure (a full disk, a damaged file)
        becomes a :class:`StoreError` that says what to do; the transaction is rolled back.
        """
        with self._turn(on_wait), self._write(self._con.cursor()) as tx:
            yield tx

    @contextmanager
    def _turn(self, on_wait: Callable[[str], None] | None) -> Iterator[None]:
        """This process's writes take turns: one that finds another in progress waits up to
        ``OUTCOMES_WRITE_WAIT_SECONDS``, then gives up with :class:`StoreBusy`."""
        if self.read_only:
            raise StoreError("this store was opened read-only")
        if not self._write_lock.acquire(blocking=False):
            wait = setting("OUTCOMES_WRITE_WAIT_SECONDS")
            if on_wait:
                on_wait(f"Another change is being saved; waiting up to {wait} seconds ...")
            if not self._write_lock.acquire(timeout=wait):
                raise busy(wait)
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def _write(self, cur: duckdb.DuckDBPyConnection) -> Iterator[Tx]:
        """One DuckDB transaction on ``cur`` (closed after): committed, or rolled back on any
        exception, a DuckDB failure said as a :class:`StoreError`."""
        try:
            try:
                cur.execute("BEGIN TRANSACTION")
                yield Tx(cur, self.clock, chained=self._chained)
                cur.execute("COMMIT")
                self.commits += 1
            except BaseException:
                with suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()
        except duckdb.Error as exc:
            raise StoreError(describe_error(exc, self.path)) from exc

    # --- schema ---------------------------------------------------------------------

    def schema_version(self) -> int:
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        )
        if not exists:
            return 0
        return self.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations") or 0

    def migrate(self) -> list[int]:
        """Apply the migrations this file has not had yet; returns the versions applied."""
        applied = []
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP)"
            )
            cur.close()
        current = self.schema_version()
        self._chained = current >= AUDIT_CHAIN_VERSION
        for version, description, sql in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction() as tx:
                tx.execute(sql)
                self._chained = tx.chained = version >= AUDIT_CHAIN_VERSION
                record_migration(tx, version, description)
            applied.append(version)
        return applied

    # --- facts about this database ---------------------------------------------------

    def info(self, key: str) -> str | None:
        """A fact recorded about this database (e.g. ``demo``)."""
        return self.scalar("SELECT value FROM store_info WHERE key = ?", [key])

    def record_event(
        self, *, actor: str, action: str, detail: dict[str, Any] | None = None
    ) -> None:
        """An audit entry for a write made outside the write modules (demo build, imports)."""
        with self.transaction() as tx:
            tx.audit(actor=actor, action=action, detail=detail)

    def as_at(self, cut_off: datetime, catalogue: Catalogue) -> StoreAsAt:
        """The store as it stood at ``cut_off``, for reading (see :class:`StoreAsAt`)."""
        return StoreAsAt(self, cut_off, catalogue)

    def data_version(self) -> tuple[int, int]:
        """Changes whenever anything is written: (last submission id, last audit id of a
        change). Entries that record a reading (sign-in, a refusal, figures disclosed) are
        not changes: they leave every cached page as it was."""
        cur = self._con.cursor()
        try:
            row = cur.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM submissions), "
                "(SELECT coalesce(max(id), 0) FROM audit_log WHERE NOT list_contains(?, action))",
                [list(READING_EVENTS)],
            ).fetchone()
        finally:
            cur.close()
        return (int(row[0]), int(row[1]))


@contextmanager
def within(target: Store | Tx) -> Iterator[Tx]:
    """The caller's transaction (a ``Tx``), or a transaction of the store's own: so one
    write can stand alone or be part of a larger one."""
    if isinstance(target, Tx):
        yield target
    else:
        with target.transaction() as tx:
            yield tx


class StoreAsAt:
    """The store's figures as they stood at a moment (a meeting's data cut-off), for reading.

    Nothing is copied: the history is reconstructed. Every return received by then keeps its
    status as it was then (the latest version accepted by then is ``accepted``, earlier ones
    ``superseded``); indicator values are computed again from the observations of those
    returns; commentary follows its return. Queries read it exactly as they read the store:
    in each read, ``submissions``, ``indicator_values`` and ``current_observations`` name
    these reconstructions (a cursor's registered frames hide the tables of the same name).
    Targets are the catalogue's current ones.
    """

    read_only = True

    def __init__(self, store: Store, cut_off: datetime, catalogue: Catalogue):
        self.store, self.cut_off, self.path = store, cut_off, store.path
        self.clock = store.clock
        submissions = store.frame(
            """
            SELECT * REPLACE (
                CASE WHEN status = 'rejected' THEN 'rejected'
                     WHEN version = max(version) FILTER (WHERE status <> 'rejected')
                          OVER (PARTITION BY group_code, period) THEN 'accepted'
                     ELSE 'superseded' END AS status)
            FROM submissions WHERE submitted_at <= ?
            """,
            [cut_off],
        )
        current = submissions.filter(pl.col("status") == "accepted").select(
            pl.col("id").alias("submission_id"),
            "group_code",
            pl.col("period").alias("return_period"),
        )
        observations = store.frame(
            "SELECT * FROM observations WHERE list_contains(?, submission_id)",
            [current["submission_id"].to_list()],
        ).join(current, on="submission_id")
        self._relations = {
            "submissions": submissions,
            "current_observations": observations,
            "indicator_values": compute_indicator_values(observations, catalogue),
        }

    def frame(self, query: str, params: list[Any] | None = None) -> pl.DataFrame:
        cur = self.store.cursor()
        try:
            for name, relation in self._relations.items():
                cur.register(name, relation)
            with reading(self.path):
                return cur.sql(query, params=params or []).pl()
        finally:
            cur.close()

    def scalar(self, query: str, params: list[Any] | None = None) -> Any:
        frame = self.frame(query, params)
        return frame.row(0)[0] if frame.height else None

    def data_version(self) -> tuple[int, int]:
        return self.store.data_version()
