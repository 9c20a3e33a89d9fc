"""Who is using the app: signed in with the council's identity provider, or trying the demo.

``app.py`` calls :func:`establish` before any page runs; pages read the result with
:func:`actor`. Three cases, decided once per run:

* **Sign-in configured** (an ``[auth]`` section in ``.streamlit/secrets.toml``): a visitor
  who has not signed in sees only the sign-in page (or, with ``OUTCOMES_PUBLIC_VIEW``, the
  public view beside it); a signed-in person acts with the roles an admin gave them
  (``outcomes users``), found by their identity provider's issuer and subject, and any
  their provider's groups or roles claim gives them through ``[roles]`` in the secrets
  (only a claim from the issuer ``[roles]`` names); the app refuses to sign anyone in while
  ``cookie_secret`` is missing, shorter than 32 bytes or the example's;
  someone with no role yet is told so. The demo's role switcher is never offered.
* **No sign-in, and a demo database** (built by ``outcomes demo``): a banner says so and a
  switcher lets a newcomer try every role.
* **No sign-in and a real database**: nothing is served; the page says how to configure
  sign-in.
"""

from __future__ import annotations

import streamlit as st

from dashboard import components as ui
from dashboard import data, state
from metrics.core.access import Actor, Role
from metrics.core.settings import setting

PUBLIC = Actor(id="public|visitor", name="Visitor", roles=frozenset({Role.PUBLIC}))
"""Whoever has not signed in, where the public view is on."""

_KEY = "_actor"


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own error
        return False


def demo_roles() -> dict[str, Actor]:
    """The demo's people: a board member, each group's lead, a scrutiny member, an admin."""
    catalogue = data.catalogue()
    people = {
        "board": Actor(id="demo|board", name="Demo board member", roles=frozenset({Role.BOARD})),
    }
    for code, group in catalogue.group.items():
        people[f"lead:{code}"] = Actor(
            id=f"demo|{code}",
            name=f"{group.lead} (demo)",
            roles=frozenset({Role.LEAD}),
            groups=frozenset({code}),
        )
    people["scrutiny"] = Actor(
        id="demo|scrutiny", name="Demo scrutiny member", roles=frozenset({Role.SCRUTINY})
    )
    people["admin"] = Actor(id="demo|admin", name="Demo admin", roles=frozenset({Role.ADMIN}))
    people["public"] = PUBLIC
    return people


def _describe(key: str) -> str:
    catalogue = data.catalogue()
    if key.startswith("lead:"):
        return f"Lead, {catalogue.group[key.split(':', 1)[1]].name}"
    return {
        "board": "Board member",
        "scrutiny": "Scrutiny member",
        "admin": "Admin",
        "public": "Public view (when switched on)",
    }[key]


def establish() -> Actor:
    """Decide who is using the app for this run, or stop with the page that says why not."""
    if sign_in_configured():
        problem = data.sign_in_problem(dict(st.secrets["auth"]))
        if problem:
            st.title("Sign-in is misconfigured")
            st.error(f"The app will not sign anyone in until this is put right: {problem}")
            st.stop()
        person = _signed_in()
    elif data.is_demo():
        refused = data.demo_refused()
        if refused:
            st.title("This is no longer only the demo")
            st.error(f"The app will not run it as the demo: {refused}.")
            st.stop()
        people = demo_roles()
        chosen = state.choice(
            "as",
            list(people),
            label="Try the demo as",
            format_func=_describe,
            sidebar=True,
            help="The demo has no sign-in: choose whose view to see. A real deployment "
            "signs people in with the council's identity provider.",
        )
        person = people[chosen]
        st.warning(
            f"Demo: a fictional partnership with made-up figures. You are seeing it as: "
            f"{_describe(chosen)}. Choose another role under 'Try the demo "
            "as' in the sidebar.",
            icon=":material/science:",
        )
    else:
        st.title("Sign-in is not configured")
        st.error(
            "This is a real database and the app has no sign-in configured, so it will not "
            "show it to anyone. Add an [auth] section to .streamlit/secrets.toml (see the "
            "README: Sign-in) and restart the app. To try the app, build the demo with "
            "'make run' on a fresh checkout."
        )
        st.stop()
    st.session_state[_KEY] = person
    return person


def _claim_roles() -> tuple[list[str], dict]:
    """The values of the identity provider's groups or roles claim, and the configured
    mapping from them to roles (``[roles]`` in the secrets; none configured: no mapping)."""
    try:
        section = st.secrets.get("roles")
    except Exception:  # no secrets file at all
        section = None
    if not section:
        return [], {}
    try:
        mapping = data.role_map(dict(section.get("map", {})))
        trusted = data.claims_to_map(dict(section), st.user.get("iss"))
    except ValueError as exc:
        st.error(f"Sign-in is misconfigured in .streamlit/secrets.toml: {ui.plain(exc)}")
        st.stop()
    if not trusted:  # signed by another issuer: its claim gives no role here
        return [], {}
    values = st.user.get(section.get("claim", "roles")) or []
    return ([values] if isinstance(values, str) else [str(v) for v in values]), mapping


def _signed_in() -> Actor:
    if not st.user.get("is_logged_in", False):
        if setting("OUTCOMES_PUBLIC_VIEW"):
            st.sidebar.caption(
                "You are seeing the public view: suppressed figures for the authority as a whole."
            )
            st.sidebar.button("Sign in", type="primary", on_click=st.login)
            return PUBLIC
        st.title("Partnership Outcomes")
        st.write("Sign in with your organisation's account to see the partnership's figures.")
        st.button("Sign in", type="primary", on_click=st.login)
        st.stop()
    user_id = f"{st.user.get('iss')}|{st.user.get('sub')}"
    claimed, mapping = _claim_roles()

    def person_now() -> Actor | None:
        return data.actor_for(
            user_id,
            claimed=claimed,
            mapping=mapping,
            name=st.user.get("name"),
            email=st.user.get("email"),
        )

    person = person_now()
    if person is None and data.take_up_invitation(  # invited by email before signing in
        user_id,
        email=st.user.get("email"),
        verified=st.user.get("email_verified") is True,
        name=st.user.get("name"),
    ):
        person = person_now()
    if person is None:
        st.title("No access yet")
        st.info(
            f"You are signed in as {ui.plain(st.user.get('name') or st.user.get('email'))}, "
            "but no one has given you a role yet. Ask the performance team (an admin) to "
            "invite you by your email address, or to add you with your id (copy it with the "
            "button at its right):"
        )
        st.code(user_id, language=None)
        if st.session_state.get("_asked_as") == user_id:
            st.success("Asked: the admins see your request on their page.")
        elif st.button("Ask for access", type="primary"):
            data.ask_for_access(user_id, name=st.user.get("name"), email=st.user.get("email"))
            st.session_state["_asked_as"] = user_id
            st.rerun()
        st.button("Sign out", on_click=st.logout)
        if st.session_state.get("_refused_as") != user_id:  # once a session, not every rerun
            st.session_state["_refused_as"] = user_id
            data.record(user_id, "refused", why="signed in without a role")
        st.stop()
    if st.session_state.get("_signed_in_as") != person.id:
        st.session_state["_signed_in_as"] = person.id
        data.record(person.id, "signed in")
    st.sidebar.caption(f"Signed in as {ui.plain(person.name)}")
    st.sidebar.button("Sign out", on_click=_sign_out, args=(person.id,))
    return person


def _sign_out(user_id: str) -> None:
    data.record(user_id, "signed out")
    st.session_state.pop("_signed_in_as", None)
    st.logout()


def actor() -> Actor:
    """The person this run acts for (set by :func:`establish` in ``app.py``)."""
    return st.session_state[_KEY]
