"""The paths people take, in a real browser against `streamlit run`."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from metrics.core.periods import period_label
from tests.browser.conftest import screenshot, wait_for_app
from tests.helpers import csv_bytes, good_return, set_cell

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "indicator?code=ED01",
    "submit",
    "quality",
    "trends",
    "catalogue",
    "guide",
    "accessibility",
    "admin?as=admin",
    "accountability",
    "work?as=lead:FAM",
]


def open_page(page, server, path: str = "") -> None:
    page.goto(f"{server['url']}/{path}")
    wait_for_app(page)


def test_every_page_renders(server, page):
    titles = set()
    for path in PAGES:
        open_page(page, server, path)
        assert page.locator("h1").first.is_visible()
        expect(page).to_have_title(re.compile(r".+ · Partnership Outcomes$"))  # names the page
        titles.add(page.title())
        assert page.locator("[data-testid='stException']").count() == 0, path
        name = path.split("?")[0] or "overview"
        assert screenshot(page, f"page_{name}").stat().st_size > 10_000
    assert len(titles) == len(PAGES)  # each page's own


@pytest.mark.parametrize(
    "who, home, heading",
    [
        ("board", "overview", "Board overview"),
        ("lead:FAM", "work", "Your group's work"),
        ("scrutiny", "trends", "Trends"),
    ],
)
def test_each_home_is_at_its_own_address_and_at_the_root(server, page, who, home, heading):
    """A role's home page opens at its own address (a reminder links a lead to ``work``)
    with no "Page not found", and the root address sends the person there, as who they
    are."""
    for path in (f"{home}?as={who}", f"?as={who}"):
        open_page(page, server, path)
        page.get_by_role("heading", name=heading).first.wait_for()
        assert page.url.split("?")[0].endswith(f"/{home}"), (path, page.url)
        assert parse_qs(urlsplit(page.url).query)["as"] == [who], page.url  # the same person
        assert "Page not found" not in page.locator("body").inner_text(), path
        assert "You have requested page" not in page.locator("body").inner_text(), path


@pytest.mark.parametrize("path", ["", "indicator?code=SS01"])
def test_a_page_prints_as_the_page_alone(server, page, path, tmp_path):
    """Printed from the browser (Ctrl+P), a page is its content on A4 landscape: no menu,
    no header, no buttons, and its charts whole within the page's width."""
    from pypdf import PdfReader

    open_page(page, server, path)
    title = page.locator("h1").first.inner_text()
    page.emulate_media(media="print")
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    shown = [c for c in page.locator(".stPlotlyChart").all() if c.is_visible()]
    assert shown
    for chart in shown[:3]:
        box = chart.bounding_box()
        # A4 landscape is 1123 CSS pixels wide, less 12 mm margins each side: 1032
        assert box and box["width"] <= 1032, box
    pdf = tmp_path / "printed.pdf"
    page.pdf(path=pdf, prefer_css_page_size=True)
    reader = PdfReader(pdf)
    first = reader.pages[0]
    assert float(first.mediabox.width) > float(first.mediabox.height)  # landscape
    text = " ".join(p.extract_text() for p in reader.pages)
    assert title.split()[0] in text
    for menu in ("User guide", "Accessibility statement", "Download as CSV"):
        assert menu not in text, menu


@pytest.mark.file_only  # the app's hand-over of the file it holds
def test_a_board_pack_from_the_command_line_while_the_app_runs(server, page, tmp_path):
    """The app holds the database; the command hands the pack to it instead of refusing."""
    import subprocess
    import sys

    open_page(page, server)  # the app has opened (and holds) its database
    out = tmp_path / "pack.html"
    command = [sys.executable, "-m", "metrics.cli", "board-pack", "--db", str(server["db"])]
    done = subprocess.run(
        [*command, "--meeting", "latest", "--format", "html", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "The app holds the database: it is making the pack" in done.stderr
    assert "Wrote the board pack for meeting" in done.stdout
    text = out.read_text(encoding="utf-8")
    assert '<h2 id="sections">' in text and "14 January 2027" in text
    jobs = server["db"].with_name(server["db"].name + ".jobs")
    assert list(jobs.iterdir()) == []  # nothing left behind
    refused = subprocess.run(
        [*command, "--meeting", "9999", "--format", "html", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 3 and "the app could not make the pack" in refused.stderr


def test_overview_link_to_indicator_then_change_period(server, page):
    open_page(page, server)
    link = page.get_by_role("link", name="Open the indicator").first
    href = link.get_attribute("href")
    code = re.search(r"code=(\w+)", href).group(1)
    headings = [h.split(" ")[0] for h in page.locator("h3").all_inner_texts()]
    assert code in headings  # the link belongs to one of the exceptions listed
    link.click()
    page.wait_for_url(re.compile(rf"/indicator\?code={code}"))
    wait_for_app(page)
    assert page.locator("h1").first.inner_text().startswith(code)
    screenshot(page, "path_indicator")

    open_page(page, server)
    page.locator("[data-testid='stSelectbox']").filter(has_text="Quarter").click()
    page.get_by_role("option", name="2025-26 Q4 (Jan–Mar)").click()
    page.wait_for_url(re.compile(r"period=2025-26-Q4"))
    page.get_by_text("as reported by the end of 2025-26 Q4 (Jan–Mar)").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_text("as reported by the end of 2025-26 Q4 (Jan–Mar)").is_visible()
    screenshot(page, "path_overview_2025-26-Q4")


def upload(page, path, outcome: str) -> None:
    """Upload a file and wait for its own check's result (earlier results stay on screen
    until the new run replaces them)."""
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.get_by_text(outcome).wait_for(timeout=90_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0


def test_late_group_uploads_fixes_explains_and_submits(server, page, catalogue, tmp_path):
    group, period = "YJS", catalogue.last_demo_quarter().code  # the late group's return
    good = good_return(catalogue, group, period)

    bad = set_cell(set_cell(good, 1, "numerator", "abc"), 2, "area_code", "E05999999")
    bad_path = tmp_path / "yjs_draft.csv"
    bad_path.write_bytes(csv_bytes(bad))
    open_page(page, server, f"submit?as=lead:{group}&group={group}&quarter={period}")
    upload(page, bad_path, "Checked: 3 errors, 0 warnings")
    page.get_by_text("3 errors must be fixed").wait_for()
    rows = page.locator("[data-testid='stTable'] tr")
    c08 = rows.filter(has_text="C08").first.inner_text()
    assert "3" in c08.split() and "numerator" in c08
    c04 = rows.filter(has_text="C04").first.inner_text()
    assert "4" in c04.split() and "area_code" in c04
    assert page.get_by_role("button", name="Submit return").count() == 0
    screenshot(page, "path_submit_errors")

    yj02 = good["indicator_code"].to_list().index("YJ02")
    fixed = set_cell(good, yj02, "numerator", good["denominator"][yj02])  # 100%: a jump
    fixed_path = tmp_path / "yjs_final.csv"
    fixed_path.write_bytes(csv_bytes(fixed))
    upload(page, fixed_path, "Checked: 0 errors, 1 warning")
    page.get_by_text("No errors. 1 warning to explain below.").wait_for()
    boxes = page.locator("textarea")  # the only text areas are the explanations
    boxes.first.wait_for()
    assert boxes.count() == 1 and "W01" in page.get_by_text("W01 (row").first.inner_text()
    # before submitting: the figures the board will see, beside the period before
    preview = page.locator("[data-testid='stTable'] tr").filter(has_text="YJ02 Proven")
    assert "100.0%" in preview.first.inner_text() and "32.3%" in preview.first.inner_text()
    page.get_by_text("What this return will show").scroll_into_view_if_needed()
    screenshot(page, "path_submit_warning")
    for n in range(boxes.count()):
        boxes.nth(n).fill("Checked with the case management system: all the cohort re-offended.")
    page.get_by_role("button", name="Submit return").click()
    page.get_by_text("Return accepted").wait_for(timeout=60_000)
    screenshot(page, "path_submit_accepted")

    open_page(page, server)
    card = (
        page.locator("[data-testid='stVerticalBlock']")
        .filter(has=page.locator("h3", has_text="YJ02"))
        .last
    )  # the innermost block: the card
    assert f"100.0% in {period_label(period)}" in card.inner_text()
    status = page.locator("[data-testid='stTable'] tr").filter(has_text="Youth Justice")
    assert "Submitted" in status.first.inner_text()
    screenshot(page, "path_overview_after_submit")


def test_board_challenges_an_indicator_and_the_lead_answers(server, page, catalogue):
    """From the indicator page to a challenge, answered by the owning group's lead, then
    resolved by the board; the CSV of challenges downloads."""
    code = "YJ01"
    group = catalogue.indicator[code].group
    open_page(page, server, f"indicator?code={code}&as=board")
    page.get_by_role("link", name="Challenge the group on this indicator").click()
    page.wait_for_url(re.compile(rf"/accountability\?.*indicator={code}"))
    wait_for_app(page)
    question = "First-time entrants rose for a third quarter: what will change?"
    page.get_by_role("textbox", name="The board's question").fill(question)
    page.get_by_role("button", name="Raise the challenge").click()
    page.get_by_text("Challenge raised with").wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "path_challenge_raised")

    open_page(page, server, f"accountability?as=lead:{group}")
    page.get_by_role("textbox", name="Your answer").fill("A diversion scheme starts in January.")
    page.get_by_role("button", name="Send the answer").click()
    page.get_by_text("Answer sent for").wait_for(timeout=60_000)
    wait_for_app(page)

    open_page(page, server, "accountability?as=board")
    page.get_by_role("button", name="Mark resolved").click()
    page.get_by_text("resolved.").first.wait_for(timeout=60_000)
    wait_for_app(page)
    with page.expect_download() as download:
        page.locator("[data-testid='stDownloadButton'] button").first.click()
    text = download.value.path().read_text(encoding="utf-8")
    assert question in text and "resolved" in text and "A diversion scheme" in text
    screenshot(page, "path_challenge_resolved")

    # the board adds its next meeting and downloads the meeting's pack
    page.get_by_role("textbox", name="Title", exact=True).fill("Partnership board")
    page.get_by_role("button", name="Add the meeting").click()
    page.get_by_text("Meeting added").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name="Make the board pack").click()
    button = page.get_by_role("button", name="Download the board pack (PDF)")
    button.wait_for(timeout=180_000)
    with page.expect_download() as download:
        button.click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    screenshot(page, "path_board_pack")
