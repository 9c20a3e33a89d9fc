"""The overview report: its rows, filters, order and download, on the demo database."""

from __future__ import annotations

import polars as pl
import pytest

from metrics.core.formatting import round_half_up
from metrics.reports import overview as reports
from metrics.reports.figures import default_period
from metrics.store.connection import Store


@pytest.fixture(scope="module")
def seen(demo_db, catalogue):
    with Store(demo_db, read_only=True) as store:
        period = default_period(store)
        yield {
            hidden: reports.build_overview(store, catalogue, period, concealed=hidden)
            for hidden in (True, False)
        }


def test_the_download_has_numbers_rounded_once_and_c_where_withheld(seen, catalogue):
    concealed, board = seen[True], seen[False]
    csv = reports.indicator_download(concealed.indicators)
    assert csv.schema["value"] == pl.Float64 and csv.schema["england"] == pl.Float64
    raw = {r["indicator_code"]: r for r in board.indicators.iter_rows(named=True)}
    for r in csv.iter_rows(named=True):
        d = catalogue.indicator[r["code"]].decimals
        if r["suppressed"] == "c":
            assert r["value"] is None and r["lower_95"] is None
        elif r["value"] is not None:
            assert r["value"] == round_half_up(raw[r["code"]]["value"], d)
    hidden = concealed.indicators.filter(pl.col("suppression").is_not_null()).height
    assert (csv["suppressed"] == "c").sum() == hidden


def test_filters_and_orders(seen, catalogue):
    rows = reports.indicator_rows(seen[False].indicators)
    reds = reports.filter_rows(rows, rags=["red"])
    assert set(reds["_rag"]) == {"red"} and reds.height == (rows["_rag"] == "red").sum()
    only = reports.filter_rows(rows, measures=["performance"])
    assert not only["_population"].any()
    assert reports.filter_rows(rows, measures=[]).is_empty()
    by_rag = reports.sort_rows(rows, "rag")["_rag"].to_list()
    assert by_rag[: by_rag.count("red")] == ["red"] * by_rag.count("red")
    titles = reports.sort_rows(rows, "title")["Title"].to_list()
    assert titles == sorted(titles)
    picked = ["SS01", "BH01"]
    assert reports.indicator_download(seen[False].indicators, picked)["code"].to_list() == picked
