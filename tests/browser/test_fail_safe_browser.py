"""In a real browser: commentary with Markdown, HTML and an image link is shown as text (and
fetches nothing); two people checking different returns at once each get their own verdict;
a malformed link gets a note, not a traceback. Every test here also asserts (conftest) that
no request left 127.0.0.1."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, screenshot, wait_for_app
from tests.browser.test_paths import open_page, upload
from tests.helpers import csv_bytes, good_return, set_cell

pytestmark = pytest.mark.browser

HOSTILE = (
    "![pixel](http://198.51.100.7/pixel.png) <img src='http://198.51.100.7/x.png'> "
    "**Your session expired** [sign in again](http://198.51.100.7/login) :red[alarm]"
)


def test_commentary_with_markdown_html_and_images_is_shown_as_text(
    server, page, catalogue, tmp_path
):
    group, period = "YJS", catalogue.last_demo_quarter().code
    frame = good_return(catalogue, group, period)
    first = frame["indicator_code"][0]
    frame = set_cell(frame, 0, "commentary", HOSTILE)
    path = tmp_path / "yjs.csv"
    path.write_bytes(csv_bytes(frame))
    open_page(page, server, f"submit?as=lead:{group}&group={group}&quarter={period}")
    upload(page, path, "Checked: 0 errors")
    page.get_by_role("button", name="Submit return").click()
    page.get_by_text("Return accepted").wait_for(timeout=60_000)

    open_page(page, server, f"indicator?code={first}&period={period}")
    shown = page.get_by_text("Your session expired", exact=False).first
    shown.wait_for()
    text = shown.inner_text()
    assert "![pixel](http://198.51.100.7/pixel.png)" in text and "**Your session" in text
    assert page.locator("img[src*='198.51.100.7']").count() == 0
    assert page.locator("a[href*='198.51.100.7']").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    shown.scroll_into_view_if_needed()
    screenshot(page, "commentary_as_text")


def test_a_malformed_link_gets_a_note_not_a_traceback(server, page):
    open_page(page, server, "indicator?code=BH01&period=2025-26-Q9")
    page.get_by_text("which this page cannot show").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and ".py" not in body
    screenshot(page, "malformed_link")


def test_two_sessions_checking_at_once_each_get_their_own_verdict(server, catalogue, tmp_path):
    """Two browsers upload at the same moment: one return holds a child's UPN, one is clean.
    Each must see exactly its own result."""
    period = "2025-26-Q2"
    clean = good_return(catalogue, "HCP", period)
    leaky = set_cell(clean, 1, "commentary", "UPN A123456789012 moved school")
    files = {"clean": tmp_path / "clean.csv", "leaky": tmp_path / "leaky.csv"}
    files["clean"].write_bytes(csv_bytes(clean))
    files["leaky"].write_bytes(csv_bytes(leaky))
    seen: dict[str, str] = {}
    errors: list[BaseException] = []
    gate = threading.Barrier(2)

    def session(name: str) -> None:
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"{server['url']}/submit?as=lead:HCP&group=HCP&quarter={period}")
                wait_for_app(page)
                gate.wait(timeout=120)
                page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
                    str(files[name])
                )
                page.get_by_text("Checked:").wait_for(timeout=120_000)
                wait_for_app(page)
                # the verdict's own element, drawn once its part of the page's script loads
                verdict = {
                    "clean": page.get_by_text("No problems found"),
                    "leaky": page.locator("[data-testid='stTable']"),
                }[name]
                verdict.first.wait_for(timeout=60_000)
                seen[name] = page.locator("body").inner_text()
                screenshot(page, f"concurrent_{name}")
                browser.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(n,)) for n in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert "Checked: 0 errors" in seen["clean"] and "C17" not in seen["clean"]
    assert "Checked: 1 error," in seen["leaky"]
    assert "C17" in seen["leaky"] and "A123456789012" not in seen["leaky"]


def test_warnings_of_one_rule_are_explained_once_or_one_by_one(server, page, catalogue, tmp_path):
    group, period = "HCP", catalogue.last_demo_quarter().code
    frame = good_return(catalogue, group, period)
    bh01 = [i for i, c in enumerate(frame["indicator_code"]) if c == "BH01"][:2]
    for index in bh01:  # two localities jump to 100%: two W01 warnings
        frame = set_cell(frame, index, "numerator", frame["denominator"][index])
    path = tmp_path / "hcp.csv"
    path.write_bytes(csv_bytes(frame))
    open_page(page, server, f"submit?as=lead:{group}&group={group}&quarter={period}")
    upload(page, path, "Checked: 0 errors, 2 warnings")
    boxes = page.locator("textarea")
    boxes.first.wait_for(timeout=60_000)
    assert boxes.count() == 1  # one explanation for both rows
    assert "W01 on 2 rows" in page.get_by_text("W01 on 2 rows").first.inner_text()
    # the click reaches the server a moment later: wait for its result, not for a settled
    # page (the page is still settled from the run before when the click lands)
    page.get_by_text("Explain each W01 warning separately").click()
    expect(page.locator("textarea")).to_have_count(2, timeout=60_000)
    wait_for_app(page)
    page.get_by_text("Explain each W01 warning separately").click()
    expect(page.locator("textarea")).to_have_count(1, timeout=60_000)
    wait_for_app(page)
    page.locator("textarea").first.fill("New breastfeeding peer supporters in both areas.")
    page.get_by_role("button", name="Submit return").click()
    page.get_by_text("Return accepted").wait_for(timeout=60_000)
    screenshot(page, "explained_once")
