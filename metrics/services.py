"""What pages and the command line ask of the domain, asked as an actor.

Each function takes the :class:`~metrics.access.Actor` first and checks, before anything
else, that the actor may do what it asks (:func:`metrics.access.require`). The
validate-then-store sequence lives here once: the submit page, ``outcomes validate`` and
``outcomes ingest``, and the demo builder all call :func:`check_return` and then
:func:`submit_return`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from metrics import queries
from metrics.access import Actor, NotPermitted, Role, can, require
from metrics.catalogue import Catalogue
from metrics.core.clock import clock_from_environment
from metrics.reports.indicator import Trend, build_trend
from metrics.store import IngestResult, Store
from metrics.store import StoreError as StoreError  # for the app, which never imports the store
from metrics.store import default_db_path as default_db_path
from metrics.transforms import compute_indicator_values
from metrics.validation import (
    ReturnContextError,
    ValidationReport,
    check_context,
    identifiers_in,
    validate_return,
)

T = TypeVar("T")


def audited(service: Callable[..., T]) -> Callable[..., T]:
    """A service whose refusals go in the audit log with the actor's id (the service takes
    the actor first and the store second)."""

    @functools.wraps(service)
    def checked(actor: Actor, store: Store | None, *args: Any, **kwargs: Any) -> T:
        try:
            return service(actor, store, *args, **kwargs)
        except NotPermitted as refusal:
            if store is not None and not store.read_only:
                store.record_event(actor=actor.id, action="refused", detail={"why": str(refusal)})
            raise

    return checked


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


@audited
def check_return(
    actor: Actor,
    store: Store | None,
    catalogue: Catalogue,
    *,
    group: str,
    period: str,
    data: bytes,
    file_name: str | None,
) -> CheckedReturn:
    """Check a return against the rules and the group's accepted history (none without a
    store: then the cross-period warnings cannot be checked); stores nothing. A quarter
    that has not ended yet is refused with the date its return can be checked from."""
    require(actor, "submit-return", group)
    quarter = check_context(catalogue, group, period)
    today = (store.clock if store else clock_from_environment()).today()
    if quarter.end >= today:
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


@audited
def submit_return(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    checked: CheckedReturn,
    *,
    explanations: dict[str, str] | None = None,
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
    refuse_identifying({**explanations, "name": actor.name})
    return store.ingest(
        checked.report,
        catalogue=catalogue,
        data=checked.data,
        file_name=checked.file_name,
        submitted_by=actor.name,
        explanations=explanations,
        based_on=checked.based_on,
        on_wait=on_wait,
    )


def refuse_identifying(texts: dict[str, str]) -> None:
    """Refuse (:class:`TextRefused`) texts a person typed that look like they hold a child's
    details: they would be kept with the data and shown to every reader."""
    personal = identifiers_in(texts)
    if personal:
        kinds = sorted({kind for found in personal.values() for kind in found})
        raise TextRefused(
            f"{len(personal)} of the texts given look like they hold a child's details "
            f"({', '.join(kinds)}). They are kept with the data: write it without "
            "identifying anyone, then try again."
        )


@audited
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


# --- reading: every figure a page, a download or an export shows ----------------------------
#
# Each read function checks that the actor may read, and withholds small numbers (and what
# derives from them) from anyone without view-unsuppressed: the one suppression step.


def conceals(actor: Actor) -> bool:
    """Whether small numbers are withheld from ``actor`` (refused if they may read nothing)."""
    require(actor, "view-published")
    return not can(actor, "view-unsuppressed")


READERS = {
    key: Actor(id=f"reader|{key}", name=name, roles=frozenset({role}))
    for key, name, role in (
        ("unsuppressed", "A reader of every figure", Role.BOARD),
        ("suppressed", "A reader of suppressed figures", Role.SCRUTINY),
        ("public", "A reader of the public view", Role.PUBLIC),
    )
}
"""One stand-in reader per level of disclosure: pages cache what they read per level, not
per person, and an entry read for one level is never served to another."""


def reader(actor: Actor) -> Actor:
    """The stand-in reader that may read exactly what ``actor`` may read."""
    if not conceals(actor):
        return READERS["unsuppressed"]
    return READERS["suppressed" if can(actor, "view-localities") else "public"]


def open_store(path: Path | str) -> Store:
    """The store in the database file at ``path`` (see :class:`metrics.store.Store`)."""
    return Store(path)


def catalogue_table(actor: Actor, catalogue: Catalogue) -> pl.DataFrame:
    require(actor, "view-published")
    return queries.catalogue_table(catalogue)


@audited
def periods(actor: Actor, store: Store) -> list[str]:
    require(actor, "view-published")
    return queries.periods_available(store)


@audited
def default_period(actor: Actor, store: Store) -> str | None:
    require(actor, "view-published")
    return queries.default_period(store)


@audited
def indicator_table(
    actor: Actor, store: Store, catalogue: Catalogue, period: str, *, benchmarks: bool = False
) -> pl.DataFrame:
    """Every indicator's latest figure as at ``period`` (see
    :func:`metrics.queries.indicator_table`), with the England and neighbour comparisons
    when ``benchmarks``."""
    hide = conceals(actor)
    table = queries.indicator_table(store, catalogue, period, concealed=hide)
    if benchmarks:
        table = queries.with_benchmarks(table, store, catalogue, period, concealed=hide)
    return table


def rag_summary(
    actor: Actor, catalogue: Catalogue, table: pl.DataFrame, *, by: str
) -> pl.DataFrame:
    require(actor, "view-published")
    return queries.rag_summary(table, catalogue, by=by)


@audited
def returns_status(actor: Actor, store: Store, catalogue: Catalogue, period: str) -> pl.DataFrame:
    require(actor, "view-published")
    return queries.returns_status(store, catalogue, period)


@audited
def indicator_series(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    code: str,
    *,
    area: str,
    breakdown: str = "total",
) -> pl.DataFrame:
    hide = conceals(actor)
    if area != catalogue.authority.code:
        require(actor, "view-localities")
    return queries.indicator_series(
        store, catalogue, code, area=area, breakdown=breakdown, concealed=hide
    )


@audited
def area_values(
    actor: Actor, store: Store, catalogue: Catalogue, code: str, period: str
) -> pl.DataFrame:
    hide = conceals(actor)
    require(actor, "view-localities")
    return queries.area_values(store, catalogue, code, period, concealed=hide)


@audited
def area_series(
    actor: Actor, store: Store, catalogue: Catalogue, code: str, areas: list[str]
) -> pl.DataFrame:
    hide = conceals(actor)
    if set(areas) - {catalogue.authority.code}:
        require(actor, "view-localities")
    return queries.area_series(store, catalogue, code, areas, concealed=hide)


@audited
def breakdown_values(actor: Actor, store: Store, catalogue: Catalogue, code: str) -> pl.DataFrame:
    return queries.breakdown_values(store, catalogue, code, concealed=conceals(actor))


@audited
def indicator_trend(actor: Actor, store: Store, catalogue: Catalogue, code: str) -> Trend:
    """An indicator's trend for the authority with its benchmarks and baseline forecast
    (:class:`metrics.reports.indicator.Trend`), as the actor may see it."""
    require(actor, "view-published")
    return build_trend(store, catalogue, code, concealed=conceals(actor))


@audited
def benchmark_series(
    actor: Actor, store: Store, catalogue: Catalogue, code: str, periods: list[str]
) -> pl.DataFrame:
    """Published England, region and neighbour figures (published already suppressed)."""
    require(actor, "view-published")
    return queries.benchmark_series(store, catalogue, code, periods)


@audited
def all_authorities(actor: Actor, store: Store, code: str, period: str | None) -> pl.DataFrame:
    require(actor, "view-published")
    return queries.all_authorities(store, code, period)


@audited
def similar_authorities(
    actor: Actor, store: Store, catalogue: Catalogue, code: str
) -> pl.DataFrame:
    """England, the statistical neighbours and their average, every published year."""
    require(actor, "view-published")
    return queries.similar_authorities(store, catalogue, code)


@audited
def neighbour_list(actor: Actor, store: Store, catalogue: Catalogue) -> list[str]:
    """The home authority's statistical neighbours (old codes), in the model's order."""
    require(actor, "view-published")
    home = catalogue.settings.home_old_la_code
    return queries.neighbour_list(store, home) if home else []


@audited
def commentary_history(actor: Actor, store: Store, code: str) -> pl.DataFrame:
    require(actor, "view-published")
    return queries.commentary_history(store, code)


@audited
def group_submissions(actor: Actor, store: Store, group: str) -> pl.DataFrame:
    require(actor, "view-submissions")
    return queries.group_submissions(store, group)


@audited
def submission_findings(actor: Actor, store: Store, submission_id: int) -> pl.DataFrame:
    require(actor, "view-submissions")
    return queries.submission_findings(store, submission_id)


@audited
def data_quality(actor: Actor, store: Store) -> dict[str, pl.DataFrame]:
    """Counts of returns and findings by quarter, rule and group (no figures)."""
    require(actor, "view-published")
    return {
        "by_quarter": queries.submissions_by_quarter(store),
        "by_rule": queries.findings_by_rule(store),
        "by_group": queries.findings_by_group(store),
    }


@audited
def previous_explanations(actor: Actor, store: Store, group: str, period: str) -> dict[str, str]:
    require(actor, "explain-warning", group)
    return store.previous_explanations(group, period)


@audited
def export_values(
    actor: Actor, store: Store, catalogue: Catalogue, *, public: bool = False
) -> pl.DataFrame:
    """Every indicator value for download or ``outcomes export``: as stored for those who
    may export it unsuppressed, else (or when ``public``) as published, small numbers as
    ``c`` with a footnote."""
    hide = conceals(actor) or not can(actor, "export-unsuppressed")
    if public or hide:
        return queries.public_values(store, catalogue)
    return queries.export_values(store, catalogue, concealed=False)


# --- published benchmarks ------------------------------------------------------------------


@audited
def import_published(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    indicator: str,
    frame: pl.DataFrame,
    *,
    source: str,
) -> int:
    """Replace an indicator's published England, region and authority figures."""
    require(actor, "import-published")
    if indicator not in catalogue.indicator:
        raise ValueError(f"'{indicator}' is not an indicator in the catalogue")
    return store.replace_published(indicator, frame, source=source, actor=actor.id)


@audited
def import_all_published(
    actor: Actor, store: Store, catalogue: Catalogue, folder: Path
) -> dict[str, int]:
    """Import every indicator's published source named in the catalogue from ``folder``."""
    from metrics.published import import_all

    require(actor, "import-published")
    return import_all(store, catalogue, folder, actor=actor.id)


@audited
def import_neighbours(actor: Actor, store: Store, frame: pl.DataFrame, *, source: str) -> int:
    """Replace the statistical neighbour model."""
    require(actor, "import-published")
    return store.replace_neighbours(frame, source=source, actor=actor.id)


# --- people ---------------------------------------------------------------------------------


class UnknownPerson(LookupError):
    """No one with that id has been added."""


RoleMap = dict[str, tuple[Role, str | None]]
"""A claim value from the identity provider -> the role it gives (and, for a lead, the group)."""


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
    found = store.user(user_id)
    roles = {Role(r) for r in found["roles"]} if found else set()
    groups = set(found["groups"]) if found else set()
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


@audited
def list_users(actor: Actor, store: Store) -> pl.DataFrame:
    require(actor, "manage-users")
    return store.users()


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
