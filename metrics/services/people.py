"""People and roles, as services: who may sign in, the roles an identity provider's claims
map to, and adding people and granting or revoking roles (admins only).
"""

from __future__ import annotations

import re

import polars as pl

from metrics.core.access import Actor, Role, require
from metrics.core.catalogue import Catalogue
from metrics.core.chain import first_broken
from metrics.services.guard import audited
from metrics.store.connection import Store
from metrics.store.connection import (
    StoreError as StoreError,  # for the app, which never imports the store
)
from metrics.store.connection import default_db_path as default_db_path
from metrics.store.reads import people as people_reads
from metrics.store.writes import people as people_writes

# --- people ---------------------------------------------------------------------------------


class UnknownPerson(LookupError):
    """No one with that id has been added."""


RoleMap = dict[str, tuple[Role, str | None]]
"""A claim value from the identity provider -> the role it gives (and, for a lead, the group)."""


EXAMPLE_COOKIE_SECRET = "replace-with-a-long-random-string"
"""The placeholder in ``.streamlit/secrets.example.toml``: anyone can read it, so anyone
could sign a cookie with it."""
MIN_COOKIE_SECRET_BYTES = 32


def sign_in_problem(auth: dict) -> str | None:
    """Why the ``[auth]`` section cannot be used safely, or None. Streamlit signs its sign-in
    cookie with ``cookie_secret``: with a missing, short or published one, anyone could forge
    a cookie that signs them in as anyone."""
    secret = str(auth.get("cookie_secret") or "")
    how = (
        'make one with: python -c "import secrets; print(secrets.token_urlsafe(48))" and put '
        "it in .streamlit/secrets.toml as cookie_secret under [auth]"
    )
    if not secret:
        return f"[auth] has no cookie_secret: {how}."
    if secret == EXAMPLE_COOKIE_SECRET or secret.startswith("replace-with"):
        return f"[auth] cookie_secret is the example's value, which anyone can read: {how}."
    if len(secret.encode()) < MIN_COOKIE_SECRET_BYTES:
        return (
            f"[auth] cookie_secret is {len(secret.encode())} bytes; it needs at least "
            f"{MIN_COOKIE_SECRET_BYTES}: {how}."
        )
    return None


def claims_to_map(section: dict, issuer: str | None) -> bool:
    """Whether a signed-in person's roles claim may be mapped to roles: only when their
    identity provider is the one ``[roles]`` names as ``issuer`` (ValueError when it names
    none: a claim signed by any other issuer could then give anyone a role)."""
    configured = str(section.get("issuer") or "").strip()
    if not configured:
        raise ValueError(
            "[roles] needs issuer: the identity provider whose roles claim is trusted (its "
            "issuer URL, the 'iss' of its tokens)"
        )
    return issuer is not None and issuer.rstrip("/") == configured.rstrip("/")


def role_map(mapping: dict[str, str], catalogue: Catalogue) -> RoleMap:
    """Check the configured mapping from an identity provider's groups or roles claim to
    roles. Each value is a role ("board member", or its short name "board"), or a lead of a
    group written "lead:GROUP"."""
    checked: RoleMap = {}
    for claim, given in mapping.items():
        role_text, _, group = str(given).partition(":")
        try:
            role = role_named(role_text)
        except ValueError as exc:
            raise ValueError(f"[roles.map] '{claim}': {exc}") from None
        group = group.strip() or None
        if role is Role.LEAD and group not in catalogue.group:
            raise ValueError(
                f"[roles.map] '{claim}': a delivery group lead needs one of the groups, "
                f"written lead:GROUP ({', '.join(catalogue.group)})"
            )
        if role is not Role.LEAD and group:
            raise ValueError(f"[roles.map] '{claim}': only a lead is given a group")
        checked[str(claim)] = (role, group)
    return checked


def actor_for(
    store: Store,
    user_id: str,
    *,
    claimed: list[str] | None = None,
    mapping: RoleMap | None = None,
    name: str | None = None,
    email: str | None = None,
) -> Actor | None:
    """The signed-in person as an actor: the roles an admin gave them in the database, and
    those their identity provider's claim values give through ``mapping``. None: they have
    signed in but have no role either way."""
    found = people_reads.user(store, user_id)
    roles = {Role(r) for r in found["roles"]} if found else set()
    # a group stored beside no lead grant (from before groups went only with one) gives nothing
    groups = set(found["groups"]) if found and Role.LEAD in roles else set()
    for value in claimed or []:
        if value in (mapping or {}):
            role, group = mapping[value]
            roles.add(role)
            groups |= {group} if group else set()
    if not roles:
        return None
    return Actor(
        id=user_id,
        name=found["name"] if found else (name or email or user_id),
        email=found["email"] if found else email,
        roles=frozenset(roles),
        groups=frozenset(groups),
    )


def demo_mode_refused(store: Store) -> str | None:
    """Why a database marked as the demo may not run as one (its role switcher lets anyone
    act as anyone), or None: once business not made by the demo's own people is stored in
    it, it is real."""
    if store.info("demo") != "true":
        return "this database was not built by outcomes demo"
    found = people_reads.business_beyond_the_demo(store)
    if found is None:
        return None
    return (
        f"this database was built as the demo, but it now holds real business ({found['action']} "
        f"by {found['actor']}, {found['logged_at']:%d %b %Y %H:%M}), so the demo's role "
        "switcher is off. Configure sign-in (README: Sign-in) to use it, or, if it is to stay "
        "a demo, build a fresh one with outcomes demo"
    )


def unmark_demo(actor: Actor, store: Store) -> None:
    """Take the demo's mark off a database adopted for real use (audited)."""
    require(actor, "manage-users")
    people_writes.set_info(store, "demo", "false", actor=actor.id)


@audited
def verify_audit_log(actor: Actor, store: Store) -> tuple[int, int | None]:
    """How many audit entries there are, and the id of the first whose hash does not match
    its fields and the entry before it (edited, inserted or deleted), or None."""
    require(actor, "manage-users")
    entries = people_reads.audit_entries(store)
    return len(entries), first_broken(entries)


@audited
def list_users(actor: Actor, store: Store) -> pl.DataFrame:
    require(actor, "manage-users")
    return people_reads.users(store)


@audited
def add_user(
    actor: Actor, store: Store, *, user_id: str, name: str, email: str | None = None
) -> None:
    """Add a person (no roles yet), or correct their name and email."""
    require(actor, "manage-users")
    if "|" not in user_id or not name.strip():
        raise ValueError(
            "a person's id is the identity provider's issuer and subject joined by |, e.g. "
            "'https://login.microsoftonline.com/TENANT/v2.0|SUBJECT', and they need a name"
        )
    found = people_reads.user(store, user_id)
    people_writes.save_user(
        store,
        user_id,
        name=name.strip(),
        email=email,
        roles=found["roles"] if found else [],
        groups=found["groups"] if found else [],
        actor=actor.id,
        action="user saved",
    )


@audited
def grant(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    user_id: str,
    role: str,
    group: str | None = None,
) -> None:
    """Give a person a role (a delivery group lead: for a group)."""
    _change(actor, store, catalogue, user_id=user_id, role=role, group=group, add=True)


@audited
def revoke(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    user_id: str,
    role: str,
    group: str | None = None,
) -> None:
    """Take a role (or, for a lead, one group) away from a person."""
    _change(actor, store, catalogue, user_id=user_id, role=role, group=group, add=False)


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _group_for(catalogue: Catalogue, chosen: Role, group: str | None, *, add: bool) -> None:
    """Refuse a group that does not go with the role (one rule for grants and invitations)."""
    if group is not None and group not in catalogue.group:
        raise ValueError(f"'{group}' is not a delivery group")
    if chosen is Role.LEAD and group is None and add:
        raise ValueError("a delivery group lead leads a group: choose the group")
    if chosen is not Role.LEAD and group is not None:
        raise ValueError(f"only a delivery group lead is given a group, not a {chosen.value}")


@audited
def invite(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    email: str,
    name: str,
    role: str,
    group: str | None = None,
) -> str:
    """Invite someone by email before their first sign-in: when they sign in with that
    address, verified by the identity provider, they get the role (and group), and are
    bound to their issuer and subject from then on. Returns the address as kept."""
    require(actor, "manage-users")
    address = (email or "").strip().lower()
    if not EMAIL.fullmatch(address):
        raise ValueError(f"'{email}' is not an email address")
    if not (name or "").strip():
        raise ValueError("give the person's name")
    chosen = role_named(role)
    if chosen is Role.PUBLIC:
        raise ValueError("the public view needs no invitation")
    _group_for(catalogue, chosen, group, add=True)
    people_writes.save_invitation(
        store, email=address, name=name.strip(), role=chosen.value, group=group, actor=actor.id
    )
    return address


@audited
def invitations(actor: Actor, store: Store) -> pl.DataFrame:
    """Every invitation by email, those not yet taken up first."""
    require(actor, "manage-users")
    return people_reads.invitations(store)


def take_up_invitation(
    store: Store, *, user_id: str, email: str | None, verified: bool, name: str | None = None
) -> bool:
    """At sign-in, for someone with no role yet: take up the invitation to their email
    address, if the identity provider says it has verified that address (an unverified
    address proves nothing). True if they now have the invitation's role."""
    address = (email or "").strip().lower()
    if not verified or not EMAIL.fullmatch(address):
        return False
    return people_writes.take_up_invitation(store, email=address, user_id=user_id, name=name)


def ask_for_access(store: Store, *, user_id: str, name: str | None, email: str | None) -> None:
    """Someone signed in without a role asks an admin for access (kept in the audit log, and
    listed on the admin's page until they have a role)."""
    store.record_event(
        actor=user_id,
        action=people_reads.ASKED_FOR_ACCESS,
        detail={"name": name or "", "email": email or ""},
    )


@audited
def access_asked(actor: Actor, store: Store) -> pl.DataFrame:
    """Who has asked for access and has no role yet, latest first."""
    require(actor, "manage-users")
    return people_reads.access_asked(store)


def role_named(text: str) -> Role:
    """A role from its name ("delivery group lead") or its short name ("lead")."""
    for role in Role:
        if text.strip().lower() in (role.value, role.name.lower()):
            return role
    names = ", ".join(f"{r.name.lower()} ({r.value})" for r in Role)
    raise ValueError(f"'{text}' is not a role; choose one of {names}")


def _change(actor, store, catalogue, *, user_id, role, group, add) -> None:
    require(actor, "manage-users")
    chosen = role_named(role)
    _group_for(catalogue, chosen, group, add=add)
    found = people_reads.user(store, user_id)
    if found is None:
        raise UnknownPerson(f"no one with the id '{user_id}': add them first")
    roles, groups = set(found["roles"]), set(found["groups"])
    if Role.LEAD.value not in roles:
        groups = set()  # a group belongs only to a lead grant: none stands without one
    if add:
        roles.add(chosen.value)
        groups |= {group} if group else set()
    elif chosen is Role.LEAD and group:
        groups.discard(group)
        if not groups:
            roles.discard(chosen.value)
    else:
        roles.discard(chosen.value)
        if chosen is Role.LEAD:
            groups.clear()
    people_writes.save_user(
        store,
        user_id,
        name=found["name"],
        email=found["email"],
        roles=sorted(roles),
        groups=sorted(groups),
        actor=actor.id,
        action="role granted" if add else "role revoked",
    )
