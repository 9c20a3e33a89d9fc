"""Who may do what on the pages: the demo's role switcher, and a real database that is never
served without sign-in."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from metrics.core.access import Actor, Role
from metrics.core.catalogue import load_catalogue
from metrics.store.connection import Store
from tests.dashboard.test_pages import frame_with, page
from tests.helpers import html_tables


def test_the_demo_offers_every_role(app_db, catalogue):
    at = page("overview")
    switcher = at.selectbox(key="url_as")
    assert switcher.value == "board"
    assert set(switcher.options) >= {"Board member", "Scrutiny member", "Admin"}
    assert sum(o.startswith("Lead, ") for o in switcher.options) == len(catalogue.groups)


def test_a_lead_submits_for_their_own_group_only(app_db):
    at = page("submit", **{"as": "lead:HCP", "group": "YJS"})
    group = at.selectbox(key="url_group")
    assert group.options == ["Healthy Child Partnership"]  # their group alone
    assert any("rows are due" in m.value for m in at.markdown)


def test_a_board_member_sees_returns_but_cannot_submit(app_db, catalogue):
    at = page("submit", **{"as": "board", "group": "YJS"})
    assert any("Only the lead of" in i.value for i in at.info)
    assert not any("rows are due" in m.value for m in at.markdown)
    assert len(frame_with(at, "Submission")) > 0  # the history is there to read


def test_a_scrutiny_member_is_not_offered_the_submit_or_admin_pages(app_db):
    at = page("submit", **{"as": "scrutiny"})
    assert at.title[0].value == "Trends"  # a link to it opens their starting page
    with pytest.raises(AssertionError, match="no table"):
        frame_with(at, "Submission")
    at = page("admin", **{"as": "lead:YJS"})
    assert at.title[0].value == "Your group's work"  # a lead's default page
    at = page("admin", **{"as": "admin"})
    assert at.title[0].value == "People and roles"


@pytest.fixture
def real_db(demo_db, tmp_path, monkeypatch):
    target = tmp_path / "real.duckdb"
    shutil.copy(demo_db, target)
    with Store(target) as store, store.transaction() as cur:
        cur.execute("DELETE FROM store_info WHERE key = 'demo'")
    monkeypatch.setenv("OUTCOMES_DB", str(target))
    return target


@pytest.mark.parametrize("name", ["overview", "indicator", "submit", "trends"])
def test_a_real_database_without_sign_in_is_never_served(real_db, name):
    at = page(name)
    assert at.title[0].value == "Sign-in is not configured"
    assert not at.dataframe and not at.table and not html_tables(at)


def granting(at, label: str):
    """A select box of the form that grants roles (the invitation form has its own)."""
    return next(s for s in at.selectbox if s.label == label and s.form_id != "invite_person")


def test_an_admin_adds_a_person_and_grants_a_role(app_db):
    at = page("admin", **{"as": "admin"})
    at.text_input(key="admin_id").input("https://idp.test|77")
    at.text_input(key="admin_name").input("Robin Lead")
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == r"Added Robin Lead\. Choose a role for them below\."
    added = [at.text_input(key=k).value for k in ("admin_id", "admin_name", "admin_email")]
    assert added == ["", "", ""]  # the form is ready for the next
    assert "Robin Lead" in at.table[0].value["Name"].tolist()
    person = next(s for s in at.selectbox if s.label == "Person")  # chosen for a role
    assert person.format_func(person.value) == "Robin Lead (https://idp.test|77)"
    role = granting(at, "Role")
    assert role.value is None  # no role chosen for the admin
    next(b for b in at.button if b.label == "Grant").click().run()
    assert "Choose a role" in at.error[0].value
    role = granting(at, "Role")
    role.set_value("board member").run()
    assert not [s for s in at.selectbox if s.label == "Group they lead"]  # only with lead
    role = granting(at, "Role")
    role.set_value("delivery group lead").run()
    group = granting(at, "Group they lead")
    group.set_value("HCP")
    next(b for b in at.button if b.label == "Grant").click().run()
    assert not at.exception, at.exception
    assert "Granted delivery group lead for Healthy Child Partnership" in at.success[0].value
    row = at.table[0].value
    robin = row[row["Name"] == "Robin Lead"].iloc[0]
    assert robin["Roles"] == "delivery group lead" and robin["Groups led"] == "HCP"


def test_an_admin_invites_by_email_and_sees_it_waiting(app_db):
    at = page("admin", **{"as": "admin"})
    at.text_input(key="invite_email").input("Casey.Lead@Council.example")
    at.text_input(key="invite_name").input("Casey Lead")
    next(s for s in at.selectbox if s.label == "Role").set_value("delivery group lead")
    next(s for s in at.selectbox if s.label.startswith("Group they lead")).set_value("SEN")
    next(b for b in at.button if b.label == "Invite").click().run()
    assert not at.exception, at.exception
    said = at.success[0].value.replace("\\", "")  # shown as plain text: Markdown escaped
    assert said.startswith("Invited Casey Lead (casey.lead@council.example) as delivery group")
    invited = next(t for t in html_tables(at) if t["caption"] == "Invitations by email")
    row = next(r for r in invited["rows"] if r[0] == "casey.lead@council.example")
    assert row[2:4] == ["delivery group lead", "SEN"] and row[-1] == "Not yet signed in"
    # a lead without a group is refused, with what was typed kept
    at.text_input(key="invite_email").input("drew@council.example")
    at.text_input(key="invite_name").input("Drew")
    next(s for s in at.selectbox if s.label == "Role").set_value("delivery group lead")
    next(s for s in at.selectbox if s.label.startswith("Group they lead")).set_value(None)
    next(b for b in at.button if b.label == "Invite").click().run()
    assert "choose the group" in at.error[0].value
    assert at.text_input(key="invite_email").value == "drew@council.example"


def test_a_refused_person_keeps_what_was_typed(app_db):
    at = page("admin", **{"as": "admin"})
    at.text_input(key="admin_id").input("sam")  # not an issuer|subject id
    at.text_input(key="admin_name").input("Sam Refused")
    at.text_input(key="admin_email").input("sam@council.example")
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception, at.exception
    assert "issuer and subject joined by \\|" in at.error[0].value
    kept = [at.text_input(key=k).value for k in ("admin_id", "admin_name", "admin_email")]
    assert kept == ["sam", "Sam Refused", "sam@council.example"]
    assert "Sam Refused" not in at.table[0].value["Name"].tolist()


@pytest.mark.parametrize("role", ["board", "scrutiny", "lead:HCP"])
def test_only_an_admin_sees_people(app_db, role):
    """The page is not offered to them; run on its own, it still refuses them."""
    from streamlit.testing.v1 import AppTest

    from dashboard.people import demo_roles
    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "admin.py"), default_timeout=60)
    at.session_state["_actor"] = demo_roles()[role]
    at.run()
    assert not at.exception, at.exception
    assert any("Only an admin" in i.value for i in at.info)
    assert not at.table


def test_the_public_view_has_the_authority_only(app_db, catalogue):
    at = page("indicator", code="BH01", **{"as": "public"})
    assert "Localities" not in [h.value for h in at.header]
    assert "Trend" in [h.value for h in at.header]
    at = page("trends", outcome="healthy", code="BH01", **{"as": "public"})
    assert at.multiselect(key="trend_areas").options == [catalogue.authority.name]
    at = page("quality", **{"as": "public"})
    assert at.title[0].value == "Board overview"  # not offered to the public


@pytest.mark.parametrize("public", [False, True])
def test_signed_out_visitors_get_the_public_view_only_when_it_is_on(real_db, monkeypatch, public):
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    monkeypatch.setenv("OUTCOMES_PUBLIC_VIEW", "true" if public else "false")
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "c",
        "client_secret": "s",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception, at.exception
    if public:
        assert at.title[0].value == "Board overview"
        assert any(b.label == "Sign in" for b in at.sidebar.button)
        assert not any(h.value == "Localities" for h in at.header)
    else:
        assert at.title[0].value == "Partnership Outcomes"
        assert not at.dataframe and not at.table and not html_tables(at)


SIGN_IN = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "c",
    "client_secret": "s",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.mark.parametrize("known", [False, True])
def test_a_session_is_audited_once_however_often_it_reruns(real_db, catalogue, known):
    """Someone without a role: one refusal; someone with one: one sign-in; not a row for
    each of the reruns a session makes."""
    from streamlit.testing.v1 import AppTest

    from metrics.services import add_user, grant
    from tests.dashboard.conftest import APP

    subject = "https://idp.test|robin"
    if known:
        with Store(real_db) as store:
            admin = Actor(id="t|admin", name="admin", roles=frozenset({Role.ADMIN}))
            add_user(admin, store, user_id=subject, name="Robin Reader")
            grant(admin, store, catalogue, user_id=subject, role=Role.SCRUTINY.value)
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = SIGN_IN
    at.user = {"is_logged_in": True, "iss": "https://idp.test", "sub": "robin", "name": "Robin"}
    for _ in range(3):
        at.run()
        assert not at.exception, at.exception
    assert at.title[0].value == ("Trends" if known else "No access yet")  # where scrutiny starts
    with Store(real_db) as store:
        rows = store.frame(
            "SELECT action, detail FROM audit_log WHERE actor = ? AND action <> 'role granted' "
            "AND action <> 'user saved' ORDER BY id",
            [subject],
        ).rows()
    assert [r[0] for r in rows] == (["signed in"] if known else ["refused"])
    assert known or "without a role" in rows[0][1]


@pytest.mark.parametrize(
    ("secret", "said"),
    [
        (None, "has no cookie_secret"),
        ("replace-with-a-long-random-string", "the example's value"),
        ("short-but-not-empty", "it needs at least 32"),
    ],
)
def test_sign_in_with_a_forgeable_cookie_secret_is_refused(real_db, secret, said):
    """With the example's (published) secret anyone could sign a cookie naming any person:
    the app signs no one in and shows no figure until it is replaced."""
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    at = AppTest.from_file(APP, default_timeout=90)
    auth = {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "client_id": "c",
        "client_secret": "s",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
    if secret is not None:
        auth["cookie_secret"] = secret
    at.secrets["auth"] = auth
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Sign-in is misconfigured"
    assert said in at.error[0].value and "token_urlsafe" in at.error[0].value
    assert not at.button and not at.dataframe and not html_tables(at)


def test_claim_roles_count_only_from_the_configured_issuer():
    from metrics.services import claims_to_map

    section = {"claim": "roles", "issuer": "https://login.example/tenant/v2.0/"}
    assert claims_to_map(section, "https://login.example/tenant/v2.0")
    assert not claims_to_map(section, "https://elsewhere.example")
    assert not claims_to_map(section, None)
    with pytest.raises(ValueError, match="needs issuer"):
        claims_to_map({"claim": "roles"}, "https://login.example/tenant/v2.0")


SCRUTINY = Actor(id="t|scrutiny", name="scrutiny", roles=frozenset({Role.SCRUTINY}))


def test_the_public_view_publishes_figures_only(app_db, catalogue):
    """No commentary, challenge, answer, forecast or meeting: those are the board's."""
    at = page("indicator", code="BH01", **{"as": "public"})
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    assert "Trend" in headers and "Commentary" not in headers and "Challenges" not in headers
    members = page("indicator", code="BH01", **{"as": "scrutiny"})
    assert {"Commentary", "Challenges"} <= {h.value for h in members.header}

    from dashboard.people import PUBLIC as public
    from metrics.core.access import NotPermitted
    from metrics.services import challenges, commentary_history, meetings, overview

    with Store(app_db) as store:  # as the app opened it (one process, one configuration)
        for read in (
            challenges,
            meetings,
            lambda a, s: commentary_history(a, s, catalogue, "BH01"),
        ):
            with pytest.raises(NotPermitted):
                read(public, store)
        seen = overview(public, store, catalogue, "2025-26-Q4", on=date(2026, 5, 1))
        members = overview(SCRUTINY, store, catalogue, "2025-26-Q4", on=date(2026, 5, 1))
    assert members.exceptions["commentary"].drop_nulls().to_list()  # the demo has some
    assert seen.exceptions["commentary"].drop_nulls().to_list() == []


def test_a_demo_that_holds_real_business_is_not_run_as_the_demo(demo_copy, monkeypatch, capsys):
    """Once a return not made by the demo's own people is stored, the role switcher is off
    (with the reason); ``outcomes demo --unmark`` takes the mark off."""
    from streamlit.testing.v1 import AppTest

    from metrics.cli import main
    from metrics.services import add_user, demo_mode_refused
    from tests.dashboard.conftest import APP

    monkeypatch.setenv("OUTCOMES_DB", str(demo_copy))

    def app() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.run()
        assert not at.exception, at.exception
        return at

    with Store(demo_copy) as store:
        assert demo_mode_refused(store) is None
        store.record_event(actor="demo|board", action="challenge recorded")  # trying the demo
        assert demo_mode_refused(store) is None
        add_user(Actor.operator("officer"), store, user_id="iss|real", name="A Real Person")
        assert "real business (user saved by operator|officer" in demo_mode_refused(store)
    at = app()
    assert at.title[0].value == "This is no longer only the demo"
    assert "outcomes demo" in at.error[0].value and not at.dataframe
    assert main(["demo", "--unmark", "--db", str(demo_copy)]) == 0
    assert "no longer marked" in capsys.readouterr().out
    assert app().title[0].value == "Sign-in is not configured"


def test_someone_without_a_role_asks_for_access_and_an_admin_sees_it(real_db):
    from streamlit.testing.v1 import AppTest

    from metrics.services import add_user, grant
    from tests.dashboard.conftest import APP

    def signed_in(sub: str, **claims) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.secrets["auth"] = SIGN_IN
        at.user = {"is_logged_in": True, "iss": "https://idp.test", "sub": sub, **claims}
        return at.run()

    at = signed_in("kim", name="Kim Newcomer", email="kim@council.example")
    assert at.title[0].value == "No access yet"
    assert at.code[0].value == "https://idp.test|kim"  # shown with a button that copies it
    next(b for b in at.button if b.label == "Ask for access").click().run()
    assert not at.exception, at.exception
    assert "Asked" in at.success[0].value
    assert not [b for b in at.button if b.label == "Ask for access"]  # asked once
    with Store(real_db) as store:
        admin = Actor(id="https://idp.test|ada", name="Ada", roles=frozenset({Role.ADMIN}))
        add_user(admin, store, user_id=admin.id, name="Ada Admin")
        grant(admin, store, load_catalogue(), user_id=admin.id, role="admin")
    at = signed_in("ada", name="Ada Admin")
    at.switch_page("views/admin.py").run()
    assert not at.exception, at.exception
    asked = next(t for t in html_tables(at) if t["caption"] == "People who have asked for access")
    assert asked["rows"] == [
        ["Kim Newcomer", "kim@council.example", "https://idp.test|kim", asked["rows"][0][-1]]
    ]
