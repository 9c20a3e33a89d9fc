"""Writes of the accountability cycle: meetings, challenges and actions (each change with a
line in the item's own log), deep dives, groups' forecasts and the board's exception
decisions. Each is one transaction with its audit entry."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from metrics.store.connection import Store, Tx, within

ITEMS = {"challenge": ("challenges", "C"), "action": ("actions", "A")}
"""Each kind of accountability item: its table, and the letter its references start with."""


def add_meeting(
    store: Store,
    *,
    held_on: date,
    kind: str,
    title: str,
    reports_to: list[str],
    cut_off: datetime,
    actor: str,
) -> int:
    with store.transaction() as tx:
        (meeting_id,) = tx.one(
            "INSERT INTO meetings (held_on, kind, title, reports_to, cut_off, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [held_on, kind, title, reports_to, cut_off, actor, tx.now()],
        )
        tx.audit(
            actor=actor,
            action="meeting added",
            detail={"meeting": meeting_id, "held_on": held_on, "cut_off": cut_off},
        )
    return int(meeting_id)


def item_event(
    tx: Tx, reference: str, actor: str, actor_name: str, change: str, detail: dict[str, Any]
) -> None:
    """A line in an item's own log, and in the audit log."""
    tx.execute(
        "INSERT INTO item_events (reference, changed_at, actor, actor_name, change, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [reference, tx.now(), actor, actor_name, change, json.dumps(detail, default=str)],
    )
    tx.audit(actor=actor, action=change, detail={"reference": reference, **detail})


def add_item(
    store: Store, kind: str, fields: dict[str, Any], *, actor: str, actor_name: str
) -> str:
    """Record a challenge or an action; returns its reference (``C-0001``, ``A-0001``),
    which never changes. The first entry of its log says who recorded it."""
    table, letter = ITEMS[kind]
    with store.transaction() as tx:
        (number,) = tx.one(f"SELECT nextval('{kind}_ids')")
        reference = f"{letter}-{number:04d}"
        row = {**fields, "id": number, "reference": reference}
        tx.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        item_event(tx, reference, actor, actor_name, f"{kind} recorded", fields)
    return reference


def change_item(
    target: Store | Tx,
    reference: str,
    changes: dict[str, Any],
    *,
    change: str,
    actor: str,
    actor_name: str,
    note: str | None = None,
) -> None:
    """Change a challenge or an action, with a line in its log (who, when, what): in a
    transaction of its own, or in the caller's (``Tx``)."""
    table, _ = ITEMS["challenge" if reference.startswith("C-") else "action"]
    with within(target) as tx:
        if changes:
            settings = ", ".join(f"{column} = ?" for column in changes)
            tx.execute(
                f"UPDATE {table} SET {settings} WHERE reference = ?", [*changes.values(), reference]
            )
        detail = {**changes, **({"note": note} if note else {})}
        item_event(tx, reference, actor, actor_name, change, detail)


def add_deep_dive(store: Store, fields: dict[str, Any], *, actor: str) -> int:
    """Save a deep dive's topic, audience and narrative; returns its number."""
    with store.transaction() as tx:
        row = {**fields, "created_at": tx.now()}
        (number,) = tx.one(
            f"INSERT INTO deep_dives ({', '.join(row)}) VALUES "
            f"({', '.join('?' * len(row))}) RETURNING id",
            list(row.values()),
        )
        tx.audit(actor=actor, action="deep dive saved", detail={"id": number, **fields})
    return int(number)


def set_forecast(
    store: Store, *, indicator: str, period: str, value: float, reason: str, actor: str, name: str
) -> None:
    """A group's own forecast for an indicator's period (the latest one set stands)."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO group_forecasts (indicator_code, period, value, reason, set_by, "
            "set_at) VALUES (?, ?, ?, ?, ?, ?)",
            [indicator, period, value, reason, name, tx.now()],
        )
        tx.audit(
            actor=actor,
            action="forecast set",
            detail={"indicator": indicator, "period": period, "value": value},
        )


def decide_exception(
    store: Store,
    *,
    period: str,
    indicator: str,
    decision: str,
    reason: str,
    actor: str,
    actor_name: str,
) -> None:
    """The board puts an indicator on its exception list for a quarter, or takes it off,
    with its reason (the latest decision stands; every one is kept)."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO exception_decisions (period, indicator_code, decision, reason, "
            "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
            [period, indicator, decision, reason, actor_name, tx.now()],
        )
        tx.audit(
            actor=actor,
            action=f"exception list: {decision}",
            detail={"period": period, "indicator": indicator, "reason": reason},
        )
