"""What reminders have been sent, and to whom; who leads each delivery group by email."""

from __future__ import annotations

import polars as pl

from metrics.store.connection import Store


def sent(store: Store) -> pl.DataFrame:
    """Every reminder claimed: key, recipient, subject, state ('sending' or 'sent'),
    claimed_at and sent_at, latest first."""
    return store.frame("SELECT * FROM reminders ORDER BY claimed_at DESC, key, recipient")


def addresses(store: Store) -> pl.DataFrame:
    """Each person with an email address: id, name, email, roles and groups."""
    return store.frame(
        "SELECT id, name, email, roles, groups FROM users "
        "WHERE email IS NOT NULL AND trim(email) <> '' ORDER BY name, id"
    )
