"""Reading OHID Fingertips' CSV export (and fingertipsR's spelling of its header)."""

from __future__ import annotations

import csv
import subprocess
import sys

import polars as pl
import pytest

from metrics.benchmarks import layout, read_source
from metrics.benchmarks.base import PublishedDataError
from metrics.benchmarks.fingertips import period, read_fingertips
from metrics.core.catalogue import PublishedSource
from metrics.core.formatting import round_half_up
from metrics.store.connection import Store
from tests.conftest import ROOT

EXPORT = ROOT / "tests" / "files" / "fingertips" / "indicators-CountyUA4-23.data.csv"


def test_the_export_is_read_for_england_regions_and_upper_tier_authorities():
    frame = read_fingertips(EXPORT, indicator_id=20601).frame
    assert layout(EXPORT) == "fingertips"
    # two years of England, one region and three authorities; the deprivation breakdown,
    # the district and the other indicator are left out
    assert frame.height == 10
    assert sorted(set(frame["level"])) == ["local authority", "national", "regional"]
    assert sorted(set(frame["period"])) == ["2022-23", "2023-24"]
    darlington = frame.filter(
        (pl.col("area_code") == "E06000005") & (pl.col("period") == "2022-23")
    )
    found = darlington.row(0, named=True)
    assert (found["old_la_code"], found["value"], found["numerator"], found["denominator"]) == (
        "841",
        10.3,
        118.0,
        1150.0,
    )
    newcastle = frame.filter(pl.col("area_code") == "E08000021")
    assert newcastle["symbol"].to_list() == ["c", "c"]  # "Value suppressed ..." in the note
    assert newcastle["value"].null_count() == 2


def test_every_value_is_its_count_over_its_denominator_rounded_half_up():
    frame = read_fingertips(EXPORT, indicator_id=20601).frame.filter(pl.col("value").is_not_null())
    for row in frame.iter_rows(named=True):
        recomputed = round_half_up(row["numerator"] / row["denominator"] * 100, 1)
        assert recomputed == row["value"], row


def test_fingertipsr_spelling_of_the_header_reads_the_same(tmp_path):
    rows = list(csv.reader(EXPORT.open(encoding="utf-8")))
    rows[0] = [c.replace(" ", "") for c in rows[0]]  # IndicatorID, AreaCode, Timeperiod ...
    other = tmp_path / "fingertipsR.csv"
    with other.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    assert read_fingertips(other, indicator_id=20601).frame.equals(
        read_fingertips(EXPORT, indicator_id=20601).frame
    )


@pytest.mark.parametrize(
    ("text", "code"), [("2023/24", "2023-24"), ("2023", "2023"), ("1999/00", "1999-00")]
)
def test_periods(text, code):
    assert period(text) == code


def test_pooled_periods_and_unknown_layouts_are_refused_with_a_reason(tmp_path):
    with pytest.raises(PublishedDataError, match="pooled period"):
        period("2020 - 22")
    with pytest.raises(PublishedDataError, match="not consecutive"):
        period("2020/23")
    odd = tmp_path / "odd.csv"
    odd.write_text("area,year,figure\nE92000001,2024,5\n")
    with pytest.raises(PublishedDataError, match="not a layout this product reads"):
        layout(odd)
    with pytest.raises(PublishedDataError, match="no row is for Fingertips indicator 1"):
        read_fingertips(EXPORT, indicator_id=1)
    with pytest.raises(PublishedDataError, match="give the Fingertips indicator id"):
        read_source(EXPORT, PublishedSource(file=EXPORT.name, column="Value"))


def test_the_command_line_imports_a_fingertips_export(tmp_path):
    db = tmp_path / "f.duckdb"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrics.cli",
            "import-published",
            str(EXPORT),
            "--indicator",
            "BH02",
            "--fingertips-id",
            "20601",
            "--filter",
            "Sex=Persons",
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    with Store(db, read_only=True) as store:
        stored = store.frame(
            "SELECT level, count(*) AS n FROM published_values WHERE indicator_code = 'BH02' "
            "GROUP BY 1 ORDER BY 1"
        )
    assert stored.rows() == [("local authority", 6), ("national", 2), ("regional", 2)]
