"""The accountability cycle, as services: the board's meetings, the challenges it puts to
delivery groups, and the actions that follow.

Each function takes the actor first and checks what they may do (:mod:`metrics.core.access`);
every change is written by the store with a line in the item's own log (who, when, what
changed) and in the audit log. References (``C-0001`` for a challenge, ``A-0001`` for an
action) never change, so an unfinished action is followed across meetings and years.

Text people type (a question, an answer, a note) is refused if it looks like it holds a
child's details, as explanations are."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import polars as pl

from metrics.core.access import Actor, can, require
from metrics.core.catalogue import Catalogue
from metrics.core.formatting import each_value
from metrics.core.periods import is_period, latest_complete_quarter
from metrics.core.quotes import giveaways
from metrics.reports import board as board_rules
from metrics.reports import figures as report_figures
from metrics.services.figures import overview
from metrics.services.guard import audited, conceals, refuse_identifying
from metrics.store.connection import Store, StoreAsAt
from metrics.store.reads import board as board_reads
from metrics.store.writes import board as board_writes

MEETING_KINDS = ("plan agreement", "mid-year review", "year-end sign-off", "ordinary")
ACTION_STATUSES = ("not started", "on track", "at risk", "off track", "done", "dropped")
OPEN_ACTION = ("not started", "on track", "at risk", "off track")
DEFAULT_NOTICE = timedelta(weeks=6)
"""A challenge with no meeting ahead is due this long after it is raised."""


WITHHELD_TEXT = "Withheld: it would give away a figure withheld to protect small numbers."
"""In place of a public item's text that quotes a figure withheld from the reader."""


class NotFound(LookupError):
    """No challenge, action or meeting with that reference."""


class CannotChange(ValueError):
    """The change does not fit the item as it stands (e.g. answering a resolved challenge)."""


def required_text(value: str, what: str) -> str:
    """What a person typed, trimmed; refused (:class:`CannotChange`) if there is nothing."""
    text = (value or "").strip()
    if not text:
        raise CannotChange(f"give the {what}")
    return text


# --- meetings ------------------------------------------------------------------------------


@audited
def add_meeting(
    actor: Actor,
    store: Store,
    *,
    held_on: date,
    kind: str,
    title: str,
    reports_to: list[str] | None = None,
    cut_off: datetime | None = None,
) -> int:
    """Add a board meeting. Its data cut-off (by default the end of the day a week before
    it) fixes the figures its pages and pack show."""
    require(actor, "manage-meetings")
    if kind not in MEETING_KINDS:
        raise CannotChange(f"a meeting is one of: {', '.join(MEETING_KINDS)}")
    cut_off = cut_off or datetime.combine(held_on - timedelta(days=7), time(23, 59, 59))
    if cut_off.date() > held_on:
        raise CannotChange("the data cut-off must be on or before the meeting")
    refuse_identifying({"title": title})
    return board_writes.add_meeting(
        store,
        held_on=held_on,
        kind=kind,
        title=required_text(title, "meeting's title"),
        reports_to=[r.strip() for r in reports_to or [] if r.strip()],
        cut_off=cut_off,
        actor=actor.id,
    )


@audited
def meetings(actor: Actor, store: Store) -> pl.DataFrame:
    """Every meeting, latest first."""
    require(actor, "view-board-business")
    return board_reads.meetings(store)


@audited
def next_meeting(actor: Actor, store: Store, after: date) -> dict | None:
    """The first meeting after ``after`` (None: none is planned)."""
    require(actor, "view-board-business")
    return board_reads.next_meeting(store, after)


# --- challenges ----------------------------------------------------------------------------


@audited
def raise_challenge(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    group: str,
    question: str,
    indicator: str | None = None,
    priority: str | None = None,
    owner: str | None = None,
    due_on: date | None = None,
) -> str:
    """Challenge a delivery group on an indicator or a plan priority. The owner defaults to
    the group's lead, the due date to the next meeting (or six weeks on)."""
    require(actor, "raise-challenge")
    if group not in catalogue.group:
        raise CannotChange(f"'{group}' is not a delivery group")
    if indicator is not None and indicator not in catalogue.indicator:
        raise CannotChange(f"'{indicator}' is not an indicator")
    if priority is not None and priority not in catalogue.priority:
        raise CannotChange(f"'{priority}' is not a plan priority")
    if indicator is None and priority is None:
        raise CannotChange("a challenge is about an indicator or a plan priority")
    question = required_text(question, "question")
    owner = (owner or "").strip() or catalogue.group[group].lead
    refuse_identifying({"question": question, "owner": owner})
    today = store.clock.today()
    if due_on is None:
        coming = board_reads.next_meeting(store, today)
        due_on = coming["held_on"] if coming else today + DEFAULT_NOTICE
    return board_writes.add_item(
        store,
        "challenge",
        {
            "group_code": group,
            "indicator_code": indicator,
            "priority_code": priority,
            "question": question,
            "owner": owner,
            "due_on": due_on,
            "status": "open",
            "raised_by": actor.name,
            "raised_at": store.clock.now(),
        },
        actor=actor.id,
        actor_name=actor.name,
    )


def _item(store: Store, reference: str) -> dict:
    found = board_reads.item(store, reference)
    if found is None:
        kind = "challenge" if reference.startswith("C-") else "action"
        raise NotFound(f"there is no {kind} {reference}")
    return found


@audited
def answer_challenge(actor: Actor, store: Store, reference: str, *, answer: str) -> None:
    """The group's answer to a challenge (a lead of that group)."""
    challenge = _item(store, reference)
    require(actor, "answer-challenge", challenge["group_code"])
    if challenge["status"] == "resolved":
        raise CannotChange(f"{reference} is resolved already")
    answer = required_text(answer, "answer")
    refuse_identifying({"answer": answer})
    board_writes.change_item(
        store,
        reference,
        {"status": "answered", "answer": answer},
        change="challenge answered",
        actor=actor.id,
        actor_name=actor.name,
    )


@audited
def resolve_challenge(actor: Actor, store: Store, reference: str, *, note: str = "") -> None:
    """The board marks a challenge resolved."""
    require(actor, "resolve-challenge")
    challenge = _item(store, reference)
    if challenge["status"] == "resolved":
        raise CannotChange(f"{reference} is resolved already")
    refuse_identifying({"note": note})
    board_writes.change_item(
        store,
        reference,
        {"status": "resolved"},
        change="challenge resolved",
        actor=actor.id,
        actor_name=actor.name,
        note=note.strip() or None,
    )


@audited
def carry_forward(
    actor: Actor,
    store: Store,
    reference: str,
    *,
    note: str = "",
    due_on: date | None = None,
) -> date:
    """Carry an unresolved challenge, or an unfinished action, to the next meeting (or to
    ``due_on``): same reference, a new due date, a line in its log. Returns the new date."""
    item = _item(store, reference)
    if reference.startswith("C-"):
        require(actor, "resolve-challenge")
        finished = item["status"] == "resolved"
    else:
        require(actor, "record-action")
        finished = item["status"] not in OPEN_ACTION
    if finished:
        raise CannotChange(f"{reference} is finished: there is nothing to carry forward")
    refuse_identifying({"note": note})
    if due_on is None:
        coming = board_reads.next_meeting(store, max(store.clock.today(), item["due_on"]))
        if coming is None:
            raise CannotChange("there is no later meeting: add it first, or give a date")
        due_on = coming["held_on"]
    board_writes.change_item(
        store,
        reference,
        {"due_on": due_on},
        change="carried forward",
        actor=actor.id,
        actor_name=actor.name,
        note=note.strip() or None,
    )
    return due_on


@audited
def challenges(actor: Actor, store: Store, *, group: str | None = None) -> pl.DataFrame:
    """Challenges, open first, then by due date."""
    require(actor, "view-board-business")
    return board_reads.challenges(store, group)


# --- what the board makes public ----------------------------------------------------------


@audited
def make_public(
    actor: Actor, store: Store, catalogue: Catalogue, reference: str, *, public: bool = True
) -> None:
    """Show a challenge (with its answer) or an action (with its status) in the public view,
    or take it back. Its text is shown to readers who see small numbers withheld: an item
    whose question, answer or title quotes a figure withheld from them (or a rate that gives
    it back) is refused, as commentary is at check."""
    require(actor, "publish-item")
    item = _item(store, reference)
    if bool(item.get("public")) == public:
        raise CannotChange(f"{reference} is {'public' if public else 'not public'} already")
    if public:
        code = item.get("indicator_code")
        withheld = report_figures.withheld_cells(store, catalogue, [code] if code else [])
        cells = withheld.get(code, []) if code else []
        texts = [item.get(k) or "" for k in ("question", "answer", "title")]
        found = [g for text in texts for g in giveaways(text, cells)]
        if found:
            quoted, cell = found[0]
            raise CannotChange(
                f"{reference} quotes '{quoted}', which gives back a figure of {cell.indicator} "
                "that the public sees withheld to protect small numbers: it cannot be made "
                "public as it is worded"
            )
    board_writes.change_item(
        store,
        reference,
        {"public": public},
        change="made public" if public else "made private",
        actor=actor.id,
        actor_name=actor.name,
    )


@audited
def public_items(
    actor: Actor, store: Store, catalogue: Catalogue, indicator: str | None = None
) -> pl.DataFrame:
    """The challenges and actions the board has made public (on one indicator, if given):
    everyone who may read figures may read these. A text written since it was made public
    (an answer) that would give back a figure withheld from the reader is withheld too."""
    require(actor, "view-published")
    items = board_reads.public_items(store, indicator)
    if not conceals(actor) or items.is_empty():
        return items
    codes = [c for c in items["indicator_code"].unique().to_list() if c]
    withheld = report_figures.withheld_cells(store, catalogue, codes)
    kept = [
        {
            **row,
            **{
                k: WITHHELD_TEXT
                if giveaways(row[k] or "", withheld.get(row["indicator_code"] or "", []))
                else row[k]
                for k in ("what", "answer")
            },
        }
        for row in items.iter_rows(named=True)
    ]
    return pl.DataFrame(kept, schema=items.schema)


# --- a group's own forecast ---------------------------------------------------------------


@audited
def set_forecast(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    indicator: str,
    period: str,
    value: float,
    reason: str,
) -> None:
    """The owning group's own forecast for a period of an indicator, beside the baseline
    (turn the curve): shown as theirs, with their reason."""

    if indicator not in catalogue.indicator:
        raise CannotChange(f"'{indicator}' is not an indicator")
    require(actor, "set-forecast", catalogue.indicator[indicator].group)
    if not is_period(period):
        raise CannotChange(f"'{period}' is not a period")
    if value != value or value in (float("inf"), float("-inf")):
        raise CannotChange("a forecast is a number")
    reason = required_text(reason, "reason")
    refuse_identifying({"reason": reason})
    board_writes.set_forecast(
        store,
        indicator=indicator,
        period=period,
        value=value,
        reason=reason,
        actor=actor.id,
        name=actor.name,
    )


@audited
def group_forecasts(actor: Actor, store: Store, indicator: str) -> pl.DataFrame:
    """The owning group's forecasts for an indicator: the latest for each period."""
    require(actor, "view-board-business")
    return board_reads.group_forecasts(store, indicator)


@audited
def exception_list(
    actor: Actor, store: Store | StoreAsAt, catalogue: Catalogue, period: str, *, on: date
) -> pl.DataFrame:
    """The board's exception list for a quarter (see :func:`metrics.board_rules.exception_list`),
    with figures as the actor may see them."""
    return overview(actor, store, catalogue, period, on=on).exceptions


@audited
def decide_exception(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    period: str,
    indicator: str,
    include: bool,
    reason: str,
) -> None:
    """The board adds an indicator to its exception list for a quarter, or takes one off;
    the reason is kept with the decision."""
    require(actor, "manage-exceptions")
    if indicator not in catalogue.indicator:
        raise CannotChange(f"'{indicator}' is not an indicator")
    reason = required_text(reason, "reason")
    refuse_identifying({"reason": reason})
    board_writes.decide_exception(
        store,
        period=period,
        indicator=indicator,
        decision="include" if include else "exclude",
        reason=reason,
        actor=actor.id,
        actor_name=actor.name,
    )


# --- actions -------------------------------------------------------------------------------


@audited
def record_action(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    group: str,
    title: str,
    owner: str,
    starts_on: date,
    due_on: date,
    indicator: str | None = None,
    challenge: str | None = None,
) -> str:
    """An action the board agrees, owned by a person in a delivery group."""
    require(actor, "record-action")
    if group not in catalogue.group:
        raise CannotChange(f"'{group}' is not a delivery group")
    if indicator is not None and indicator not in catalogue.indicator:
        raise CannotChange(f"'{indicator}' is not an indicator")
    if challenge is not None:
        _item(store, challenge)
    if due_on < starts_on:
        raise CannotChange("an action is due on or after the day it starts")
    title, owner = required_text(title, "action"), required_text(owner, "owner")
    refuse_identifying({"action": title, "owner": owner})
    return board_writes.add_item(
        store,
        "action",
        {
            "title": title,
            "owner": owner,
            "group_code": group,
            "indicator_code": indicator,
            "challenge": challenge,
            "starts_on": starts_on,
            "due_on": due_on,
            "status": "not started",
            "recorded_by": actor.name,
            "recorded_at": store.clock.now(),
        },
        actor=actor.id,
        actor_name=actor.name,
    )


@audited
def update_action(
    actor: Actor, store: Store, reference: str, *, status: str, note: str = ""
) -> None:
    """A new status for an action: by the board, or by a lead of the action's group."""
    action = _item(store, reference)
    if not can(actor, "record-action"):
        require(actor, "update-action", action["group_code"])
    if status not in ACTION_STATUSES:
        raise CannotChange(f"an action's status is one of: {', '.join(ACTION_STATUSES)}")
    refuse_identifying({"note": note})
    board_writes.change_item(
        store,
        reference,
        {"status": status},
        change=f"status: {status}",
        actor=actor.id,
        actor_name=actor.name,
        note=note.strip() or None,
    )


@audited
def actions(actor: Actor, store: Store, *, group: str | None = None) -> pl.DataFrame:
    """Actions, unfinished first, then by due date."""
    require(actor, "view-board-business")
    return board_reads.actions(store, group)


@audited
def item_log(actor: Actor, store: Store, reference: str) -> pl.DataFrame:
    """A challenge's or an action's log: who changed what, when, oldest first."""
    require(actor, "view-board-business")
    log = board_reads.item_log(store, reference)
    return log.with_columns(each_value(log, "detail", _describe, pl.String).alias("detail"))


def _describe(detail: str) -> str:
    shown = {k: v for k, v in json.loads(detail).items() if v is not None}
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in shown.items())


@audited
def as_at_meeting(
    actor: Actor, store: Store, catalogue: Catalogue, meeting_id: int
) -> tuple[dict, StoreAsAt]:
    """A meeting, and the store as it stood at the meeting's data cut-off: read through it,
    every page and pack shows the figures the meeting saw, whatever was resubmitted since."""
    record = meeting(actor, store, meeting_id)
    return record, store.as_at(record["cut_off"], catalogue)


@audited
def meeting(actor: Actor, store: Store, meeting_id: int) -> dict:
    """A meeting's record: date, kind, the bodies it reports to, data cut-off."""
    require(actor, "view-board-business")
    found = board_reads.meeting(store, meeting_id)
    if found is None:
        raise NotFound(f"there is no meeting {meeting_id}")
    return found


# --- board packs ---------------------------------------------------------------------------


@audited
def latest_meeting(actor: Actor, store: Store) -> int:
    """The most recent meeting (by date); NotFound if there is none."""
    require(actor, "view-board-business")
    found = board_reads.latest_meeting(store)
    if found is None:
        raise NotFound("no meeting has been added yet: add one first")
    return found


@audited
def board_agenda(actor: Actor, store: Store, *, on: date) -> dict:
    """What the board has to decide at its next meeting after ``on``: the meeting, the
    challenges due by then (answered ones waiting to be resolved, open ones still waiting
    for an answer) and the actions due by then or overdue."""
    require(actor, "view-board-business")
    coming = board_reads.next_meeting(store, on)
    if coming is None:
        return {"meeting": None}
    by = coming["held_on"]
    asked = board_reads.challenges(store).filter(
        (pl.col("status") != "resolved") & (pl.col("due_on") <= by)
    )
    acts = board_reads.actions(store).filter(
        pl.col("status").is_in(OPEN_ACTION) & (pl.col("due_on") <= by)
    )
    return {
        "meeting": coming,
        "answered": asked.filter(pl.col("status") == "answered").height,
        "unanswered": asked.filter(pl.col("status") == "open").height,
        "actions_due": acts.height,
        "actions_overdue": acts.filter(pl.col("due_on") < on).height,
    }


# --- accountability health -----------------------------------------------------------------


def _commentary_needed(actor: Actor, store: Store, catalogue: Catalogue, on: date) -> pl.DataFrame:
    """The indicators on the board's exception list for the latest quarter (by ``on``)
    whose group has given no commentary, or commentary gone stale."""
    period = report_figures.default_period(store, today=on)
    if not period:
        return pl.DataFrame()
    listed = exception_list(actor, store, catalogue, period, on=on)
    if listed.is_empty():
        return pl.DataFrame()
    return listed.filter(
        pl.col("listed") & (~pl.col("commentary_given") | pl.col("commentary_stale"))
    )


@audited
def group_work(
    actor: Actor, store: Store, catalogue: Catalogue, group: str, *, on: date
) -> board_rules.GroupWork:
    """What a delivery group has to do by ``on``, for its lead's starting page: returns late
    or due over the last four quarters, the board's challenges waiting for its answer,
    its unfinished actions, the commentary its exception-list indicators need, and the
    next meeting."""
    require(actor, "view-board-business")
    if group not in catalogue.group:
        raise CannotChange(f"'{group}' is not a delivery group")
    last = latest_complete_quarter(on)
    quarters = [last.shift(-n).code for n in range(4)]
    statuses = board_rules.returns_statuses(store, catalogue, quarters, today=on)
    needing = _commentary_needed(actor, store, catalogue, on)
    return board_rules.GroupWork(
        group=group,
        returns=statuses.filter(
            (pl.col("group_code") == group) & pl.col("status").is_in(["late", "not yet due"])
        )
        .select("quarter", "status", "due_by")
        .sort("quarter"),
        challenges=board_reads.challenges(store, group).filter(pl.col("status") == "open"),
        actions=board_reads.actions(store, group).filter(pl.col("status").is_in(OPEN_ACTION)),
        commentary=(
            needing.filter(pl.col("group_code") == group)["indicator_code"].to_list()
            if needing.height
            else []
        ),
        next_meeting=board_reads.next_meeting(store, on),
    )


HEALTH_ORDERS = {
    "group": "Group, A to Z",
    "returns": "Returns late or missing, most first",
    "commentary": "Commentary needed, most first",
    "challenges": "Challenges overdue, most first",
    "actions": "Actions overdue or at risk, most first",
}
"""The orders the board may read the accountability health table in."""


def sort_health(record: pl.DataFrame, order: str) -> pl.DataFrame:
    """The health table (:func:`health`) in one of :data:`HEALTH_ORDERS` (ties by group)."""
    keys = {
        "group": [],
        "returns": [pl.col("returns_late") + pl.col("returns_missing")],
        "commentary": [pl.col("commentary_needed")],
        "challenges": [pl.col("challenges_overdue")],
        "actions": [pl.col("actions_overdue") + pl.col("actions_at_risk")],
    }[order]
    if not keys:
        return record.sort("group")
    return record.sort([*keys, pl.col("group")], descending=[True] * len(keys) + [False])


ON_TIME = ("submitted", "nothing due")


@audited
def health(
    actor: Actor, store: Store, catalogue: Catalogue, *, on: date, quarters: int = 4
) -> pl.DataFrame:
    """Each delivery group's record, for the board: its returns for the last ``quarters``
    quarters due by ``on`` (on time, late, missing), the commentary its exception-list
    indicators still need, its challenges (answered by their due date, open past it) and
    its actions (on track, at risk or off track, overdue), with what it owes before the
    next meeting, in words."""

    require(actor, "view-published")
    last = latest_complete_quarter(on)
    recent = [last.shift(-n) for n in range(quarters)]
    statuses = board_rules.returns_statuses(store, catalogue, [q.code for q in recent], today=on)
    needing = _commentary_needed(actor, store, catalogue, on)
    answered = board_reads.challenge_answers(store)
    acts = board_reads.action_states(store)
    coming = board_reads.next_meeting(store, on)
    rows = []
    for code, group in catalogue.group.items():
        mine = statuses.filter(pl.col("group_code") == code)
        due = mine.filter(pl.col("status") != "nothing due")
        on_time = due.filter(pl.col("status") == "submitted").height
        late_in = due.filter(pl.col("status") == "submitted late").height
        missing = due.filter(pl.col("status") == "late")["quarter"].to_list()
        asked = answered.filter(pl.col("group_code") == code)
        in_time = asked.filter(
            pl.col("answered_at").is_not_null()
            & (pl.col("answered_at").dt.date() <= pl.col("due_on"))
        ).height
        overdue_asks = asked.filter((pl.col("status") == "open") & (pl.col("due_on") < on))[
            "reference"
        ].to_list()
        owed_asks = asked.filter(pl.col("status") == "open")["reference"].to_list()
        theirs = acts.filter(pl.col("group_code") == code)
        unfinished = theirs.filter(pl.col("status").is_in(OPEN_ACTION))
        overdue_acts = unfinished.filter(pl.col("due_on") < on)["reference"].to_list()
        on_track = unfinished.filter(
            pl.col("status").is_in(["not started", "on track"]) & (pl.col("due_on") >= on)
        ).height
        at_risk = unfinished.filter(pl.col("status").is_in(["at risk", "off track"])).height
        notes = (
            needing.filter(pl.col("group_code") == code)["indicator_code"].to_list()
            if needing.height
            else []
        )
        owes = [
            *(f"the return for {q}" for q in missing),
            *(f"commentary on {c}" for c in notes),
            *(f"an answer to {r}" for r in owed_asks),
            *(f"progress on overdue action {r}" for r in overdue_acts),
        ]
        rows.append(
            {
                "group_code": code,
                "group": group.name,
                "returns_on_time": on_time,
                "returns_due": due.height,
                "returns_late": late_in,
                "returns_missing": len(missing),
                "commentary_needed": len(notes),
                "challenges": asked.height,
                "answered_in_time": in_time,
                "challenges_overdue": len(overdue_asks),
                "actions_open": unfinished.height,
                "actions_on_track": on_track,
                "actions_at_risk": at_risk,
                "actions_overdue": len(overdue_acts),
                "owes": "; ".join(owes),
                "next_meeting": coming["held_on"] if coming else None,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)
