"""Returns, as services: check a return, then submit it. The validate-then-store sequence
lives here once: the submit page, ``outcomes validate`` and ``outcomes ingest``, and the demo
builder all call :func:`check_return` and then :func:`submit_return`.

:func:`submit_return` decides what becomes of a return — accepted, rejected (kept without its
figures), a duplicate of a file already received, or a conflict with a version accepted
while the person was checking theirs — and which of the board's open challenges its
commentary answers; the store persists the outcome, all in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import polars as pl

from metrics.core.access import Actor, require
from metrics.core.catalogue import COMMENTARY_PARTS, Catalogue
from metrics.core.clock import clock_from_environment
from metrics.core.findings import Finding, Severity
from metrics.core.quotes import giveaways
from metrics.core.values import compute_indicator_values, withheld_by_indicator
from metrics.returns.validation import (
    ReturnContextError,
    ValidationReport,
    check_context,
    explain,
    validate_return,
)
from metrics.returns.validation.rules import load_rules
from metrics.services.guard import TextRefused, audited, refuse_identifying
from metrics.store.connection import Store, StoreError, Tx
from metrics.store.reads import figures as queries
from metrics.store.reads import returns as reads
from metrics.store.writes import board as board_writes
from metrics.store.writes import returns as writes
from metrics.store.writes.people import set_info
from metrics.store.writes.returns import SubmissionRecord

ANY_VERSION = object()
"""``based_on`` for a submission that replaces whatever version is current (the CLI's)."""


@dataclass(frozen=True)
class IngestResult:
    """What became of a submitted return, and the sentence that tells the person."""

    submission_id: int
    status: str  # accepted, rejected, duplicate or conflict
    version: int | None
    rows: int
    errors: int
    warnings: int
    message: str


@dataclass(frozen=True)
class CheckedReturn:
    """A return as checked, with what it was checked against."""

    report: ValidationReport
    data: bytes
    file_name: str | None
    based_on: int | object | None
    """The accepted submission of this group and period when it was checked (None: none),
    so that one accepted meanwhile is noticed when it is submitted."""


@audited
def check_return(
    actor: Actor,
    store: Store | None,
    catalogue: Catalogue,
    *,
    group: str,
    period: str,
    data: bytes,
    file_name: str | None,
) -> CheckedReturn:
    """Check a return against the rules and the group's accepted history (none without a
    store: then the cross-period warnings cannot be checked); stores nothing. A quarter
    that has not ended yet is refused with the date its return can be checked from."""
    require(actor, "submit-return", group)
    quarter = check_context(catalogue, group, period)
    today = (store.clock if store else clock_from_environment()).today()
    if quarter.end >= today:
        raise ReturnContextError(
            f"{quarter.label} has not ended yet: its return can be checked from "
            f"{quarter.end + timedelta(days=1):%d %B %Y}, once the quarter's figures are in."
        )
    based_on = reads.current_submission(store, group, quarter.code) if store else None
    report = validate_return(
        data,
        catalogue=catalogue,
        group=group,
        period=quarter.code,
        history=reads.history(store, group) if store else None,
        file_name=file_name,
    )
    return CheckedReturn(report, data, file_name, based_on)


def _refuse_giveaways(
    explanations: dict[str, str], report: ValidationReport, catalogue: Catalogue
) -> None:
    """Refuse (:class:`TextRefused`) an explanation that quotes a figure of the return that
    readers will see withheld, or a rate that gives it back (as rule C22 does for commentary):
    explanations are shown beside the figures too."""
    if not explanations or report.observations is None:
        return
    withheld = withheld_by_indicator(report.observations, catalogue)
    everything = [cell for cells in withheld.values() for cell in cells]
    for key, text in explanations.items():
        subject = key.split("|")[1] if key.count("|") >= 1 else ""
        indicator = subject.split(" ")[0] if subject else ""
        found = giveaways(text, withheld.get(indicator, []) if indicator else everything)
        if found:
            quoted, cell = found[0]
            raise TextRefused(
                f"The explanation for {key.split('|')[0]} {subject} quotes '{quoted}', which "
                f"gives back a figure of {cell.indicator} that readers will see withheld to "
                "protect small numbers. Write it without the figure (for example 'fewer than "
                f"{cell.threshold}'), then submit again."
            )


@audited
def submit_return(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    checked: CheckedReturn,
    *,
    explanations: dict[str, str] | None = None,
    based_on: int | object | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> IngestResult:
    """Store a checked return: accepted if it has no errors and every warning is explained
    (here or in an earlier version), otherwise recorded as rejected without its figures.

    The return is compared with the version that was current when it was checked
    (``checked.based_on``; :data:`ANY_VERSION` replaces whatever is current): if another
    was accepted meanwhile nothing is stored (status ``conflict``). The same file twice is
    recognised (status ``duplicate``). Explanations that look like a child's details are
    refused before anything is stored.

    Every decision and write is one transaction. ``on_step`` is called with the name of each
    step inside it (for fault-injection tests); ``on_wait`` with a message if another write
    is in progress.
    """
    report = checked.report
    require(actor, "submit-return", report.group)
    explanations = {k: v for k, v in (explanations or {}).items() if v and v.strip()}
    if explanations:
        require(actor, "explain-warning", report.group)
    refuse_identifying({**explanations, "name": actor.name})
    _refuse_giveaways(explanations, report, catalogue)
    digest = hashlib.sha256(checked.data).hexdigest()
    with store.transaction(on_wait=on_wait) as tx:
        record = SubmissionRecord(
            group=report.group,
            period=report.period,
            status="rejected",
            version=None,
            submitted_by=actor.name,
            submitted_by_id=actor.id,
            submitted_at=tx.now(),
            file_name=checked.file_name,
            sha256=digest,
            rows=report.rows,
            contents_withheld=report.contains_identifiers,
        )
        same = reads.same_file(tx, report.group, report.period, digest)
        if same:
            return _duplicate(tx, report, record, same)
        carried = reads.previous_explanations(tx, report.group, report.period)
        findings = explain(report.findings, {**carried, **explanations})
        unexplained = [f for f in findings if f.severity is Severity.WARNING and not f.explanation]
        if report.errors or unexplained:
            return _rejected(tx, report, record, findings, unexplained, on_step)
        current = reads.accepted_version(tx, report.group, report.period)
        if (
            checked.based_on is not ANY_VERSION
            and (current[0] if current else None) != checked.based_on
        ):
            return _conflict(tx, report, record, current)
        return _accepted(tx, report, record, findings, catalogue, current, on_step)


def _duplicate(tx: Tx, report: ValidationReport, record: SubmissionRecord, same) -> IngestResult:
    sub_id, status = same
    tx.audit(
        actor=record.submitted_by_id,
        action="duplicate ignored",
        submission_id=sub_id,
        detail={
            "name": record.submitted_by,
            "file_name": record.file_name,
            "sha256": record.sha256,
        },
    )
    return IngestResult(
        sub_id,
        "duplicate",
        None,
        report.rows,
        len(report.errors),
        len(report.warnings),
        f"This file was already received as submission {sub_id} ({status}); nothing new was "
        "stored.",
    )


def _conflict(tx: Tx, report: ValidationReport, record: SubmissionRecord, current) -> IngestResult:
    tx.audit(
        actor=record.submitted_by_id,
        action="submission conflict",
        submission_id=current[0] if current else None,
        detail={
            "name": record.submitted_by,
            "group": report.group,
            "period": report.period,
            "file_name": record.file_name,
        },
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
        f"Not stored: while you were checking this file, {newer}. Look at it in the history; "
        "if your file should replace it, check your file again and submit.",
    )


def _without_figures(findings: list[Finding]) -> list[Finding]:
    """A rejected return's findings as kept: where each problem is (rule, row, column, what
    it is about) and the explanation given, but no cell or figure of the file; the person
    who submitted it has the file, and its figures were never accepted."""
    rules = load_rules()
    return [
        replace(f, value=None, message=rules[f.rule].title if f.rule in rules else f.message)
        for f in findings
    ]


def _rejected(
    tx: Tx,
    report: ValidationReport,
    record: SubmissionRecord,
    findings: list[Finding],
    unexplained: list[Finding],
    on_step: Callable[[str], None] | None,
) -> IngestResult:
    sub_id = writes.insert_submission(tx, record, _without_figures(findings))
    if on_step:
        on_step("submission")
    tx.audit(
        actor=record.submitted_by_id,
        action="return rejected",
        submission_id=sub_id,
        detail={
            "name": record.submitted_by,
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


def _accepted(
    tx: Tx,
    report: ValidationReport,
    record: SubmissionRecord,
    findings: list[Finding],
    catalogue: Catalogue,
    current,
    on_step: Callable[[str], None] | None,
) -> IngestResult:
    if report.observations is None:
        raise StoreError("a return without errors must carry its observations")
    version = reads.last_version(tx, report.group, report.period) + 1
    previous = current[0] if current else None
    if previous is not None:
        writes.supersede(tx, previous)
    record = replace(record, status="accepted", version=version, supersedes=previous)
    sub_id = writes.insert_submission(tx, record, findings)
    if on_step:
        on_step("submission")
    writes.insert_observations(tx, sub_id, report.observations)
    if on_step:
        on_step("observations")
    if report.commentary is not None and not report.commentary.is_empty():
        writes.insert_commentary(tx, sub_id, report.commentary)
        _answer_with_return(tx, report, sub_id, record)
    codes = report.observations["indicator_code"].unique().to_list()
    recompute_values(tx, catalogue, codes)
    if on_step:
        on_step("indicator_values")
    tx.audit(
        actor=record.submitted_by_id,
        action="return accepted",
        submission_id=sub_id,
        detail={
            "name": record.submitted_by,
            "group": report.group,
            "period": report.period,
            "version": version,
            "rows": report.rows,
            "supersedes": previous,
        },
    )
    what = f"version {version}" + (f", replacing submission {previous}" if previous else "")
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


def _answer_with_return(
    tx: Tx, report: ValidationReport, sub_id: int, record: SubmissionRecord
) -> None:
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
        answer = f"With the return for {report.period}: {text}"
        for reference in reads.open_challenges(tx, report.group, code):
            board_writes.change_item(
                tx,
                reference,
                {"status": "answered", "answer": answer},
                change="challenge answered",
                actor=record.submitted_by_id,
                actor_name=record.submitted_by,
                note=f"with the return stored as submission {sub_id}",
            )


CATALOGUE_FINGERPRINT = "catalogue fingerprint"
"""The fact (``store_info``) that names the catalogue the stored values were computed by."""


@audited
def recompute(actor: Actor, store: Store, catalogue: Catalogue, *, why: str = "asked for") -> int:
    """Compute every stored indicator value again by the catalogue as it stands (targets,
    tolerances, polarity, thresholds), in one audited transaction, and record which
    catalogue they were computed by. Returns the number of values stored."""
    require(actor, "manage-catalogue")
    fingerprint = catalogue.fingerprint()
    with store.transaction() as tx:
        count = recompute_values(tx, catalogue)
        set_info(tx, CATALOGUE_FINGERPRINT, fingerprint, actor=actor.id)
        tx.audit(
            actor=actor.id,
            action="values recomputed",
            detail={"values": count, "why": why, "catalogue": fingerprint},
        )
    return count


@audited
def recompute_if_the_catalogue_changed(actor: Actor, store: Store, catalogue: Catalogue) -> bool:
    """On start: if the catalogue is not the one the stored values were computed by, compute
    them again (:func:`recompute`), so that no page shows a RAG against an old target.
    Returns whether it did."""
    require(actor, "manage-catalogue")
    if store.read_only or store.info(CATALOGUE_FINGERPRINT) == catalogue.fingerprint():
        return False
    recompute(actor, store, catalogue, why="the catalogue changed")
    return True


def recompute_values(tx: Tx, catalogue: Catalogue, codes: list[str] | None = None) -> int:
    """Compute the indicator values of ``codes`` (all indicators: None) again from the
    accepted observations, by the catalogue as it stands, and store them in ``tx``."""
    values = compute_indicator_values(reads.current_observations(tx, codes), catalogue)
    writes.replace_values(tx, codes, values)
    return values.height


@audited
def preview_return(
    actor: Actor, store: Store, catalogue: Catalogue, checked: CheckedReturn
) -> pl.DataFrame:
    """What a checked return will show once accepted, before it is submitted: for each of
    its indicators, the authority's figure for the return's period, its RAG, and the figure
    before it with the change — computed as acceptance would compute them, from the
    return's rows in place of any earlier version's — and, where it replaces an accepted
    version, that version's figure (``replaced_value``). Empty for a return with errors."""
    require(actor, "submit-return", checked.report.group)
    new = checked.report.observations
    if new is None or new.is_empty():
        return pl.DataFrame()
    codes = new["indicator_code"].unique().to_list()
    periods = new["period"].unique().to_list()
    stored = queries.current_observations(store, codes)
    current = stored.filter(~pl.col("period").is_in(periods))
    # compute_indicator_values reads the columns it needs; the return's rows stand in for
    # any earlier version of this period's
    incoming = new.with_columns(submission_id=pl.lit(0, dtype=pl.Int64))
    merged = pl.concat([current, incoming], how="diagonal_relaxed")
    mine = (
        pl.col("period").is_in(periods)
        & (pl.col("area_code") == catalogue.authority.code)
        & (pl.col("breakdown") == "total")
    )
    values = compute_indicator_values(merged, catalogue).filter(mine)
    replaced = (
        compute_indicator_values(stored, catalogue)
        .filter(mine)
        .select("indicator_code", "period", pl.col("value").alias("replaced_value"))
    )
    return (
        values.select(
            "indicator_code",
            "period",
            "value",
            "rag",
            "target",
            "previous_value",
            "change_previous",
        )
        .join(replaced, on=["indicator_code", "period"], how="left")
        .sort("indicator_code")
    )


@audited
def replacing(actor: Actor, store: Store, group: str, period: str) -> dict | None:
    """The accepted version that a new return for ``group`` and ``period`` would replace:
    its version, when and by whom it was submitted (None: there is none)."""
    require(actor, "submit-return", group)
    found = reads.accepted_version(store, group, period)
    if found is None:
        return None
    return {"version": found[1], "submitted_by": found[2], "submitted_at": found[3]}


@audited
def group_submissions(actor: Actor, store: Store, group: str) -> pl.DataFrame:
    require(actor, "view-submissions")
    return queries.group_submissions(store, group)


@audited
def submission_findings(actor: Actor, store: Store, submission_id: int) -> pl.DataFrame:
    require(actor, "view-submissions")
    return queries.submission_findings(store, submission_id)


@audited
def previous_explanations(actor: Actor, store: Store, group: str, period: str) -> dict[str, str]:
    require(actor, "explain-warning", group)
    return reads.previous_explanations(store, group, period)
