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
from contextlib import closing, contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import polars as pl
import psycopg

from metrics.core.clock import Clock, clock_from_environment
from metrics.core.settings import setting
from metrics.store.connection import Store, StoreError, Tx, busy, record_migration
from metrics.store.schema import APPENDED_BY, AUDIT_CHAIN_VERSION, MIGRATIONS

WRITES_TAKE_TURNS = 7_202_612_040
"""The advisory lock every write holds for its transaction (any number unique to this app)."""

_WRITTEN = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_REWRITTEN = re.compile(r"\b(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(\w+)", re.IGNORECASE)
_LIST_CONTAINS = re.compile(r"list_contains\(\?, (\w+)\)")

CHANGES_TABLE = """
CREATE TABLE IF NOT EXISTS outcomes_changes (name VARCHAR PRIMARY KEY, n BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS schema_migrations
    (version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP);
ALTER TABLE outcomes_changes ADD COLUMN IF NOT EXISTS rewrites BIGINT NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS outcomes_replacements
    (seq BIGSERIAL PRIMARY KEY, name VARCHAR NOT NULL, col VARCHAR NOT NULL,
     keys VARCHAR[] NOT NULL);
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
        self.rewritten: set[str] = set()
        """Tables whose rows this transaction changed or deleted (not only added to)."""
        self.replaced: dict[str, tuple[str, set[str]]] = {}
        """Tables whose rows of some keys this transaction replaced: (column, keys)."""

    def execute(self, sql: str, params: list[Any] | None = None) -> psycopg.Cursor:
        self.written.update(name.lower() for name in _WRITTEN.findall(sql))
        self.rewritten.update(name.lower() for name in _REWRITTEN.findall(sql))
        return self.cur.execute(postgres_sql(sql, params), params or None)

    def frame(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        return frame_of(self.execute(sql, params))

    def insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        columns = ", ".join(frame.columns)
        with self.cur.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
        self.written.add(table)

    def replace_rows(
        self, table: str, column: str, keys: list[str] | None, frame: pl.DataFrame
    ) -> None:
        """As on the file; a replacement of some keys is noted as such, so each mirror
        copies the rows of those keys, not the whole table."""
        if keys is None:
            super().replace_rows(table, column, keys, frame)
            return
        self.cur.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [list(keys)])
        self.written.add(table)
        self.replaced.setdefault(table, (column, set()))[1].update(keys)
        if not frame.is_empty():
            self.insert_frame(table, frame)

    def note_changes(self) -> None:
        """Move the counter of every table this transaction wrote, so each mirror copies
        what changed, and the count of rewrites of each it changed other than by adding
        rows, so each mirror copies that table whole."""
        for name in sorted(self.written | self.rewritten):
            self.cur.execute(
                "INSERT INTO outcomes_changes (name, n, rewrites) VALUES (%s, 1, %s) "
                "ON CONFLICT (name) DO UPDATE SET n = outcomes_changes.n + 1, "
                "rewrites = outcomes_changes.rewrites + EXCLUDED.rewrites",
                [name, int(name in self.rewritten)],
            )
        for name, (column, keys) in sorted(self.replaced.items()):
            self.cur.execute(
                "INSERT INTO outcomes_replacements (name, col, keys) VALUES (%s, %s, %s)",
                [name, column, sorted(keys)],
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
        self._seen: dict[str, tuple[int, int]] = {}
        """Per table, the (changes, rewrites) counters the mirror's copy is as of."""
        self._replaced_seen = 0
        """The newest replacement (``outcomes_replacements``) the mirror's copy is as of."""
        self.commits = 0
        self.copied: dict[str, int] = {}
        """Rows copied into the mirror so far, per table (what a refresh costs)."""
        self.closed = False
        self._chained = True
        self._con = duckdb.connect(":memory:")
        for _version, _description, sql in MIGRATIONS:
            self._con.execute(sql)
        self._con.execute(CHANGES_TABLE.split(";")[1])  # schema_migrations
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
                tx.rewritten.update(self.tables)
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
        """Bring the mirror up to date with every write since its last copy, all as of one
        snapshot of the database: a table another write only added rows to gets the rows
        after the last it holds (:data:`~metrics.store.schema.APPENDED_BY`), checked by
        count; any other changed table is copied whole."""
        if self.closed:
            return
        with self._mirror_lock, self._failures():
            conn = self._reading_connection()
            try:
                with conn.transaction():
                    counters = {
                        name: (n, rewrites)
                        for name, n, rewrites in conn.execute(
                            "SELECT name, n, rewrites FROM outcomes_changes"
                        )
                    }
                    stale = [t for t in self.tables if counters.get(t, (0, 0)) != self._seen.get(t)]
                    replaced = self._replacements(conn) if stale else {}
                    copies = {
                        t: self._changes(conn, t, counters.get(t, (0, 0)), replaced.get(t))
                        for t in stale
                    }
            except psycopg.OperationalError:
                with suppress(psycopg.Error):
                    conn.close()
                raise
            if not copies:
                return
            with self._write(self._con.cursor()) as mirror:  # one DuckDB transaction
                for table, (scope, rows) in copies.items():
                    if scope == "all":
                        mirror.replace_rows(table, "", None, rows)
                    elif scope is not None:
                        mirror.replace_rows(table, scope[0], sorted(scope[1]), rows)
                    elif rows.height:
                        mirror.insert_frame(table, rows)
            self._seen.update({t: counters.get(t, (0, 0)) for t in stale})
            self.copied.update({t: self.copied.get(t, 0) + copies[t][1].height for t in stale})

    def _replacements(self, conn: psycopg.Connection) -> dict[str, tuple[str, set[str]] | None]:
        """The keys of each table replaced since the mirror's last copy (None: replaced by
        more than one column, so copied whole); the mark moves on to the newest."""
        found: dict[str, tuple[str, set[str]] | None] = {}
        newest = self._replaced_seen
        for seq, name, column, keys in conn.execute(
            "SELECT seq, name, col, keys FROM outcomes_replacements WHERE seq > %s ORDER BY seq",
            [self._replaced_seen],
        ):
            newest = max(newest, seq)
            if name in found and (found[name] is None or found[name][0] != column):
                found[name] = None
            else:
                found.setdefault(name, (column, set()))[1].update(keys)
        self._replaced_seen = newest
        return found

    def _changes(
        self,
        conn: psycopg.Connection,
        table: str,
        counters: tuple[int, int],
        replaced: tuple[str, set[str]] | None,
    ) -> tuple[str | tuple[str, set[str]] | None, pl.DataFrame]:
        """What the mirror needs of a changed table, and what of its copy it replaces:
        (None, the rows added after the last it holds) where rows were only added since its
        copy; ((column, keys), the rows of those keys) where only the rows of some keys were
        replaced; else ("all", every row). Each is checked by count against the server."""
        key, seen = APPENDED_BY.get(table), self._seen.get(table)
        if seen is not None and seen[1] == counters[1] and (key or replaced is not None):
            with closing(self._con.cursor()) as mirror:
                if key:
                    last, held = mirror.execute(
                        f"SELECT max({key}), count(*) FROM {table}"
                    ).fetchone()
                    if last is not None:
                        added = frame_of(
                            conn.execute(f"SELECT * FROM {table} WHERE {key} > %s", [last])
                        )
                        if held + added.height == _count(conn, table):
                            return None, added
                else:
                    column, keys = replaced
                    (kept,) = mirror.execute(
                        f"SELECT count(*) FROM {table} WHERE NOT list_contains(?, {column})",
                        [sorted(keys)],
                    ).fetchone()
                    fresh = frame_of(
                        conn.execute(
                            f"SELECT * FROM {table} WHERE {column} = ANY(%s)", [sorted(keys)]
                        )
                    )
                    if kept + fresh.height == _count(conn, table):
                        return (column, keys), fresh
        return "all", frame_of(conn.execute(f"SELECT * FROM {table}"))

    def data_version(self) -> tuple[int, int]:
        self.refresh()  # another process may have written
        return super().data_version()


def _count(conn: psycopg.Connection, table: str) -> int:
    """The rows ``table`` holds on the server, in the reading transaction's snapshot."""
    (total,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return total


Store.on_a_server = PostgresStore
