"""What every service does first: refusals go in the audit log with the actor's id
(:func:`audited`), and so does every giving out of figures with small numbers shown
(:func:`disclosed`); the level of disclosure a reader has (:func:`conceals`, :func:`reader`),
and text a person typed is refused if it looks like a child's details
(:func:`refuse_identifying`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from metrics.core.access import Actor, NotPermitted, Role, can, require
from metrics.returns.validation import (
    identifiers_in,
)
from metrics.store.connection import Store
from metrics.store.connection import (
    StoreError as StoreError,  # for the app, which never imports the store
)
from metrics.store.connection import default_db_path as default_db_path

T = TypeVar("T")


def audited(service: Callable[..., T]) -> Callable[..., T]:
    """A service whose refusals go in the audit log with the actor's id (the service takes
    the actor first and the store second)."""

    @functools.wraps(service)
    def checked(actor: Actor, store: Store | None, *args: Any, **kwargs: Any) -> T:
        try:
            return service(actor, store, *args, **kwargs)
        except NotPermitted as refusal:
            # one row per refusal, however many audited services it passes through
            if store is not None and not store.read_only and not getattr(refusal, "logged", 0):
                store.record_event(actor=actor.id, action="refused", detail={"why": str(refusal)})
                refusal.logged = True
            raise

    return checked


def disclosed(actor: Actor, store: Store, what: str, **detail: Any) -> None:
    """Put in the audit log that ``actor`` took away figures with no small number withheld
    (an export, a board pack, a deep dive): who, what, and which. Refused on a store that
    cannot record it, for such figures are only ever given out on the record."""
    if store.read_only:
        raise NotPermitted(
            f"figures with small numbers shown ({what}) are given out only on the record, "
            "and this database was opened read-only: open it to write, or take the "
            "suppressed version"
        )
    store.record_event(actor=actor.id, action="disclosed", detail={"what": what, **detail})


class TextRefused(ValueError):
    """Something a person typed (an explanation, a name) looks like a child's details."""


def refuse_identifying(texts: dict[str, str]) -> None:
    """Refuse (:class:`TextRefused`) texts a person typed that look like they hold a child's
    details: they would be kept with the data and shown to every reader."""
    personal = identifiers_in(texts)
    if personal:
        kinds = sorted({kind for found in personal.values() for kind in found})
        which = (
            "One of the texts given looks like it holds"
            if len(personal) == 1
            else f"{len(personal)} of the texts given look like they hold"
        )
        raise TextRefused(
            f"{which} a child's details ({', '.join(kinds)}). What is typed here is kept with "
            "the data: write it without identifying anyone, then try again."
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


START_UP = Actor(id="system|start-up", name="start-up", roles=frozenset({Role.ADMIN}))
"""Who the app and the command line act as when they bring a database up to date on start
(recorded so in the audit log)."""
