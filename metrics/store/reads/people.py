"""Who has been added: a person by their stable id, and everyone."""

from __future__ import annotations

from typing import Any

import polars as pl

from metrics.store.connection import Store


def user(store: Store, user_id: str) -> dict[str, Any] | None:
    """A person by their stable id (identity provider issuer|subject), or None."""
    rows = store.frame("SELECT * FROM users WHERE id = ?", [user_id]).to_dicts()
    return rows[0] if rows else None


def users(store: Store) -> pl.DataFrame:
    return store.frame("SELECT * FROM users ORDER BY name, id")
