"""What pages and the command line ask of the domain, asked as an actor.

Each function takes the :class:`~metrics.access.Actor` first and checks, before anything
else, that the actor may do what it asks (:func:`metrics.access.require`). The
validate-then-store sequence lives here once: the submit page, ``outcomes validate`` and
``outcomes ingest``, and the demo builder all call :func:`check_return` and then
:func:`submit_return`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from metrics import queries
from metrics.access import Actor, Role, require
from metrics.catalogue import Catalogue
from metrics.store import IngestResult, Store
from metrics.transforms import compute_indicator_values
from metrics.validation import (
    ReturnContextError,
    ValidationReport,
    check_context,
    identifiers_in,
    validate_return,
)


class TextRefused(ValueError):
    """Something a person typed (an explanation, a name) looks like a child's details."""


@dataclass(frozen=True)
class CheckedReturn:
    """A return as checked, with what it was checked against."""

    report: ValidationReport
    data: bytes
    file_name: str | None
    based_on: int | None
    """The accepted submission of this group and period when it was checked (None: none),
    so that one accepted meanwhile is noticed when it is submitted."""


def check_return(
    actor: Actor,
    store: Store | None,
    catalogue: Catalogue,
    *,
    group: str,
    period: str,
    data: bytes,
    file_name: str | None,
    today: date | None = None,
) -> CheckedReturn:
    """Check a return against the rules and the group's accepted history (none without a
    store: then the cross-period warnings cannot be checked); stores nothing. A quarter
    that has not ended yet is refused with the date its return can be checked from."""
    require(actor, "submit-return", group)
    quarter = check_context(catalogue, group, period)
    if quarter.end >= (today or date.today()):
        raise ReturnContextError(
            f"{quarter.label} has not ended yet: its return can be checked from "
            f"{quarter.end + timedelta(days=1):%d %B %Y}, once the quarter's figures are in."
        )
    based_on = store.current_submission(group, quarter.code) if store else None
    report = validate_return(
        data,
        catalogue=catalogue,
        group=group,
        period=quarter.code,
        history=store.history(group) if store else None,
        file_name=file_name,
    )
    return CheckedReturn(report, data, file_name, based_on)


def submit_return(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    checked: CheckedReturn,
    *,
    explanations: dict[str, str] | None = None,
    submitted_at: datetime | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IngestResult:
    """Store a checked return: accepted, or recorded as rejected without its figures (see
    :meth:`metrics.store.Store.ingest`). Explanations that look like a child's details are
    refused before anything is stored."""
    group = checked.report.group
    require(actor, "submit-return", group)
    explanations = {k: v for k, v in (explanations or {}).items() if v and v.strip()}
    if explanations:
        require(actor, "explain-warning", group)
    personal = identifiers_in({**explanations, "name": actor.name})
    if personal:
        kinds = sorted({kind for found in personal.values() for kind in found})
        raise TextRefused(
            f"{len(personal)} of the texts given look like they hold a child's details "
            f"({', '.join(kinds)}). They are kept with the data: describe the reason "
            "without identifying anyone, then submit again."
        )
    return store.ingest(
        checked.report,
        catalogue=catalogue,
        data=checked.data,
        file_name=checked.file_name,
        submitted_by=actor.name,
        explanations=explanations,
        submitted_at=submitted_at,
        based_on=checked.based_on,
        on_wait=on_wait,
    )


def preview_return(
    actor: Actor, store: Store, catalogue: Catalogue, checked: CheckedReturn
) -> pl.DataFrame:
    """What a checked return will show once accepted, before it is submitted: for each of
    its indicators, the authority's figure for the return's period, its RAG, and the figure
    before it with the change — computed as acceptance would compute them, from the
    return's rows in place of any earlier version's. Empty for a return with errors."""
    require(actor, "submit-return", checked.report.group)
    new = checked.report.observations
    if new is None or new.is_empty():
        return pl.DataFrame()
    codes = new["indicator_code"].unique().to_list()
    periods = new["period"].unique().to_list()
    current = queries.current_observations(store, codes).filter(~pl.col("period").is_in(periods))
    # compute_indicator_values reads the columns it needs; the return's rows stand in for
    # any earlier version of this period's
    incoming = new.with_columns(submission_id=pl.lit(0, dtype=pl.Int64))
    merged = pl.concat([current, incoming], how="diagonal_relaxed")
    values = compute_indicator_values(merged, catalogue)
    return (
        values.filter(
            pl.col("period").is_in(periods)
            & (pl.col("area_code") == catalogue.authority.code)
            & (pl.col("breakdown") == "total")
        )
        .select(
            "indicator_code",
            "period",
            "value",
            "rag",
            "target",
            "previous_value",
            "change_previous",
        )
        .sort("indicator_code")
    )


# --- people ---------------------------------------------------------------------------------


class UnknownPerson(LookupError):
    """No one with that id has been added."""


def actor_for(store: Store, user_id: str) -> Actor | None:
    """The signed-in person as an actor, from the roles kept in the database (None: they
    have signed in but no one has given them a role yet)."""
    found = store.user(user_id)
    if found is None:
        return None
    return Actor(
        id=found["id"],
        name=found["name"],
        email=found["email"],
        roles=frozenset(Role(r) for r in found["roles"]),
        groups=frozenset(found["groups"]),
    )


def list_users(actor: Actor, store: Store) -> pl.DataFrame:
    require(actor, "manage-users")
    return store.users()


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
    found = store.user(user_id)
    store.save_user(
        user_id,
        name=name.strip(),
        email=email,
        roles=found["roles"] if found else [],
        groups=found["groups"] if found else [],
        actor=actor.id,
        action="user saved",
    )


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
    if group is not None and group not in catalogue.group:
        raise ValueError(f"'{group}' is not a delivery group")
    if chosen is Role.LEAD and group is None and add:
        raise ValueError("a delivery group lead leads a group: give --group")
    found = store.user(user_id)
    if found is None:
        raise UnknownPerson(f"no one with the id '{user_id}': add them first")
    roles, groups = set(found["roles"]), set(found["groups"])
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
    store.save_user(
        user_id,
        name=found["name"],
        email=found["email"],
        roles=sorted(roles),
        groups=sorted(groups),
        actor=actor.id,
        action="role granted" if add else "role revoked",
    )
