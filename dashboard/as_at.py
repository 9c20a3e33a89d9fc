"""Figures as at a board meeting: the choice (kept in the URL as ``meeting``) and the note
that says which figures a page is showing."""

from __future__ import annotations

import streamlit as st

from dashboard import components as ui
from dashboard import data, state
from metrics.core.access import Actor, can

NOW = "now"


def choose_meeting(actor: Actor) -> int | None:
    """The meeting whose data cut-off the page shows the figures at (None: the latest; the
    public view has the latest only: meetings are the board's business)."""
    if not can(actor, "view-board-business"):
        return None
    held = data.meetings(actor)
    if held.is_empty():
        return None
    labels = {
        str(r["id"]): f"{r['title']} ({r['held_on']:%d %b %Y}; data to {r['cut_off']:%d %b %Y})"
        for r in held.iter_rows(named=True)
    }
    chosen = state.choice(
        "meeting",
        [NOW, *labels],
        label="Figures",
        format_func=lambda k: "The latest figures" if k == NOW else f"As at {labels[k]}",
        help="A meeting shows the figures as they stood at its data cut-off, even after "
        "later resubmissions.",
    )
    if chosen == NOW:
        return None
    meeting = data.meeting(actor, int(chosen))
    st.info(
        f"Figures as they stood at the data cut-off for {ui.plain(meeting['title'])}: "
        f"{meeting['cut_off']:%d %B %Y, %H:%M}. Returns received or corrected since are not "
        "shown.",
        icon=":material/history:",
    )
    return int(chosen)
