"""Invitations by email: an admin gives someone a role before their first sign-in; it is
taken up only with the address the identity provider has verified, once, and binds the role
to the person's issuer and subject."""

from __future__ import annotations

from datetime import date

import pytest

from metrics import services
from metrics.core.access import Actor, NotPermitted, Role
from metrics.core.clock import FixedClock
from metrics.store.connection import Store

ADMIN = Actor(id="https://idp.test|admin", name="Ada Admin", roles=frozenset({Role.ADMIN}))
SUBJECT = "https://idp.test|4f1c"


@pytest.fixture
def store(store_at):
    with Store(store_at(), clock=FixedClock(date(2026, 11, 23))) as s:
        yield s


def actor(store, user_id=SUBJECT):
    return services.actor_for(store, user_id)


def test_an_invited_lead_signs_in_with_the_verified_address_and_has_the_role(store, catalogue):
    kept = services.invite(
        ADMIN,
        store,
        catalogue,
        email=" Robin.Lead@Council.example ",
        name="Robin Lead",
        role="lead",
        group="HCP",
    )
    assert kept == "robin.lead@council.example"
    assert actor(store) is None  # nobody has the role until they sign in
    # an address the provider has not verified proves nothing
    assert not services.take_up_invitation(
        store, user_id=SUBJECT, email="robin.lead@council.example", verified=False
    )
    assert actor(store) is None
    assert services.take_up_invitation(
        store, user_id=SUBJECT, email="ROBIN.LEAD@council.example", verified=True, name="Robin"
    )
    robin = actor(store)
    assert robin.roles == {Role.LEAD} and robin.groups == {"HCP"}
    assert robin.email == "robin.lead@council.example"
    # taken up once: the same address from another account gets nothing
    assert not services.take_up_invitation(
        store, user_id="https://idp.test|other", email="robin.lead@council.example", verified=True
    )
    assert actor(store, "https://idp.test|other") is None
    row = services.invitations(ADMIN, store).row(0, named=True)
    assert row["accepted_by"] == SUBJECT and row["accepted_at"] is not None
    with pytest.raises(ValueError, match="already taken up"):
        services.invite(ADMIN, store, catalogue, email=kept, name="Robin", role="board")
    log = store.frame("SELECT action, actor FROM audit_log ORDER BY id")
    assert ("invitation taken up", SUBJECT) in log.rows()


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"email": "robin", "role": "board"}, "not an email address"),
        ({"email": "r@c.example", "role": "lead"}, "choose the group"),
        ({"email": "r@c.example", "role": "board", "group": "HCP"}, "only a delivery group lead"),
        ({"email": "r@c.example", "role": "mayor"}, "is not a role"),
        ({"email": "r@c.example", "role": "public"}, "needs no invitation"),
        ({"email": "r@c.example", "role": "lead", "group": "NOPE"}, "not a delivery group"),
    ],
)
def test_an_invitation_that_does_not_fit_says_why(store, catalogue, fields, said):
    with pytest.raises(ValueError, match=said):
        services.invite(ADMIN, store, catalogue, name="Robin", **fields)
    assert services.invitations(ADMIN, store).is_empty()


def test_only_an_admin_invites(store, catalogue):
    board = Actor(id="https://idp.test|b", name="B", roles=frozenset({Role.BOARD}))
    with pytest.raises(NotPermitted):
        services.invite(board, store, catalogue, email="r@c.example", name="R", role="board")


def test_an_invitation_adds_to_the_roles_someone_already_has(store, catalogue):
    services.add_user(ADMIN, store, user_id=SUBJECT, name="Sam")
    services.grant(ADMIN, store, catalogue, user_id=SUBJECT, role="scrutiny")
    services.invite(ADMIN, store, catalogue, email="sam@c.example", name="Sam", role="board")
    assert services.take_up_invitation(store, user_id=SUBJECT, email="sam@c.example", verified=True)
    assert actor(store).roles == {Role.SCRUTINY, Role.BOARD}
