"""A delivery group's work: where its lead starts. The return due or late, the board's
challenges waiting for an answer, the group's unfinished actions, the commentary the board's
exception list needs, and the next meeting, each one click from where it is done."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import data, people, state
from metrics.core.formatting import day
from metrics.core.periods import Quarter

catalogue = data.catalogue()
me = people.actor()
today = data.today()
led = [g for g in catalogue.group if me.leads(g)]

st.title("Your group's work")
if len(led) == 1:  # a lead of one group sees theirs; the board and admins choose
    group = led[0]
else:
    group = state.choice(
        "group",
        led or list(catalogue.group),
        label="Delivery group",
        format_func=lambda g: catalogue.group[g].name,
    )
work = data.group_work(me, group)
name = catalogue.group[group].name
coming = work.next_meeting
st.write(
    f"What {name} has to do, as of {day(today)}"
    + (
        f". The next board meeting is on {coming['held_on']:%A} {day(coming['held_on'])}; "
        f"its figures are taken as they stand at {coming['cut_off']:%H:%M} on "
        f"{day(coming['cut_off'])}."
        if coming
        else ". No board meeting is planned yet."
    )
)
if not work.count:
    st.success("Nothing is waiting: no return due, no challenge or action open.")


def due_words(due) -> str:
    days = (due - today).days
    if days < 0:
        return f"overdue since {day(due)}"
    return f"due by {day(due)}" + (" (today)" if days == 0 else f" ({days} days)")


st.header("Returns", divider="gray")
if work.returns.is_empty():
    st.write("Every return due over the last four quarters has been received.")
for r in work.returns.iter_rows(named=True):
    label = Quarter.parse(r["quarter"]).label
    if r["status"] == "late":
        st.error(
            f"The return for {label} is late: it was due by {day(r['due_by'])}.",
            icon=":material/schedule:",
        )
    else:
        st.info(f"The return for {label} is {due_words(r['due_by'])}.", icon=":material/event:")
    st.page_link(
        "views/submit.py",
        label=f"Submit the return for {label}",
        query_params={"group": group, "quarter": r["quarter"]},
        icon=":material/upload_file:",
    )

st.header("Challenges from the board", divider="gray")
if work.challenges.is_empty():
    st.write("No challenge is waiting for your answer.")
else:
    ui.table(
        pl.DataFrame(
            [
                {
                    "Reference": r["reference"],
                    "About": ui.subject(catalogue, r),
                    "Question": r["question"],
                    "Answer due": due_words(r["due_on"]),
                }
                for r in work.challenges.iter_rows(named=True)
            ]
        ),
        f"Challenges to {name} waiting for an answer",
    )
    st.page_link(
        "views/accountability.py",
        label="Answer a challenge",
        query_params={"group": group},
        icon=":material/question_answer:",
    )
    st.caption(
        "Or answer with your next return: its commentary on a challenged indicator answers "
        "the challenge when the return is accepted."
    )

st.header("Actions", divider="gray")
if work.actions.is_empty():
    st.write("The group has no unfinished action.")
else:
    ui.table(
        pl.DataFrame(
            [
                {
                    "Reference": r["reference"],
                    "Action": r["title"],
                    "Owner": r["owner"],
                    "Status": ui.sentence_case(r["status"]),
                    "Due": due_words(r["due_on"]),
                }
                for r in work.actions.iter_rows(named=True)
            ]
        ),
        f"{name}'s unfinished actions",
    )
    st.page_link(
        "views/accountability.py",
        label="Update an action's status",
        query_params={"group": group},
        icon=":material/task_alt:",
    )

st.header("Commentary the board needs", divider="gray")
if not work.commentary:
    st.write("The board's exception list needs no commentary from the group.")
else:
    st.write(
        "These indicators are on the board's exception list without current commentary "
        "from the group: say what is behind the figure in your next return."
    )
    for code in work.commentary:
        st.page_link(
            "views/indicator.py",
            label=f"{code} {catalogue.indicator[code].title}",
            query_params={"code": code},
            icon=":material/show_chart:",
        )
