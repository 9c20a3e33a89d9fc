"""The accountability cycle through its services: a board member challenges a group, the
group's lead answers, the board resolves it; an action is recorded, updated by the group,
and carried to the next meeting under the same reference; every step is in the item's log
and the audit log with the actor; a scrutiny member (and another group's lead) is refused
every write."""

from __future__ import annotations

import shutil
from datetime import date, datetime

import polars as pl
import pytest

from metrics import services as acc
from metrics.core.access import Actor, NotPermitted, Role
from metrics.core.clock import FixedClock
from metrics.reports import figures as report_figures
from metrics.services import TextRefused
from metrics.services.board import WITHHELD_TEXT
from metrics.store.connection import Store

GROUP, OTHER = "YJS", "HCP"
TODAY = date(2026, 11, 23)


def person(role: Role, group: str | None = None) -> Actor:
    return Actor(
        id=f"https://idp.test|{role.name}{group or ''}",
        name=f"A {role.value}",
        roles=frozenset({role}),
        groups=frozenset({group}) if group else frozenset(),
    )


BOARD, ADMIN = person(Role.BOARD), person(Role.ADMIN)
LEAD, OTHER_LEAD = person(Role.LEAD, GROUP), person(Role.LEAD, OTHER)
SCRUTINY = person(Role.SCRUTINY)


@pytest.fixture
def store(store_at):
    with Store(store_at(), clock=FixedClock(TODAY)) as s:
        yield s


@pytest.fixture
def meetings(store):
    first = acc.add_meeting(
        ADMIN, store, held_on=date(2026, 12, 10), kind="mid-year review", title="December board"
    )
    second = acc.add_meeting(
        BOARD,
        store,
        held_on=date(2027, 3, 18),
        kind="ordinary",
        title="March board",
        reports_to=["Health and Wellbeing Board"],
    )
    return first, second


def test_a_full_cycle(store, catalogue, meetings):
    # a board member challenges the group on an indicator: due at the next meeting
    ref = acc.raise_challenge(
        BOARD,
        store,
        catalogue,
        group=GROUP,
        indicator="YJ01",
        question="First-time entrants rose again: what is the plan?",
    )
    assert ref == "C-0001"
    row = acc.challenges(SCRUTINY, store).row(0, named=True)  # anyone may read it
    assert row["due_on"] == date(2026, 12, 10) and row["status"] == "open"
    assert row["owner"] == catalogue.group[GROUP].lead
    # only the group's own lead answers; the board resolves
    with pytest.raises(NotPermitted):
        acc.answer_challenge(OTHER_LEAD, store, ref, answer="Not ours")
    acc.answer_challenge(LEAD, store, ref, answer="Diversion scheme starts in January.")
    with pytest.raises(NotPermitted):
        acc.resolve_challenge(LEAD, store, ref)
    acc.resolve_challenge(BOARD, store, ref, note="Satisfied; review in March.")
    assert acc.challenges(BOARD, store)["status"].to_list() == ["resolved"]
    with pytest.raises(acc.CannotChange, match="resolved already"):
        acc.answer_challenge(LEAD, store, ref, answer="More")

    # an action, followed across meetings under the same reference
    action = acc.record_action(
        BOARD,
        store,
        catalogue,
        group=GROUP,
        title="Extend the diversion scheme to all localities",
        owner="Head of Youth Justice",
        starts_on=date(2026, 12, 11),
        due_on=date(2026, 12, 10 + 5),
        indicator="YJ01",
        challenge=ref,
    )
    assert action == "A-0001"
    acc.update_action(LEAD, store, action, status="at risk", note="Recruitment delayed")
    with pytest.raises(NotPermitted):
        acc.update_action(OTHER_LEAD, store, action, status="done")
    moved = acc.carry_forward(BOARD, store, action, note="Carried to March")
    assert moved == date(2027, 3, 18)
    shown = acc.actions(SCRUTINY, store).row(0, named=True)
    assert (shown["reference"], shown["status"], shown["due_on"]) == (
        "A-0001",
        "at risk",
        date(2027, 3, 18),
    )

    # each item's log: who, when, what changed
    log = acc.item_log(SCRUTINY, store, ref)
    assert log["change"].to_list() == [
        "challenge recorded",
        "challenge answered",
        "challenge resolved",
    ]
    assert log["who"].to_list() == [BOARD.name, LEAD.name, BOARD.name]
    assert "Satisfied" in log["detail"][2]
    assert acc.item_log(BOARD, store, action)["change"].to_list() == [
        "action recorded",
        "status: at risk",
        "carried forward",
    ]
    # and the audit log, with the actors' ids
    audit = store.frame(
        "SELECT actor, action FROM audit_log WHERE action NOT IN ('migrate', 'meeting added') "
        "ORDER BY id"
    )
    assert audit.rows() == [
        (BOARD.id, "challenge recorded"),
        (OTHER_LEAD.id, "refused"),
        (LEAD.id, "challenge answered"),
        (LEAD.id, "refused"),
        (BOARD.id, "challenge resolved"),
        (BOARD.id, "action recorded"),
        (LEAD.id, "status: at risk"),
        (OTHER_LEAD.id, "refused"),
        (BOARD.id, "carried forward"),
    ]


def test_a_scrutiny_member_is_refused_every_write(store, catalogue, meetings):
    ref = acc.raise_challenge(
        BOARD, store, catalogue, group=GROUP, priority="youth", question="Why?"
    )
    action = acc.record_action(
        BOARD,
        store,
        catalogue,
        group=GROUP,
        title="Plan",
        owner="Someone",
        starts_on=TODAY,
        due_on=TODAY,
    )
    before = store.frame("SELECT * FROM item_events")
    writes = [
        lambda: acc.add_meeting(
            SCRUTINY, store, held_on=TODAY, kind="ordinary", title="Our own meeting"
        ),
        lambda: acc.raise_challenge(
            SCRUTINY, store, catalogue, group=GROUP, indicator="YJ01", question="Q"
        ),
        lambda: acc.answer_challenge(SCRUTINY, store, ref, answer="A"),
        lambda: acc.resolve_challenge(SCRUTINY, store, ref),
        lambda: acc.carry_forward(SCRUTINY, store, ref),
        lambda: acc.record_action(
            SCRUTINY,
            store,
            catalogue,
            group=GROUP,
            title="T",
            owner="O",
            starts_on=TODAY,
            due_on=TODAY,
        ),
        lambda: acc.update_action(SCRUTINY, store, action, status="done"),
        lambda: acc.carry_forward(SCRUTINY, store, action),
    ]
    for write in writes:
        with pytest.raises(NotPermitted):
            write()
    assert store.frame("SELECT * FROM item_events").equals(before)
    refused = store.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'refused' AND actor = ?", [SCRUTINY.id]
    )
    assert refused == len(writes)


def test_what_does_not_fit_is_refused_with_a_reason(store, catalogue, meetings):
    with pytest.raises(acc.CannotChange, match="indicator or a plan priority"):
        acc.raise_challenge(BOARD, store, catalogue, group=GROUP, question="Q")
    with pytest.raises(acc.CannotChange, match="not a delivery group"):
        acc.raise_challenge(BOARD, store, catalogue, group="NOPE", indicator="YJ01", question="Q")
    with pytest.raises(acc.CannotChange, match="give the question"):
        acc.raise_challenge(BOARD, store, catalogue, group=GROUP, indicator="YJ01", question=" ")
    with pytest.raises(TextRefused):
        acc.raise_challenge(
            BOARD,
            store,
            catalogue,
            group=GROUP,
            indicator="YJ01",
            question="What about the boy born 03/04/2012 at PL4 8AA?",
        )
    with pytest.raises(acc.NotFound):
        acc.answer_challenge(LEAD, store, "C-0099", answer="A")
    with pytest.raises(acc.CannotChange, match="cut-off"):
        acc.add_meeting(
            BOARD,
            store,
            held_on=date(2027, 1, 1),
            kind="ordinary",
            title="x",
            cut_off=datetime(2027, 1, 2),
        )
    # with no meeting ahead, a challenge is due six weeks on
    late = date(2027, 6, 1)
    store.clock.set(late)
    ref = acc.raise_challenge(BOARD, store, catalogue, group=GROUP, indicator="YJ01", question="Q")
    due = acc.challenges(BOARD, store).filter(pl.col("reference") == ref)["due_on"][0]
    assert due == late + acc.DEFAULT_NOTICE
    with pytest.raises(acc.CannotChange, match="no later meeting"):
        acc.carry_forward(BOARD, store, ref)


def test_the_lead_answers_a_challenge_with_the_next_return(store, catalogue, meetings):
    """Commentary on the challenged indicator in the group's next return answers it, in the
    return's own transaction; the board then resolves it."""
    import polars as pl

    from metrics.services import check_return, submit_return
    from tests.helpers import csv_bytes, good_return

    ref = acc.raise_challenge(
        BOARD,
        store,
        catalogue,
        group="HCP",
        indicator="BH01",
        question="Why the fall?",
    )
    lead = person(Role.LEAD, "HCP")
    frame = good_return(catalogue, "HCP", "2025-26-Q1")
    first = frame.with_columns(
        commentary=pl.when(
            (pl.col("indicator_code") == "BH01") & (pl.int_range(pl.len()) == 0)
        ).then(pl.lit("Two health visitors left; both posts filled in May."))
    )
    checked = check_return(
        lead,
        store,
        catalogue,
        group="HCP",
        period="2025-26-Q1",
        data=csv_bytes(first),
        file_name="r.csv",
    )
    assert submit_return(lead, store, catalogue, checked).status == "accepted"
    row = acc.challenges(BOARD, store).row(0, named=True)
    assert row["status"] == "answered"
    assert row["answer"] == (
        "With the return for 2025-26-Q1: Two health visitors left; both posts filled in May."
    )
    log = acc.item_log(BOARD, store, ref)
    assert log["change"].to_list() == ["challenge recorded", "challenge answered"]
    assert log["who"].to_list()[1] == lead.name
    acc.resolve_challenge(BOARD, store, ref)
    assert acc.challenges(SCRUTINY, store)["status"].to_list() == ["resolved"]


def test_commentary_in_results_based_accountability_parts(store, catalogue):
    """A return may tell the story behind the curve in parts; they are kept with the return
    and read under their headings, in order; a child's details in any part are refused."""
    import polars as pl

    from metrics.services import check_return, submit_return
    from metrics.store.reads import figures as queries
    from tests.helpers import csv_bytes, good_return

    lead = person(Role.LEAD, "HCP")
    frame = good_return(catalogue, "HCP", "2025-26-Q1").drop(
        "commentary", "story", "partners", "what_works", "actions"
    )
    first = pl.int_range(pl.len()) == 0
    told = frame.with_columns(  # headed as a person might head them
        pl.when(first).then(pl.lit("Fell by four points.")).alias("What the figures show"),
        pl.when(first).then(pl.lit("Two health visitors left.")).alias("Story behind the curve"),
        pl.when(first).then(pl.lit("Recruit; start peer support.")).alias("Actions planned"),
    )
    checked = check_return(
        lead,
        store,
        catalogue,
        group="HCP",
        period="2025-26-Q1",
        data=csv_bytes(told),
        file_name="r.csv",
    )
    assert not checked.report.errors
    assert submit_return(lead, store, catalogue, checked).status == "accepted"
    code = frame["indicator_code"][0]
    text = queries.commentary_history(store, code)["text"][0]
    assert text == (
        "Fell by four points.\n\nThe story behind the curve: Two health visitors left."
        "\n\nActions planned: Recruit; start peer support."
    )
    leaked = told.with_columns(
        pl.when(first).then(pl.lit("Ask Jo, born 03/04/2015.")).alias("Partners with a role")
    )
    report = check_return(
        lead,
        store,
        catalogue,
        group="HCP",
        period="2025-26-Q1",
        data=csv_bytes(leaked),
        file_name="r.csv",
    ).report
    assert [(f.rule, f.row) for f in report.errors] == [("C17", 2)]
    assert "Partners with a role" in report.errors[0].column


def test_a_group_sets_its_own_forecast_with_a_reason(store, catalogue):
    lead = person(Role.LEAD, "HCP")
    acc.set_forecast(
        lead,
        store,
        catalogue,
        indicator="BH01",
        period="2026-27-Q3",
        value=52.0,
        reason="Two new health visitors start in October",
    )
    acc.set_forecast(
        lead,
        store,
        catalogue,
        indicator="BH01",
        period="2026-27-Q3",
        value=53.5,
        reason="Peer supporters funded too",
    )
    shown = acc.group_forecasts(SCRUTINY, store, "BH01").row(0, named=True)
    assert (shown["period"], shown["value"], shown["reason"], shown["set_by"]) == (
        "2026-27-Q3",
        53.5,
        "Peer supporters funded too",
        lead.name,
    )
    with pytest.raises(NotPermitted):  # only the owning group's lead
        acc.set_forecast(
            LEAD, store, catalogue, indicator="BH01", period="2026-27-Q3", value=1, reason="x"
        )
    with pytest.raises(acc.CannotChange, match="a number"):
        acc.set_forecast(
            lead,
            store,
            catalogue,
            indicator="BH01",
            period="2026-27-Q3",
            value=float("nan"),
            reason="x",
        )


def test_the_board_makes_an_item_public_and_the_public_reads_that_alone(
    demo_db, tmp_path, catalogue
):
    """Challenges are for members unless the board makes one public; wording that quotes a
    figure withheld from the public is refused, and an answer written afterwards that would
    give one back is withheld from the public (not from members)."""
    path = tmp_path / "p.duckdb"
    shutil.copy(demo_db, path)
    public = person(Role.PUBLIC)
    with Store(path, clock=FixedClock(TODAY)) as store:
        cell = report_figures.withheld_cells(store, catalogue, ["YJ01"])["YJ01"][0]
        count = int(cell.count)

        def ask(question: str) -> str:
            return acc.raise_challenge(
                BOARD, store, catalogue, group=GROUP, indicator="YJ01", question=question
            )

        plain, quoting, kept = ask("Why did entrants rise?"), ask(f"Why {count}?"), ask("And?")
        assert acc.public_items(public, store, catalogue, "YJ01").is_empty()
        acc.make_public(BOARD, store, catalogue, plain)
        with pytest.raises(acc.CannotChange, match="gives back a figure of YJ01"):
            acc.make_public(BOARD, store, catalogue, quoting)
        for someone in (SCRUTINY, LEAD, ADMIN):
            with pytest.raises(NotPermitted):
                acc.make_public(someone, store, catalogue, kept)
        shown = acc.public_items(public, store, catalogue, "YJ01")
        assert shown["reference"].to_list() == [plain]
        assert shown["what"].to_list() == ["Why did entrants rise?"]

        acc.answer_challenge(LEAD, store, plain, answer=f"There were {count} this quarter.")
        told = acc.public_items(public, store, catalogue, "YJ01")["answer"].to_list()
        assert told == [WITHHELD_TEXT]
        members = acc.public_items(BOARD, store, catalogue, "YJ01")["answer"].to_list()
        assert members == [f"There were {count} this quarter."]

        acc.make_public(BOARD, store, catalogue, plain, public=False)
        assert plain not in acc.public_items(public, store, catalogue)["reference"].to_list()
        log = acc.item_log(BOARD, store, plain)["change"].to_list()
    assert log[-1] == "made private" and "made public" in log
