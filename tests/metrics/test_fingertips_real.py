"""Real Fingertips exports (tests/files/fingertips/real, copied from ../shared/reference):
every upper-tier authority row taken, each value equal to the file's and recomputed from its
count and denominator; age bands refused until a filter picks one; what was left out said
per level; the export's indicator name checked against the catalogue's."""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import polars as pl
import pytest

from metrics.benchmarks import read_source
from metrics.benchmarks.base import PublishedDataError
from metrics.benchmarks.fingertips import level, read_fingertips
from metrics.core.catalogue import PublishedSource
from metrics.core.formatting import round_half_up
from metrics.store.connection import Store
from tests.conftest import ROOT

REAL = ROOT / "tests" / "files" / "fingertips" / "real"
CAMPYLOBACTER = REAL / "campylobacter-countyua-2015-2017.data.csv"
EAST_MIDLANDS = REAL / "east-midlands-children-2016.data.csv"


def file_rows(path, indicator: str, **wanted: str) -> list[dict]:
    """The export's own rows for an indicator, read with the csv module (not the reader
    under test): no category breakdown, and the columns given equal to the values given."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            row
            for row in csv.DictReader(f)
            if row["Indicator ID"] == indicator
            and not row["Category Type"]
            and all(row[column] == value for column, value in wanted.items())
        ]


@pytest.mark.parametrize(
    ("area_type", "code", "found"),
    [
        ("County & UA", "E06000015", "local authority"),
        ("County & UA (pre 4/19)", "E06000015", "local authority"),
        ("County & UA (4/19-3/20)", "E06000058", "local authority"),
        ("Counties & UAs (from Apr 2021)", "E06000061", "local authority"),
        ("Counties & UAs (from Apr 2023)", "E06000065", "local authority"),
        ("Upper tier local authorities (post 4/21)", "E06000061", "local authority"),
        ("Country", "E92000001", "national"),
        ("England", "E92000001", "national"),
        ("Region", "E12000004", "regional"),
        ("Regions (statistics)", "E12000004", "regional"),
        ("District & UA (pre 4/19)", "E07000032", None),
        ("Districts & UAs (from Apr 2023)", "E07000032", None),
        ("ICB sub-locations", "E38000007", None),
    ],
)
def test_every_vintage_of_area_type(area_type, code, found):
    assert level(area_type, code) == found


def test_every_upper_tier_authority_row_is_taken_with_the_files_figures():
    read = read_fingertips(CAMPYLOBACTER, indicator_id=93356, filters={"Age": "All ages"})
    expected = file_rows(CAMPYLOBACTER, "93356", Age="All ages")
    by_type = {t: [r for r in expected if r["Area Type"] == t] for t in ("County & UA", "Country")}
    frame = read.frame
    authorities = frame.filter(pl.col("level") == "local authority")
    assert authorities.height == len(by_type["County & UA"]) == 152 * 3
    assert authorities["area_code"].n_unique() == 152
    assert frame.filter(pl.col("level") == "national").height == len(by_type["Country"]) == 3
    got = {
        (r["area_code"], r["period"]): (r["value"], r["numerator"], r["denominator"])
        for r in authorities.iter_rows(named=True)
    }
    for row in by_type["County & UA"]:
        value, count, denominator = got[(row["Area Code"], row["Time period"])]
        if not row["Value"]:  # Isles of Scilly and City of London: "Value for ... combined"
            assert row["Area Name"] in ("Isles of Scilly", "City of London")
            assert (value, count) == (None, None)
            continue
        assert value == float(row["Value"])
        assert (count, denominator) == (float(row["Count"]), float(row["Denominator"]))
    missing = authorities.filter(pl.col("value").is_null())
    assert set(missing["symbol"]) == {"x"} and missing.height == 6


def test_each_campylobacter_rate_is_its_count_over_its_population_per_100000():
    frame = read_fingertips(CAMPYLOBACTER, indicator_id=93356, filters={"Age": "0-9 yrs"}).frame
    assert frame.height > 300
    assert frame["value"].null_count() == 4  # the two small areas given a combined value
    for row in frame.filter(pl.col("value").is_not_null()).iter_rows(named=True):
        recomputed = row["numerator"] / row["denominator"] * 100_000
        assert math.isclose(recomputed, row["value"], rel_tol=1e-9), row


def test_the_east_midlands_proportion_and_rate_recompute_from_count_and_denominator():
    poverty = read_fingertips(EAST_MIDLANDS, indicator_id=10101).frame
    assert sorted(poverty["level"].value_counts().rows()) == [
        ("local authority", 9),
        ("national", 1),
        ("regional", 1),
    ]
    for row in poverty.iter_rows(named=True):
        # published to one decimal place with trailing zeros dropped: Derby 21 is 11060/52560
        assert round_half_up(row["numerator"] / row["denominator"] * 100, 1) == row["value"]
    leaving_care = read_fingertips(EAST_MIDLANDS, indicator_id=90402).frame
    assert leaving_care.filter(pl.col("level") == "local authority").height == 9
    assert set(leaving_care["period"]) == {"2015-16"}
    for row in leaving_care.iter_rows(named=True):
        recomputed = row["numerator"] / row["denominator"] * 10_000
        assert math.isclose(recomputed, row["value"], rel_tol=1e-9), row
    derby = poverty.filter(pl.col("area_name") == "Derby").row(0, named=True)
    assert (derby["area_code"], derby["old_la_code"], derby["value"]) == ("E06000015", "831", 21)


def test_age_bands_for_the_same_area_and_year_are_refused_with_the_filter_that_picks_one():
    with pytest.raises(PublishedDataError) as refused:
        read_fingertips(CAMPYLOBACTER, indicator_id=93356)
    message = str(refused.value)
    assert "more than one row" in message
    assert "Age has '0-9 yrs', 'All ages'" in message
    assert "--filter Age='0-9 yrs'" in message
    assert "England 2015" in message  # an example with the values found
    # in the catalogue, the fix is said in the catalogue's terms
    source = PublishedSource(file=CAMPYLOBACTER.name, fingertips_id=93356)
    with pytest.raises(PublishedDataError, match="to the filters of its published source"):
        read_source(CAMPYLOBACTER, source)


def test_what_was_left_out_is_said_per_level():
    read = read_fingertips(CAMPYLOBACTER, indicator_id=93356, filters={"Age": "All ages"})
    summary = read.summary()
    national = next(line for line in summary if line.startswith("national"))
    assert national.startswith("national: took 3 rows; left out ")
    assert "30 of a breakdown by County & UA deprivation deciles" in national
    assert "2 with Age other than 'All ages'" in national
    authorities = next(line for line in summary if line.startswith("local authority"))
    assert authorities == (
        "local authority: took 456 rows; left out 304 with Age other than 'All ages'"
    )
    assert "Campylobacter incidence rate/100,000" in summary[-1]


def test_the_exports_name_is_checked_against_the_catalogues():
    right = read_fingertips(
        EAST_MIDLANDS,
        indicator_id=10101,
        expected_name="children in low income families  (under 16s)",
    )
    assert right.warnings == ()
    wrong = read_fingertips(
        EAST_MIDLANDS,
        indicator_id=10101,
        expected_name="Children in relative low income families (under 16s)",
    )
    assert len(wrong.warnings) == 1
    assert (
        "calls Fingertips indicator 10101 'Children in low income families" in (wrong.warnings[0])
    )
    with pytest.raises(
        PublishedDataError,
        match="holds indicators 1730, 10101, 11202, 11501, 90402, 91126, 91872, 92863",
    ):
        read_fingertips(EAST_MIDLANDS, indicator_id=30311)


def run_cli(*args: str):
    return subprocess.run(
        [sys.executable, "-m", "metrics.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_the_command_line_refuses_the_bands_then_imports_one(tmp_path):
    db = tmp_path / "real.duckdb"
    common = ["import-published", str(CAMPYLOBACTER), "--indicator", "MH01"]
    common += ["--fingertips-id", "93356", "--db", str(db)]
    refused = run_cli(*common)
    assert refused.returncode != 0
    assert "--filter Age=" in refused.stderr
    assert not db.exists() or _stored(db) == []
    imported = run_cli(*common, "--filter", "Age=All ages")
    assert imported.returncode == 0, imported.stderr
    assert "local authority: took 456 rows" in imported.stdout
    # the catalogue's source for MH01 is another Fingertips indicator: said, not hidden
    assert "the catalogue's source for MH01 is Fingertips indicator 90813" in imported.stderr
    assert _stored(db) == [("local authority", 456), ("national", 3), ("regional", 27)]


def _stored(db) -> list[tuple]:
    with Store(db, read_only=True) as store:
        return store.frame(
            "SELECT level, count(*) AS n FROM published_values GROUP BY 1 ORDER BY 1"
        ).rows()
