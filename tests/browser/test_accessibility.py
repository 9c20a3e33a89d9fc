"""Every page checked by axe-core (Deque's accessibility engine, from the npm registry; `make
test` fetches it and checks its published hash) in a real browser, at the two screen sizes
councils' laptops and desktops mostly have, with a screenshot of each to look at."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import SHOTS, screenshot, wait_for_app
from tests.browser.test_paths import PAGES
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

AXE = next((ROOT / ".tools").glob("axe-core-*/axe.min.js"), None)
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SIZES = [(1366, 768), (1920, 1080)]
CHARTED = {"", "indicator", "quality", "trends"}
"""Pages that draw charts (their first view shows at least one)."""
EXTRA = [
    "?summary=By+plan+priority&priority=best_start&rag=red",  # a filtered view from a link
    "indicator?code=SS02",
    "trends?as=scrutiny",
]


def axe_violations(page) -> list[dict]:
    """axe's violations on the page as drawn (WCAG 2.2 A and AA, and best practice)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async (tags) => (await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations",
        RULES,
    )


def chart_names(page) -> list[tuple[str | None, str | None]]:
    """The role and accessible name of every chart drawn on the page."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
            .map(e => [e.getAttribute('role'), e.getAttribute('aria-label')])"""
    )


@pytest.mark.skipif(AXE is None, reason="axe-core is fetched by `make test` (make axe)")
@pytest.mark.parametrize(("width", "height"), SIZES, ids=lambda v: str(v))
def test_every_page_has_no_serious_accessibility_violation(server, page, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    report, charts = {}, {}
    for path in [*PAGES, *EXTRA]:
        page.goto(f"{server['url']}/{path}")
        wait_for_app(page)
        if path.split("?")[0] in CHARTED:  # charts are drawn once Plotly's script has loaded
            page.locator("[data-testid='stPlotlyChart']").first.wait_for(
                state="attached", timeout=60_000
            )
        found = axe_violations(page)
        name = (path.split("?")[0] or "overview") + ("_filtered" if path.startswith("?") else "")
        report[path or "/"] = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in found
        ]
        page.screenshot(path=str(SHOTS / f"{width}x{height}_{name}.png"))  # the first screen
        charts[path or "/"] = chart_names(page)
        # nothing is cut off to the right: the page never scrolls sideways
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        ), path
    (SHOTS / f"axe_{width}x{height}.json").write_text(json.dumps(report, indent=1))
    serious = {
        path: [v for v in found if v["impact"] in ("serious", "critical")]
        for path, found in report.items()
    }
    assert not any(serious.values()), {p: v for p, v in serious.items() if v}
    # every chart is a figure named by its title and a sentence made from its figures
    assert all(charts[p or "/"] for p in [*PAGES, *EXTRA] if p.split("?")[0] in CHARTED), charts
    for path, names in charts.items():
        for role, label in names:
            assert role == "figure" and label and label.endswith("."), (path, role, label)
    screenshot(page, f"{width}x{height}_last_full")


@pytest.mark.skipif(AXE is None, reason="axe-core is fetched by `make test` (make axe)")
def test_axe_finds_what_it_should(server, page):
    """The check can fail: an image without alternative text put on a page is reported."""
    page.goto(f"{server['url']}/guide")
    wait_for_app(page)
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = 'data:image/gif;base64,"
        "R0lGODlhAQABAAAAACw='; document.querySelector('h1').after(i); }"
    )
    assert "image-alt" in {v["id"] for v in axe_violations(page)}
