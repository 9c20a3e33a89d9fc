"""The DuckDB store: the one module that writes.

Every write goes through :class:`Store` in a single transaction and leaves an entry in
the audit log. The schema is created and upgraded by numbered migrations recorded in
``schema_migrations``. Reads for pages go through :mod:`metrics.queries`, which asks this
module for a cursor; a larger deployment can swap the engine here without touching pages
or transforms.

DuckDB allows one read-write process per file (threads share it through cursors): run
the CLI's writing commands while the app is stopped, or point them at another file.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from metrics.core.catalogue import COMMENTARY_PARTS, Catalogue
from metrics.core.clock import Clock, clock_from_environment
from metrics.core.findings import Finding, Severity
from metrics.core.settings import setting
from metrics.core.values import compute_indicator_values
from metrics.returns.validation import ValidationReport


def default_db_path() -> Path:
    return setting("OUTCOMES_DB")


class StoreError(RuntimeError):
    """The store could not do what was asked."""


class StoreBusy(StoreError):
    """Another write held the store for longer than a write may wait."""


class StoreInUse(StoreError):
    """Another process (the app, or another command) holds the database file."""

    def __init__(self, message: str, *, by_app: bool):
        super().__init__(message)
        self.by_app = by_app


ANY_VERSION = object()
"""``based_on`` for an ingest that replaces whatever version is current."""


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


class UnexplainedWarnings(StoreError):
    """Warnings must each be explained before a return is accepted."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        rules = ", ".join(sorted({f.rule for f in findings}))
        super().__init__(f"{len(findings)} warning(s) need an explanation ({rules})")


MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "submissions, findings, observations, commentary, indicator values, audit log",
        """
        CREATE SEQUENCE submission_ids START 1;
        CREATE SEQUENCE audit_ids START 1;
        CREATE TABLE submissions (
            id INTEGER NOT NULL DEFAULT nextval('submission_ids'),
            group_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            version INTEGER,
            status VARCHAR NOT NULL CHECK (status IN ('accepted', 'superseded', 'rejected')),
            submitted_by VARCHAR NOT NULL,
            submitted_at TIMESTAMP NOT NULL,
            file_name VARCHAR,
            sha256 VARCHAR NOT NULL,
            rows INTEGER,
            errors INTEGER NOT NULL,
            warnings INTEGER NOT NULL,
            contents_withheld BOOLEAN NOT NULL DEFAULT FALSE,
            supersedes INTEGER
        );
        CREATE TABLE findings (
            submission_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            rule VARCHAR NOT NULL,
            severity VARCHAR NOT NULL,
            row_number INTEGER,
            column_name VARCHAR,
            value VARCHAR,
            message VARCHAR NOT NULL,
            explanation VARCHAR,
            subject VARCHAR
        );
        CREATE TABLE observations (
            submission_id INTEGER NOT NULL,
            source_row INTEGER,
            indicator_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            area_code VARCHAR NOT NULL,
            breakdown VARCHAR NOT NULL,
            numerator DOUBLE,
            denominator DOUBLE,
            value DOUBLE,
            sd DOUBLE
        );
        CREATE TABLE commentary (
            submission_id INTEGER NOT NULL,
            indicator_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            text VARCHAR NOT NULL
        );
        CREATE TABLE indicator_values (
            indicator_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            area_code VARCHAR NOT NULL,
            breakdown VARCHAR NOT NULL,
            numerator DOUBLE,
            denominator DOUBLE,
            value DOUBLE,
            sd DOUBLE,
            lower_95 DOUBLE,
            upper_95 DOUBLE,
            lower_998 DOUBLE,
            upper_998 DOUBLE,
            target DOUBLE,
            amber_tolerance DOUBLE,
            rag VARCHAR,
            previous_value DOUBLE,
            change_previous DOUBLE,
            year_ago_value DOUBLE,
            change_year DOUBLE,
            suppressed BOOLEAN,
            derived BOOLEAN,
            period_order INTEGER,
            submission_id BIGINT
        );
        CREATE TABLE audit_log (
            id BIGINT NOT NULL DEFAULT nextval('audit_ids'),
            logged_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            submission_id INTEGER,
            detail VARCHAR
        );
        CREATE VIEW current_observations AS
            SELECT o.*, s.group_code, s.period AS return_period
            FROM observations o JOIN submissions s ON s.id = o.submission_id
            WHERE s.status = 'accepted';
        """,
    ),
]


MIGRATIONS.append(
    (
        2,
        "published benchmark values and statistical neighbours",
        """
    CREATE TABLE published_values (
        indicator_code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        time_period VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        area_code VARCHAR,
        old_la_code VARCHAR,
        area_name VARCHAR,
        value DOUBLE,
        numerator DOUBLE,
        denominator DOUBLE,
        symbol VARCHAR,
        source VARCHAR NOT NULL
    );
    CREATE TABLE neighbours (
        old_la_code VARCHAR NOT NULL,
        rank INTEGER NOT NULL,
        neighbour_old_la_code VARCHAR NOT NULL,
        source VARCHAR NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        3,
        "people and their roles; facts about this database (a demo or not)",
        """
    CREATE TABLE users (
        id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        email VARCHAR,
        roles VARCHAR[] NOT NULL,
        groups VARCHAR[] NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE store_info (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    -- a database built by an earlier 'outcomes demo' says so in its audit log
    INSERT INTO store_info
        SELECT 'demo', 'true' WHERE EXISTS (
            SELECT 1 FROM audit_log WHERE action = 'demo built' AND actor = 'demo');
    """,
    )
)


MIGRATIONS.append(
    (
        4,
        "the accountability cycle: meetings, challenges, actions and each one's log",
        """
    CREATE SEQUENCE meeting_ids START 1;
    CREATE SEQUENCE challenge_ids START 1;
    CREATE SEQUENCE action_ids START 1;
    CREATE SEQUENCE item_event_ids START 1;
    CREATE TABLE meetings (
        id INTEGER PRIMARY KEY DEFAULT nextval('meeting_ids'),
        held_on DATE NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN
            ('plan agreement', 'mid-year review', 'year-end sign-off', 'ordinary')),
        title VARCHAR NOT NULL,
        reports_to VARCHAR[] NOT NULL,
        cut_off TIMESTAMP NOT NULL,
        created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE challenges (
        id INTEGER PRIMARY KEY DEFAULT nextval('challenge_ids'),
        reference VARCHAR NOT NULL UNIQUE,
        group_code VARCHAR NOT NULL,
        indicator_code VARCHAR,
        priority_code VARCHAR,
        question VARCHAR NOT NULL,
        owner VARCHAR NOT NULL,
        due_on DATE NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('open', 'answered', 'resolved')),
        answer VARCHAR,
        raised_by VARCHAR NOT NULL,
        raised_at TIMESTAMP NOT NULL
    );
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY DEFAULT nextval('action_ids'),
        reference VARCHAR NOT NULL UNIQUE,
        title VARCHAR NOT NULL,
        owner VARCHAR NOT NULL,
        group_code VARCHAR NOT NULL,
        indicator_code VARCHAR,
        challenge VARCHAR,
        starts_on DATE NOT NULL,
        due_on DATE NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN
            ('not started', 'on track', 'at risk', 'off track', 'done', 'dropped')),
        recorded_by VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL
    );
    CREATE TABLE item_events (
        id BIGINT PRIMARY KEY DEFAULT nextval('item_event_ids'),
        reference VARCHAR NOT NULL,
        changed_at TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        actor_name VARCHAR NOT NULL,
        change VARCHAR NOT NULL,
        detail VARCHAR NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        5,
        "the board's decisions on its exception list",
        """
    CREATE SEQUENCE exception_decision_ids START 1;
    CREATE TABLE exception_decisions (
        id INTEGER PRIMARY KEY DEFAULT nextval('exception_decision_ids'),
        period VARCHAR NOT NULL,
        indicator_code VARCHAR NOT NULL,
        decision VARCHAR NOT NULL CHECK (decision IN ('include', 'exclude')),
        reason VARCHAR NOT NULL,
        decided_by VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        6,
        "deep dives: a topic, its audience and the narrative, saved to be made again",
        """
    CREATE SEQUENCE deep_dive_ids START 1;
    CREATE TABLE deep_dives (
        id INTEGER PRIMARY KEY DEFAULT nextval('deep_dive_ids'),
        title VARCHAR NOT NULL,
        audience VARCHAR NOT NULL,
        indicators VARCHAR[] NOT NULL,
        priority VARCHAR,
        areas VARCHAR[] NOT NULL,
        breakdowns VARCHAR[] NOT NULL,
        narrative VARCHAR NOT NULL,
        created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        7,
        "commentary in parts: what the figures show, the story behind the curve, partners, "
        "what works, actions planned",
        """
    ALTER TABLE commentary ADD COLUMN part VARCHAR DEFAULT 'commentary';
    UPDATE commentary SET part = 'commentary' WHERE part IS NULL;
    """,
    )
)


MIGRATIONS.append(
    (
        8,
        "a delivery group's own forecast for an indicator, with its reason",
        """
    CREATE SEQUENCE group_forecast_ids START 1;
    CREATE TABLE group_forecasts (
        id INTEGER PRIMARY KEY DEFAULT nextval('group_forecast_ids'),
        indicator_code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        reason VARCHAR NOT NULL,
        set_by VARCHAR NOT NULL,
        set_at TIMESTAMP NOT NULL
    );
    """,
    )
)


_ITEMS = {"challenge": ("challenges", "C"), "action": ("actions", "A")}
"""Each kind of accountability item: its table, and the letter its references start with."""


@dataclass(frozen=True)
class IngestResult:
    submission_id: int
    status: str  # accepted, rejected or duplicate
    version: int | None
    rows: int
    errors: int
    warnings: int
    message: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """A DuckDB database file holding returns, findings, indicator values and the audit log."""

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
        if not read_only:
            self.migrate()

    # --- plumbing -------------------------------------------------------------------

    def close(self) -> None:
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
    def transaction(
        self, *, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction: committed on success, rolled back on any exception.

        Writes in this process take turns. One that finds another in progress waits up to
        ``OUTCOMES_WRITE_WAIT_SECONDS`` (calling ``on_wait`` with a message first), then
        gives up with :class:`StoreBusy`. A DuckDB failure (a full disk, a damaged file)
        becomes a :class:`StoreError` that says what to do; the transaction is rolled back.
        """
        if self.read_only:
            raise StoreError("this store was opened read-only")
        if not self._write_lock.acquire(blocking=False):
            wait = setting("OUTCOMES_WRITE_WAIT_SECONDS")
            if on_wait:
                on_wait(f"Another change is being saved; waiting up to {wait} seconds ...")
            if not self._write_lock.acquire(timeout=wait):
                raise StoreBusy(
                    f"Another change was still being saved after {wait} seconds, so this one "
                    "was not saved. Try again in a minute."
                )
        try:
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()
        except duckdb.Error as exc:
            raise StoreError(describe_error(exc, self.path)) from exc
        finally:
            self._write_lock.release()

    def _audit(
        self,
        cur: duckdb.DuckDBPyConnection,
        *,
        actor: str,
        action: str,
        submission_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        cur.execute(
            "INSERT INTO audit_log (logged_at, actor, action, submission_id, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            [self.clock.now(), actor, action, submission_id, json.dumps(detail or {}, default=str)],
        )

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
        for version, description, sql in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction() as cur:
                cur.execute(sql)
                cur.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, description, self.clock.now()],
                )
                self._audit(
                    cur,
                    actor="system",
                    action="migrate",
                    detail={"version": version, "description": description},
                )
            applied.append(version)
        return applied

    # --- reads the write path needs ---------------------------------------------------

    def history(self, group: str) -> pl.DataFrame:
        """A group's current accepted observations (values as calculated) for the
        cross-period checks."""
        return self.frame(
            "SELECT indicator_code, period, area_code, breakdown, numerator, denominator, value "
            "FROM current_observations WHERE group_code = ?",
            [group],
        )

    def previous_explanations(self, group: str, period: str) -> dict[str, str]:
        """Explanations given to warnings in earlier versions of this return, newest last
        (so the newest wins)."""
        cur = self._con.cursor()
        try:
            with reading(self.path):
                return self._previous_explanations(cur, group, period)
        finally:
            cur.close()

    def current_submission(self, group: str, period: str) -> int | None:
        """The id of the accepted version of a return, if any: what a check is based on."""
        return self.scalar(
            "SELECT id FROM submissions WHERE group_code = ? AND period = ? "
            "AND status = 'accepted'",
            [group, period],
        )

    # --- the write path ---------------------------------------------------------------

    def ingest(
        self,
        report: ValidationReport,
        *,
        catalogue: Catalogue,
        data: bytes,
        file_name: str | None,
        submitted_by: str,
        explanations: dict[str, str] | None = None,
        based_on: int | object | None = ANY_VERSION,
        on_step: Callable[[str], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> IngestResult:
        """Record a validated return: accepted if it has no errors and every warning is
        explained (here or in an earlier version), otherwise rejected without its figures.

        ``based_on`` is the accepted submission of this group and period that the person
        saw when they checked the file (``None``: there was none). If another version was
        accepted meanwhile, nothing is stored and the result (status ``conflict``) says
        which. The same file twice is recognised (status ``duplicate``).

        The whole ingest — the duplicate and version checks included — is one
        transaction. ``on_step`` is called with the name of each step inside it (for
        fault-injection tests); ``on_wait`` with a message if another write is in progress.
        """
        digest = sha256_of(data)
        when = self.clock.now()
        from metrics.returns.validation import explain

        with self.transaction(on_wait=on_wait) as cur:
            duplicate = cur.execute(
                "SELECT id, status FROM submissions WHERE group_code = ? AND period = ? "
                "AND sha256 = ? AND status IN ('accepted', 'rejected') ORDER BY id DESC LIMIT 1",
                [report.group, report.period, digest],
            ).fetchone()
            if duplicate:
                return self._record_duplicate(
                    cur, report, duplicate, digest, file_name, submitted_by
                )
            carried = self._previous_explanations(cur, report.group, report.period)
            findings = explain(report.findings, {**carried, **(explanations or {})})
            unexplained = [
                f for f in findings if f.severity is Severity.WARNING and not f.explanation
            ]
            if report.errors or unexplained:
                return self._record_rejected(
                    cur,
                    report,
                    findings,
                    digest,
                    file_name,
                    submitted_by,
                    when,
                    unexplained,
                    on_step,
                )
            current = cur.execute(
                "SELECT id, version, submitted_by, submitted_at FROM submissions "
                "WHERE group_code = ? AND period = ? AND status = 'accepted'",
                [report.group, report.period],
            ).fetchone()
            if based_on is not ANY_VERSION and (current[0] if current else None) != based_on:
                return self._record_conflict(cur, report, current, digest, file_name, submitted_by)
            return self._record_accepted(
                cur, report, findings, catalogue, digest, file_name, submitted_by, when, on_step
            )

    def _record_duplicate(self, cur, report, duplicate, digest, file_name, submitted_by):
        sub_id, status = duplicate
        self._audit(
            cur,
            actor=submitted_by,
            action="duplicate ignored",
            submission_id=sub_id,
            detail={"file_name": file_name, "sha256": digest},
        )
        return IngestResult(
            sub_id,
            "duplicate",
            None,
            report.rows,
            len(report.errors),
            len(report.warnings),
            f"This file was already received as submission {sub_id} "
            f"({status}); nothing new was stored.",
        )

    def _record_conflict(self, cur, report, current, digest, file_name, submitted_by):
        self._audit(
            cur,
            actor=submitted_by,
            action="submission conflict",
            submission_id=current[0] if current else None,
            detail={"group": report.group, "period": report.period, "file_name": file_name},
        )
        if current:
            sub_id, version, by, at = current
            newer = (
                f"version {version} (submission {sub_id}, from {by} at "
                f"{at:%H:%M on %d %b %Y}) was accepted"
            )
        else:
            sub_id, newer = 0, "the version you were replacing was withdrawn"
        return IngestResult(
            sub_id,
            "conflict",
            None,
            report.rows,
            0,
            len(report.warnings),
            f"Not stored: while you were checking this file, {newer}. Look at it in the "
            "history; if your file should replace it, check your file again and submit.",
        )

    @staticmethod
    def _previous_explanations(cur, group: str, period: str) -> dict[str, str]:
        rows = cur.execute(
            "SELECT f.rule, f.subject, f.column_name, f.explanation FROM findings f "
            "JOIN submissions s ON s.id = f.submission_id "
            "WHERE s.group_code = ? AND s.period = ? AND f.explanation IS NOT NULL "
            "ORDER BY s.id, f.seq",
            [group, period],
        ).fetchall()
        return {
            f"{rule}|{subject or ''}|{column or ''}": text for rule, subject, column, text in rows
        }

    def _insert_submission(
        self,
        cur: duckdb.DuckDBPyConnection,
        report: ValidationReport,
        findings: list[Finding],
        *,
        status: str,
        version: int | None,
        digest: str,
        file_name: str | None,
        submitted_by: str,
        submitted_at: datetime,
        supersedes: int | None,
    ) -> int:
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
        row = cur.execute(
            "INSERT INTO submissions (group_code, period, version, status, submitted_by, "
            "submitted_at, file_name, sha256, rows, errors, warnings, contents_withheld, "
            "supersedes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                report.group,
                report.period,
                version,
                status,
                submitted_by,
                submitted_at,
                file_name,
                digest,
                report.rows,
                errors,
                warnings,
                report.contains_identifiers,
                supersedes,
            ],
        ).fetchone()
        sub_id = int(row[0])
        if findings:
            frame = pl.DataFrame(
                {
                    "submission_id": [sub_id] * len(findings),
                    "seq": list(range(1, len(findings) + 1)),
                    "rule": [f.rule for f in findings],
                    "severity": [f.severity.value for f in findings],
                    "row_number": [f.row for f in findings],
                    "column_name": [f.column for f in findings],
                    "value": [f.value for f in findings],
                    "message": [f.message for f in findings],
                    "explanation": [f.explanation for f in findings],
                    "subject": [f.subject for f in findings],
                },
                schema_overrides={
                    "row_number": pl.Int32,
                    "value": pl.String,
                    "explanation": pl.String,
                    "subject": pl.String,
                    "column_name": pl.String,
                },
            )
            cur.register("new_findings", frame)
            cur.execute("INSERT INTO findings BY NAME SELECT * FROM new_findings")
            cur.unregister("new_findings")
        return sub_id

    def _record_rejected(
        self,
        cur,
        report,
        findings,
        digest,
        file_name,
        submitted_by,
        submitted_at,
        unexplained,
        on_step,
    ) -> IngestResult:
        sub_id = self._insert_submission(
            cur,
            report,
            findings,
            status="rejected",
            version=None,
            digest=digest,
            file_name=file_name,
            submitted_by=submitted_by,
            submitted_at=submitted_at,
            supersedes=None,
        )
        if on_step:
            on_step("submission")
        self._audit(
            cur,
            actor=submitted_by,
            action="return rejected",
            submission_id=sub_id,
            detail={
                "group": report.group,
                "period": report.period,
                "errors": len(report.errors),
                "unexplained": len(unexplained),
                "contents_withheld": report.contains_identifiers,
            },
        )
        if report.errors:
            why = f"{len(report.errors)} error(s) must be fixed"
        else:
            why = f"{len(unexplained)} warning(s) need an explanation"
        if report.contains_identifiers:
            why += "; the file looked like it held children's details, so none of it was kept"
        return IngestResult(
            sub_id,
            "rejected",
            None,
            report.rows,
            len(report.errors),
            len(report.warnings),
            f"Return rejected: {why}.",
        )

    def _record_accepted(
        self,
        cur,
        report,
        findings,
        catalogue,
        digest,
        file_name,
        submitted_by,
        submitted_at,
        on_step,
    ) -> IngestResult:
        if report.observations is None:
            raise StoreError("a return without errors must carry its observations")
        previous = cur.execute(
            "SELECT id, version FROM submissions WHERE group_code = ? AND period = ? "
            "AND status = 'accepted'",
            [report.group, report.period],
        ).fetchone()
        last_version = cur.execute(
            "SELECT coalesce(max(version), 0) FROM submissions WHERE group_code = ? AND period = ?",
            [report.group, report.period],
        ).fetchone()[0]
        version = int(last_version) + 1
        if previous:
            cur.execute("UPDATE submissions SET status = 'superseded' WHERE id = ?", [previous[0]])
        sub_id = self._insert_submission(
            cur,
            report,
            findings,
            status="accepted",
            version=version,
            digest=digest,
            file_name=file_name,
            submitted_by=submitted_by,
            submitted_at=submitted_at,
            supersedes=previous[0] if previous else None,
        )
        if on_step:
            on_step("submission")
        obs = report.observations.with_columns(submission_id=pl.lit(sub_id, dtype=pl.Int32))
        cur.register("new_observations", obs)
        cur.execute(
            "INSERT INTO observations SELECT submission_id, source_row, indicator_code, "
            "period, area_code, breakdown, numerator, denominator, value, sd "
            "FROM new_observations"
        )
        cur.unregister("new_observations")
        if on_step:
            on_step("observations")
        if report.commentary is not None and not report.commentary.is_empty():
            notes = report.commentary.with_columns(submission_id=pl.lit(sub_id))
            cur.register("new_commentary", notes)
            cur.execute(
                "INSERT INTO commentary (submission_id, indicator_code, period, text, part) "
                "SELECT submission_id, indicator_code, period, text, part FROM new_commentary"
            )
            cur.unregister("new_commentary")
            self._answer_with_return(cur, report, sub_id, submitted_by)
        codes = report.observations["indicator_code"].unique().to_list()
        self._recompute(cur, catalogue, codes)
        if on_step:
            on_step("indicator_values")
        self._audit(
            cur,
            actor=submitted_by,
            action="return accepted",
            submission_id=sub_id,
            detail={
                "group": report.group,
                "period": report.period,
                "version": version,
                "rows": report.rows,
                "supersedes": previous[0] if previous else None,
            },
        )
        what = f"version {version}" + (f", replacing submission {previous[0]}" if previous else "")
        return IngestResult(
            sub_id,
            "accepted",
            version,
            report.rows,
            0,
            len(report.warnings),
            f"Return accepted as submission {sub_id} ({what}): "
            f"{report.observations.height} rows stored for {len(codes)} indicators.",
        )

    def _answer_with_return(self, cur, report, sub_id: int, submitted_by: str) -> None:
        """A return's commentary on an indicator answers the board's open challenges to the
        group on that indicator (in the same transaction as the return)."""
        labelled = report.commentary.with_columns(
            text=pl.when(pl.col("part") == "commentary")
            .then(pl.col("text"))
            .otherwise(
                pl.col("part").replace_strict(COMMENTARY_PARTS, default="") + ": " + pl.col("text")
            )
        )
        said = labelled.group_by("indicator_code", maintain_order=True).agg(
            pl.col("text").str.join("\n\n")
        )
        for code, text in said.iter_rows():
            open_ones = cur.execute(
                "SELECT reference FROM challenges WHERE group_code = ? AND indicator_code = ? "
                "AND status = 'open'",
                [report.group, code],
            ).fetchall()
            answer = f"With the return for {report.period}: {text}"
            for (reference,) in open_ones:
                cur.execute(
                    "UPDATE challenges SET status = 'answered', answer = ? WHERE reference = ?",
                    [answer, reference],
                )
                self._item_event(
                    cur,
                    reference,
                    submitted_by,
                    submitted_by,
                    "challenge answered",
                    {"status": "answered", "answer": answer, "with return": sub_id},
                )

    def _recompute(
        self, cur: duckdb.DuckDBPyConnection, catalogue: Catalogue, codes: list[str]
    ) -> None:
        """Recompute indicator values for ``codes`` from current observations (in ``cur``'s
        transaction)."""
        obs = cur.sql(
            "SELECT indicator_code, period, area_code, breakdown, numerator, denominator, value, "
            "sd, submission_id FROM current_observations WHERE list_contains(?, indicator_code)",
            params=[codes],
        ).pl()
        values = compute_indicator_values(obs, catalogue)
        cur.execute("DELETE FROM indicator_values WHERE list_contains(?, indicator_code)", [codes])
        if not values.is_empty():
            cur.register("new_values", values)
            cur.execute("INSERT INTO indicator_values BY NAME SELECT * FROM new_values")
            cur.unregister("new_values")

    # --- people -------------------------------------------------------------------------

    def user(self, user_id: str) -> dict[str, Any] | None:
        """A person by their stable id (identity provider issuer|subject), or None."""
        rows = self.frame("SELECT * FROM users WHERE id = ?", [user_id]).to_dicts()
        return rows[0] if rows else None

    def users(self) -> pl.DataFrame:
        return self.frame("SELECT * FROM users ORDER BY name, id")

    def save_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None,
        roles: list[str],
        groups: list[str],
        actor: str,
        action: str,
    ) -> None:
        """Add a person or replace their name, email, roles and groups (one transaction,
        audited with who did it)."""
        roles, groups = sorted(set(roles)), sorted(set(groups))
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "name = excluded.name, email = excluded.email, roles = excluded.roles, "
                "groups = excluded.groups, updated_at = excluded.updated_at",
                [user_id, name, email, roles, groups, self.clock.now(), self.clock.now()],
            )
            self._audit(
                cur,
                actor=actor,
                action=action,
                detail={
                    "user": user_id,
                    "roles": sorted(set(roles)),
                    "groups": sorted(set(groups)),
                },
            )

    def info(self, key: str) -> str | None:
        """A fact recorded about this database (e.g. ``demo``)."""
        return self.scalar("SELECT value FROM store_info WHERE key = ?", [key])

    def set_info(self, key: str, value: str, *, actor: str) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO store_info VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                "value = excluded.value",
                [key, value],
            )
            self._audit(cur, actor=actor, action="database marked", detail={key: value})

    def record_event(
        self, *, actor: str, action: str, detail: dict[str, Any] | None = None
    ) -> None:
        """An audit entry for a write made outside ingest (demo build, imports)."""
        with self.transaction() as cur:
            self._audit(cur, actor=actor, action=action, detail=detail)

    def replace_published(
        self, indicator: str, frame: pl.DataFrame, *, source: str, actor: str = "command line"
    ) -> int:
        """Replace an indicator's published benchmark values (one transaction)."""
        rows = frame.with_columns(indicator_code=pl.lit(indicator), source=pl.lit(source))
        with self.transaction() as cur:
            cur.execute("DELETE FROM published_values WHERE indicator_code = ?", [indicator])
            cur.register("new_published", rows)
            cur.execute("INSERT INTO published_values BY NAME SELECT * FROM new_published")
            cur.unregister("new_published")
            self._audit(
                cur,
                actor=actor,
                action="published data imported",
                detail={"indicator": indicator, "rows": rows.height, "source": source},
            )
        return rows.height

    def replace_neighbours(
        self, frame: pl.DataFrame, *, source: str, actor: str = "command line"
    ) -> int:
        """Replace the statistical neighbour model (one transaction)."""
        rows = frame.with_columns(source=pl.lit(source))
        with self.transaction() as cur:
            cur.execute("DELETE FROM neighbours")
            cur.register("new_neighbours", rows)
            cur.execute("INSERT INTO neighbours BY NAME SELECT * FROM new_neighbours")
            cur.unregister("new_neighbours")
            self._audit(
                cur,
                actor=actor,
                action="neighbours imported",
                detail={"rows": rows.height, "source": source},
            )
        return rows.height

    # --- the accountability cycle: meetings, challenges and actions ------------------

    def add_meeting(
        self,
        *,
        held_on: date,
        kind: str,
        title: str,
        reports_to: list[str],
        cut_off: datetime,
        actor: str,
    ) -> int:
        with self.transaction() as cur:
            (meeting_id,) = cur.execute(
                "INSERT INTO meetings (held_on, kind, title, reports_to, cut_off, created_by, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [held_on, kind, title, reports_to, cut_off, actor, self.clock.now()],
            ).fetchone()
            self._audit(
                cur,
                actor=actor,
                action="meeting added",
                detail={"meeting": meeting_id, "held_on": held_on, "cut_off": cut_off},
            )
        return int(meeting_id)

    def add_item(self, kind: str, fields: dict[str, Any], *, actor: str, actor_name: str) -> str:
        """Record a challenge or an action; returns its reference (``C-0001``, ``A-0001``),
        which never changes. The first entry of its log says who recorded it."""
        table, letter = _ITEMS[kind]
        with self.transaction() as cur:
            number = cur.execute(f"SELECT nextval('{kind}_ids')").fetchone()[0]
            reference = f"{letter}-{number:04d}"
            row = {**fields, "id": number, "reference": reference}
            columns = ", ".join(row)
            cur.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
            self._item_event(cur, reference, actor, actor_name, f"{kind} recorded", fields)
        return reference

    def change_item(
        self,
        reference: str,
        changes: dict[str, Any],
        *,
        change: str,
        actor: str,
        actor_name: str,
        note: str | None = None,
    ) -> None:
        """Change a challenge or an action, with a line in its log (who, when, what)."""
        table, _ = _ITEMS["challenge" if reference.startswith("C-") else "action"]
        with self.transaction() as cur:
            if changes:
                settings = ", ".join(f"{column} = ?" for column in changes)
                cur.execute(
                    f"UPDATE {table} SET {settings} WHERE reference = ?",
                    [*changes.values(), reference],
                )
            detail = {**changes, **({"note": note} if note else {})}
            self._item_event(cur, reference, actor, actor_name, change, detail)

    def add_deep_dive(self, fields: dict[str, Any], *, actor: str) -> int:
        """Save a deep dive's topic, audience and narrative; returns its number."""
        row = {**fields, "created_at": self.clock.now()}
        with self.transaction() as cur:
            (number,) = cur.execute(
                f"INSERT INTO deep_dives ({', '.join(row)}) VALUES "
                f"({', '.join('?' * len(row))}) RETURNING id",
                list(row.values()),
            ).fetchone()
            self._audit(cur, actor=actor, action="deep dive saved", detail={"id": number, **fields})
        return int(number)

    def set_forecast(
        self, *, indicator: str, period: str, value: float, reason: str, actor: str, name: str
    ) -> None:
        """A group's own forecast for an indicator's period (the latest one set stands)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO group_forecasts (indicator_code, period, value, reason, set_by, "
                "set_at) VALUES (?, ?, ?, ?, ?, ?)",
                [indicator, period, value, reason, name, self.clock.now()],
            )
            self._audit(
                cur,
                actor=actor,
                action="forecast set",
                detail={"indicator": indicator, "period": period, "value": value},
            )

    def decide_exception(
        self,
        *,
        period: str,
        indicator: str,
        decision: str,
        reason: str,
        actor: str,
        actor_name: str,
    ) -> None:
        """The board puts an indicator on its exception list for a quarter, or takes it off,
        with its reason (the latest decision stands; every one is kept)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO exception_decisions (period, indicator_code, decision, reason, "
                "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
                [period, indicator, decision, reason, actor_name, self.clock.now()],
            )
            self._audit(
                cur,
                actor=actor,
                action=f"exception list: {decision}",
                detail={"period": period, "indicator": indicator, "reason": reason},
            )

    def _item_event(self, cur, reference, actor, actor_name, change, detail) -> None:
        text = json.dumps(detail, default=str)
        cur.execute(
            "INSERT INTO item_events (reference, changed_at, actor, actor_name, change, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [reference, self.clock.now(), actor, actor_name, change, text],
        )
        self._audit(cur, actor=actor, action=change, detail={"reference": reference, **detail})

    def recompute_all(self, catalogue: Catalogue, *, actor: str = "system") -> int:
        """Recompute every indicator's values (after a catalogue change)."""
        codes = [i.code for i in catalogue.indicators]
        with self.transaction() as cur:
            self._recompute(cur, catalogue, codes)
            self._audit(cur, actor=actor, action="recompute", detail={"indicators": len(codes)})
        return len(codes)

    def as_at(self, cut_off: datetime, catalogue: Catalogue) -> StoreAsAt:
        """The store as it stood at ``cut_off``, for reading (see :class:`StoreAsAt`)."""
        return StoreAsAt(self, cut_off, catalogue)

    def data_version(self) -> tuple[int, int]:
        """Changes whenever anything is written: (last submission id, last audit id)."""
        cur = self._con.cursor()
        try:
            row = cur.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM submissions), "
                "(SELECT coalesce(max(id), 0) FROM audit_log)"
            ).fetchone()
        finally:
            cur.close()
        return (int(row[0]), int(row[1]))


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
