"""What the return services read: a group's accepted history for the cross-period checks,
explanations given to earlier versions, and which version of a return is current."""

from __future__ import annotations

import polars as pl

from metrics.store.connection import Store, Tx


def history(store: Store, group: str) -> pl.DataFrame:
    """A group's current accepted observations (values as calculated) for the cross-period
    checks."""
    return store.frame(
        "SELECT indicator_code, period, area_code, breakdown, numerator, denominator, value "
        "FROM current_observations WHERE group_code = ?",
        [group],
    )


_EXPLANATIONS = (
    "SELECT f.rule, f.subject, f.column_name, f.explanation FROM findings f "
    "JOIN submissions s ON s.id = f.submission_id "
    "WHERE s.group_code = ? AND s.period = ? AND f.explanation IS NOT NULL "
    "ORDER BY s.id, f.seq"
)


def previous_explanations(source: Store | Tx, group: str, period: str) -> dict[str, str]:
    """Explanations given to warnings in earlier versions of this return, keyed as findings
    are (:attr:`metrics.core.findings.Finding.key`), newest last so that the newest wins;
    read in a transaction (``Tx``) when a decision depends on it."""
    rows = source.frame(_EXPLANATIONS, [group, period]).rows()
    return {f"{rule}|{subject or ''}|{column or ''}": text for rule, subject, column, text in rows}


def current_submission(store: Store, group: str, period: str) -> int | None:
    """The id of the accepted version of a return, if any: what a check is based on."""
    return store.scalar(
        "SELECT id FROM submissions WHERE group_code = ? AND period = ? AND status = 'accepted'",
        [group, period],
    )


def same_file(tx: Tx, group: str, period: str, digest: str) -> tuple[int, str] | None:
    """The latest submission of this return with the same bytes (id, status), if any."""
    return tx.one(
        "SELECT id, status FROM submissions WHERE group_code = ? AND period = ? "
        "AND sha256 = ? AND status IN ('accepted', 'rejected') ORDER BY id DESC LIMIT 1",
        [group, period, digest],
    )


def accepted_version(target: Store | Tx, group: str, period: str) -> tuple | None:
    """The accepted version of a return: (id, version, submitted_by, submitted_at)."""
    found = target.frame(
        "SELECT id, version, submitted_by, submitted_at FROM submissions "
        "WHERE group_code = ? AND period = ? AND status = 'accepted'",
        [group, period],
    )
    return found.row(0) if found.height else None


def last_version(tx: Tx, group: str, period: str) -> int:
    """The highest version number a return has had (0: none yet)."""
    row = tx.one(
        "SELECT coalesce(max(version), 0) FROM submissions WHERE group_code = ? AND period = ?",
        [group, period],
    )
    return int(row[0])


def open_challenges(tx: Tx, group: str, indicator: str) -> list[str]:
    """References of the board's open challenges to a group on an indicator."""
    rows = tx.all(
        "SELECT reference FROM challenges WHERE group_code = ? AND indicator_code = ? "
        "AND status = 'open' ORDER BY id",
        [group, indicator],
    )
    return [reference for (reference,) in rows]


def current_observations(tx: Tx, codes: list[str] | None = None) -> pl.DataFrame:
    """The observations of every accepted return (of ``codes`` only, if given), for
    computing indicator values."""
    sql = (
        "SELECT indicator_code, period, area_code, breakdown, numerator, denominator, value, "
        "sd, submission_id FROM current_observations"
    )
    if codes is None:
        return tx.frame(sql)
    return tx.frame(sql + " WHERE list_contains(?, indicator_code)", [codes])
