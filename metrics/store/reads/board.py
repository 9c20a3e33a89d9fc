"""What the accountability cycle reads: meetings, challenges and actions with their logs,
groups' forecasts, deep dives, and what a board pack lists."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from metrics.store.connection import Store


def _first(frame: pl.DataFrame) -> dict[str, Any] | None:
    return frame.row(0, named=True) if frame.height else None


def meetings(store: Store) -> pl.DataFrame:
    """Every meeting, latest first."""
    return store.frame("SELECT * FROM meetings ORDER BY held_on DESC, id DESC")


def meeting(store: Store, meeting_id: int) -> dict[str, Any] | None:
    return _first(store.frame("SELECT * FROM meetings WHERE id = ?", [meeting_id]))


def next_meeting(store: Store, after: date) -> dict[str, Any] | None:
    """The first meeting after ``after`` (None: none is planned)."""
    return _first(
        store.frame(
            "SELECT * FROM meetings WHERE held_on > ? ORDER BY held_on, id LIMIT 1", [after]
        )
    )


def latest_meeting(store: Store) -> int | None:
    """The most recent meeting by date (None: none yet)."""
    found = store.scalar("SELECT id FROM meetings ORDER BY held_on DESC, id DESC LIMIT 1")
    return None if found is None else int(found)


def item(store: Store, reference: str) -> dict[str, Any] | None:
    """A challenge (``C-…``) or an action (``A-…``) by its reference."""
    table = "challenges" if reference.startswith("C-") else "actions"
    return _first(store.frame(f"SELECT * FROM {table} WHERE reference = ?", [reference]))


def challenges(store: Store, group: str | None = None) -> pl.DataFrame:
    """Challenges (to one group, if given), open first, then by due date."""
    where, params = ("WHERE group_code = ?", [group]) if group else ("", [])
    return store.frame(
        f"SELECT * FROM challenges {where} ORDER BY status = 'resolved', due_on, id", params
    )


def actions(store: Store, group: str | None = None) -> pl.DataFrame:
    """Actions (of one group, if given), unfinished first, then by due date."""
    where, params = ("WHERE group_code = ?", [group]) if group else ("", [])
    return store.frame(
        f"SELECT * FROM actions {where} ORDER BY status IN ('done', 'dropped'), due_on, id",
        params,
    )


def public_items(store: Store, indicator: str | None = None) -> pl.DataFrame:
    """The challenges and actions the board has made public (on one indicator, if given):
    reference, kind, indicator, what was asked or agreed, the answer, status and due date."""
    where, params = ("AND indicator_code = ?", [indicator, indicator]) if indicator else ("", [])
    return store.frame(
        f"""
        SELECT reference, 'challenge' AS kind, indicator_code, question AS what, answer,
               status, due_on FROM challenges WHERE public {where}
        UNION ALL
        SELECT reference, 'action' AS kind, indicator_code, title AS what, NULL AS answer,
               status, due_on FROM actions WHERE public {where}
        ORDER BY due_on DESC, reference
        """,
        params,
    )


def item_log(store: Store, reference: str) -> pl.DataFrame:
    """An item's log, oldest first: when, who, what changed and its detail (JSON)."""
    return store.frame(
        "SELECT changed_at AS at, actor_name AS who, change, detail FROM item_events "
        "WHERE reference = ? ORDER BY id",
        [reference],
    )


def challenge_answers(store: Store) -> pl.DataFrame:
    """Every challenge with the time it was first answered (null: not yet)."""
    return store.frame(
        "SELECT c.group_code, c.reference, c.due_on, c.status, min(e.changed_at) AS answered_at "
        "FROM challenges c LEFT JOIN item_events e ON e.reference = c.reference "
        "AND e.change = 'challenge answered' GROUP BY ALL"
    )


def action_states(store: Store) -> pl.DataFrame:
    return store.frame("SELECT group_code, reference, status, due_on FROM actions")


def group_forecasts(store: Store, indicator: str) -> pl.DataFrame:
    """The owning group's forecasts for an indicator: the latest for each period."""
    return store.frame(
        "SELECT period, arg_max(value, id) AS value, arg_max(reason, id) AS reason, "
        "arg_max(set_by, id) AS set_by FROM group_forecasts WHERE indicator_code = ? "
        "GROUP BY period",
        [indicator],
    )


def pack_challenges(store: Store, held_on: date) -> pl.DataFrame:
    """What a meeting's pack lists: every unresolved challenge, and those resolved but due on
    or after the meeting."""
    return store.frame(
        "SELECT * FROM challenges WHERE status <> 'resolved' OR due_on >= ? "
        "ORDER BY status = 'resolved', due_on, id",
        [held_on],
    )


def pack_actions(store: Store, held_on: date) -> pl.DataFrame:
    """Every unfinished action, marked overdue if its date is before the meeting."""
    return store.frame(
        "SELECT *, due_on < ? AND status NOT IN ('done', 'dropped') AS overdue FROM actions "
        "WHERE status NOT IN ('done', 'dropped') ORDER BY due_on, id",
        [held_on],
    )


def deep_dives(store: Store) -> pl.DataFrame:
    return store.frame("SELECT * FROM deep_dives ORDER BY id DESC")


def deep_dive(store: Store, dive_id: int) -> dict[str, Any] | None:
    return _first(store.frame("SELECT * FROM deep_dives WHERE id = ?", [dive_id]))
