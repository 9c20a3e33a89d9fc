"""The challenges and actions page as each role, on a copy of the demo database: the board
raises a challenge and records an action; the group's lead answers and updates it; the
board resolves; a scrutiny member reads it all and is offered no form."""

from __future__ import annotations

from metrics.store.connection import Store
from tests.dashboard.test_pages import frame_with, page
from tests.helpers import html_tables


def form_button(at, label):
    return next(b for b in at.button if b.label == label)


def challenge(at):
    return next(s for s in at.selectbox if s.label == "Challenge")


def test_the_cycle_on_the_page(app_db, catalogue):
    indicator = "YJ01"
    group = catalogue.indicator[indicator].group
    # the board raises a challenge on the indicator (the link from its page fills it in)
    at = page("accountability", indicator=indicator, **{"as": "board"})
    question = next(t for t in at.text_area if t.label == "The board's question")
    question.input("First-time entrants rose for the third quarter: why?")
    form_button(at, "Raise the challenge").click().run()
    assert not at.exception, at.exception
    assert any("Challenge raised" in s.value for s in at.success)
    table = frame_with(at, "Question")
    row = table[table["Question"].str.startswith("First-time entrants")].iloc[0]
    assert row["Group"] == catalogue.group[group].name and row["Status"] == "Open"
    reference = row["Reference"]

    # the group's lead answers it
    at = page("accountability", **{"as": f"lead:{group}"})
    assert not any(b.label == "Raise the challenge" for b in at.button)
    challenge(at).set_value(reference)  # the module's other tests raise challenges too
    next(t for t in at.text_area if t.label == "Your answer").input("A diversion scheme.")
    form_button(at, "Send the answer").click().run()
    assert not at.exception, at.exception
    table = frame_with(at, "Question")
    assert table[table["Reference"] == reference].iloc[0]["Status"] == "Answered"

    # the board resolves it
    at = page("accountability", **{"as": "board"})
    challenge(at).set_value(reference)
    form_button(at, "Mark resolved").click().run()
    assert not at.exception, at.exception
    table = frame_with(at, "Question")
    assert table[table["Reference"] == reference].iloc[0]["Status"] == "Resolved"

    # a scrutiny member reads everything and is offered no form
    at = page("accountability", **{"as": "scrutiny"})
    assert reference in set(frame_with(at, "Question")["Reference"])
    reading = {"Download", "Make the board pack", "Make the deep dive"}  # reports it may read
    assert {b.label for b in at.button} <= reading
    log = frame_with(at, "Who")
    assert "challenge recorded" in set(log["What"])
    record = frame_with(at, "Returns on time")
    assert len(record) == len(catalogue.groups)
    mine = record[record["Group"] == catalogue.group[group].name].iloc[0]
    asked = frame_with(at, "Question")  # the demo's year and the module's other tests too
    theirs = asked[asked["Group"] == catalogue.group[group].name]
    answered = (theirs["Status"] != "Open").sum()  # each answered before it was due
    assert answered >= 1 and mine["Challenges answered in time"] == f"{answered} of {len(theirs)}"

    with Store(app_db) as store:  # as the app opened it (one process, one configuration)
        steps = store.frame(
            "SELECT actor, action FROM audit_log WHERE action LIKE 'challenge%' "
            "AND detail->>'reference' = ? ORDER BY id",
            [reference],
        ).rows()
    assert steps == [
        ("demo|board", "challenge recorded"),
        (f"demo|{group}", "challenge answered"),
        ("demo|board", "challenge resolved"),
    ]


def test_typed_text_is_shown_as_typed(app_db):
    at = page("accountability", indicator="BH01", **{"as": "board"})
    typed = "**bold** <script>alert(1)</script> [link](http://example.com)"
    next(t for t in at.text_area if t.label == "The board's question").input(typed)
    form_button(at, "Raise the challenge").click().run()
    assert not at.exception, at.exception
    table = frame_with(at, "Question")
    assert typed in set(table["Question"])  # a table cell: text, never Markdown or HTML
    assert not any("<script>" in m.value for m in at.markdown)


def test_the_overview_as_at_a_meeting_shows_what_it_saw(app_db, catalogue):
    """A meeting's cut-off fixes the figures: the overview as at the meeting shows the
    return current then, and the latest figures show the one received since."""
    from datetime import datetime

    from metrics import services
    from metrics.core.access import Actor, Role

    # the demo's board member (a meeting added by anyone else makes the demo real)
    board = Actor(id="demo|board", name="Board", roles=frozenset({Role.BOARD}))
    with Store(app_db) as store:
        # the demo's last return of a group, and the version before it
        group, period, version, received = store.frame(
            "SELECT group_code, period, version, submitted_at FROM submissions "
            "WHERE status = 'accepted' AND version > 1 ORDER BY submitted_at DESC LIMIT 1"
        ).row(0)
        meeting = services.add_meeting(
            board,
            store,
            held_on=received.date(),
            kind="ordinary",
            title="Before the resubmission",
            cut_off=datetime.fromtimestamp(received.timestamp() - 60),
        )
    at = page("overview", period=period, meeting=str(meeting), **{"as": "board"})
    assert any("Before the resubmission" in i.value for i in at.info)
    status = at.table[0].value  # returns for the quarter: the version current then
    name = catalogue.group[group].name
    assert status.loc[name, "Version"] == str(version - 1)
    now = page("overview", period=period, **{"as": "board"})
    assert now.table[0].value.loc[name, "Version"] == str(version)


def test_the_board_changes_its_exception_list_on_the_overview(app_db, catalogue):
    at = page("overview", **{"as": "board"})
    listed = {h.value.split(" ")[0] for h in at.subheader if h.value[:2].isalpha()}
    quiet = next(i.code for i in catalogue.indicators if i.code not in listed)
    form = next(s for s in at.selectbox if s.label == "Indicator")
    form.set_value(quiet)
    next(t for t in at.text_input if t.label.startswith("Reason")).input("Scrutiny asked")
    next(b for b in at.button if b.label == "Record the decision").click().run()
    assert not at.exception, at.exception
    assert f"{quiet} {catalogue.indicator[quiet].title}" in [h.value for h in at.subheader]
    assert any("Scrutiny asked" in c.value for c in at.caption)
    scrutiny = page("overview", **{"as": "scrutiny"})
    assert not any(b.label == "Record the decision" for b in scrutiny.button)


def test_the_board_writes_a_deep_dive(app_db):
    at = page("accountability", **{"as": "board"})
    next(t for t in at.text_input if t.label == "Name of the deep dive").input("Care leavers")
    next(s for s in at.selectbox if s.label == "A plan priority's indicators").set_value(
        "children_in_care"
    )
    next(t for t in at.text_area if t.label == "The story").input("Fewer are in suitable homes.")
    next(b for b in at.button if b.label == "Save the deep dive").click().run()
    assert not at.exception, at.exception
    assert "Care leavers" in set(frame_with(at, "Deep dive")["Deep dive"])
    assert any(b.label == "Make the deep dive" for b in at.button)


def test_the_health_table_is_a_real_table_sorted_as_the_link_asks(app_db, catalogue):
    at = page("accountability", health_sort="returns", **{"as": "board"})
    table = next(t for t in html_tables(at) if t["caption"].endswith("accountability record"))
    frame = table["frame"]
    assert len(frame) == len(catalogue.groups) and set(table["scopes"]) == {"col", "row"}
    behind = (frame["Returns late"] + frame["Returns missing"]).to_list()
    assert behind == sorted(behind, reverse=True) and behind[0] > 0
    names = page("accountability", health_sort="group", **{"as": "board"})
    shown = next(t for t in html_tables(names) if t["caption"].endswith("accountability record"))
    assert list(shown["frame"]["Group"]) == sorted(g.name for g in catalogue.groups)


def test_the_board_makes_a_challenge_public_for_the_public_view(app_db):
    """Only what the board makes public reaches the public view, on its indicator's page."""
    at = page("accountability", indicator="YJ02", **{"as": "board"})
    question = next(t for t in at.text_area if t.label == "The board's question")
    question.input("Reoffending is up: what is the plan?")
    form_button(at, "Raise the challenge").click().run()
    table = frame_with(at, "Question")
    reference = table[table["Question"].str.startswith("Reoffending is up")].iloc[0]["Reference"]

    public = page("indicator", code="YJ02", **{"as": "public"})
    assert "What the board is asking" not in [h.value for h in public.header]

    at = page("accountability", **{"as": "board"})
    chosen = next(s for s in at.selectbox if s.label == "Challenge or action" and s.key is None)
    chosen.set_value(reference)
    next(r for r in at.radio if r.label == "Show it to").set_value("the public")
    form_button(at, "Save who sees it").click().run()
    assert not at.exception, at.exception
    said = [s.value.replace("\\", "") for s in at.success]  # shown escaped, as plain text
    assert f"{reference}: shown to the public." in said, said
    table = frame_with(at, "Question")
    assert table[table["Reference"] == reference].iloc[0]["Public"] == "public"

    public = page("indicator", code="YJ02", **{"as": "public"})
    assert "What the board is asking" in [h.value for h in public.header]
    shown = next(t for t in html_tables(public) if "made public" in t["caption"])
    assert [r[0] for r in shown["rows"]] == [reference]
    assert "Reoffending is up: what is the plan?" in shown["rows"][0]
