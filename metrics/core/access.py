"""Who may do what: actors, roles and the actions they may take, declared once.

Every service function that reads restricted data or writes starts with
``require(actor, action, resource)``. The actions are a registry declared as data
(:data:`ACTIONS`); a test checks every role against every action from this registry, so an
action added here without its expected answer fails the suite.

>>> lead = Actor(id="https://idp.example|42", name="Ann Lead", roles=frozenset({Role.LEAD}),
...              groups=frozenset({"HCP"}))
>>> can(lead, "submit-return", "HCP"), can(lead, "submit-return", "YJS")
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    BOARD = "board member"
    LEAD = "delivery group lead"
    SCRUTINY = "scrutiny member"
    PUBLIC = "public"


class NotPermitted(PermissionError):
    """An actor asked for something their role does not allow; the message says why."""


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    roles: frozenset[Role]
    per_group: bool = False
    """Allowed to a delivery group lead only for their own group(s) (the resource)."""


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "view-published",
            "read the suppressed figures: pages, tables and downloads with small numbers as c",
            frozenset(Role),
        ),
        Action(
            "view-localities",
            "read figures for localities within the authority (the public view has the "
            "authority as a whole only)",
            frozenset(Role) - {Role.PUBLIC},
        ),
        Action(
            "view-board-business",
            "read the board's business: meetings, challenges and their answers, actions, "
            "forecasts, deep dives and the groups' commentary (the public view publishes "
            "figures only)",
            frozenset(Role) - {Role.PUBLIC},
        ),
        Action(
            "view-unsuppressed",
            "read every figure as submitted, small numbers included",
            frozenset({Role.ADMIN, Role.BOARD, Role.LEAD}),
        ),
        Action(
            "export-unsuppressed",
            "download or export figures with small numbers unsuppressed",
            frozenset({Role.ADMIN, Role.BOARD, Role.LEAD}),
        ),
        Action(
            "view-submissions",
            "see a group's returns, their findings and explanations",
            frozenset({Role.ADMIN, Role.BOARD, Role.LEAD}),
        ),
        Action(
            "submit-return",
            "check and submit a delivery group's quarterly return",
            frozenset({Role.LEAD}),
            per_group=True,
        ),
        Action(
            "explain-warning",
            "explain the warnings on a group's return",
            frozenset({Role.LEAD}),
            per_group=True,
        ),
        Action(
            "import-published",
            "import published benchmark data and the statistical neighbour model",
            frozenset({Role.ADMIN}),
        ),
        Action(
            "manage-catalogue",
            "change the catalogue: indicators, targets, groups and areas",
            frozenset({Role.ADMIN}),
        ),
        Action("manage-users", "add people and grant or revoke roles", frozenset({Role.ADMIN})),
        Action(
            "back-up",
            "copy the whole database (every figure, person and entry of the audit log) to a "
            "backup file",
            frozenset({Role.ADMIN}),
        ),
        Action(
            "send-reminders",
            "remind delivery groups' leads and the board's secretary by email of what is due",
            frozenset({Role.ADMIN}),
        ),
        Action(
            "manage-meetings",
            "add the board's meetings and fix their data cut-off",
            frozenset({Role.BOARD, Role.ADMIN}),
        ),
        Action(
            "raise-challenge",
            "challenge a delivery group on an indicator or priority",
            frozenset({Role.BOARD}),
        ),
        Action(
            "answer-challenge",
            "answer a challenge to a delivery group",
            frozenset({Role.LEAD}),
            per_group=True,
        ),
        Action(
            "resolve-challenge",
            "mark a challenge resolved or carry it forward",
            frozenset({Role.BOARD}),
        ),
        Action(
            "publish-item",
            "make a challenge or an action public (shown in the public view, with its "
            "answer or status), or take it back",
            frozenset({Role.BOARD}),
        ),
        Action(
            "manage-exceptions",
            "add an indicator to the board's exception list or take one off, with a reason",
            frozenset({Role.BOARD}),
        ),
        Action(
            "set-forecast",
            "set the group's own forecast for one of its indicators, with a reason",
            frozenset({Role.LEAD}),
            per_group=True,
        ),
        Action(
            "write-deep-dive",
            "write and save a deep dive for the board's partners",
            frozenset({Role.BOARD}),
        ),
        Action(
            "record-action",
            "record an action and change any action",
            frozenset({Role.BOARD}),
        ),
        Action(
            "update-action",
            "update the status of a delivery group's own actions",
            frozenset({Role.LEAD}),
            per_group=True,
        ),
    )
}


@dataclass(frozen=True)
class Actor:
    """A person (or the command line's named operator) acting in the product.

    ``id`` is stable: the identity provider's issuer and subject (``issuer|subject``)."""

    id: str
    name: str
    roles: frozenset[Role]
    groups: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None

    @classmethod
    def operator(cls, name: str) -> Actor:
        """Whoever runs the command line on the server: it may do everything, and the
        audit log records the name they give."""
        return cls(
            id=f"operator|{name}",
            name=name,
            roles=frozenset({Role.ADMIN, Role.BOARD, Role.LEAD}),
            groups=frozenset({ANY_GROUP}),
        )

    def leads(self, group: str) -> bool:
        return Role.LEAD in self.roles and (group in self.groups or ANY_GROUP in self.groups)


ANY_GROUP = "*"
"""In an actor's groups: every delivery group (the command line's operator)."""


def can(actor: Actor, action: str, resource: str | None = None) -> bool:
    """Whether ``actor`` may take ``action`` (on ``resource``: a delivery group's code for
    per-group actions)."""
    rule = ACTIONS[action]
    if not rule.roles & actor.roles:
        return False
    if rule.per_group:
        return resource is not None and actor.leads(resource)
    return True


def require(actor: Actor, action: str, resource: str | None = None) -> None:
    """Raise :class:`NotPermitted`, with a reason a person understands, unless ``actor``
    may take ``action``."""
    if action not in ACTIONS:
        raise KeyError(f"no such action: {action!r}")
    if can(actor, action, resource):
        return
    rule = ACTIONS[action]
    roles = " or ".join(sorted(r.value for r in rule.roles))
    if rule.per_group and rule.roles & actor.roles:
        raise NotPermitted(
            f"{actor.name} cannot {rule.description} for {resource or 'no group'}: "
            "only that group's lead can."
        )
    raise NotPermitted(f"{actor.name} cannot {rule.description}: that needs the {roles} role.")
