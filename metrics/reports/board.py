"""The board's rules, as a reader sees their outcome: which indicators go on the exception list
and why (with the board's own decisions), whose commentary is missing or stale, and which
returns are due, late or in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from metrics.core.catalogue import Catalogue
from metrics.core.periods import (
    Quarter,
    previous_period,
    sort_key,
)
from metrics.store.connection import Store
from metrics.store.reads import figures as figures_reads

EXCEPTION_RULES = {
    "red": "red against its target",
    "worse than England": "significantly worse than England",
    "worse than neighbours": "significantly worse than the statistical neighbours",
    "worsening trend": "a significantly worsening trend",
    "return late": "the owning group's return is late",
    "action overdue": "an action on it is overdue",
}
"""Why an indicator enters the board's exception list by rule."""


def exception_list(
    store: Store,
    catalogue: Catalogue,
    table: pl.DataFrame,
    quarter: str,
    *,
    on: date,
    returns: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The board's exception list for ``quarter``: the indicators of ``table`` (an indicator
    table with benchmarks) that a rule puts on it, with the rules' reasons, as changed by
    the board's own decisions (the latest for each indicator stands: added or removed, with
    its reason); each with whether the owning group has given commentary for its period.
    ``on`` is the day the list is for (overdue actions and late returns are judged then);
    ``returns`` is :func:`returns_status` for the quarter on that day, if already read."""
    if returns is None:
        returns = returns_status(store, catalogue, quarter, today=on)
    late = set(returns.filter(pl.col("status") == "late")["group_code"].to_list())
    overdue = figures_reads.overdue_action_indicators(store, on)
    decisions = {
        r["indicator_code"]: r
        for r in figures_reads.exception_decisions(store, quarter).iter_rows(named=True)
    }
    notes = (
        figures_reads.current_commentary(store)
        .group_by("indicator_code", "period")
        .agg(pl.col("text").str.join("\n\n").alias("commentary"))
    )
    said = {
        (r["indicator_code"], r["period"]): r["commentary"] for r in notes.iter_rows(named=True)
    }
    earlier = _latest_earlier(notes)
    rows = []
    for r in table.join(notes, on=["indicator_code", "period"], how="left").iter_rows(named=True):
        code = r["indicator_code"]
        reasons = [
            label
            for rule, label in EXCEPTION_RULES.items()
            if (rule == "red" and r.get("rag") == "red")
            or (rule == "worse than England" and r.get("vs_england") == "worse")
            or (rule == "worse than neighbours" and r.get("vs_neighbours") == "worse")
            or (rule == "worsening trend" and "getting worse" in (r.get("trend") or ""))
            or (rule == "return late" and r["group_code"] in late)
            or (rule == "action overdue" and code in overdue)
        ]
        decided = decisions.get(code)
        listed = bool(reasons)
        if decided:
            listed = decided["decision"] == "include"
        if listed or decided:
            rows.append(
                {
                    **r,
                    "reasons": "; ".join(reasons),
                    "decision": decided["decision"] if decided else None,
                    "decision_reason": decided["reason"] if decided else None,
                    "decided_by": decided["decided_by"] if decided else None,
                    "listed": listed,
                    **_commentary(catalogue, r, said, earlier),
                }
            )
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, infer_schema_length=None).sort(
        ~pl.col("listed"), pl.col("rag") != "red", "outcome_number", "indicator_code"
    )


def _latest_earlier(notes: pl.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Each indicator's commentary by period, latest first."""
    by_code: dict[str, list[tuple[str, str]]] = {}
    for r in notes.iter_rows(named=True):
        by_code.setdefault(r["indicator_code"], []).append((r["period"], r["commentary"]))
    for said in by_code.values():
        said.sort(key=lambda pair: sort_key(pair[0]), reverse=True)
    return by_code


def _commentary(catalogue: Catalogue, row: dict, said: dict, earlier: dict) -> dict:
    """The group's commentary on an exception's figure: for its period if given (stale when
    it repeats the period before's while the figure moved); otherwise the latest written
    for an earlier period, shown as older than the figure (and still owed)."""
    text = (row.get("commentary") or "").strip()
    if text:
        return {
            "commentary_given": True,
            "commentary_stale": _stale(catalogue, row, said),
            "commentary_period": row.get("period"),
        }
    period = row.get("period")
    before = [
        (p, t)
        for p, t in earlier.get(row["indicator_code"], [])
        if period is not None and sort_key(p) < sort_key(period) and t.strip()
    ]
    if not before:
        return {"commentary_given": False, "commentary_stale": False, "commentary_period": None}
    return {
        "commentary": before[0][1],
        "commentary_given": False,
        "commentary_stale": True,
        "commentary_period": before[0][0],
    }


def _stale(catalogue: Catalogue, row: dict, said: dict) -> bool:
    """Commentary that is the same text as the period before's while the figure moved."""
    text = (row.get("commentary") or "").strip()
    if not text or row.get("period") is None or not row.get("change_previous"):
        return False
    ind = catalogue.indicator[row["indicator_code"]]
    before = previous_period(row["period"], ind.period_type)
    return (said.get((ind.code, before)) or "").strip() == text


def returns_statuses(
    store: Store, catalogue: Catalogue, quarters: list[str], today: date | None = None
) -> pl.DataFrame:
    """:func:`returns_status` for each of ``quarters`` (a column ``quarter`` says which),
    from one read."""
    received = figures_reads.returns_received(store, quarters)
    return pl.concat(
        [
            returns_status(
                store, catalogue, q, today, received=received.filter(pl.col("period") == q)
            ).with_columns(quarter=pl.lit(q))
            for q in quarters
        ]
    )


def returns_status(
    store: Store,
    catalogue: Catalogue,
    quarter: str,
    today: date | None = None,
    *,
    received: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Which groups have submitted for ``quarter``, which are late, with versions
    (``received``: what :func:`~metrics.store.reads.figures.returns_received` gives for the
    quarter, if already read). A return is on time or late by its first accepted version: a
    correction made after the due date is a correction (``corrected_at``), not lateness."""
    q = Quarter.parse(quarter)
    due_by = q.end + timedelta(days=RETURN_DUE_DAYS)
    if received is None:
        received = figures_reads.returns_received(store, [quarter])
    by_group = {r["group_code"]: r for r in received.to_dicts()}
    today = today or store.clock.today()
    rows = []
    for g in catalogue.groups:
        due = bool(catalogue.due_rows(g.code, q))
        sub = by_group.get(g.code, {})
        if sub.get("current_version"):
            status = "submitted"
            if sub["first_accepted_at"].date() > due_by:
                status = "submitted late"
        elif not due:
            status = "nothing due"
        elif today > due_by:
            status = "late"
        else:
            status = "not yet due"
        rows.append(
            {
                "group": g.name,
                "group_code": g.code,
                "status": status,
                "version": sub.get("current_version"),
                "accepted_at": sub.get("first_accepted_at"),
                "corrected_at": (
                    sub["accepted_at"] if (sub.get("current_version") or 0) > 1 else None
                ),
                "rejected_attempts": sub.get("rejected", 0),
                "due_by": due_by,
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            "version": pl.Int64,
            "accepted_at": pl.Datetime("us"),
            "corrected_at": pl.Datetime("us"),
        },
    )


@dataclass(frozen=True)
class GroupWork:
    """What a delivery group has to do (:func:`metrics.services.group_work`)."""

    group: str
    returns: pl.DataFrame
    """Returns late or not yet due: quarter, status, due_by."""
    challenges: pl.DataFrame
    """The board's open challenges to the group, by due date."""
    actions: pl.DataFrame
    """The group's unfinished actions, by due date."""
    commentary: list[str]
    """Indicators on the board's exception list still needing the group's commentary."""
    next_meeting: dict | None

    @property
    def count(self) -> int:
        """How many things are waiting."""
        return (
            self.returns.height
            + self.challenges.height
            + self.actions.height
            + len(self.commentary)
        )


RETURN_DUE_DAYS = 30
"""A quarterly return is due this many days after the quarter ends."""
