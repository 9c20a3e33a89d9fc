"""Who has been added: a person by their stable id, and everyone; the audit log's entries
with their hash chain."""

from __future__ import annotations

from typing import Any

import polars as pl

from metrics.store.connection import AUDIT_FIELDS, READING_EVENTS, Store


def user(store: Store, user_id: str) -> dict[str, Any] | None:
    """A person by their stable id (identity provider issuer|subject), or None."""
    rows = store.frame("SELECT * FROM users WHERE id = ?", [user_id]).to_dicts()
    return rows[0] if rows else None


def users(store: Store) -> pl.DataFrame:
    return store.frame("SELECT * FROM users ORDER BY name, id")


def invitations(store: Store) -> pl.DataFrame:
    """Every invitation by email, those not yet taken up first."""
    return store.frame(
        "SELECT * FROM invitations ORDER BY accepted_by IS NOT NULL, invited_at DESC, email"
    )


ASKED_FOR_ACCESS = "access asked for"


def access_asked(store: Store) -> pl.DataFrame:
    """Who has asked for access and has no role yet (the latest time each asked): id,
    name, email, asked_at."""
    return (
        store.frame(
            "SELECT a.actor AS id, arg_max(a.detail, a.id) AS detail, max(a.logged_at) AS asked_at "
            "FROM audit_log a WHERE a.action = ? AND NOT EXISTS (SELECT 1 FROM users u "
            "WHERE u.id = a.actor AND len(u.roles) > 0) GROUP BY a.actor ORDER BY asked_at DESC",
            [ASKED_FOR_ACCESS],
        )
        .with_columns(
            pl.col("detail").str.json_path_match("$.name").alias("name"),
            pl.col("detail").str.json_path_match("$.email").alias("email"),
        )
        .drop("detail")
    )


def audit_entries(store: Store) -> list[tuple[int, tuple, str | None]]:
    """Every audit entry in id order: (id, the fields its hash covers after the id, hash)."""
    rows = store.frame(f"SELECT {AUDIT_FIELDS}, chain FROM audit_log ORDER BY id").rows()
    return [(row[0], tuple(row[1:-1]), row[-1]) for row in rows]


NOT_BUSINESS = (
    *READING_EVENTS,
    "migrate",
    "values recomputed",
    "database marked",
    "duplicate ignored",
    "demo built",
    "restored",
)
"""Audit actions that store no business: bringing the database up to date, reading, signing
in and out."""


def business_beyond_the_demo(store: Store) -> dict[str, Any] | None:
    """The first entry of business written after the demo was built by anyone but the demo's
    own people (ids ``demo|...``): a return, a person, a meeting, a challenge... or None."""
    found = store.frame(
        "SELECT id, logged_at, actor, action FROM audit_log WHERE id > coalesce(("
        "SELECT max(id) FROM audit_log WHERE action = 'demo built'), 0) "
        "AND NOT list_contains(?, action) AND actor NOT LIKE 'demo|%' ORDER BY id LIMIT 1",
        [list(NOT_BUSINESS)],
    )
    return found.row(0, named=True) if found.height else None
