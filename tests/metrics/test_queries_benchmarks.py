"""Benchmarks on the demo database: each local figure meets the published year its period
falls in, or the latest published year before it (flagged), never a later one."""

from __future__ import annotations

import polars as pl
import pytest

from metrics.core.periods import matching_year
from metrics.reports import figures as report_figures
from metrics.store.connection import Store
from metrics.store.reads import figures as queries


def _published(store: Store, code: str, period: str, level: str, area: str | None = None):
    query = (
        "SELECT value FROM published_values WHERE indicator_code = ? AND period = ? "
        "AND level = ?" + (" AND area_code = ?" if area else "")
    )
    return store.scalar(query, [code, period, level] + ([area] if area else []))


@pytest.mark.parametrize(
    ("code", "local", "year", "matched"),
    [
        ("SS01", "2023-24-Q2", "2023-24", True),
        ("SS01", "2024-25-Q4", "2024-25", True),
        ("SS01", "2025-26-Q1", "2024-25", False),
        ("CC01", "2026-27-Q2", "2024-25", False),
        ("PA01", "2024-25-Q4", "2025", True),  # NEET: calendar years (the real file: 2025)
        ("PA01", "2025-26-Q3", "2025", True),
        ("PA01", "2026-27-Q1", "2025", False),
    ],
)
def test_benchmark_is_the_year_the_period_falls_in(demo_db, catalogue, code, local, year, matched):
    with Store(demo_db, read_only=True) as store:
        row = report_figures.benchmarks(store, catalogue, {code: local}).row(0, named=True)
        assert (row["benchmark_period"], row["benchmark_matched"]) == (year, matched)
        assert row["england"] == _published(store, code, year, "national")
        region = catalogue.settings.home_region_code
        assert row["region"] == _published(store, code, year, "regional", region)
        neighbours = store.frame(
            "SELECT p.value FROM neighbours n JOIN published_values p "
            "ON p.old_la_code = n.neighbour_old_la_code WHERE n.old_la_code = ? "
            "AND p.indicator_code = ? AND p.period = ? AND p.level = 'local authority' "
            "AND p.value IS NOT NULL",
            [catalogue.settings.home_old_la_code, code, year],
        )["value"]
        assert row["neighbours"] == pytest.approx(neighbours.median())
        assert row["neighbours_n"] == neighbours.len() == 10


def test_no_benchmark_before_the_first_published_year(demo_db, catalogue):
    with Store(demo_db, read_only=True) as store:
        # DfE's re-referrals file starts with 2012-13 (the reporting year 2013)
        row = report_figures.benchmarks(store, catalogue, {"SS01": "2011-12-Q1"}).row(0, named=True)
    assert row["benchmark_period"] is None and row["england"] is None


def test_overview_table_matches_each_indicators_own_period(demo_db, catalogue):
    with Store(demo_db, read_only=True) as store:
        quarter = "2024-25-Q4"
        table = report_figures.with_benchmarks(
            report_figures.indicator_table(store, catalogue, quarter, concealed=False),
            store,
            catalogue,
            quarter,
            concealed=False,
        )
        published = table.filter(pl.col("england").is_not_null())
        assert set(published["indicator_code"]) == {
            i.code for i in catalogue.indicators if i.published is not None
        }
        for row in published.iter_rows(named=True):
            year, matched = matching_year(
                row["period"],
                store.frame(
                    "SELECT DISTINCT period FROM published_values WHERE indicator_code = ? "
                    "AND level = 'national'",
                    [row["indicator_code"]],
                )["period"].to_list(),
            )
            assert (row["benchmark_period"], row["benchmark_matched"]) == (year, matched)
        unpublished = table.filter(pl.col("england").is_null())
        assert unpublished["vs_england"].unique().to_list() == ["not compared"]


def test_benchmark_series_steps_with_the_published_years(demo_db, catalogue):
    with Store(demo_db, read_only=True) as store:
        series = report_figures.benchmark_series(
            store, catalogue, "CC01", ["2023-24-Q3", "2023-24-Q4", "2024-25-Q1", "2025-26-Q1"]
        )
        assert series["benchmark_period"].to_list() == ["2023-24", "2023-24", "2024-25", "2024-25"]
        assert series["benchmark_matched"].to_list() == [True, True, True, False]
        assert series["england"].to_list() == [
            _published(store, "CC01", y, "national") for y in series["benchmark_period"]
        ]


def test_all_authorities_for_a_given_year(demo_db):
    with Store(demo_db, read_only=True) as store:
        every = queries.all_authorities(store, "CC01", "2022-23")
        assert set(every["period"]) == {"2022-23"}
        assert every.height == store.scalar(
            "SELECT count(*) FROM published_values WHERE indicator_code = 'CC01' AND "
            "period = '2022-23' AND level = 'local authority' AND value IS NOT NULL"
        )


def _expected(value, lower, upper, benchmark, polarity):
    if None in (value, lower, upper, benchmark):
        return "not compared"
    if lower <= benchmark <= upper:
        return "similar"
    higher = lower > benchmark
    if polarity == "no_judgement":
        return "higher" if higher else "lower"
    return "better" if higher == (polarity == "high_is_good") else "worse"


@pytest.mark.parametrize("quarter", ["2024-25-Q4", "2026-27-Q2"])
def test_comparisons_with_england_at_both_levels_and_with_neighbours(demo_db, catalogue, quarter):
    with Store(demo_db, read_only=True) as store:
        table = report_figures.with_benchmarks(
            report_figures.indicator_table(store, catalogue, quarter, concealed=False),
            store,
            catalogue,
            quarter,
            concealed=False,
        )
    seen = set()
    for row in table.filter(pl.col("england").is_not_null()).iter_rows(named=True):
        polarity = catalogue.indicator[row["indicator_code"]].polarity.value
        for column, bench, level in (
            ("vs_england", "england", "95"),
            ("vs_england_998", "england", "998"),
            ("vs_neighbours", "neighbours", "95"),
        ):
            expected = _expected(
                row["value"], row[f"lower_{level}"], row[f"upper_{level}"], row[bench], polarity
            )
            assert row[column] == expected, (row["indicator_code"], column)
            seen.add(expected)
    assert {"similar", "worse"} <= seen  # the demo has both kinds of answer


def test_similar_authorities_average_is_the_neighbours_median_each_year(demo_db, catalogue):
    import statistics

    with Store(demo_db, read_only=True) as store:
        frame = queries.similar_authorities(store, catalogue, "CC01")
    for (period,), year in frame.group_by("period"):
        named = year.filter(pl.col("role") == "neighbour")["value"].drop_nulls().to_list()
        average = year.filter(pl.col("role") == "average")["value"].to_list()
        assert average == [pytest.approx(statistics.median(named))], period
        assert year.filter(pl.col("role") == "england").height == 1
