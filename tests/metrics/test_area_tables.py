"""A publisher's own table by area (YJB, Ofsted, OHID): found under its title, every
upper-tier authority taken, other areas left out and counted, suppression marks in either
form, repeats refused with the filter that picks one."""

from __future__ import annotations

import csv
import re

import polars as pl
import pytest

from metrics.benchmarks import read_source
from metrics.benchmarks.base import PublishedDataError, authorities
from metrics.benchmarks.tables import read_table, table_period
from metrics.cli import main
from metrics.core.catalogue import AreaTable, PublishedSource
from metrics.core.formatting import round_half_up
from metrics.demo.published import DEMO_PUBLISHED
from metrics.store.connection import Store

TABLE_SOURCES = ["YJ03", "YJ04", "EY03", "BH06"]
TABLE = AreaTable(publisher="A publisher", area_code="Code", area_name="Area", period="Year")


def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def _source(**table):
    return PublishedSource(
        file="t.csv",
        column="Rate",
        numerator_column="Count",
        denominator_column="Population",
        table=AreaTable(**{**TABLE.model_dump(), **table}),
    )


@pytest.mark.parametrize("code", TABLE_SOURCES)
def test_the_demo_tables_give_every_upper_tier_authority_and_recompute(catalogue, code):
    ind = catalogue.indicator[code]
    src = ind.published
    read = read_source(DEMO_PUBLISHED / src.file, src)
    frame = read.frame
    live = {
        a.new_code
        for a in authorities().by_new.values()
        if a.live and re.fullmatch(r"E\d{8}", a.new_code)
    }
    years = frame["period"].unique().to_list()
    assert len(years) == 5
    for year in years:
        las = frame.filter((pl.col("period") == year) & (pl.col("level") == "local authority"))
        assert set(las["area_code"]) == live, year
        assert (
            frame.filter((pl.col("period") == year) & (pl.col("level") == "national")).height == 1
        )
        assert (
            frame.filter((pl.col("period") == year) & (pl.col("level") == "regional")).height == 9
        )
    # Wales, a Welsh authority, England and Wales and three joint services (Kingston and
    # Richmond, North and West Northamptonshire, Cumberland and Westmorland and Furness),
    # each year, are left out and counted; the notes under the table are not areas
    assert read.left_out == {
        "other areas": {"not England, a region or an upper-tier authority (by area code)": 30}
    }
    # each published figure is its count over its denominator, rounded half up
    shown = frame.filter(pl.col("value").is_not_null())
    for row in shown.iter_rows(named=True):
        expected = round_half_up(
            row["numerator"] / row["denominator"] * ind.multiplier, ind.decimals
        )
        assert row["value"] == pytest.approx(expected), row
    # suppressed cells ([c] in the file) are kept as the symbol, with no value
    hidden = frame.filter(pl.col("symbol") == "c")
    assert hidden.height == 10 and hidden["value"].is_null().all()  # 2 authorities, 5 years


def test_the_demo_imports_every_table_source(demo_db, catalogue):
    with Store(demo_db, read_only=True) as store:
        stored = store.frame(
            "SELECT indicator_code, level, count(*) AS n FROM published_values "
            "WHERE indicator_code IN ('YJ03', 'YJ04', 'EY03', 'BH06', 'EH03') "
            "GROUP BY ALL ORDER BY ALL"
        )
    by = {(r["indicator_code"], r["level"]): r["n"] for r in stored.iter_rows(named=True)}
    for code in [*TABLE_SOURCES, "EH03"]:
        assert by[(code, "national")] == 5
        assert by[(code, "local authority")] >= 5 * 153


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2024-25", "2024-25"),
        ("2024/25", "2024-25"),
        ("2024 to 2025", "2024-25"),
        ("202425", "2024-25"),
        ("31 March 2025", "2024-25"),
        ("as at 31 August 2024", "2024-25"),
        ("Inspections as at 1 April 2024", "2024-25"),
        ("2025", "2025"),
    ],
)
def test_a_tables_periods(text, code):
    assert table_period(text) == code


@pytest.mark.parametrize("text", ["2024/26", "Q2", "March 2025", ""])
def test_a_period_that_is_not_one_is_refused(text):
    with pytest.raises(PublishedDataError, match="period"):
        table_period(text)


def test_the_header_is_found_below_the_title_and_notes_are_ignored(tmp_path):
    path = _write(
        tmp_path / "t.csv",
        [
            ["Table 1: a rate by area"],
            ["Source: somebody"],
            [],
            ["Code", "Area", "Year", "Rate", "Count", "Population"],
            ["E92000001", "England", "2024/25", "1.5", "15", "10000"],
            ["", "", "", "", "", ""],
            ["E12000001", "North East", "2024/25", "[c]", "[c]", "500"],
            ["E06000005", "Darlington", "2024/25", "2,000.0", "2,000", "1,000,000"],
            ["E07000026", "Allerdale", "2024/25", "3.0", "3", "1000"],
            [],
            ["Notes: the rate is per 1,000"],
        ],
    )
    read = read_table(path, table=TABLE, column="Rate", numerator="Count", denominator="Population")
    frame = read.frame.sort("level")
    assert frame["level"].to_list() == ["local authority", "national", "regional"]
    darlington = frame.row(0, named=True)
    assert (darlington["value"], darlington["numerator"], darlington["old_la_code"]) == (
        2000.0,
        2000.0,
        "841",
    )
    assert frame.row(2, named=True)["symbol"] == "c"
    assert frame.row(2, named=True)["value"] is None
    # a district is not an upper-tier authority; the notes line is not an area
    assert read.left_out == {
        "other areas": {"not England, a region or an upper-tier authority (by area code)": 1}
    }


def test_england_without_a_code_is_england(tmp_path):
    path = _write(
        tmp_path / "t.csv",
        [["Code", "Area", "Year", "Rate"], ["", "England", "2024-25", "4.0"]],
    )
    frame = read_table(path, table=TABLE, column="Rate").frame
    assert frame.select("level", "area_code", "value").row(0) == ("national", "E92000001", 4.0)


def test_a_missing_column_says_what_the_table_has(tmp_path):
    path = _write(
        tmp_path / "t.csv",
        [["Title"], ["Code", "Area", "Period", "Rate"], ["E92000001", "England", "2024-25", "1"]],
    )
    with pytest.raises(PublishedDataError) as err:
        read_table(path, table=TABLE, column="Rate")
    message = str(err.value)
    assert "'Year'" in message and "Code, Area, Period, Rate" in message


def test_a_repeated_area_is_refused_and_a_filter_picks_one(tmp_path):
    path = _write(
        tmp_path / "t.csv",
        [
            ["Code", "Area", "Year", "Sex", "Rate"],
            ["E92000001", "England", "2024-25", "Boys", "2.0"],
            ["E92000001", "England", "2024-25", "Girls", "1.0"],
            ["E06000005", "Darlington", "2024-25", "Boys", "3.0"],
            ["E06000005", "Darlington", "2024-25", "Girls", "2.5"],
        ],
    )
    with pytest.raises(PublishedDataError) as err:
        read_table(path, table=TABLE, column="Rate")
    message = str(err.value)
    assert "Sex has 'Boys', 'Girls'" in message and "--filter Sex='Boys'" in message
    read = read_table(path, table=TABLE, column="Rate", filters={"Sex": "Girls"})
    assert sorted(read.frame["value"].to_list()) == [1.0, 2.5]
    assert read.left_out["national"] == {"with Sex other than 'Girls'": 1}


def test_an_upper_tier_code_not_in_las_is_refused_with_its_row(tmp_path):
    path = _write(
        tmp_path / "t.csv",
        [["Code", "Area", "Year", "Rate"], ["E06999999", "Nowhere", "2024-25", "1"]],
    )
    with pytest.raises(PublishedDataError, match=r"E06999999 \(Nowhere, row 2\).*las.csv"):
        read_table(path, table=TABLE, column="Rate")


def test_a_bad_period_names_its_row_and_column(tmp_path):
    path = _write(
        tmp_path / "t.csv",
        [["Code", "Area", "Year", "Rate"], ["x"], ["E92000001", "England", "last year", "1"]],
    )
    with pytest.raises(PublishedDataError, match=r"row 3, column 'Year'.*not a year"):
        read_table(path, table=TABLE, column="Rate")


def test_a_workbooks_table_is_read_from_its_sheet(tmp_path):
    import xlsxwriter

    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Contents").write(0, 0, "Contents")
    sheet = book.add_worksheet("Table 3")
    rows = [["A title"], [], ["Code", "Area", "Year", "Rate"], ["E92000001", "England", "2024-25"]]
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            sheet.write_string(i, j, cell)
    sheet.write_number(3, 3, 96.5)
    book.close()
    frame = read_table(path, table=_source(sheet="Table 3").table, column="Rate").frame
    assert frame.select("area_code", "value").row(0) == ("E92000001", 96.5)
    with pytest.raises(
        PublishedDataError, match="no sheet 'Table 9'; the workbook has Contents, Table 3"
    ):
        read_table(path, table=_source(sheet="Table 9").table, column="Rate")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(PublishedDataError, match="cannot be read as a workbook"):
        read_table(tmp_path / "bad.xlsx", table=TABLE, column="Rate")


def test_a_table_needs_its_value_column():
    with pytest.raises(ValueError, match="column"):
        PublishedSource(file="t.csv", fingertips_id=1, table=TABLE)


def test_the_command_line_reads_a_table_as_the_catalogue_describes_it(tmp_path, catalogue, capsys):
    src = catalogue.indicator["YJ03"].published
    code = main(
        [
            "import-published",
            str(DEMO_PUBLISHED / src.file),
            "--indicator",
            "YJ03",
            "--column",
            src.column,
            "--numerator",
            src.numerator_column,
            "--denominator",
            src.denominator_column,
            "--db",
            str(tmp_path / "o.duckdb"),
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Imported 815 published values for YJ03" in out.out
    assert "left out 30 not England, a region or an upper-tier authority" in out.out
