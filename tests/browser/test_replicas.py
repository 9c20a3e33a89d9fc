"""Two app processes (replicas) sharing one PostgreSQL database, each served by
``streamlit run`` and driven in Chromium: a return accepted through one is on the other's
pages at once, as is another process's write."""

from __future__ import annotations

from datetime import timedelta

import pytest

from metrics.core.access import Actor
from metrics.core.clock import clock_from_environment
from metrics.core.periods import period_label
from metrics.demo.year import CHAIR
from metrics.services import Store, add_meeting, restore
from tests.browser.conftest import screenshot, serve
from tests.browser.test_paths import open_page, upload
from tests.helpers import csv_bytes, good_return, set_cell
from tests.postgres import new_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def replicas(postgres_server, demo_db, tmp_path_factory):
    """The demo loaded into a new PostgreSQL database, and two app processes serving it."""
    url = new_database(postgres_server)
    restore(Actor.operator("test"), demo_db, url, aside=tmp_path_factory.mktemp("aside") / "x")
    env = {"OUTCOMES_DATABASE_URL": url}
    with (
        serve(demo_db, tmp_path_factory.mktemp("log_a"), env=env) as one,
        serve(demo_db, tmp_path_factory.mktemp("log_b"), env=env) as other,
    ):
        yield one, other, url


def card_text(page, code: str) -> str:
    card = (
        page.locator("[data-testid='stVerticalBlock']")
        .filter(has=page.locator("h3", has_text=code))
        .last
    )
    return card.inner_text()


def test_a_return_accepted_through_one_replica_is_on_the_others_pages(
    replicas, page, catalogue, tmp_path
):
    one, other, _url = replicas
    group, period = "YJS", catalogue.last_demo_quarter().code  # the late group's return
    good = good_return(catalogue, group, period)
    yj02 = good["indicator_code"].to_list().index("YJ02")
    jump = set_cell(good, yj02, "numerator", good["denominator"][yj02])  # 100%: a jump
    path = tmp_path / "yjs.csv"
    path.write_bytes(csv_bytes(jump))

    open_page(page, other)  # the board's overview on the other replica, before
    assert f"100.0% in {period_label(period)}" not in card_text(page, "YJ02")

    open_page(page, one, f"submit?as=lead:{group}&group={group}&quarter={period}")
    upload(page, path, "Checked: 0 errors, 1 warning")
    boxes = page.locator("textarea")
    boxes.first.wait_for()
    boxes.first.fill("Checked with the case management system: the whole cohort re-offended.")
    page.get_by_role("button", name="Submit return").click()
    page.get_by_text("Return accepted").wait_for(timeout=60_000)

    open_page(page, other)
    page.locator("h3", has_text="YJ02").first.wait_for()
    assert f"100.0% in {period_label(period)}" in card_text(page, "YJ02")
    status = page.locator("[data-testid='stTable'] tr").filter(has_text="Youth Justice")
    assert "Submitted" in status.first.inner_text()
    screenshot(page, "replica_b_after_upload_on_a")


def test_a_meeting_added_by_a_third_process_is_on_both_replicas(replicas, page):
    """Another process (here the test's own: the chair's change, made through the services on
    a store of its own) writes to the shared database while both replicas run: each shows
    the new meeting as the board's next."""
    one, other, url = replicas
    soon = clock_from_environment().today() + timedelta(days=14)  # before the demo's next
    with Store(url) as store:
        add_meeting(
            CHAIR, store, held_on=soon, kind="ordinary", title="Extraordinary board on replicas"
        )
    for served in (one, other):
        open_page(page, served, "overview?as=board")
        page.get_by_text("Next meeting: Extraordinary board on replicas").first.wait_for()
