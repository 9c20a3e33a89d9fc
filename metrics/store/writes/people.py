"""Writes about people and the database itself: a person's name, email, roles and groups,
and facts recorded about the database (such as the demo's mark)."""

from __future__ import annotations

from metrics.store.connection import Store, Tx, within


def save_user(
    store: Store,
    user_id: str,
    *,
    name: str,
    email: str | None,
    roles: list[str],
    groups: list[str],
    actor: str,
    action: str,
) -> None:
    """Add a person or replace their name, email, roles and groups (one transaction,
    audited with who did it)."""
    roles, groups = sorted(set(roles)), sorted(set(groups))
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "name = excluded.name, email = excluded.email, roles = excluded.roles, "
            "groups = excluded.groups, updated_at = excluded.updated_at",
            [user_id, name, email, roles, groups, tx.now(), tx.now()],
        )
        tx.audit(
            actor=actor, action=action, detail={"user": user_id, "roles": roles, "groups": groups}
        )


def set_info(target: Store | Tx, key: str, value: str, *, actor: str) -> None:
    """Record a fact about this database (read back with :meth:`Store.info`), in a
    transaction of its own or in the caller's (``Tx``)."""
    with within(target) as tx:
        tx.execute(
            "INSERT INTO store_info VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value",
            [key, value],
        )
        tx.audit(actor=actor, action="database marked", detail={key: value})
