"""Each validation rule, with a file that breaks it and a file that passes it.

Rows are numbered as in the submitter's spreadsheet: the header is row 1, so the first
data row (index 0) is row 2.
"""

from __future__ import annotations

import re

import polars as pl
import pytest

from metrics.core.findings import Severity
from metrics.returns.reading.base import column_letter
from metrics.returns.validation.rules import load_rules, load_suite
from tests.helpers import bh01_history, check, good_return, rules, set_cell

GROUP, PERIOD = "HCP", "2025-26-Q3"  # quarterly, annual-with-breakdowns and locality rows


@pytest.fixture(scope="module")
def base(catalogue):
    return good_return(catalogue, GROUP, PERIOD)


def test_base_return_is_clean(catalogue, base):
    report = check(catalogue, base, GROUP, PERIOD)
    assert report.findings == []
    assert report.observations is not None
    assert report.observations.height == base.height


def _one(report, rule):
    found = [f for f in report.findings if f.rule == rule]
    assert found, f"{rule} not reported; got {[(f.rule, f.row, f.column) for f in report.findings]}"
    return found


# (rule, how to break the base return, expected row, expected column,
#  how to change it that must NOT trigger the rule)
CASES = [
    ("C01", lambda f: set_cell(f, 0, "area_code", None), 2, "area_code", lambda f: f),
    ("C02", lambda f: set_cell(f, 0, "indicator_code", "ZZ99"), 2, "indicator_code", lambda f: f),
    ("C03", lambda f: set_cell(f, 0, "indicator_code", "SS01"), 2, "indicator_code", lambda f: f),
    ("C04", lambda f: set_cell(f, 0, "area_code", "E05099999"), 2, "area_code", lambda f: f),
    ("C05", lambda f: set_cell(f, 0, "breakdown", "fsm:rich"), 2, "breakdown", lambda f: f),
    (
        "C06",
        lambda f: set_cell(f, 0, "period", "2024-25-Q3"),
        2,
        "period",
        lambda f: set_cell(f, 0, "period", "2025-26 Q3"),
    ),  # other spelling of the right period
    ("C07", lambda f: set_cell(f, 0, "breakdown", "sex:female"), 2, "breakdown", lambda f: f),
    (
        "C08",
        lambda f: set_cell(f, 0, "numerator", "12a"),
        2,
        "numerator",
        lambda f: set_cell(f, 0, "numerator", " 12 "),
    ),
    (
        "C10",
        lambda f: set_cell(f, 0, "numerator", None),
        2,
        "numerator",
        lambda f: set_cell(f, 0, "numerator", "0"),
    ),
    (
        "C11",
        lambda f: set_cell(set_cell(f, 0, "numerator", "500"), 0, "denominator", "400"),
        2,
        "numerator",
        lambda f: set_cell(set_cell(f, 0, "numerator", "400"), 0, "denominator", "400"),
    ),
    (
        "C12",
        lambda f: set_cell(f, 0, "numerator", "-3"),
        2,
        "numerator",
        lambda f: set_cell(f, 0, "numerator", "0"),
    ),
    (
        "C13",
        lambda f: set_cell(set_cell(f, 0, "numerator", "0"), 0, "denominator", "0"),
        2,
        "denominator",
        lambda f: set_cell(set_cell(f, 0, "numerator", "0"), 0, "denominator", "1"),
    ),
    (
        "C14",
        lambda f: set_cell(
            set_cell(set_cell(f, 0, "numerator", "45"), 0, "denominator", "90"), 0, "value", "55"
        ),
        2,
        "value",
        lambda f: set_cell(
            set_cell(set_cell(f, 0, "numerator", "45"), 0, "denominator", "90"), 0, "value", "50.0"
        ),
    ),
    (
        "C17",
        lambda f: set_cell(f, 0, "commentary", "Visit to SW1A 1AA arranged"),
        2,
        "commentary",
        lambda f: set_cell(f, 0, "commentary", "Since 01/04/2025 waits have fallen"),
    ),
    (
        "C18",
        lambda f: set_cell(f, 0, "commentary", '=HYPERLINK("http://x")'),
        2,
        "commentary",
        lambda f: set_cell(f, 0, "commentary", "- waits fell; - staffing recovered"),
    ),
    (
        "C19",  # "9" x 400 parses as infinity; 1e28 broke every page that rounded it
        lambda f: set_cell(f, 0, "numerator", "9" * 400),
        2,
        "numerator",
        lambda f: set_cell(f, 0, "numerator", "1,234"),
    ),
    (
        "C21",
        lambda f: set_cell(f, 0, "numerator", "12.5"),
        2,
        "numerator",
        lambda f: set_cell(f, 0, "numerator", "12.0"),
    ),
    (
        "C22",  # a count withheld from readers, given back in words beside it
        lambda f: set_cell(set_cell(f, 0, "numerator", "3"), 0, "commentary", "Three, up from 1."),
        2,
        "commentary",
        lambda f: set_cell(set_cell(f, 0, "numerator", "3"), 0, "commentary", "Fewer than 5."),
    ),
]


@pytest.mark.parametrize(
    ("rule", "breaks", "row", "column", "passes"), CASES, ids=[c[0] for c in CASES]
)
def test_row_rule(catalogue, base, rule, breaks, row, column, passes):
    failing = check(catalogue, breaks(base), GROUP, PERIOD)
    found = _one(failing, rule)
    assert any(f.row == row and f.column == column for f in found), found
    assert all(f.severity is load_rules()[rule].severity for f in found)
    assert failing.exit_code == 2
    assert failing.observations is None
    passing = check(catalogue, passes(base), GROUP, PERIOD)
    assert rule not in rules(passing), passing.findings


def test_c09_duplicate_rows_names_both(catalogue, base):
    doubled = pl.concat([base, base.head(1)])
    found = _one(check(catalogue, doubled, GROUP, PERIOD), "C09")
    assert {f.row for f in found} == {2, base.height + 2}
    assert "C09" not in rules(check(catalogue, base, GROUP, PERIOD))


def test_row_errors_name_the_place_as_well_as_its_code(catalogue, base):
    locality = catalogue.localities[0]
    row = base.with_row_index().filter(pl.col("area_code") == locality.code)["index"][0]
    doubled = pl.concat([base, base.slice(row, 1)])
    found = _one(check(catalogue, doubled, GROUP, PERIOD), "C09")
    assert f"{locality.name} ({locality.code})" in found[0].message
    unknown = set_cell(base, 1, "area_code", "E05000000")
    (bad,) = _one(check(catalogue, unknown, GROUP, PERIOD), "C04")
    assert "'E05000000' is not an area code" in bad.message  # no name to give


def test_c15_missing_indicator(catalogue, base):
    report = check(catalogue, base.filter(pl.col("indicator_code") != "BH05"), GROUP, PERIOD)
    found = _one(report, "C15")
    assert [f.value for f in found] == ["BH05"] and found[0].row is None
    assert "C16" not in rules(report)  # its rows are not listed one by one as well


def test_c16_missing_row(catalogue, base):
    missing = base.slice(1)
    found = _one(check(catalogue, missing, GROUP, PERIOD), "C16")
    first = base.row(0, named=True)
    assert found[0].value == f"{first['indicator_code']} {PERIOD} {first['area_code']} total"
    assert "C16" not in rules(check(catalogue, base, GROUP, PERIOD))


def test_c20_authority_total_must_match_localities(
    catalogue,
    base,
):
    bh01 = base.filter(pl.col("indicator_code") == "BH01")
    total_num = bh01["numerator"].cast(pl.Int64).sum()
    total_den = bh01["denominator"].cast(pl.Int64).sum()
    row = bh01.head(1).with_columns(area_code=pl.lit("E06099001"), commentary=pl.lit(None))

    wrong = pl.concat(
        [
            base,
            row.with_columns(
                numerator=pl.lit(str(total_num + 5)), denominator=pl.lit(str(total_den))
            ),
        ]
    )
    report = check(catalogue, wrong, GROUP, PERIOD)
    found = _one(report, "C20")
    assert found[0].row == base.height + 2 and found[0].severity is Severity.WARNING
    assert report.exit_code == 1 and report.observations is not None

    right = pl.concat(
        [
            base,
            row.with_columns(numerator=pl.lit(str(total_num)), denominator=pl.lit(str(total_den))),
        ]
    )
    assert rules(check(catalogue, right, GROUP, PERIOD)) == set()


def test_c17_withholds_identifiers_everywhere(catalogue, base):
    frame = set_cell(base, 2, "area_name", "born 03/05/2014")
    frame = set_cell(frame, 3, "commentary", "UPN A123456789012 moved school")
    report = check(catalogue, frame, GROUP, PERIOD)
    found = _one(report, "C17")
    assert {(f.row, f.column) for f in found} == {(4, "area_name"), (5, "commentary")}
    assert all("A123456789012" not in (f.value or "") + f.message for f in report.findings)
    assert report.contains_identifiers


def test_header_rules(catalogue, base):
    missing = check(catalogue, base.drop("denominator"), GROUP, PERIOD)
    assert [(f.rule, f.value) for f in missing.findings] == [("H01", "denominator")]

    named = check(
        catalogue, base.with_columns(pl.lit("Sam Smith").alias("Child Name")), GROUP, PERIOD
    )
    letter = column_letter(base.width)  # the column after the template's own (0-based)
    assert [(f.rule, f.row, f.column) for f in named.findings] == [
        ("H02", 1, f"{letter} (Child Name)")
    ]
    assert named.contains_identifiers

    extra = check(catalogue, base.with_columns(pl.lit("x").alias("notes")), GROUP, PERIOD)
    assert [(f.rule, f.row, f.column) for f in extra.findings] == [("H03", 1, f"{letter} (notes)")]

    # information columns of the template and renamed headings are fine
    renamed = base.rename({"indicator_code": "Indicator Code", "commentary": "Comments"})
    assert check(catalogue, renamed, GROUP, PERIOD).findings == []


def test_w01_large_change(catalogue, base):
    report = check(catalogue, base, GROUP, PERIOD, history=bh01_history(base, "2025-26-Q2", 0.5))
    found = _one(report, "W01")
    assert all(f.severity is Severity.WARNING and f.column == "value" for f in found)
    assert {f.row for f in found} <= set(range(2, 2 + 7))
    assert report.exit_code == 1
    # said as the indicator shows its figures: rounded as it is, with its unit
    ind = catalogue.indicator["BH01"]
    assert ind.unit == "%" and ind.decimals == 1
    said = found[0].message
    assert "in 2025-26 Q2 (Jul–Sep) to" in said  # the period as people write it
    before, after = (float(x) for x in re.findall(r"(\d+\.\d)%", said))  # one decimal each
    moved = re.search(
        r"a change of ([+−])(\d+\.\d) percentage points, more than the "
        r"(\d+\.\d) percentage points this check allows",
        said,
    )
    assert moved, said
    assert abs(float(moved[2]) - abs(after - before)) <= 0.1 + 1e-9 and moved[1] == "+"
    assert float(moved[2]) > float(moved[3])
    steady = check(catalogue, base, GROUP, PERIOD, history=bh01_history(base, "2025-26-Q2", 0.99))
    assert "W01" not in rules(steady)


def test_w02_identical_figures(catalogue, base):
    report = check(catalogue, base, GROUP, PERIOD, history=bh01_history(base, "2025-26-Q2", 1.0))
    found = _one(report, "W02")
    assert len(found) == 7 and found[0].subject.startswith("BH01 ")
    small = set_cell(set_cell(base, 0, "numerator", "3"), 0, "denominator", "8")
    hist = bh01_history(small, "2025-26-Q2", 1.0).slice(0, 1)
    assert "W02" not in rules(check(catalogue, small, GROUP, PERIOD, history=hist))


def test_mean_needs_value(catalogue):
    edu = good_return(catalogue, "EDU", "2025-26-Q3")
    index = edu["indicator_code"].to_list().index("ED02")
    found = _one(check(catalogue, set_cell(edu, index, "value", None), "EDU", "2025-26-Q3"), "C10")
    assert found[0].row == index + 2 and found[0].column == "value"
    assert check(catalogue, edu, "EDU", "2025-26-Q3").findings == []


def test_every_rule_in_the_suites_is_documented_and_tested():
    documented = set(load_rules())
    in_suites = {
        e["meta"]["rule"]
        for name in ("header", "content", "coverage", "history")
        for e in load_suite(name)["expectations"]
    }
    assert in_suites <= documented
    tested = {c[0] for c in CASES} | {"C09", "C15", "C16", "C20", "H01", "H02", "H03", "W01", "W02"}
    assert in_suites <= tested, in_suites - tested
