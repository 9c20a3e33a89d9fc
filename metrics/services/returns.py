"""What pages and the command line ask of the domain, asked as an actor.

Each function takes the :class:`~metrics.access.Actor` first and checks, before anything
else, that the actor may do what it asks (:func:`metrics.access.require`). The
validate-then-store sequence lives here once: the submit page, ``outcomes validate`` and
``outcomes ingest``, and the demo builder all call :func:`check_return` and then
:func:`submit_return`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from metrics.core.access import Actor, require
from metrics.core.catalogue import Catalogue
from metrics.core.clock import clock_from_environment
from metrics.core.values import compute_indicator_values
from metrics.returns.validation import (
    ReturnContextError,
    ValidationReport,
    check_context,
    validate_return,
)
from metrics.services.guard import audited, refuse_identifying
from metrics.store.connection import IngestResult, Store
from metrics.store.connection import (
    StoreError as StoreError,  # for the app, which never imports the store
)
from metrics.store.connection import default_db_path as default_db_path
from metrics.store.reads import figures as queries


@dataclass(frozen=True)
class CheckedReturn:
    """A return as checked, with what it was checked against."""

    report: ValidationReport
    data: bytes
    file_name: str | None
    based_on: int | None
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
    based_on = store.current_submission(group, quarter.code) if store else None
    report = validate_return(
        data,
        catalogue=catalogue,
        group=group,
        period=quarter.code,
        history=store.history(group) if store else None,
        file_name=file_name,
    )
    return CheckedReturn(report, data, file_name, based_on)


@audited
def submit_return(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    checked: CheckedReturn,
    *,
    explanations: dict[str, str] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IngestResult:
    """Store a checked return: accepted, or recorded as rejected without its figures (see
    :meth:`metrics.store.Store.ingest`). Explanations that look like a child's details are
    refused before anything is stored."""
    group = checked.report.group
    require(actor, "submit-return", group)
    explanations = {k: v for k, v in (explanations or {}).items() if v and v.strip()}
    if explanations:
        require(actor, "explain-warning", group)
    refuse_identifying({**explanations, "name": actor.name})
    return store.ingest(
        checked.report,
        catalogue=catalogue,
        data=checked.data,
        file_name=checked.file_name,
        submitted_by=actor.name,
        explanations=explanations,
        based_on=checked.based_on,
        on_wait=on_wait,
    )


@audited
def preview_return(
    actor: Actor, store: Store, catalogue: Catalogue, checked: CheckedReturn
) -> pl.DataFrame:
    """What a checked return will show once accepted, before it is submitted: for each of
    its indicators, the authority's figure for the return's period, its RAG, and the figure
    before it with the change — computed as acceptance would compute them, from the
    return's rows in place of any earlier version's. Empty for a return with errors."""
    require(actor, "submit-return", checked.report.group)
    new = checked.report.observations
    if new is None or new.is_empty():
        return pl.DataFrame()
    codes = new["indicator_code"].unique().to_list()
    periods = new["period"].unique().to_list()
    current = queries.current_observations(store, codes).filter(~pl.col("period").is_in(periods))
    # compute_indicator_values reads the columns it needs; the return's rows stand in for
    # any earlier version of this period's
    incoming = new.with_columns(submission_id=pl.lit(0, dtype=pl.Int64))
    merged = pl.concat([current, incoming], how="diagonal_relaxed")
    values = compute_indicator_values(merged, catalogue)
    return (
        values.filter(
            pl.col("period").is_in(periods)
            & (pl.col("area_code") == catalogue.authority.code)
            & (pl.col("breakdown") == "total")
        )
        .select(
            "indicator_code",
            "period",
            "value",
            "rag",
            "target",
            "previous_value",
            "change_previous",
        )
        .sort("indicator_code")
    )


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
    return store.previous_explanations(group, period)
