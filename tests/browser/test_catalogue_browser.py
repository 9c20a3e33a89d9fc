"""A person opens the app in a browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_home_lists_outcomes(server, page, catalogue):
    page.goto(f"{server['url']}/catalogue")
    wait_for_app(page)
    page.get_by_role("heading", name="1. Be healthy").wait_for()
    for outcome in catalogue.outcomes:
        assert page.get_by_role("heading", name=f"{outcome.number}. {outcome.title}").is_visible()
    assert screenshot(page, "home").stat().st_size > 10_000
