"""Pages fail safe: any value the store can hold renders on every page and in every export,
a malformed link gets a note and the default view, and typed text stays text."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from metrics.cli import main
from metrics.store.connection import Store
from tests.dashboard.conftest import APP

EXTREMES = [1e300, float("inf"), float("-inf"), float("nan"), 1e28, -1e28, 0.0, 5e-324]
HOSTILE_TEXT = "![pixel](http://example.invalid/p.png) <b>bold</b> [sign in](http://x.invalid)"


@pytest.fixture(scope="module")
def extreme_db(demo_db, tmp_path_factory, monkeypatch_module):
    """A copy of the demo whose figures for three indicators are written straight into the
    store as the most awkward floats there are (no check would let them in)."""
    target = tmp_path_factory.mktemp("extreme") / "demo.duckdb"
    shutil.copy(demo_db, target)
    with Store(target) as store, store.transaction() as cur:
        cur.execute(
            """
            UPDATE indicator_values SET
                value = (?::FLOAT8[])[1 + (period_order % 8)::INTEGER],
                lower_95 = (?::FLOAT8[])[1 + ((period_order + 1) % 8)::INTEGER],
                upper_95 = (?::FLOAT8[])[1 + ((period_order + 2) % 8)::INTEGER],
                lower_998 = 'nan'::FLOAT8, upper_998 = 'inf'::FLOAT8,
                change_previous = 1e300, change_year = '-inf'::FLOAT8,
                previous_value = 1e28, numerator = 1e300, denominator = 'inf'::FLOAT8
            WHERE indicator_code IN ('BH01', 'ED01', 'SS01')
            """,
            [EXTREMES, EXTREMES, EXTREMES],
        )
        cur.execute(
            "UPDATE published_values SET value = 1e300 WHERE indicator_code IN "
            "(SELECT DISTINCT indicator_code FROM published_values LIMIT 1)"
        )
        cur.execute("UPDATE commentary SET text = ? WHERE indicator_code = 'BH01'", [HOSTILE_TEXT])
    with Store(target) as store:
        # written as one of the demo's people, so the app still runs it as the demo
        store.record_event(actor="demo|test", action="extreme values written")
    # a copy for the command line (the pages' process holds the first one open)
    shutil.copy(target, target.with_name("for_export.duckdb"))
    monkeypatch_module.setenv("OUTCOMES_DB", str(target))
    return target


def run(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{name}.py").run()
    return at


PAGES = [
    ("overview", {}),
    ("overview", {"period": "2024-25-Q2"}),
    ("indicator", {"code": "BH01"}),
    ("indicator", {"code": "ED01", "period": "2025-26-Q3"}),
    ("indicator", {"code": "SS01"}),
    ("submit", {"group": "HCP"}),
    ("quality", {}),
    ("trends", {"outcome": "healthy", "code": "BH01"}),
    ("catalogue", {}),
    ("guide", {}),
    ("accessibility", {}),
    ("admin", {"as": "admin"}),
    ("work", {"as": "lead:YJS"}),
    ("work", {"group": "FAM"}),
]


@pytest.mark.parametrize(("name", "params"), PAGES, ids=[f"{n}{p}" for n, p in PAGES])
def test_every_page_renders_any_value_the_store_holds(extreme_db, name, params):
    at = run(name, **params)
    assert not at.exception, at.exception


def test_exports_write_any_value_the_store_holds(extreme_db, tmp_path):
    db = str(extreme_db.with_name("for_export.duckdb"))
    assert main(["export", "--db", db, "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["export", "--db", db, "--format", "parquet", "--out", str(tmp_path / "a.pq")]) == 0
    public = tmp_path / "p.csv"
    assert main(["export", "--db", db, "--public", "--out", str(public)]) == 0
    assert public.stat().st_size > 1000


def test_commentary_is_shown_as_typed(extreme_db):
    at = run("indicator", code="BH01")
    assert HOSTILE_TEXT in [t.value for t in at.text]  # st.text: no Markdown, no HTML
    assert not any("example.invalid" in m.value for m in at.markdown)


@pytest.mark.parametrize(
    ("name", "params", "note"),
    [
        ("indicator", {"code": "BH01", "period": "2025-26-Q9"}, "period '2025\\-26\\-Q9'"),
        ("indicator", {"code": "<script>"}, "indicator '\\<script\\>'"),
        ("overview", {"period": "![x](http://x.invalid/a.png)"}, "quarter '\\!\\[x\\]"),
        ("submit", {"group": "NOPE", "quarter": "2025-26-Q2"}, "delivery group 'NOPE'"),
    ],
)
def test_a_malformed_link_gets_a_note_and_the_default_view(extreme_db, name, params, note):
    at = run(name, **params)
    assert not at.exception, at.exception
    notes = [i.value for i in at.info]
    assert any(note in n for n in notes), notes
