"""Each role's year on a fresh demo, in Chromium against ``streamlit run``: the chair opens
the overview with its next meeting, goes to an exception and makes the pack for the latest
meeting; a lead starts at their group's work and corrects a return that stays on time;
scrutiny compares with similar authorities and sees our own figures. (The lead's answering
of a challenge is in ``test_paths``; an admin's invitation in ``test_sign_in``.)"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from tests.helpers import csv_bytes, good_return, set_cell

pytestmark = pytest.mark.browser


def open_page(page, server, path: str = "") -> None:
    page.goto(f"{server['url']}/{path}")
    wait_for_app(page)


def test_the_chair_opens_the_overview_an_exception_and_the_latest_meetings_pack(server, page):
    open_page(page, server, "?as=board")
    page.get_by_text("Next meeting: Partnership board, Thursday 14 January 2027").wait_for()
    # the exception list: one table whose codes jump to their cards
    jump = page.locator("a[href^='#exception-']").first
    code = jump.inner_text().strip()
    jump.click()
    heading = page.locator(f"#exception-{code.lower()}")
    heading.wait_for()
    box = heading.bounding_box()
    assert box and 0 <= box["y"] < page.viewport_size["height"]  # the card is on screen
    screenshot(page, "year_chair_exception")
    page.locator(f"a[href*='code={code}&']").filter(has_text="Open the indicator").click()
    page.wait_for_url(re.compile(rf"/indicator\?code={code}"))
    wait_for_app(page)
    page.locator("h1").filter(has_text=code).first.wait_for()
    assert page.locator("h1").first.inner_text().startswith(code)
    page.get_by_text("Latest figure").first.wait_for()  # the headline first
    # the pack for the latest meeting
    open_page(page, server, "accountability?as=board")
    page.get_by_role("button", name="Make the board pack").click()
    download = page.get_by_role("button", name="Download the board pack")
    download.wait_for(timeout=120_000)
    with page.expect_download() as got:
        download.click()
    pdf = got.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    screenshot(page, "year_chair_pack")


def test_a_lead_starts_at_their_work_and_corrects_a_return_that_stays_on_time(
    server, page, catalogue, tmp_path
):
    group = "FAM"
    open_page(page, server, f"?as=lead:{group}")
    assert page.locator("h1").first.inner_text() == "Your group's work"
    page.get_by_text("Clear the early help").first.wait_for()  # their overdue action
    screenshot(page, "year_lead_work")
    quarter = "2026-27-Q2"  # submitted on time in the demo's year
    good = good_return(catalogue, group, quarter)
    corrected = set_cell(good, 0, "commentary", "Corrected after the data team's audit.")
    path = tmp_path / "fam_corrected.csv"
    path.write_bytes(csv_bytes(corrected))
    open_page(page, server, f"submit?as=lead:{group}&group={group}&quarter={quarter}")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.get_by_text("This return replaces version").wait_for(timeout=90_000)
    page.get_by_text("A correction keeps the return's place as on time").first.wait_for()
    wait_for_app(page)
    for box in page.locator("textarea").all():  # any warning explained
        box.fill("A correction after the data team's audit.")
    page.get_by_role("button", name="Submit return").click()
    page.get_by_text("Return accepted").wait_for(timeout=60_000)
    # the board's returns table: still on time, shown as corrected
    open_page(page, server, f"?as=board&period={quarter}")
    row = page.get_by_role("row").filter(has_text=catalogue.group[group].name).last
    text = row.inner_text()
    assert "Submitted" in text and "late" not in text.lower(), text
    screenshot(page, "year_lead_corrected")


def test_scrutiny_starts_at_the_trends_and_compares_with_similar_authorities(
    server, page, catalogue
):
    open_page(page, server, "?as=scrutiny")
    assert page.locator("h1").first.inner_text() == "Trends"
    page.get_by_role("tab", name="Compare with similar authorities").click()
    chart = page.locator(".stPlotlyChart").filter(has_text="similar authorities").first
    chart.get_by_text("England").first.wait_for()  # drawn, not only placed
    legend = chart.inner_text()
    assert catalogue.authority.name in legend and "England" in legend
    assert chart.locator("path.js-line[style*='rgb(230, 159, 0)']").count() == 0
    page.get_by_label("Highlight a neighbour").click()
    option = page.get_by_role("option").first
    name = option.inner_text().strip()
    option.click()
    wait_for_app(page)
    chart = page.locator(".stPlotlyChart").filter(has_text="similar authorities").first
    orange = chart.locator("path.js-line[style*='rgb(230, 159, 0)']")  # the picked neighbour
    orange.first.wait_for()
    blue = chart.locator("path.js-line[style*='rgb(0, 114, 178)']")  # our own figures
    assert name in chart.inner_text() and blue.count() >= 1
    screenshot(page, "year_scrutiny_similar")


def test_the_latest_meetings_pack_as_pdf_from_the_command_line_on_a_fresh_demo(demo_db, tmp_path):
    """``outcomes board-pack --meeting latest --format pdf`` on a fresh demo (the app not
    running): a PDF whose contents number the exception indicators as their sections are."""
    import shutil
    import subprocess
    import sys

    from pypdf import PdfReader

    db = tmp_path / "fresh.duckdb"
    shutil.copy(demo_db, db)
    out = tmp_path / "pack.pdf"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrics.cli",
            "board-pack",
            "--db",
            str(db),
            "--meeting",
            "latest",
            "--format",
            "pdf",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    headed = re.findall(r"^(\d+)\. ([A-Z]{2}\d{2}) ", text, flags=re.MULTILINE)
    codes = [code for _, code in headed]
    assert len(set(codes)) >= 5
    # each section is numbered in order, and the contents list them in that order too
    sections = [(int(n), c) for n, c in headed]
    first = {}
    for number, code in sections:
        first.setdefault(code, number)
    assert sorted(first.values()) == list(range(1, len(first) + 1))


@pytest.mark.file_only  # the app's hand-over of the file it holds
def test_an_admin_backs_up_while_the_app_runs(server, tmp_path):
    """``outcomes backup`` while the app runs (it holds the database from its start,
    visited or not): the app makes the copy, and the copy holds what its pages show."""
    import subprocess
    import sys

    from metrics.core.catalogue import load_catalogue
    from metrics.reports import figures as report_figures
    from metrics.store.connection import Store

    target = tmp_path / "while-running.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "metrics.cli", "backup", str(target), "--db", str(server["db"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "The app holds the database" in done.stderr and "Backed up" in done.stdout
    with Store(target, read_only=True) as copy:
        copied = report_figures.export_values(copy, load_catalogue(), concealed=False)
        last = copy.scalar("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")
    assert copied.height > 2000 and last == "backed up"
