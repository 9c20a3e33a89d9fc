"""Challenges and actions: how the board holds delivery groups to account, meeting to
meeting. The board raises challenges and records actions; a group's lead answers its
challenges and updates its actions; everyone can read them and each one's log."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import data, people, state
from metrics.core.access import NotPermitted, can
from metrics.core.formatting import counted
from metrics.reports.deep_dive import AUDIENCES
from metrics.reports.pdf import PrintError
from metrics.services import ACTION_STATUSES, HEALTH_ORDERS, MEETING_KINDS, sort_health

catalogue = data.catalogue()
me = people.actor()
REFUSED = (NotPermitted, ValueError, LookupError)  # refused, does not fit, not found


def attempt(action, success: str) -> None:
    """Run a write; say what went wrong as plain text, or rerun with a confirmation."""
    try:
        action()
    except REFUSED as exc:
        st.error(ui.plain(exc))
    else:
        st.session_state["accountability_done"] = success
        st.rerun()


def pdf_on_request(*, key: str, thing: str, chosen: int, make, file_name: str) -> None:
    """A button that makes a report (a few seconds in Chromium), then its download; what was
    made is kept for this session only."""
    made = st.session_state.get(key)
    if st.button(f"Make the {thing}", icon=":material/picture_as_pdf:", key=f"{key}_make"):
        try:
            with st.spinner(f"Making the {thing} (it takes a few seconds) ..."):
                made = (chosen, make())
        except (PrintError, *REFUSED) as exc:
            st.error(ui.plain(exc))
        else:
            st.session_state[key] = made
    if made and made[0] == chosen:
        st.download_button(
            f"Download the {thing} (PDF)",
            data=made[1],
            file_name=file_name,
            mime="application/pdf",
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_download",
        )


st.title("Challenges and actions")
st.write(
    "The board challenges delivery groups on indicators and plan priorities and agrees "
    "actions with them. Each challenge and action keeps its reference for good, so an "
    "unfinished one is followed from meeting to meeting; every change is logged with who "
    "made it and when."
)
done = st.session_state.pop("accountability_done", None)
if done:
    st.success(ui.plain(done), icon=":material/check_circle:")

groups = ["all", *catalogue.group]
led = [g for g in catalogue.group if me.leads(g)]
group = state.choice(
    "group",
    groups,
    default=led[0] if len(led) == 1 else "all",  # a lead opens on their own group
    label="Delivery group",
    format_func=lambda g: "All groups" if g == "all" else catalogue.group[g].name,
)
chosen = None if group == "all" else group

# --- each group's record --------------------------------------------------------------------

st.header("Each group's record", divider="gray")
record = data.accountability_health(me, on=data.today())
if chosen:
    record = record.filter(pl.col("group_code") == chosen)
order = state.choice(
    "health_sort", list(HEALTH_ORDERS), label="Sort by", format_func=HEALTH_ORDERS.get
)
ui.table(
    sort_health(record, order).select(
        pl.col("group").alias("Group"),
        pl.format("{} of {}", "returns_on_time", "returns_due").alias("Returns on time"),
        pl.col("returns_late").alias("Returns late"),
        pl.col("returns_missing").alias("Returns missing"),
        pl.col("commentary_needed").alias("Commentary needed"),
        pl.format("{} of {}", "answered_in_time", "challenges").alias(
            "Challenges answered in time"
        ),
        pl.col("challenges_overdue").alias("Challenges overdue"),
        pl.format("{} of {}", "actions_on_track", "actions_open").alias("Actions on track"),
        pl.col("actions_at_risk").alias("Actions at risk or off track"),
        pl.col("actions_overdue").alias("Actions overdue"),
    ),
    "Each delivery group's accountability record",
)
st.caption(
    "Returns over the last four quarters due; commentary still needed on the group's "
    "indicators on the board's exception list; challenges and actions as they stand."
)
owing = record.filter(pl.col("owes") != "")
coming = record["next_meeting"][0] if record.height else None
with st.expander(
    "What each group owes before the next meeting"
    + (f" ({coming:%d %B %Y})" if coming else "")
    + f": {counted(owing.height, 'group')}"
):
    for r in owing.iter_rows(named=True):
        st.markdown(f"**{ui.plain(r['group'])}**: {ui.plain(r['owes'])}.")
    if not owing.height:
        st.write("Nothing is owed.")

# --- challenges ----------------------------------------------------------------------------

st.header("Challenges", divider="gray")
found = data.challenges(me, chosen)
if found.is_empty():
    st.write("No challenges yet.")
else:
    ui.table(
        pl.DataFrame(
            [
                {
                    "Reference": r["reference"],
                    "Group": catalogue.group[r["group_code"]].name,
                    "About": ui.subject(catalogue, r),
                    "Question": r["question"],
                    "Owner": r["owner"],
                    "Due": r["due_on"].strftime("%d %b %Y"),
                    "Status": ui.sentence_case(r["status"]),
                    "Answer": r["answer"] or "",
                    "Raised by": r["raised_by"],
                    "Public": "public" if r["public"] else "",
                }
                for r in found.iter_rows(named=True)
            ]
        ),
        "Challenges",
    )
    ui.download(
        found.drop("id"), file_name="challenges.csv", key="challenges_csv", label="Download"
    )

open_ones = found.filter(pl.col("status") != "resolved")
# a lead is offered the challenges to their groups still waiting for an answer
mine = open_ones.filter(
    (pl.col("status") == "open")
    & pl.col("group_code").is_in([g for g in catalogue.group if can(me, "answer-challenge", g)])
)
if mine.height:
    st.subheader("Answer a challenge to your group", anchor=False)
    st.caption(
        "Or answer it with your next return: commentary on the challenged indicator answers "
        "it when the return is accepted."
    )
    with st.form("answer", clear_on_submit=True):
        reference = st.selectbox(
            "Challenge",
            mine["reference"].to_list(),
            format_func=lambda r: f"{r}: {mine.filter(pl.col('reference') == r)['question'][0]}",
        )
        answer = st.text_area("Your answer", help="Kept with the challenge; the board reads it.")
        if st.form_submit_button("Send the answer", type="primary"):
            attempt(
                lambda: data.answer_challenge(me, reference, answer),
                f"Answer sent for {reference}.",
            )

if can(me, "resolve-challenge") and open_ones.height:
    st.subheader("Resolve or carry forward", anchor=False)
    with st.form("resolve", clear_on_submit=True):
        reference = st.selectbox("Challenge", open_ones["reference"].to_list())
        note = st.text_input("Note (optional)")
        resolve, carry = st.columns(2)
        if resolve.form_submit_button("Mark resolved"):
            attempt(lambda: data.resolve_challenge(me, reference, note), f"{reference} resolved.")
        if carry.form_submit_button("Carry to the next meeting"):
            attempt(
                lambda: data.carry_forward(me, reference, note),
                f"{reference} carried to the next meeting.",
            )

if can(me, "raise-challenge"):
    st.subheader("Raise a challenge", anchor=False)
    wanted = state.valid(
        "indicator", list(catalogue.indicator), label="Indicator", instead="no indicator"
    )
    with st.form("raise", clear_on_submit=True):
        codes = list(catalogue.indicator)
        indicator = st.selectbox(
            "Indicator",
            codes,
            index=codes.index(wanted) if wanted else 0,
            format_func=lambda c: f"{c} {catalogue.indicator[c].title}",
            help="The challenge goes to the group that owns the indicator.",
        )
        question = st.text_area("The board's question")
        owner = st.text_input("Owner (blank: the group's lead)")
        coming = data.next_meeting_date(me, data.today())
        due = st.date_input(
            "Answer due by",
            value=coming or data.today() + timedelta(weeks=6),
            help="The next meeting, if one is planned.",
            format="DD/MM/YYYY",
        )
        if st.form_submit_button("Raise the challenge", type="primary"):
            owning = catalogue.indicator[indicator].group
            attempt(
                lambda: data.raise_challenge(
                    me,
                    group=owning,
                    indicator=indicator,
                    question=question,
                    owner=owner or None,
                    due_on=due,
                ),
                f"Challenge raised with {catalogue.group[owning].name}.",
            )

# --- actions -------------------------------------------------------------------------------

st.header("Actions", divider="gray")
agreed = data.actions(me, chosen)
if agreed.is_empty():
    st.write("No actions yet.")
else:
    overdue = (pl.col("due_on") < data.today()) & ~pl.col("status").is_in(["done", "dropped"])
    ui.table(
        agreed.with_columns(overdue=overdue).select(
            pl.col("reference").alias("Reference"),
            pl.col("title").alias("Action"),
            pl.col("owner").alias("Owner"),
            pl.col("group_code")
            .replace_strict({k: g.name for k, g in catalogue.group.items()})
            .alias("Group"),
            pl.col("starts_on").dt.strftime("%d %b %Y").alias("Starts"),
            pl.col("due_on").dt.strftime("%d %b %Y").alias("Due"),
            ui.sentence_case(pl.col("status")).alias("Status"),
            pl.when(pl.col("overdue")).then(pl.lit("overdue")).otherwise(pl.lit("")).alias("Note"),
            pl.col("challenge").fill_null("").alias("From challenge"),
            pl.when(pl.col("public")).then(pl.lit("public")).otherwise(pl.lit("")).alias("Public"),
        ),
        "Actions",
    )
    ui.download(agreed.drop("id"), file_name="actions.csv", key="actions_csv", label="Download")

unfinished = agreed.filter(~pl.col("status").is_in(["done", "dropped"]))
updatable = unfinished.filter(
    pl.col("group_code").map_elements(
        lambda g: can(me, "record-action") or can(me, "update-action", g),
        return_dtype=pl.Boolean,
    )
)
if updatable.height:
    st.subheader("Update an action", anchor=False)
    with st.form("update", clear_on_submit=True):
        reference = st.selectbox(
            "Action",
            updatable["reference"].to_list(),
            format_func=lambda r: f"{r}: {updatable.filter(pl.col('reference') == r)['title'][0]}",
        )
        status = st.selectbox("Status", ACTION_STATUSES)
        note = st.text_input("What changed (optional)")
        update, carry = st.columns(2)
        if update.form_submit_button("Save the status", type="primary"):
            attempt(
                lambda: data.update_action(me, reference, status, note), f"{reference} updated."
            )
        if can(me, "record-action") and carry.form_submit_button("Carry to the next meeting"):
            attempt(
                lambda: data.carry_forward(me, reference, note),
                f"{reference} carried to the next meeting.",
            )

if can(me, "record-action"):
    st.subheader("Record an action", anchor=False)
    with st.form("record", clear_on_submit=True):
        title = st.text_input("Action")
        owning = st.selectbox(
            "Delivery group", list(catalogue.group), format_func=lambda g: catalogue.group[g].name
        )
        owner = st.text_input("Owner (a post or a person)")
        starts, due = st.columns(2)
        starts_on = starts.date_input("Starts", value=data.today(), format="DD/MM/YYYY")
        due_on = due.date_input(
            "Due", value=data.today() + timedelta(weeks=12), format="DD/MM/YYYY"
        )
        linked = st.selectbox(
            "From a challenge (optional)",
            ["", *found["reference"].to_list()] if found.height else [""],
        )
        if st.form_submit_button("Record the action", type="primary"):
            attempt(
                lambda: data.record_action(
                    me,
                    group=owning,
                    title=title,
                    owner=owner,
                    starts_on=starts_on,
                    due_on=due_on,
                    challenge=linked or None,
                ),
                "Action recorded.",
            )

# --- what the public view shows -------------------------------------------------------------

if can(me, "publish-item") and (found.height or agreed.height):
    st.subheader("Show in the public view", anchor=False)
    st.caption(
        "Challenges, answers and actions are for signed-in members. Make one public to show "
        "it in the public view, on its indicator's page: a challenge with its answer, an "
        "action with its status. Wording that quotes a figure withheld from the public is "
        "refused."
    )
    shown = {
        r["reference"]: (bool(r["public"]), r["what"])
        for frame, what in ((found, "question"), (agreed, "title"))
        for r in frame.select("reference", "public", pl.col(what).alias("what")).iter_rows(
            named=True
        )
    }
    with st.form("publish", clear_on_submit=True):
        reference = st.selectbox(
            "Challenge or action",
            list(shown),
            format_func=lambda r: (
                f"{r}: {shown[r][1]} ({'public' if shown[r][0] else 'members only'})"
            ),
        )
        public = st.radio("Show it to", ["the public", "members only"], horizontal=True)
        if st.form_submit_button("Save who sees it"):
            attempt(
                lambda: data.make_public(me, reference, public == "the public"),
                f"{reference}: shown to {public}.",
            )

# --- each item's log -----------------------------------------------------------------------

items = [*found["reference"].to_list(), *agreed["reference"].to_list()]
if items:
    st.header("What happened to each", divider="gray")
    reference = st.selectbox("Challenge or action", items, key="log_item")
    ui.table(
        data.item_log(me, reference).select(
            pl.col("at").dt.strftime("%d %b %Y %H:%M").alias("When"),
            pl.col("who").alias("Who"),
            pl.col("change").alias("What"),
            pl.col("detail").alias("Detail"),
        ),
        "What happened to the challenge or action",
    )

# --- meetings ------------------------------------------------------------------------------

st.header("Meetings", divider="gray")
held = data.meetings(me)
if held.is_empty():
    st.write("No meetings have been added yet.")
else:
    ui.table(
        held.select(
            pl.col("held_on").dt.strftime("%d %b %Y").alias("Date"),
            pl.col("title").alias("Meeting"),
            pl.col("kind").alias("Kind"),
            pl.col("reports_to").list.join(", ").alias("Reports to"),
            pl.col("cut_off").dt.strftime("%d %b %Y %H:%M").alias("Data cut-off"),
        ),
        "Meetings",
    )
    st.subheader("Board pack", anchor=False)
    st.write(
        "The pack for a meeting: cover, contents, summary by outcome and priority, the "
        "exceptions with the groups' commentary, open challenges and actions, a section for "
        "each exception indicator, returns, and definitions. Its figures are those at the "
        "meeting's data cut-off; an accessible (tagged) PDF."
    )
    chosen_meeting = st.selectbox(
        "Meeting",
        held["id"].to_list(),
        format_func=lambda i: held.filter(pl.col("id") == i).select(
            pl.format("{} ({})", "title", pl.col("held_on").dt.strftime("%d %b %Y"))
        )[0, 0],
        key="pack_meeting",
    )
    pdf_on_request(
        key="pack",
        thing="board pack",
        chosen=chosen_meeting,
        make=lambda: data.board_pack(me, chosen_meeting),
        file_name=f"board_pack_meeting_{chosen_meeting}.pdf",
    )
if can(me, "manage-meetings"):
    with st.form("meeting", clear_on_submit=True):
        st.subheader("Add a meeting", anchor=False)
        title = st.text_input("Title", placeholder="e.g. Partnership board, March")
        held_on = st.date_input(
            "Date", value=data.today() + timedelta(weeks=4), format="DD/MM/YYYY"
        )
        kind = st.selectbox("Kind", MEETING_KINDS, index=MEETING_KINDS.index("ordinary"))
        reports_to = st.text_input(
            "Reports to (optional, separated by commas)",
            placeholder="Health and Wellbeing Board, Safeguarding Partnership",
        )
        if st.form_submit_button("Add the meeting"):
            attempt(
                lambda: data.add_meeting(
                    me,
                    held_on=held_on,
                    kind=kind,
                    title=title,
                    reports_to=reports_to.split(","),
                ),
                "Meeting added. Its data cut-off is the end of the day a week before it.",
            )


# --- deep dives ----------------------------------------------------------------------------

st.header("Deep dives", divider="gray")
st.write(
    "A deep dive looks closely at a topic (some indicators, or a plan priority's) with its "
    "areas and groups of children, and tells its story for one audience: the Health and "
    "Wellbeing Board, the safeguarding partnership or scrutiny. Saved, and made again from "
    "the figures as they stand."
)
dives = data.deep_dives(me)
if dives.is_empty():
    st.write("No deep dives yet.")
else:
    ui.table(
        dives.select(
            pl.col("id").alias("Number"),
            pl.col("title").alias("Deep dive"),
            pl.col("audience").alias("For"),
            pl.col("created_by").alias("Written by"),
            pl.col("created_at").dt.strftime("%d %b %Y").alias("Saved"),
        ),
        "Deep dives",
    )
    dive = st.selectbox(
        "Deep dive",
        dives["id"].to_list(),
        format_func=lambda i: dives.filter(pl.col("id") == i)["title"][0],
        key="dive_pick",
    )
    pdf_on_request(
        key="dive",
        thing="deep dive",
        chosen=dive,
        make=lambda: data.deep_dive_report(me, dive),
        file_name=f"deep_dive_{dive}.pdf",
    )
if can(me, "write-deep-dive"):
    with st.form("deep_dive", clear_on_submit=True):
        st.subheader("Write a deep dive", anchor=False)
        dive_title = st.text_input("Name of the deep dive")
        audience = st.selectbox("For", AUDIENCES)
        priority = st.selectbox(
            "A plan priority's indicators",
            ["", *catalogue.priority],
            format_func=lambda p: catalogue.priority[p].title if p else "(choose indicators)",
        )
        chosen_codes = st.multiselect(
            "Or these indicators",
            list(catalogue.indicator),
            format_func=lambda c: f"{c} {catalogue.indicator[c].title}",
        )
        areas = st.multiselect(
            "Areas", list(catalogue.area), format_func=lambda a: catalogue.area[a].name
        )
        breakdowns = st.multiselect(
            "Groups of children",
            list(catalogue.breakdown),
            format_func=lambda b: catalogue.breakdown[b].label,
        )
        narrative = st.text_area("The story", height=160)
        if st.form_submit_button("Save the deep dive"):
            attempt(
                lambda: data.add_deep_dive(
                    me,
                    title=dive_title,
                    audience=audience,
                    narrative=narrative,
                    indicators=chosen_codes,
                    priority=priority or None,
                    areas=areas,
                    breakdowns=breakdowns,
                ),
                "Deep dive saved.",
            )
