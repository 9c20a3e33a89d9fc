"""The audit log's tamper evidence: each row carries a SHA-256 hash of its own fields and the
hash of the row before it, so editing, inserting or deleting any row but the newest breaks
every hash after it (:func:`first_broken` finds where)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

START = "0" * 64
"""The "previous hash" of the first row."""


def _text(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return str(value)


def link(previous: str | None, fields: Iterable[Any]) -> str:
    """The hash of a row: its fields (in order) chained to the previous row's hash."""
    digest = hashlib.sha256((previous or START).encode())
    for value in fields:
        digest.update(b"\x1f" + _text(value).encode())
    return digest.hexdigest()


def first_broken(rows: Iterable[tuple[int, tuple, str | None]]) -> int | None:
    """The id of the first row, in id order, whose stored hash does not match its fields and
    the row before it, or None when every row matches. ``rows``: (id, fields, stored hash)."""
    previous = None
    for row_id, fields, stored in rows:
        expected = link(previous, (row_id, *fields))
        if stored != expected:
            return row_id
        previous = stored
    return None
