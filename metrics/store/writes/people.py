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


def save_invitation(
    store: Store, *, email: str, name: str, role: str, group: str | None, actor: str
) -> None:
    """Invite someone by email (an invitation not yet taken up is replaced)."""
    with store.transaction() as tx:
        if tx.one("SELECT 1 FROM invitations WHERE email = ? AND accepted_by IS NOT NULL", [email]):
            raise ValueError(f"{email} has already taken up an invitation: change their roles")
        tx.execute(
            "INSERT INTO invitations (email, name, role, group_code, invited_by, invited_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET name = excluded.name, "
            "role = excluded.role, group_code = excluded.group_code, "
            "invited_by = excluded.invited_by, invited_at = excluded.invited_at",
            [email, name, role, group, actor, tx.now()],
        )
        tx.audit(
            actor=actor,
            action="person invited",
            detail={"email": email, "role": role, "group": group},
        )


def take_up_invitation(store: Store, *, email: str, user_id: str, name: str | None) -> bool:
    """The person signing in as ``user_id`` with the verified ``email`` takes up the open
    invitation to it: they are added with its role and group, bound to their id from now
    on (one transaction). False if there is no open invitation to that address."""
    with store.transaction() as tx:
        found = tx.one(
            "SELECT name, role, group_code FROM invitations WHERE email = ? "
            "AND accepted_by IS NULL",
            [email],
        )
        if found is None:
            return False
        invited_name, role, group = found
        existing = tx.one("SELECT roles, groups FROM users WHERE id = ?", [user_id])
        roles = sorted({*(existing[0] if existing else []), role})
        groups = sorted({*(existing[1] if existing else []), *([group] if group else [])})
        tx.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "email = excluded.email, roles = excluded.roles, groups = excluded.groups, "
            "updated_at = excluded.updated_at",
            [user_id, name or invited_name, email, roles, groups, tx.now(), tx.now()],
        )
        tx.execute(
            "UPDATE invitations SET accepted_by = ?, accepted_at = ? WHERE email = ?",
            [user_id, tx.now(), email],
        )
        tx.audit(
            actor=user_id,
            action="invitation taken up",
            detail={"email": email, "role": role, "group": group},
        )
    return True


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
