"""Writes of the return path: a submission with its findings, its observations and
commentary, the version it supersedes, and the indicator values recomputed from what is
accepted. The services decide which of these happen (accepted, rejected, duplicate,
conflict); these functions only persist, inside the service's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from metrics.core.findings import Finding, Severity
from metrics.store.connection import Tx


@dataclass(frozen=True)
class SubmissionRecord:
    """A submission as decided: which return, which version (None: rejected), its status."""

    group: str
    period: str
    status: str
    version: int | None
    submitted_by: str
    submitted_at: datetime
    file_name: str | None
    sha256: str
    rows: int
    contents_withheld: bool
    supersedes: int | None = None
    submitted_by_id: str = ""
    """The submitter's stable id (issuer and subject), for the audit log: ``submitted_by``
    is the name people read."""


def insert_submission(tx: Tx, record: SubmissionRecord, findings: list[Finding]) -> int:
    """Store a submission and its findings; returns its id."""
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    (sub_id,) = tx.one(
        "INSERT INTO submissions (group_code, period, version, status, submitted_by, "
        "submitted_at, file_name, sha256, rows, errors, warnings, contents_withheld, "
        "supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            record.group,
            record.period,
            record.version,
            record.status,
            record.submitted_by,
            record.submitted_at,
            record.file_name,
            record.sha256,
            record.rows,
            errors,
            warnings,
            record.contents_withheld,
            record.supersedes,
        ],
    )
    sub_id = int(sub_id)
    if findings:
        tx.insert_frame(
            "findings",
            pl.DataFrame(
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
            ),
        )
    return sub_id


def supersede(tx: Tx, submission_id: int) -> None:
    """The accepted version of a return gives way to a newer one."""
    tx.execute("UPDATE submissions SET status = 'superseded' WHERE id = ?", [submission_id])


def insert_observations(tx: Tx, submission_id: int, observations: pl.DataFrame) -> None:
    tx.insert_frame(
        "observations",
        observations.select(
            "source_row",
            "indicator_code",
            "period",
            "area_code",
            "breakdown",
            "numerator",
            "denominator",
            "value",
            "sd",
        ).with_columns(submission_id=pl.lit(submission_id, dtype=pl.Int32)),
    )


def insert_commentary(tx: Tx, submission_id: int, commentary: pl.DataFrame) -> None:
    tx.insert_frame(
        "commentary",
        commentary.select("indicator_code", "period", "text", "part").with_columns(
            submission_id=pl.lit(submission_id)
        ),
    )


def replace_values(tx: Tx, codes: list[str] | None, values: pl.DataFrame) -> None:
    """Replace the stored indicator values of ``codes`` (every indicator: None) with
    ``values``."""
    tx.replace_rows("indicator_values", "indicator_code", codes, values)
