"""PostgreSQL as the shared record: many app processes (and the command line) write to one
database, each keeping DuckDB as its query engine over a copy of what it reads.

Every write runs in a PostgreSQL transaction, as it runs in a DuckDB one on a file: the same
statements (written once, for DuckDB, and put into PostgreSQL's form here), the same audit
entry with its hash chain. Writes from every process take turns (a transaction-level
advisory lock), so the audit chain has one end and a decision made inside a write (the next
version of a return, a duplicate file) sees every write before it.

Reads run on an in-memory DuckDB database with the same schema (the *mirror*), so every read
in :mod:`metrics.store.reads` runs unchanged. Each write bumps a counter per table it wrote
(``outcomes_changes``); the mirror copies again the tables whose counters have moved, all as
of one snapshot, when a page asks for the data version, when a write begins (having taken its
turn, so what it decides on is current) and after a write commits.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import polars as pl
import psycopg

from metrics.core.clock import Clock, clock_from_environment
from metrics.core.settings import setting
from metrics.store.connection import Store, StoreError, Tx, busy, record_migration
from metrics.store.schema import AUDIT_CHAIN_VERSION, MIGRATIONS

WRITES_TAKE_TURNS = 7_202_612_040
"""The advisory lock every write holds for its transaction (any number unique to this app)."""

_WRITTEN = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_LIST_CONTAINS = re.compile(r"list_contains\(\?, (\w+)\)")

CHANGES_TABLE = """
CREATE TABLE IF NOT EXISTS outcomes_changes (name VARCHAR PRIMARY KEY, n BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS schema_migrations
    (version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP);
"""

_TYPES: dict[int, pl.DataType] = {
    16: pl.Boolean(),
    20: pl.Int64(),
    21: pl.Int64(),
    23: pl.Int64(),
    700: pl.Float64(),
    701: pl.Float64(),
    1700: pl.Float64(),
    25: pl.String(),
    1043: pl.String(),
    114: pl.String(),
    3802: pl.String(),
    1082: pl.Date(),
    1114: pl.Datetime("us"),
    1009: pl.List(pl.String()),
    1015: pl.List(pl.String()),
}
"""PostgreSQL's type (by oid) to the Polars type a read gives."""


def postgres_sql(sql: str, params: list[Any] | None) -> str:
    """A statement written for DuckDB in PostgreSQL's form: ``?`` placeholders as ``%s``
    (a literal ``%`` doubled), ``list_contains(?, column)`` as ``column = ANY(%s)``."""
    if not params:
        return sql
    sql = _LIST_CONTAINS.sub(r"\1 = ANY(?)", sql)
    return sql.replace("%", "%%").replace("?", "%s")


def postgres_ddl(sql: str) -> str:
    """A migration written for DuckDB in PostgreSQL's types."""
    return re.sub(r"\bDOUBLE\b(?! PRECISION)", "DOUBLE PRECISION", sql)


def redacted(url: str) -> str:
    """The URL without its password, to name the database in messages and keys."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def describe_pg_error(exc: psycopg.Error, where: str) -> str:
    """A PostgreSQL failure as a person can act on it."""
    text = str(exc).strip().split("\n")[0]
    if isinstance(exc, psycopg.OperationalError) and not getattr(exc, "sqlstate", None):
        return (
            f"The PostgreSQL database {where} could not be reached ({text}). Check that the "
            "server is running and OUTCOMES_DATABASE_URL names it; nothing was changed."
        )
    if getattr(exc, "sqlstate", "") == "53100":
        return (
            f"The PostgreSQL server holding {where} is out of disk space, so the change was "
            "not saved (nothing was changed). Free some space and try again."
        )
    return f"The database {where} could not complete the change ({text}); nothing was changed."


def frame_of(cursor: psycopg.Cursor) -> pl.DataFrame:
    """A result as a Polars frame, typed by the columns' PostgreSQL types (so an empty or
    all-null column keeps its type)."""
    schema = {c.name: _TYPES.get(c.type_code, pl.String()) for c in cursor.description or []}
    return pl.DataFrame(cursor.fetchall(), schema=schema, orient="row")


class PgTx(Tx):
    """A write transaction on PostgreSQL: the statements the write modules give, in
    PostgreSQL's form; the tables they write are noted, for the mirrors."""

    def __init__(self, conn: psycopg.Connection, clock: Clock, *, chained: bool = True):
        super().__init__(conn, clock, chained=chained)  # type: ignore[arg-type]
        self.written: set[str] = set()

    def execute(self, sql: str, params: list[Any] | None = None) -> psycopg.Cursor:
        self.written.update(name.lower() for name in _WRITTEN.findall(sql))
        return self.cur.execute(postgres_sql(sql, params), params or None)

    def frame(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        return frame_of(self.execute(sql, params))

    def insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        columns = ", ".join(frame.columns)
        with self.cur.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
        self.written.add(table)

    def note_changes(self) -> None:
        """Move the counter of every table this transaction wrote, so each mirror copies
        them again."""
        for name in sorted(self.written):
            self.cur.execute(
                "INSERT INTO outcomes_changes VALUES (%s, 1) "
                "ON CONFLICT (name) DO UPDATE SET n = outcomes_changes.n + 1",
                [name],
            )


class PostgresStore(Store):
    """The store with its record in PostgreSQL (see the module's description)."""

    def __init__(
        self,
        path: str | None = None,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
    ):
        self.url = path or setting("OUTCOMES_DATABASE_URL")
        self.path = redacted(self.url)  # type: ignore[assignment]
        self.clock = clock or clock_from_environment()
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._mirror_lock = threading.RLock()
        self._reader: psycopg.Connection | None = None
        self._seen: dict[str, int] = {}
        self.commits = 0
        self.closed = False
        self._chained = True
        self._con = duckdb.connect(":memory:")
        for _version, _description, sql in MIGRATIONS:
            self._con.execute(sql)
        self._con.execute(CHANGES_TABLE.split(";")[1])
        self.tables: list[str] = [
            name
            for (name,) in self._con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        with self._failures():
            if not read_only:
                self.migrate()
            self.refresh()

    # --- plumbing -------------------------------------------------------------------

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise StoreError(describe_pg_error(exc, self.path)) from exc

    def _connect(self, **options: Any) -> psycopg.Connection:
        return psycopg.connect(self.url, connect_timeout=10, **options)

    def close(self) -> None:
        self.closed = True
        if self._reader is not None:
            self._reader.close()
        self._con.close()

    @contextmanager
    def transaction(self, *, on_wait: Callable[[str], None] | None = None) -> Iterator[PgTx]:
        """One write transaction in PostgreSQL, taking its turn with every process's writes
        (waiting up to ``OUTCOMES_WRITE_WAIT_SECONDS``); committed on success, rolled back
        on any exception. The mirror is brought up to date before the caller writes (so
        what it reads to decide is current) and after the commit."""
        wait = setting("OUTCOMES_WRITE_WAIT_SECONDS")
        with self._turn(on_wait), self._failures():
            conn = self._connect()
            try:
                with conn.transaction():
                    conn.execute(f"SET LOCAL lock_timeout = '{int(wait * 1000)}ms'")
                    try:
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITES_TAKE_TURNS])
                    except psycopg.errors.LockNotAvailable:
                        raise busy(wait) from None
                    conn.execute("SET LOCAL lock_timeout = 0")
                    self.refresh()
                    tx = PgTx(conn, self.clock, chained=self._chained)
                    yield tx
                    tx.note_changes()
                self.commits += 1
            finally:
                conn.close()
            self.refresh()

    # --- schema ---------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply the migrations the database has not had yet, all in one transaction
        (PostgreSQL's DDL is transactional), taking its turn with every process's writes."""
        applied: list[int] = []
        with self._write_lock, self._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITES_TAKE_TURNS])
            conn.execute(CHANGES_TABLE)
            (current,) = conn.execute(
                "SELECT coalesce(max(version), 0) FROM schema_migrations"
            ).fetchone()
            tx = PgTx(conn, self.clock, chained=current >= AUDIT_CHAIN_VERSION)
            for version, description, sql in MIGRATIONS:
                if version <= current:
                    continue
                conn.execute(postgres_ddl(sql))
                tx.chained = version >= AUDIT_CHAIN_VERSION
                record_migration(tx, version, description)
                applied.append(version)
            if applied:
                tx.written.update(self.tables)
                tx.note_changes()
        if applied:
            self.commits += 1
        return applied

    # --- the mirror -----------------------------------------------------------------

    def _reading_connection(self) -> psycopg.Connection:
        if self._reader is None or self._reader.closed or self._reader.broken:
            self._reader = self._connect()
            self._reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self._reader.read_only = True
        return self._reader

    def refresh(self) -> None:
        """Copy again into the mirror every table another write has changed since the last
        copy, all as of one snapshot of the database."""
        if self.closed:
            return
        with self._mirror_lock, self._failures():
            conn = self._reading_connection()
            try:
                with conn.transaction():
                    counters = dict(conn.execute("SELECT name, n FROM outcomes_changes"))
                    stale = [t for t in self.tables if counters.get(t, 0) != self._seen.get(t)]
                    copies = {t: frame_of(conn.execute(f"SELECT * FROM {t}")) for t in stale}
            except psycopg.OperationalError:
                with suppress(psycopg.Error):
                    conn.close()
                raise
            if not copies:
                return
            with self._write(self._con.cursor()) as mirror:  # one DuckDB transaction
                for table, rows in copies.items():
                    mirror.execute(f"DELETE FROM {table}")
                    if rows.height:
                        mirror.insert_frame(table, rows)
            self._seen.update({t: counters.get(t, 0) for t in stale})

    def data_version(self) -> tuple[int, int]:
        self.refresh()  # another process may have written
        return super().data_version()


Store.on_a_server = PostgresStore
