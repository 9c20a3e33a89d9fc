"""Every table and every download of the reading pages, as a scrutiny member and as a board
member, on the demo database: the scrutiny member finds no small number anywhere, and ``c``
where the board member sees the figure.

Which figures are small is worked out here in SQL (a count from 1 to the indicator's
threshold less one), independently of metrics.core.disclosure."""

from __future__ import annotations

import io
import re

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import components
from metrics.core.formatting import csv_safe
from metrics.core.periods import period_label
from metrics.store.connection import Store
from tests.dashboard.conftest import APP
from tests.helpers import html_tables

THRESHOLD_NOTE = re.compile(r"^\d[\d,]*$")


@pytest.fixture
def downloads(monkeypatch):
    """Every CSV a page offers, by file name, as the reader would download it."""
    got: dict[str, pl.DataFrame] = {}
    original = components.download

    def recording(table, *, file_name, key, **kwargs):
        made = table() if callable(table) else table  # a download is made when clicked
        got[file_name] = pl.read_csv(io.BytesIO(components.csv_bytes(made)), infer_schema=False)
        original(table, file_name=file_name, key=key, **kwargs)

    monkeypatch.setattr(components, "download", recording)
    return got


def small_counts(db, catalogue) -> pl.DataFrame:
    """Rows whose count is small: (indicator, period, area name)."""
    thresholds = pl.DataFrame(
        {
            "indicator_code": [i.code for i in catalogue.indicators],
            "threshold": [i.suppression_threshold for i in catalogue.indicators],
            "kind": [i.kind.value for i in catalogue.indicators],
        }
    )
    names = pl.DataFrame(
        {"area_code": [a.code for a in catalogue.areas], "area": [a.name for a in catalogue.areas]}
    )
    with Store(db, read_only=True) as store:
        values = store.frame(
            "SELECT indicator_code, period, area_code, numerator FROM indicator_values "
            "WHERE breakdown = 'total'"
        )
    return (
        values.join(thresholds, on="indicator_code")
        .filter(
            (pl.col("kind") != "mean")
            & (pl.col("numerator") >= 1)
            & (pl.col("numerator") < pl.col("threshold"))
        )
        .join(names, on="area_code")
        .select("indicator_code", "period", "area", "numerator", "threshold")
    )


def run(page: str, role: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as"] = role
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def tables(at: AppTest, downloads: dict[str, pl.DataFrame]) -> list[pl.DataFrame]:
    shown = [pl.from_pandas(e.value.reset_index(), include_index=False) for e in at.dataframe]
    shown += [
        pl.DataFrame(t["rows"], schema=dict.fromkeys(t["head"], pl.String), orient="row")
        for t in html_tables(at)
        if t["rows"]
    ]
    shown = [
        t.select(pl.col(c).cast(pl.String) for c, kind in t.schema.items() if kind != pl.List)
        for t in shown
    ]
    return shown + list(downloads.values())


def no_small_number(frames: list[pl.DataFrame], threshold: int) -> None:
    """No numerator cell, in any table or download, holds a count from 1 to threshold - 1."""
    for frame in frames:
        for column in ("Numerator", "numerator"):
            if column in frame.columns:
                for cell in frame[column].drop_nulls():
                    if THRESHOLD_NOTE.match(cell):
                        assert not 1 <= int(cell.replace(",", "")) < threshold, (column, frame)


def cells(frame: pl.DataFrame, *, period: str, area: str, authority: str) -> list[dict]:
    """The rows of a table about ``area`` in ``period`` (a table with no area column is
    about the authority)."""
    area_column = next((c for c in ("Area", "Locality") if c in frame.columns), None)
    if "Period" not in frame.columns and area_column is None:
        return []
    rows = frame
    if "Period" in frame.columns:
        rows = rows.filter(pl.col("Period").is_in([period, period_label(period)]))
    if area_column:
        rows = rows.filter(pl.col(area_column) == area)
    elif area != authority:
        return []
    return list(rows.iter_rows(named=True))


def download_cells(frame: pl.DataFrame, *, period: str, area: str) -> list[dict]:
    """The rows of a download in the published layout (figures as numbers, withheld ones
    marked in ``suppressed``) about ``area``'s total in ``period``."""
    if "suppressed" not in frame.columns:
        return []
    return frame.filter(
        (pl.col("period") == period)
        & (pl.col("area_name") == area)
        & (pl.col("breakdown") == "total")
    ).to_dicts()


def check_download_cell(row: dict, role: str, numerator: float) -> None:
    if role == "scrutiny":
        assert row["suppressed"] == "c" and row["numerator"] is None, row
        assert row["value"] is None and row["lower_95"] is None, row
        assert row["footnote"].startswith("c: withheld"), row
    else:
        assert row["numerator"] == f"{numerator:.0f}" and row["suppressed"] is None, row
        assert row["value"] is not None, row


LEVELS = {"scrutiny": "suppressed", "board": "unsuppressed"}


@pytest.fixture(scope="module")
def small(app_db, demo_db, catalogue):
    found = small_counts(demo_db, catalogue)
    assert found.height > 5  # the demo has small counts, for authorities and localities
    return found


def pairs(small: pl.DataFrame) -> list[tuple[str, str]]:
    return sorted(set(small.select("indicator_code", "period").iter_rows()))


@pytest.mark.parametrize("role", ["scrutiny", "board"])
def test_indicator_pages(small, catalogue, downloads, role):
    authority = catalogue.authority.name
    seen = 0
    for code, period in pairs(small):
        downloads.clear()
        at = run("indicator", role, code=code, period=period)
        frames = tables(at, downloads)
        here = small.filter((pl.col("indicator_code") == code) & (pl.col("period") == period))
        if role == "scrutiny":
            no_small_number(frames, catalogue.indicator[code].suppression_threshold)
        assert downloads and all(n.endswith(f"_{LEVELS[role]}.csv") for n in downloads)
        downloaded = 0
        for area, numerator in here.select("area", "numerator").iter_rows():
            for frame in downloads.values():
                for row in download_cells(frame, period=period, area=area):
                    downloaded += 1
                    check_download_cell(row, role, numerator)
            for frame in frames:
                for row in cells(frame, period=period, area=area, authority=authority):
                    seen += 1
                    if role == "scrutiny":
                        assert row["Value"] == "c" and row["Numerator"] == "c", row
                        assert row["95% interval"] == "c", row
                    else:
                        assert row["Numerator"] == f"{numerator:,.0f}", row
                        assert row["Value"] not in ("c", "–"), row
        if role == "scrutiny":  # a single small locality takes another with it
            for frame in frames:
                if "Locality" in frame.columns and "Value" in frame.columns:
                    hidden = frame.filter(pl.col("Value") == "c").height
                    if here.filter(pl.col("area") != authority).height == 1:
                        assert hidden == 2, frame
        assert downloaded, (code, period)
    assert seen > 20


@pytest.mark.parametrize("role", ["scrutiny", "board"])
def test_trends_page_with_every_area(small, catalogue, downloads, role):
    authority = catalogue.authority.name
    codes = sorted(set(small["indicator_code"]))
    for code in codes:
        downloads.clear()
        ind = catalogue.indicator[code]
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["as"] = role
        at.query_params["outcome"] = ind.outcome
        at.query_params["code"] = code
        at.switch_page("views/trends.py").run()
        at.multiselect(key="trend_areas").set_value(list(catalogue.area)).run()
        assert not at.exception, at.exception
        frames = tables(at, downloads)
        if role == "scrutiny":
            no_small_number(frames, ind.suppression_threshold)
        here = small.filter(pl.col("indicator_code") == code)
        for period, area, numerator in here.select("period", "area", "numerator").iter_rows():
            rows = [
                r for f in frames for r in cells(f, period=period, area=area, authority=authority)
            ]
            assert rows, (code, period, area)
            for row in rows:
                expected = "c" if role == "scrutiny" else f"{numerator:,.0f}"
                assert row["Numerator"] == expected, row
            downloaded = [
                r for f in downloads.values() for r in download_cells(f, period=period, area=area)
            ]
            assert downloaded, (code, period, area)
            for row in downloaded:
                check_download_cell(row, role, numerator)


def test_overview_shows_c_for_a_small_authority_figure(small, catalogue, downloads):
    authority = catalogue.authority.name
    at_authority = small.filter(pl.col("area") == authority)
    code, period = at_authority.sort("period").select("indicator_code", "period").row(-1)
    for role, hidden in (("scrutiny", True), ("board", False)):
        downloads.clear()
        at = run("overview", role, period=period, columns="all")
        table = next(f for f in tables(at, downloads) if "Since last period" in f.columns)
        row = table.filter(
            (pl.col("Code") == code) & (pl.col("Period") == period_label(period))
        ).row(0, named=True)
        assert (row["Value"] == "c") is hidden, row
        assert (row["RAG"] == "c Suppressed") is hidden, row


def numbers(values) -> list[float | None]:
    """A trace's values from the chart's JSON: a list, or Plotly's typed array (base64)."""
    import base64
    import math

    import numpy as np

    if isinstance(values, dict):
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def test_charts_leave_out_what_the_tables_show_as_c(small, catalogue):
    """The trend chart's line (and its interval band) has no point where the figure is
    suppressed for the reader; the board's chart has every point."""
    import json

    authority = catalogue.authority.name
    at_authority = small.filter(pl.col("area") == authority)
    code = at_authority["indicator_code"][0]
    hidden_periods = {  # as the chart labels them
        period_label(p) for p in at_authority.filter(pl.col("indicator_code") == code)["period"]
    }
    for role in ("scrutiny", "board"):
        at = run("indicator", role, code=code)
        trend = json.loads(at.get("plotly_chart")[0].proto.spec)
        line = next(t for t in trend["data"] if t.get("name") == authority)
        points = dict(zip(line["x"], numbers(line["y"]), strict=True))
        band = next(t for t in trend["data"] if "confidence" in t.get("name", ""))
        assert hidden_periods <= set(points)
        for period in hidden_periods:
            if role == "scrutiny":
                assert points[period] is None, period
            else:
                assert points[period] is not None, period
        band_hidden = [
            y for x, y in zip(band["x"], numbers(band["y"]), strict=True) if x in hidden_periods
        ]
        assert all(y is None for y in band_hidden) is (role == "scrutiny")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_a_download_never_hands_a_spreadsheet_a_formula(start):
    table = pl.DataFrame({"commentary": [f'{start}HYPERLINK("http://x")', "fine"]})
    safe = csv_safe(table)["commentary"].to_list()
    assert safe == [f'\'{start}HYPERLINK("http://x")', "fine"]
