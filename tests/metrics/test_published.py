"""Importing DfE open-data files and the statistical neighbour model."""

from __future__ import annotations

import statistics

import polars as pl
import pytest

from metrics.benchmarks.base import PublishedDataError
from metrics.benchmarks.ees import period_code, read_published
from metrics.benchmarks.neighbours import read_neighbours
from metrics.core.formatting import round_half_up
from metrics.store.connection import Store
from metrics.store.reads.figures import neighbour_average
from metrics.store.writes.published import replace_neighbours, replace_published
from tests.conftest import REFERENCE, reference_file

CLA_FILTER = {"population_type": "Children looked after on 31 March each year"}


@pytest.fixture(scope="module")
def cla_store(tmp_path_factory):
    path = reference_file("dfe", "cla_number_and_rate_per_10k_children.csv")
    frame = read_published(
        path,
        column="rate_per_10000",
        filters=CLA_FILTER,
        numerator="children_count",
        denominator="population_estimate",
    ).frame
    neighbours = read_neighbours(
        reference_file("dfe", "New_Statistical_Neighbour_Groupings_April_2021.csv")
    )
    with Store(tmp_path_factory.mktemp("pub") / "pub.duckdb") as store:
        replace_published(store, "CC01", frame, source=path.name, actor="test")
        replace_neighbours(store, neighbours, source="2021 model", actor="test")
        yield store, path


def test_every_authority_and_year_has_the_published_rate(cla_store):
    store, path = cla_store
    raw = pl.read_csv(path, infer_schema=False).filter(
        (pl.col("geographic_level") == "Local authority")
        & (pl.col("population_type") == CLA_FILTER["population_type"])
    )
    stored = store.frame(
        "SELECT time_period, area_code, value, numerator, denominator, symbol "
        "FROM published_values WHERE level = 'local authority'"
    )
    assert stored.height == raw.height
    joined = raw.join(
        stored,
        left_on=["time_period", "new_la_code"],
        right_on=["time_period", "area_code"],
        how="left",
    )
    numeric = joined.filter(pl.col("rate_per_10000").str.contains(r"^\d+$"))
    assert (numeric["rate_per_10000"].cast(pl.Float64) == numeric["value"]).all()
    # recomputing from count and population, rounded half up, gives the published rate
    recomputed = [
        round_half_up(n / d * 10_000, 0)
        for n, d in zip(numeric["numerator"], numeric["denominator"], strict=True)
    ]
    assert recomputed == numeric["value"].to_list()
    assert numeric.height > 700
    symbols = joined.filter(~pl.col("rate_per_10000").str.contains(r"^\d+$"))
    assert symbols["value"].null_count() == symbols.height
    assert set(symbols["symbol"]) <= {"c", "z", "x"}


@pytest.mark.parametrize(
    "population",
    [
        "Children looked after on 31 March each year",
        "Children starting to be looked after each year",
        "Children ceasing to be looked after each year",
    ],
)
def test_recomputed_rates_round_half_up_to_the_published_figure(population):
    path = reference_file("dfe", "cla_number_and_rate_per_10k_children.csv")
    frame = read_published(
        path,
        column="rate_per_10000",
        filters={"population_type": population},
        numerator="children_count",
        denominator="population_estimate",
    ).frame
    rows = frame.filter((pl.col("level") == "local authority") & pl.col("value").is_not_null())
    assert rows.height > 700
    for num, den, value in rows.select("numerator", "denominator", "value").iter_rows():
        assert round_half_up(num / den * 10_000, 0) == value


def test_england_and_regions_are_kept(cla_store):
    store, _ = cla_store
    england = store.frame(
        "SELECT period, value FROM published_values WHERE level = 'national' ORDER BY period"
    )
    assert england["period"].to_list() == ["2020-21", "2021-22", "2022-23", "2023-24", "2024-25"]
    assert england.filter(pl.col("period") == "2024-25")["value"][0] == 67.0
    regions = store.scalar(
        "SELECT count(DISTINCT area_code) FROM published_values WHERE level = 'regional'"
    )
    assert regions >= 9  # nine regions, with Inner and Outer London in some years


def test_neighbour_median_for_every_authority(cla_store):
    store, _ = cla_store
    las = store.frame("SELECT DISTINCT old_la_code FROM neighbours")["old_la_code"].to_list()
    assert len(las) >= 150
    for la in las:
        average, n = neighbour_average(store, "CC01", "2024-25", la)
        assert n >= 7 and average is not None, la  # a few neighbours were reorganised away


def test_neighbour_averages_for_every_authority_in_one_table(cla_store):
    from metrics.store.reads.figures import neighbour_averages

    store, _ = cla_store
    table = neighbour_averages(store, "CC01", "2024-25")
    assert table.height == store.scalar("SELECT count(DISTINCT old_la_code) FROM neighbours")
    assert table["neighbour_median"].null_count() == 0
    for la in ("202", "886"):
        single, n = neighbour_average(store, "CC01", "2024-25", la)
        row = table.filter(pl.col("old_la_code") == la).row(0, named=True)
        assert (row["neighbour_median"], row["neighbours_with_value"]) == (single, n)


@pytest.mark.parametrize("la", ["202", "886", "330"])  # Camden, Kent, Birmingham
def test_neighbour_median_by_hand(cla_store, la):
    store, path = cla_store
    model = pl.read_csv(
        reference_file("dfe", "New_Statistical_Neighbour_Groupings_April_2021.csv"),
        infer_schema=False,
    )
    model = model.rename({model.columns[0]: "la"})
    row = model.filter(pl.col("la") == la).row(0, named=True)
    codes = [row[f"SN{i}"] for i in range(1, 11)]
    raw = pl.read_csv(path, infer_schema=False).filter(
        (pl.col("time_period") == "2025")
        & (pl.col("population_type") == CLA_FILTER["population_type"])
        & pl.col("old_la_code").is_in(codes)
        & pl.col("rate_per_10000").str.contains(r"^\d+$")
    )
    rates = [float(v) for v in raw["rate_per_10000"]]
    median, n = neighbour_average(store, "CC01", "2024-25", la)
    mean, _ = neighbour_average(store, "CC01", "2024-25", la, method="mean")
    assert n == len(rates)
    assert median == pytest.approx(statistics.median(rates))
    assert mean == pytest.approx(statistics.fmean(rates))


def test_period_codes():
    assert period_code("202425", "Academic year") == "2024-25"
    assert period_code("2025", "Reporting year") == "2024-25"
    assert period_code("2025", "Calendar year") == "2025"
    with pytest.raises(PublishedDataError):
        period_code("Q1", "Financial year Q1")


HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,rate\n"
)


def test_symbols_and_unmappable_codes(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER
        + "2025,Calendar year,National,E92000001,England,,,,,,5.6\n"
        + "2025,Calendar year,Local authority,E92000001,England,E12000001,North East,"
        "805,E06000001,Hartlepool,c\n"
        + "2025,Calendar year,Local authority,E92000001,England,E12000001,North East,"
        "806,,Middlesbrough,low\n"
        + "2025,Calendar year,Local authority,E92000001,England,E12000001,North East,"
        "807,E06000003,Redcar and Cleveland,:\n"
    )
    frame = read_published(good, column="rate").frame
    assert frame["symbol"].to_list() == [None, "c", "low", ":"]
    assert frame["value"].to_list() == [5.6, None, None, None]
    assert frame["area_code"].to_list()[2] == "E06000002"  # resolved from the old code

    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "2025,Calendar year,Local authority,E92000001,England,E12000001,"
        "North East,999,E06999999,Nowhere,5\n"
    )
    with pytest.raises(PublishedDataError, match=r"row 2.*E06999999.*Nowhere"):
        read_published(bad, column="rate")
    with pytest.raises(PublishedDataError, match="no column 'rate_pct'"):
        read_published(good, column="rate_pct")
    with pytest.raises(PublishedDataError, match="no row has la_name = 'Atlantis'"):
        read_published(good, column="rate", filters={"la_name": "Atlantis"})


def test_a_breakdown_left_in_the_rows_is_refused_and_a_filter_picks_one(tmp_path):
    path = tmp_path / "by_sex.csv"
    path.write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
        "region_name,old_la_code,new_la_code,la_name,sex,rate\n"
        + "2025,Calendar year,National,E92000001,England,,,,,,Total,5.6\n"
        + "2025,Calendar year,National,E92000001,England,,,,,,Girls,5.1\n"
        + "2025,Calendar year,Local authority,E92000001,England,E12000001,North East,"
        "805,E06000001,Hartlepool,Total,7.0\n"
        + "2025,Calendar year,Local authority,E92000001,England,E12000001,North East,"
        "805,E06000001,Hartlepool,Girls,6.5\n"
        + "2025,Calendar year,Local authority district,E92000001,England,E12000001,North East,"
        ",,Somewhere,Total,1\n"
    )
    with pytest.raises(PublishedDataError) as refused:
        read_published(path, column="rate")
    assert "2 period and area pairs have more than one row" in str(refused.value)
    assert "sex has 'Girls', 'Total'" in str(refused.value)
    assert "--filter sex='Girls'" in str(refused.value)
    read = read_published(path, column="rate", filters={"sex": "Total"})
    assert read.frame["value"].to_list() == [5.6, 7.0]
    assert read.summary() == [
        "national: took 1 row; left out 1 with sex other than 'Total'",
        "local authority: took 1 row; left out 1 with sex other than 'Total'",
        "other areas: took 0 rows; left out 1 at geographic level 'Local authority district'",
    ]


def test_old_codes_resolve_to_the_authority_operating_at_the_time(tmp_path):
    # DfE's las.csv: North Yorkshire's old code 815 was the county (E10000023) until
    # 31 March 2023 and the unitary (E06000065) from 1 April 2023; Northamptonshire (928,
    # E10000021) ended on 31 March 2021 with no successor on its code.
    rows = [
        ("2023", "Reporting year", "815"),  # at 31 March 2023: the county
        ("2024", "Reporting year", "815"),  # at 31 March 2024: the unitary
        ("202223", "Academic year", "933"),  # Somerset, 2022-23: the county
        ("202324", "Academic year", "933"),  # Somerset, 2023-24: the unitary
        ("2020", "Reporting year", "928"),
        ("2022", "Reporting year", "928"),  # after termination: still the only 928
    ]
    path = tmp_path / "old_codes.csv"
    path.write_text(
        HEADER
        + "".join(
            f"{period},{ident},Local authority,E92000001,England,E12000003,Region,{old},,,1\n"
            for period, ident, old in rows
        )
    )
    frame = read_published(path, column="rate").frame
    assert frame["area_code"].to_list() == [
        "E10000023",
        "E06000065",
        "E10000027",
        "E06000066",
        "E10000021",
        "E10000021",
    ]
    assert frame["old_la_code"].to_list() == ["815", "815", "933", "933", "928", "928"]


def _real_sources():
    from metrics.core.catalogue import load_catalogue

    return [
        pytest.param(i, id=i.code)
        for i in load_catalogue().indicators
        if i.published is not None and not i.published.synthetic_in_demo
    ]


@pytest.mark.parametrize("ind", _real_sources())
def test_the_demo_ships_the_real_file_and_every_authority_row_recomputes(ind):
    """The demo's real published files are DfE's as published (the same bytes as the copy
    under ../shared/reference/dfe/); where a file gives counts, every authority's figure
    recomputed from them rounds half up to the published figure."""
    from metrics.benchmarks import read_source
    from metrics.demo.published import DEMO_PUBLISHED

    shipped = DEMO_PUBLISHED / ind.published.file
    original = REFERENCE / "dfe" / ind.published.file
    if original.is_file():  # ../shared/reference is not on every machine
        assert shipped.read_bytes() == original.read_bytes()
    frame = read_source(shipped, ind.published).frame
    assert set(frame["level"]) == {"national", "regional", "local authority"}
    if ind.published.numerator_column is None:
        return
    rows = frame.filter(
        (pl.col("level") == "local authority")
        & pl.col("value").is_not_null()
        & pl.col("numerator").is_not_null()
        & (pl.col("denominator") > 0)
    )
    assert rows.height > 100
    for r in rows.iter_rows(named=True):
        decimals = ind.published.decimals if ind.published.decimals is not None else ind.decimals
        recomputed = round_half_up(r["numerator"] / r["denominator"] * ind.multiplier, decimals)
        assert recomputed == r["value"], r
