"""Writes of reminders by email: a reminder is claimed for one person before it is sent,
so that two runs at once (or a run again the same day) never send it twice, then marked
sent, or released if the mail server refused it (so the next run tries again)."""

from __future__ import annotations

from metrics.store.connection import Store


def claim(store: Store, key: str, recipient: str, subject: str, *, actor: str) -> bool:
    """Claim reminder ``key`` for ``recipient``: True if this run is to send it, False if
    it has been sent (or is being sent) already."""
    with store.transaction() as tx:
        claimed = tx.one(
            "INSERT INTO reminders (key, recipient, subject, state, claimed_at) "
            "VALUES (?, ?, ?, 'sending', ?) ON CONFLICT DO NOTHING RETURNING key",
            [key, recipient, subject, tx.now()],
        )
        if claimed:
            tx.audit(
                actor=actor,
                action="reminder claimed",
                detail={"key": key, "recipient": recipient},
            )
    return claimed is not None


def mark_sent(store: Store, key: str, recipient: str, *, actor: str) -> None:
    with store.transaction() as tx:
        tx.execute(
            "UPDATE reminders SET state = 'sent', sent_at = ? WHERE key = ? AND recipient = ?",
            [tx.now(), key, recipient],
        )
        tx.audit(actor=actor, action="reminder sent", detail={"key": key, "recipient": recipient})


def release(store: Store, key: str, recipient: str, *, actor: str, why: str) -> None:
    """Give up a claim whose message was not sent, so that the next run sends it."""
    with store.transaction() as tx:
        tx.execute(
            "DELETE FROM reminders WHERE key = ? AND recipient = ? AND state = 'sending'",
            [key, recipient],
        )
        tx.audit(
            actor=actor,
            action="reminder not sent",
            detail={"key": key, "recipient": recipient, "why": why},
        )
