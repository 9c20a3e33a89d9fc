"""Signing in through a real OpenID Connect provider running on this machine
(``oidc-provider-mock``), against the app served with an ``[auth]`` configuration and a
database that is not a demo: a visitor sees only the sign-in page; a delivery group lead
signs in, is offered their own group only and submits its return; a scrutiny member sees
``c`` on the indicator page and in its CSV where a board member sees the small number;
someone with no role is told so; signing out ends the session. Every request the app's
pages make stays on 127.0.0.1."""

from __future__ import annotations

import csv
import shutil
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from oidc_provider_mock import User, run_server_in_thread

from deploy.postgres import free_port
from metrics.core.access import Actor
from metrics.core.catalogue import load_catalogue
from metrics.core.periods import period_label
from metrics.services import add_user, grant
from metrics.store.connection import Store
from tests.browser.conftest import screenshot, serve, wait_for_app
from tests.helpers import csv_bytes, good_return

pytestmark = pytest.mark.browser

PEOPLE = {
    "lead-yjs": ("Yasmin Lead", "lead", "YJS"),
    "scrutiny-1": ("Sam Councillor", "scrutiny", None),
    "board-1": ("Bea Board", "board", None),
    "admin-1": ("Ada Admin", "admin", None),
}
SEND = "Children with Disabilities and SEND Partnership"
INVITED = {"name": "Ivy Invited", "email": "Ivy.Invited@council.example", "email_verified": True}
"""Someone the admin invites by email before their first sign-in (the provider vouches for
the address)."""


@pytest.fixture(scope="module")
def provider():
    users = [User(sub=sub, claims={"name": name}) for sub, (name, _, _) in PEOPLE.items()]
    users.append(User(sub="stranger", claims={"name": "Stan Ranger"}))
    users.append(User(sub="invitee", claims=INVITED))
    # not in the database: a board member through the provider's roles claim alone
    users.append(User(sub="mapped", claims={"name": "Mo Mapped", "roles": ["Outcomes.Board"]}))
    with run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def signed_server(demo_db, provider, tmp_path_factory):
    """The app over a real (non-demo) copy of the database, with sign-in configured."""
    folder = tmp_path_factory.mktemp("signed")
    db = folder / "real.duckdb"
    shutil.copy(demo_db, db)
    catalogue = load_catalogue()
    operator = Actor.operator("test setup")
    with Store(db) as store:
        with store.transaction() as cur:
            cur.execute("DELETE FROM store_info WHERE key = 'demo'")
        for sub, (name, role, group) in PEOPLE.items():
            user_id = f"{provider}|{sub}"
            add_user(operator, store, user_id=user_id, name=name)
            grant(operator, store, catalogue, user_id=user_id, role=role, group=group)
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        sign_in_secrets(provider, port) + "[roles]\n"
        'claim = "roles"\n'
        f'issuer = "{provider}"\n'
        "[roles.map]\n"
        '"Outcomes.Board" = "board"\n'
    )
    with serve(db, folder, port=port, extra=("--secrets.files", str(secrets))) as served:
        yield served


def sign_in_secrets(provider: str, port: int) -> str:
    """The ``[auth]`` section of a secrets file for the app served on ``port``, signing in
    through ``provider``."""
    return (
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-string-for-the-test-only"\n'
        'client_id = "partnership-outcomes"\n'
        'client_secret = "test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )


@contextmanager
def local_page(browser, app_url: str):
    """A page in a fresh browser context (pytest-playwright's Chromium); requests from the
    app's pages are recorded, and anything addressed off this machine (the provider's page
    links a stylesheet on a CDN) is refused before it leaves. At the end: the app's pages
    asked nothing of any other host."""
    app_requests: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
            else route.abort()
        ),
    )

    def record(request) -> None:
        if request.frame.url.startswith(app_url):
            app_requests.append(request.url)

    context.on("request", record)
    yield context.new_page()
    context.close()
    elsewhere = [u for u in app_requests if urlsplit(u).hostname != "127.0.0.1"]
    assert app_requests and not elsewhere, elsewhere


@pytest.fixture
def browser_page(signed_server, browser):
    with local_page(browser, signed_server["url"]) as page:
        yield page


def sign_in(page, server, sub: str) -> None:
    page.goto(server["url"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=sub).click()  # the provider's page: a predefined user
    page.wait_for_url(f"{server['url']}/**", timeout=60_000)
    wait_for_app(page)


def test_a_signed_out_visitor_sees_only_the_sign_in_page(signed_server, browser_page):
    page = browser_page
    for path in ("", "indicator?code=BH01", "submit", "trends"):
        page.goto(f"{signed_server['url']}/{path}")
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        body = page.locator("body").inner_text()
        assert "Board overview" not in body and "BH01" not in body
    screenshot(page, "sign_in_page")


def test_a_lead_signs_in_submits_for_their_group_only_and_signs_out(
    signed_server, browser_page, catalogue, tmp_path
):
    page = browser_page
    sign_in(page, signed_server, "lead-yjs")
    page.get_by_text("Signed in as Yasmin Lead").wait_for()
    period = catalogue.last_demo_quarter().code
    page.goto(f"{signed_server['url']}/submit?group=HCP&quarter={period}")
    wait_for_app(page)
    # asked for another group's page: told so, and given their own
    page.get_by_text("which this page cannot show").wait_for()
    page.get_by_text("Youth Justice Partnership Board: returns").first.wait_for()
    assert "group=YJS" in page.url
    path = tmp_path / "yjs.csv"
    path.write_bytes(csv_bytes(good_return(catalogue, "YJS", period)))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.get_by_text("Checked: 0 errors").wait_for(timeout=90_000)
    wait_for_app(page)
    page.get_by_role("button", name="Submit return").click()
    page.get_by_text("Return accepted").wait_for(timeout=60_000)
    screenshot(page, "signed_in_lead_submitted")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider ends its session
    page.wait_for_url(f"{signed_server['url']}/**", timeout=60_000)
    page.goto(f"{signed_server['url']}/submit")
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)  # signed out


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the first select box labelled ``label`` (opened until it lists)."""
    box = page.get_by_label(label, exact=True).first
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        box.scroll_into_view_if_needed()
        box.click()
        try:
            wanted.wait_for(timeout=5_000)
            break
        except Exception:
            page.keyboard.press("Escape")
    wanted.click()


def test_an_admin_invites_by_email_and_the_invited_person_signs_in_with_the_role(
    signed_server, browser_page
):
    page = browser_page
    sign_in(page, signed_server, "admin-1")
    page.goto(f"{signed_server['url']}/admin")
    wait_for_app(page)
    page.get_by_label("Email address").fill("ivy.invited@council.example")
    page.get_by_label("Name").first.fill("Ivy Invited")
    choose(page, "Role", "delivery group lead")
    choose(page, "Group they lead (for a delivery group lead)", SEND)
    page.get_by_role("button", name="Invite").click()
    page.get_by_text("They get the role when they first sign in with that address").wait_for()
    # the invitation is listed, waiting (the table may be drawn after the confirmation)
    page.get_by_text("Not yet signed in").first.wait_for()
    screenshot(page, "admin_invited_by_email")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{signed_server['url']}/**", timeout=60_000)
    # the invited person signs in for the first time: the provider has verified the address
    sign_in(page, signed_server, "invitee")
    page.get_by_text("Signed in as Ivy Invited").wait_for()
    page.get_by_role("heading", name="Your group's work").wait_for()  # a lead's start
    page.get_by_text(SEND).first.wait_for()  # their group's work
    screenshot(page, "invited_lead_signed_in")


def test_someone_without_a_role_is_told_so(signed_server, browser_page):
    page = browser_page
    sign_in(page, signed_server, "stranger")
    page.get_by_text("no one has given you a role yet").wait_for()
    assert "Board overview" not in page.locator("body").inner_text()
    # their id, to send to an admin, with a button that copies it
    shown = page.locator("[data-testid='stCode']")
    assert shown.inner_text().strip().endswith("|stranger")
    shown.hover()
    shown.get_by_title("Copy to clipboard").or_(
        shown.get_by_role("button", name="Copy to clipboard")
    ).first.wait_for()
    screenshot(page, "signed_in_without_role")


SMALL = ("YJ03", "2025-26-Q3")
"""An indicator and quarter whose count for the whole authority is small in the demo."""


@pytest.mark.parametrize("sub", ["scrutiny-1", "board-1"])
def test_a_scrutiny_member_sees_c_where_a_board_member_sees_the_small_number(
    signed_server, browser_page, catalogue, demo_db, sub
):
    code, period = SMALL
    with Store(demo_db, read_only=True) as store:  # the app holds its own copy
        numerator = store.scalar(
            "SELECT numerator FROM indicator_values WHERE indicator_code = ? AND period = ? "
            "AND area_code = ? AND breakdown = 'total'",
            [code, period, catalogue.authority.code],
        )
    assert 1 <= numerator < catalogue.indicator[code].suppression_threshold
    hidden = sub.startswith("scrutiny")
    page = browser_page
    sign_in(page, signed_server, sub)
    page.goto(f"{signed_server['url']}/indicator?code={code}&period={period}")
    wait_for_app(page)
    page.get_by_role("tab", name="Table").first.click()
    # the trend's table: a real table whose rows are headed by their period
    line = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=period_label(period), exact=True)
    )
    line.first.wait_for()
    row = line.first.locator("th, td").all_inner_texts()  # period, value, interval, num, den
    expected = "c" if hidden else f"{numerator:,.0f}"
    assert row[3] == expected, row
    assert (row[1] == "c") is hidden, row
    screenshot(page, f"small_numbers_as_{sub.split('-')[0]}")
    with page.expect_download() as download:
        page.locator("[data-testid='stDownloadButton'] button").first.click()
    # the download: figures as numbers, a withheld one empty and marked in its own column,
    # and a file name that says what and for whom
    level = "suppressed" if hidden else "unsuppressed"
    named = download.value.suggested_filename
    assert named.startswith(f"{code}_trend_to-") and named.endswith(f"_{level}.csv"), named
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    mine = next(r for r in rows if r["period"] == period)
    assert (mine["indicator_code"], mine["unit"]) == (code, catalogue.indicator[code].unit)
    assert mine["numerator"] == ("" if hidden else f"{numerator:.0f}"), mine
    assert (mine["value"] == "") is hidden, mine
    assert (mine["suppressed"] == "c") is hidden, mine
    assert (mine["rag"] == "suppressed") is hidden, mine


def test_a_role_can_come_from_the_providers_claim(signed_server, browser_page):
    page = browser_page
    sign_in(page, signed_server, "mapped")
    page.get_by_text("Signed in as Mo Mapped").wait_for()
    page.get_by_role("heading", name="Board overview").wait_for()
    assert "no one has given you a role" not in page.locator("body").inner_text()
