"""Signed in through the replicas: a board member signs in through HAProxy (the OpenID
Connect provider of ``test_sign_in``), the process they are on is killed, and the next page
they open is still theirs, signed in, on whichever process serves it (every process has the
same secrets, so the sign-in cookie is good on each)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from deploy.postgres import free_port
from metrics.core.access import Actor
from metrics.core.catalogue import load_catalogue
from metrics.services import Store, add_user, grant, restore
from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_replicas import replicas_running
from tests.browser.test_sign_in import local_page, sign_in_secrets
from tests.browser.test_sign_in import provider as provider  # the same provider
from tests.postgres import new_database

pytestmark = [pytest.mark.browser, pytest.mark.postgresql]  # on PostgreSQL already


@pytest.fixture(scope="module")
def signed_replicas(postgres_server, demo_db, provider, tmp_path_factory):
    """A real (not demo) database on PostgreSQL with a board member, served by two
    processes behind HAProxy with sign-in configured."""
    folder = tmp_path_factory.mktemp("signed_replicas")
    url = new_database(postgres_server)
    operator = Actor.operator("test setup")
    restore(operator, demo_db, url, aside=folder / "unused.duckdb")
    with Store(url) as store:
        with store.transaction() as tx:
            tx.execute("DELETE FROM store_info WHERE key = 'demo'")
        add_user(operator, store, user_id=f"{provider}|board-1", name="Bea Board")
        grant(operator, store, load_catalogue(), user_id=f"{provider}|board-1", role="board")
    port = free_port()  # the proxy's: the provider sends people back to it
    secrets = folder / "secrets.toml"
    secrets.write_text(sign_in_secrets(provider, port))
    with replicas_running(url, folder, "--secrets", str(secrets), port=port) as state:
        yield {**state, "url": f"http://127.0.0.1:{port}"}


def test_a_sign_in_survives_the_loss_of_its_process(signed_replicas, browser):
    proxy = signed_replicas["url"]
    with local_page(browser, proxy) as page:
        signed_in_then_its_process_killed(page, proxy, signed_replicas)


def signed_in_then_its_process_killed(page, proxy: str, signed_replicas: dict) -> None:
    context = page.context
    page.goto(proxy)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="board-1").click()  # the provider's page
    page.wait_for_url(f"{proxy}/**", timeout=60_000)
    wait_for_app(page)
    page.get_by_role("heading", name="Board overview").first.wait_for()
    assert "Bea Board" in page.locator("body").inner_text()
    cookie = {c["name"]: c["value"] for c in context.cookies()}["outcomes_replica"]
    held_by = list(signed_replicas["apps"])[int(cookie.removeprefix("app")) - 1]

    os.kill(signed_replicas["apps"][held_by], signal.SIGKILL)
    time.sleep(3)  # HAProxy's health check takes the process out of the round
    page.goto(f"{proxy}/trends")
    wait_for_app(page)
    page.get_by_role("heading", name="Trends").first.wait_for()
    text = page.locator("body").inner_text()
    assert "Bea Board" in text and "Sign in" not in text.split("Trends")[0]
    assert page.get_by_role("button", name="Sign in").count() == 0
    screenshot(page, "replica_signed_in_after_its_process_was_killed")
