"""Every role against every action, generated from the registry, and the services refusing
what a role may not do before they read or write anything."""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from metrics import services
from metrics import services as acc
from metrics.core.access import ACTIONS, ANY_GROUP, Actor, NotPermitted, Role, can, require
from metrics.core.clock import FixedClock
from metrics.services import TextRefused, check_return, submit_return
from metrics.store.connection import Store
from tests.helpers import csv_bytes, good_return, set_cell

B, L, S, A, P = Role.BOARD, Role.LEAD, Role.SCRUTINY, Role.ADMIN, Role.PUBLIC
# What each role may do: the specification the registry is checked against. An action
# added to metrics.core.access.ACTIONS without a line here fails test_every_action_is_specified.
EXPECTED: dict[str, set[Role]] = {
    "view-published": {A, B, L, S, P},
    "view-localities": {A, B, L, S},
    "view-board-business": {A, B, L, S},
    "view-unsuppressed": {A, B, L},
    "export-unsuppressed": {A, B, L},
    "view-submissions": {A, B, L},
    "submit-return": {L},
    "explain-warning": {L},
    "import-published": {A},
    "manage-catalogue": {A},
    "manage-users": {A},
    "back-up": {A},
    "send-reminders": {A},
    "manage-meetings": {B, A},
    "raise-challenge": {B},
    "answer-challenge": {L},
    "resolve-challenge": {B},
    "publish-item": {B},
    "manage-exceptions": {B},
    "set-forecast": {L},
    "write-deep-dive": {B},
    "record-action": {B},
    "update-action": {L},
}
OWN, OTHER = "HCP", "YJS"


def person(role: Role) -> Actor:
    return Actor(
        id=f"https://idp.test|{role.name}",
        name=f"A {role.value}",
        roles=frozenset({role}),
        groups=frozenset({OWN}) if role is Role.LEAD else frozenset(),
    )


def test_every_action_is_specified():
    assert set(EXPECTED) == set(ACTIONS)


CASES = [(a, r) for a in sorted(ACTIONS) for r in Role]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-{r.name}" for a, r in CASES])
def test_role_against_action(action, role):
    actor = person(role)
    allowed = role in EXPECTED[action]
    assert can(actor, action, OWN) is allowed
    if allowed:
        require(actor, action, OWN)
    else:
        with pytest.raises(NotPermitted, match=actor.name):
            require(actor, action, OWN)
    if ACTIONS[action].per_group:  # a lead acts for their own group only
        assert not can(actor, action, OTHER)
        with pytest.raises(NotPermitted):
            require(actor, action, OTHER)


def test_the_command_line_operator_may_do_everything():
    operator = Actor.operator("Jo Analyst")
    assert ANY_GROUP in operator.groups
    assert all(can(operator, action, OTHER) for action in ACTIONS)


def test_refusals_say_why():
    with pytest.raises(NotPermitted, match="only that group's lead can"):
        require(person(Role.LEAD), "submit-return", OTHER)
    with pytest.raises(NotPermitted, match="needs the delivery group lead role"):
        require(person(Role.SCRUTINY), "submit-return", OWN)


@pytest.fixture
def store(store_at):
    with Store(store_at(), clock=FixedClock(date(2026, 11, 23))) as s:
        yield s


def test_services_refuse_before_reading_or_writing(store, catalogue):
    data = csv_bytes(good_return(catalogue, OWN, "2025-26-Q1"))
    for actor, group in ((person(Role.SCRUTINY), OWN), (person(Role.LEAD), OTHER)):
        with pytest.raises(NotPermitted):
            check_return(
                actor,
                store,
                catalogue,
                group=group,
                period="2025-26-Q1",
                data=data,
                file_name="r.csv",
            )
    lead = person(Role.LEAD)
    checked = check_return(
        lead, store, catalogue, group=OWN, period="2025-26-Q1", data=data, file_name="r.csv"
    )
    with pytest.raises(NotPermitted):
        submit_return(person(Role.BOARD), store, catalogue, checked)
    assert store.scalar("SELECT count(*) FROM submissions") == 0
    result = submit_return(lead, store, catalogue, checked)
    assert result.status == "accepted"
    assert store.scalar("SELECT submitted_by FROM submissions") == lead.name


def test_explanations_that_identify_a_child_are_refused(store, catalogue):
    q1 = good_return(catalogue, OWN, "2025-26-Q1")
    lead = person(Role.LEAD)
    first = check_return(
        lead,
        store,
        catalogue,
        group=OWN,
        period="2025-26-Q1",
        data=csv_bytes(q1),
        file_name="q1.csv",
    )
    submit_return(lead, store, catalogue, first)
    q2 = good_return(catalogue, OWN, "2025-26-Q2")
    jump = set_cell(q2, 0, "numerator", q2["denominator"][0])  # a W01 warning
    checked = check_return(
        lead,
        store,
        catalogue,
        group=OWN,
        period="2025-26-Q2",
        data=csv_bytes(jump),
        file_name="q2.csv",
    )
    assert checked.report.warnings
    before = store.scalar("SELECT count(*) FROM submissions")
    with pytest.raises(TextRefused, match="date of birth"):
        submit_return(
            lead, store, catalogue, checked, explanations={"W01": "One boy, DoB 3rd May 2014"}
        )
    assert store.scalar("SELECT count(*) FROM submissions") == before


def test_a_quarter_that_has_not_ended_is_refused_with_a_reason(store, catalogue):
    from datetime import date

    from metrics.returns.validation import ReturnContextError

    data = csv_bytes(good_return(catalogue, OWN, "2025-26-Q3"))
    store.clock.set(date(2025, 12, 15))
    with pytest.raises(ReturnContextError, match=r"has not ended yet.*01 January 2026"):
        check_return(
            person(Role.LEAD),
            store,
            catalogue,
            group=OWN,
            period="2025-26-Q3",
            data=data,
            file_name="r.csv",
        )
    store.clock.set(date(2026, 1, 1))
    checked = check_return(
        person(Role.LEAD),
        store,
        catalogue,
        group=OWN,
        period="2025-26-Q3",
        data=data,
        file_name="r.csv",
    )
    assert checked.report.findings == []


def test_the_preview_shows_what_acceptance_then_stores(store, catalogue):
    from metrics.services import preview_return

    lead = person(Role.LEAD)
    for period in ("2025-26-Q1", "2025-26-Q2"):
        frame = good_return(catalogue, OWN, period)
        if period == "2025-26-Q2":
            frame = set_cell(frame, 0, "numerator", str(int(frame["numerator"][0]) - 7))
        checked = check_return(
            lead,
            store,
            catalogue,
            group=OWN,
            period=period,
            data=csv_bytes(frame),
            file_name=f"{period}.csv",
        )
        preview = preview_return(lead, store, catalogue, checked)
        submit_return(lead, store, catalogue, checked, explanations={"W01": "Checked."})
    stored = store.frame(
        "SELECT indicator_code, period, value, rag, previous_value, change_previous "
        "FROM indicator_values WHERE area_code = ? AND breakdown = 'total' "
        "AND list_contains(?, period) ORDER BY indicator_code",
        [catalogue.authority.code, preview["period"].unique().to_list()],
    )
    assert preview.height == stored.height > 0
    assert preview.drop("target", "replaced_value").equals(stored)
    assert preview["replaced_value"].null_count() == preview.height  # nothing replaced
    assert preview["previous_value"].null_count() < preview.height  # compared with Q1


# --- the services, as every role: each asks for its action first ----------------------

PERIOD = "2025-26-Q1"
TODAY = date(2026, 11, 23)
CHAIR = Actor(id="https://idp.test|chair", name="Chair", roles=frozenset({Role.BOARD}))


def _challenge(store, catalogue) -> str:
    """A challenge to the OWN group, raised by the board, for the role under test to act on."""
    return acc.raise_challenge(CHAIR, store, catalogue, group=OWN, indicator="BH01", question="Q")


def _action(store, catalogue) -> str:
    return acc.record_action(
        CHAIR, store, catalogue, group=OWN, title="T", owner="O", starts_on=TODAY, due_on=TODAY
    )


NEIGHBOURS = pl.DataFrame(
    {"old_la_code": ["100"], "rank": [1], "neighbour_old_la_code": ["101"]},
    schema={"old_la_code": pl.String, "rank": pl.Int32, "neighbour_old_la_code": pl.String},
)
SERVICES = {
    "periods": ("view-published", lambda a, s, c: services.periods(a, s)),
    "indicator_table": (
        "view-published",
        lambda a, s, c: services.indicator_table(a, s, c, PERIOD, benchmarks=True),
    ),
    "indicator_series": (
        "view-published",
        lambda a, s, c: services.indicator_series(a, s, c, "BH01", area=c.authority.code),
    ),
    "breakdown_values": (
        "view-published",
        lambda a, s, c: services.breakdown_values(a, s, c, "ED01"),
    ),
    "commentary_history": (
        "view-board-business",
        lambda a, s, c: services.commentary_history(a, s, c, "BH01"),
    ),
    "data_quality": ("view-published", lambda a, s, c: services.data_quality(a, s)),
    "export_values": ("view-published", lambda a, s, c: services.export_values(a, s, c)),
    "area_values": (
        "view-localities",
        lambda a, s, c: services.area_values(a, s, c, "BH01", PERIOD),
    ),
    "area_series": (
        "view-localities",
        lambda a, s, c: services.area_series(a, s, c, "BH01", [c.localities[0].code]),
    ),
    "locality_series": (
        "view-localities",
        lambda a, s, c: services.indicator_series(a, s, c, "BH01", area=c.localities[0].code),
    ),
    "group_submissions": (
        "view-submissions",
        lambda a, s, c: services.group_submissions(a, s, OWN),
    ),
    "submission_findings": (
        "view-submissions",
        lambda a, s, c: services.submission_findings(a, s, 1),
    ),
    "previous_explanations": (
        "explain-warning",
        lambda a, s, c: services.previous_explanations(a, s, OWN, PERIOD),
    ),
    "check_return": (
        "submit-return",
        lambda a, s, c: services.check_return(
            a, s, c, group=OWN, period=PERIOD, data=b"x", file_name="r.csv"
        ),
    ),
    "import_neighbours": (
        "import-published",
        lambda a, s, c: services.import_neighbours(a, s, NEIGHBOURS, source="t.csv"),
    ),
    "list_users": ("manage-users", lambda a, s, c: services.list_users(a, s)),
    "backup": (
        "back-up",
        lambda a, s, c: services.backup(a, s, Path(tempfile.mkdtemp()) / "backup.duckdb"),
    ),
    "invite": (
        "manage-users",
        lambda a, s, c: services.invite(a, s, c, email="r@c.example", name="R", role="board"),
    ),
    "invitations": ("manage-users", lambda a, s, c: services.invitations(a, s)),
    "access_asked": ("manage-users", lambda a, s, c: services.access_asked(a, s)),
    "due_reminders": (
        "send-reminders",
        lambda a, s, c: services.due_reminders(a, s, c, now=datetime(2026, 12, 3, 9)),
    ),
    "add_meeting": (
        "manage-meetings",
        lambda a, s, c: acc.add_meeting(a, s, held_on=date(2027, 1, 5), kind="ordinary", title="M"),
    ),
    "raise_challenge": (
        "raise-challenge",
        lambda a, s, c: acc.raise_challenge(a, s, c, group=OWN, indicator="BH01", question="Q"),
    ),
    "answer_challenge": (
        "answer-challenge",
        lambda a, s, c: acc.answer_challenge(a, s, _challenge(s, c), answer="A"),
    ),
    "resolve_challenge": (
        "resolve-challenge",
        lambda a, s, c: acc.resolve_challenge(a, s, _challenge(s, c)),
    ),
    "decide_exception": (
        "manage-exceptions",
        lambda a, s, c: acc.decide_exception(
            a, s, c, period=PERIOD, indicator="BH01", include=True, reason="Rising fast"
        ),
    ),
    "set_forecast": (
        "set-forecast",
        lambda a, s, c: acc.set_forecast(
            a, s, c, indicator="BH01", period="2026-27-Q1", value=50.0, reason="New staff"
        ),
    ),
    "add_deep_dive": (
        "write-deep-dive",
        lambda a, s, c: acc.add_deep_dive(
            a, s, c, title="T", audience="Scrutiny", indicators=["BH01"], narrative="N"
        ),
    ),
    "record_action": (
        "record-action",
        lambda a, s, c: acc.record_action(
            a, s, c, group=OWN, title="T", owner="O", starts_on=TODAY, due_on=TODAY
        ),
    ),
    "update_action": (
        "update-action",
        lambda a, s, c: acc.update_action(a, s, _action(s, c), status="on track"),
    ),
    "make_public": (
        "publish-item",
        lambda a, s, c: acc.make_public(a, s, c, _challenge(s, c)),
    ),
    "public_items": ("view-published", lambda a, s, c: acc.public_items(a, s, c)),
    "add_user": (
        "manage-users",
        lambda a, s, c: services.add_user(a, s, user_id="https://idp.test|new", name="New"),
    ),
}
RESERVED = {"manage-catalogue"}
"""Actions declared for what comes next, that no service takes yet: the catalogue is
edited as files in the repository, not in the app."""


def test_every_action_is_asked_for_by_a_service():
    asked = {action for action, _ in SERVICES.values()}
    # view-unsuppressed and export-unsuppressed are not refusals but what a reader gets
    # (tested below and in test_disclosure); the board may update any group's action
    # (record-action), tested in test_accountability
    assert asked | {"view-unsuppressed", "export-unsuppressed"} | RESERVED == set(ACTIONS)


ALSO = {"update_action": "record-action"}
"""Services a second action allows too: the board may update any group's action."""

SERVICE_CASES = [(name, role) for name in SERVICES for role in Role]


@pytest.mark.parametrize(
    ("service", "role"), SERVICE_CASES, ids=[f"{n}-{r.name}" for n, r in SERVICE_CASES]
)
def test_service_as_role(store, catalogue, service, role):
    action, call = SERVICES[service]
    actor = person(role)
    also = ALSO.get(service)
    if role in EXPECTED[action] or (also and role in EXPECTED[also]):
        call(actor, store, catalogue)
    else:
        with pytest.raises(NotPermitted):
            call(actor, store, catalogue)


def test_unsuppressed_export_needs_its_own_action(store, catalogue):
    """Everyone who may read gets an export; only those with export-unsuppressed get it
    unsuppressed (the public layout, with footnotes, otherwise)."""
    for role in Role:
        exported = services.export_values(person(role), store, catalogue)
        assert ("footnote" in exported.columns) is (role not in EXPECTED["export-unsuppressed"])


# --- roles from the identity provider's claim ------------------------------------------


def test_a_claim_mapping_is_checked(catalogue):
    mapping = services.role_map(
        {"Outcomes.Board": "board", "Outcomes.Lead.YJS": "lead:YJS", "g-123": "scrutiny member"},
        catalogue,
    )
    assert mapping["Outcomes.Lead.YJS"] == (Role.LEAD, "YJS")
    assert mapping["g-123"] == (Role.SCRUTINY, None)
    with pytest.raises(ValueError, match=r"'Outcomes\.Chief': 'chief' is not a role"):
        services.role_map({"Outcomes.Chief": "chief"}, catalogue)
    with pytest.raises(ValueError, match="lead:GROUP"):
        services.role_map({"Outcomes.Lead": "lead"}, catalogue)
    with pytest.raises(ValueError, match="only a lead"):
        services.role_map({"x": "board:YJS"}, catalogue)


def test_roles_come_from_the_database_and_the_claim(store, catalogue):
    mapping = services.role_map(
        {"Outcomes.Board": "board", "Outcomes.Lead.YJS": "lead:YJS"}, catalogue
    )
    operator = Actor.operator("test")
    someone = "https://idp.test|someone"
    # not in the database, no mapped claim: no role
    assert services.actor_for(store, someone, claimed=["Other"], mapping=mapping) is None
    # a mapped claim alone is enough
    board = services.actor_for(
        store, someone, claimed=["Outcomes.Board"], mapping=mapping, name="Sue"
    )
    assert board.roles == {Role.BOARD} and board.name == "Sue"
    # the database's roles and the claim's add up
    services.add_user(operator, store, user_id=someone, name="Sue Smith")
    services.grant(operator, store, catalogue, user_id=someone, role="lead", group="HCP")
    both = services.actor_for(store, someone, claimed=["Outcomes.Lead.YJS"], mapping=mapping)
    assert both.roles == {Role.LEAD} and both.groups == {"HCP", "YJS"}
    assert both.name == "Sue Smith"


def test_a_refusal_goes_in_the_audit_log_with_the_actor(store, catalogue):
    scrutiny = person(Role.SCRUTINY)
    with pytest.raises(NotPermitted):
        services.list_users(scrutiny, store)
    with pytest.raises(NotPermitted):
        services.group_submissions(scrutiny, store, OWN)
    logged = store.frame("SELECT actor, action, detail FROM audit_log WHERE action = 'refused'")
    assert logged["actor"].to_list() == [scrutiny.id, scrutiny.id]
    assert "add people" in logged["detail"][0] and "returns" in logged["detail"][1]


def test_a_rejected_return_keeps_no_figure_of_its_file(tmp_path, catalogue):
    """Its findings say where each problem is, not what the cells held."""
    from tests.helpers import check, ingest

    frame = set_cell(good_return(catalogue, "HCP", "2025-26-Q1"), 2, "numerator", "17.5x")
    data = csv_bytes(frame)
    lead = Actor(id="t|lead", name="Lead", roles=frozenset({Role.LEAD}), groups=frozenset({"HCP"}))
    with Store(tmp_path / "s.duckdb") as store:
        report = check(catalogue, data, "HCP", "2025-26-Q1", history=None)
        assert any(f.value == "17.5x" for f in report.findings)  # shown to the submitter
        result = ingest(
            store, report, catalogue=catalogue, data=data, file_name="r.csv", submitted_by="x"
        )
        assert result.status == "rejected"
        kept = services.submission_findings(lead, store, result.submission_id)
    assert kept.height == len(report.findings)
    assert kept["value"].drop_nulls().to_list() == []
    assert not any("17.5" in m for m in kept["message"].to_list())
    assert set(kept["row"].to_list()) == {f.row for f in report.findings}


def test_a_group_goes_only_with_a_lead_grant(tmp_path, catalogue):
    """The old sequence: board with a group, then any lead grant, made a lead of both."""
    from metrics.services import actor_for, add_user, grant, revoke
    from metrics.store.writes.people import save_user

    admin = Actor.operator("admin")
    with Store(tmp_path / "p.duckdb") as store:
        add_user(admin, store, user_id="iss|sam", name="Sam Jones")
        with pytest.raises(ValueError, match="only a delivery group lead is given a group"):
            grant(admin, store, catalogue, user_id="iss|sam", role="board", group="HCP")
        # a group stored beside a board role before this rule: it gives no rights, and a
        # later lead grant does not pick it up
        save_user(
            store, "iss|sam", name="Sam Jones", email=None, roles=["board member"],
            groups=["HCP"], actor="t", action="user saved",
        )  # fmt: skip
        assert actor_for(store, "iss|sam").groups == frozenset()
        grant(admin, store, catalogue, user_id="iss|sam", role="lead", group="YJS")
        assert actor_for(store, "iss|sam").groups == frozenset({"YJS"})
        grant(admin, store, catalogue, user_id="iss|sam", role="lead", group="EDU")
        revoke(admin, store, catalogue, user_id="iss|sam", role="lead", group="YJS")
        sam = actor_for(store, "iss|sam")
        assert sam.groups == frozenset({"EDU"}) and sam.leads("EDU") and not sam.leads("HCP")
        revoke(admin, store, catalogue, user_id="iss|sam", role="lead", group="EDU")
        assert Role.LEAD not in actor_for(store, "iss|sam").roles


def test_one_refusal_is_one_row_however_many_services_it_passes(tmp_path, catalogue):
    """as_at_meeting asks meeting, both audited: the public's refusal is written once."""
    public = Actor(id="public|visitor", name="Visitor", roles=frozenset({Role.PUBLIC}))
    with Store(tmp_path / "r.duckdb") as store:
        with pytest.raises(NotPermitted):
            services.as_at_meeting(public, store, catalogue, 1)
        rows = store.frame("SELECT actor FROM audit_log WHERE action = 'refused'")
    assert rows["actor"].to_list() == ["public|visitor"]


def test_figures_with_small_numbers_shown_are_given_out_on_the_record(tmp_path, catalogue):
    """An export, a board pack and a deep dive with nothing withheld: who, what and which go
    in the audit log, as a reading (no page's cached figures are thrown away for it); the
    suppressed versions are not recorded; a store that cannot record it refuses."""
    path = tmp_path / "d.duckdb"
    board, scrutiny = person(Role.BOARD), person(Role.SCRUTINY)
    with Store(path, clock=FixedClock(date(2026, 11, 23))) as store:
        meeting = services.add_meeting(
            board, store, held_on=date(2026, 12, 10), kind="ordinary", title="Board"
        )
        dive = services.add_deep_dive(
            board,
            store,
            catalogue,
            title="Youth",
            audience="Scrutiny",
            priority="youth",
            narrative="Why?",
        )
        version = store.data_version()
        for reader in (board, scrutiny):
            services.export_values(reader, store, catalogue)
            services.board_pack(reader, store, catalogue, meeting, format="html")
            services.deep_dive_report(reader, store, catalogue, dive, format="html")
        services.export_values(board, store, catalogue, public=True)
        assert store.data_version() == version
        rows = store.frame(
            "SELECT actor, detail FROM audit_log WHERE action = 'disclosed' ORDER BY id"
        ).rows()
    assert [r[0] for r in rows] == [board.id] * 3
    assert [json.loads(r[1]) for r in rows] == [
        {"what": "export", "rows": 0},
        {"what": "board pack", "meeting": meeting, "format": "html"},
        {"what": "deep dive", "deep_dive": dive, "format": "html"},
    ]
    with Store(path, read_only=True) as store:
        with pytest.raises(NotPermitted, match="only on the record"):
            services.export_values(board, store, catalogue)
        assert services.export_values(scrutiny, store, catalogue).height == 0
