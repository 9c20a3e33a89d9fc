"""Fuzzing the reader and validator with Hypothesis: whatever bytes arrive, the answer is a
report whose findings say what and where — never an exception, never a fault (S01), never a
library's own message — and identifiers written in ways people hide them are still found.

Bounded for ``make test`` (whose two clock tiers draw 20 examples each, different ones, so
the run tries 40 as one tier alone would); for a longer run set ``OUTCOMES_FUZZ_EXAMPLES``
(the number of examples per test, default 40), e.g. ``OUTCOMES_FUZZ_EXAMPLES=2000 .venv/bin/pytest
tests/metrics/validation/test_fuzz.py``.
"""

from __future__ import annotations

import csv
import io
import os
import random
from functools import cache

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.core.identifiers import POSTCODE_AREAS, find, nhs_number_valid
from metrics.returns.templates import template_bytes
from metrics.returns.validation.rules import load_rules
from tests.helpers import check, csv_bytes, good_return

pytestmark = pytest.mark.slow  # hundreds of generated returns

EXAMPLES = int(os.environ.get("OUTCOMES_FUZZ_EXAMPLES", "40"))
GROUP, PERIOD = "HCP", "2025-26-Q2"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

HOSTILE_CELLS = [
    "",
    " ",
    "0",
    "-1",
    "12.5",
    "1,234",
    "45%",
    "9" * 400,
    "1e308",
    "nan",
    "inf",
    "-0",
    "=cmd|' /C calc'!A0",
    "+SUM(A1)",
    "@x",
    "![x](http://example.invalid/p.png)",
    "<img src=x onerror=alert(1)>",
    "**bold** [link](http://example.invalid)",
    "SW1A 1AA",
    "NHS 943 476 5919",
    "DOB 03/04/2015",
    "A123456789012",
    "Q3 1st",
    "\u200b\u200d\ufeff",
    "ＳＷ１Ａ １ＡＡ",
    "a\nb",
    'quote " inside',
    "x" * 20_000,
    "E05099001",
    "BH01",
    "total",
    "fsm:disadvantaged",
    "2025-26-Q2",
]


def assert_sound(report) -> None:
    rules = load_rules()
    for f in report.findings:
        assert f.rule in rules and f.rule != "S01", f
        assert f.message and "Traceback" not in f.message and "Error:" not in f.message, f
        assert f.row is None or f.row >= 1
    if report.errors:
        assert report.observations is None


@FUZZ
@given(st.binary(max_size=4096))
def test_any_bytes_get_a_report(catalogue, data):
    assert_sound(check(catalogue, data, GROUP, PERIOD))


@st.composite
def returns(draw) -> bytes:
    """A return in the real layout, with hostile cells, rows, separators and encodings."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    frame = good_return_cache()
    rows = frame.rows()
    cells = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, 6))):
        r, c = rng.randrange(len(cells)), rng.randrange(len(frame.columns))
        cells[r][c] = draw(st.sampled_from(HOSTILE_CELLS))
    header = list(frame.columns)
    if draw(st.booleans()):
        header[rng.randrange(len(header))] = draw(
            st.sampled_from(["", "Date of Birth", "Indicator Code", "extra", "commentary"])
        )
    separator = draw(st.sampled_from([",", ";", "\t"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\n")
    writer.writerow(header)  # headings may now repeat or be blank: the reader must say so
    writer.writerows(cells)
    text = buffer.getvalue()
    if draw(st.booleans()):  # blank lines anywhere, straight after the header included
        lines = text.split("\n")
        lines.insert(rng.randrange(1, len(lines)), "")
        text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


_CACHE: dict[str, pl.DataFrame] = {}


def good_return_cache() -> pl.DataFrame:
    if "frame" not in _CACHE:
        from metrics.core.catalogue import load_catalogue

        _CACHE["frame"] = good_return(load_catalogue(), GROUP, PERIOD)
    return _CACHE["frame"]


@FUZZ
@given(returns())
def test_returns_with_hostile_cells_get_a_sound_report(catalogue, data):
    assert_sound(check(catalogue, data, GROUP, PERIOD))


@cache
def template_workbook() -> bytes:
    """One template workbook for the whole run (a new one carries a new timestamp, and the
    fuzzer must see the same bytes each time it replays an example)."""
    from metrics.core.catalogue import load_catalogue
    from metrics.core.periods import Quarter

    return template_bytes(load_catalogue(), GROUP, Quarter.parse(PERIOD), "xlsx")


@settings(max_examples=max(EXAMPLES // 4, 5), deadline=None, database=None)
@given(st.data())
def test_damaged_workbooks_get_a_sound_report(catalogue, data):
    """A real template workbook, truncated or with bytes overwritten (each opened in the
    child process, so fewer examples)."""
    book = bytearray(template_workbook())
    if data.draw(st.booleans()):
        book = book[: data.draw(st.integers(4, len(book) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 20))):
            book[data.draw(st.integers(4, len(book) - 1))] = data.draw(st.integers(0, 255))
    assert_sound(check(catalogue, bytes(book), GROUP, PERIOD))


# --- identifiers, however they are written ------------------------------------------------

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def nhs_numbers(draw) -> str:
    while True:
        digits = "".join(str(draw(st.integers(0, 9))) for _ in range(9))
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check_digit = (11 - total % 11) % 11
        if check_digit != 10:
            number = digits + str(check_digit)
            assert nhs_number_valid(number)
            sep = draw(st.sampled_from(["", " ", ".", "-"]))
            return f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"


@st.composite
def identifiers(draw) -> str:
    kind = draw(st.sampled_from(["nhs", "upn", "postcode", "dob"]))
    if kind == "nhs":
        return draw(st.sampled_from(["NHS ", "NHS", "nhs no: ", ""])) + draw(nhs_numbers())
    if kind == "upn":
        letter = draw(st.sampled_from("ABCDEFGHJKLMNPQRTUVWXYZ"))
        digits = "".join(str(draw(st.integers(0, 9))) for _ in range(12))
        return draw(st.sampled_from(["UPN ", "ref_", ""])) + letter + digits
    if kind == "postcode":
        area = draw(st.sampled_from(sorted(POSTCODE_AREAS)))
        inward = f"{draw(st.integers(0, 9))}{draw(st.sampled_from('ABDEFGHJLNPQRSTUWXYZ'))}"
        inward += draw(st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"))
        space = draw(st.sampled_from(["", " ", "  "]))
        return f"{area}{draw(st.integers(1, 9))}{space}{draw(st.integers(0, 9))}{inward[1:]}"
    day, month, year = (
        draw(st.integers(1, 28)),
        draw(st.integers(1, 12)),
        draw(st.integers(2005, 2024)),
    )
    months = ["January", "Feb", "March", "Apr", "May", "June", "Jul", "August", "Sept"]
    written = draw(
        st.sampled_from(
            [
                f"{day:02d}/{month:02d}/{year}",
                f"{year}-{month:02d}-{day:02d}",
                f"{day}th {months[month % len(months)]} {year}",
                f"{day}.{month}.{str(year)[2:]}",
            ]
        )
    )
    return (
        draw(st.sampled_from(["DOB: ", "DoB ", "d.o.b. ", "date of birth ", "born on "])) + written
    )


@settings(max_examples=EXAMPLES * 5, deadline=None, database=None)
@given(identifiers(), st.data())
def test_identifiers_are_found_however_they_are_hidden(identifier, data):
    disguise = data.draw(st.sampled_from(["none", "zero width", "full width", "case"]))
    text = identifier
    if disguise == "zero width":
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(st.sampled_from(ZERO_WIDTH)) + text[at:]
    elif disguise == "full width":
        text = full_width(text)
    elif disguise == "case":
        text = text.lower()
    before = data.draw(st.sampled_from(["", "Seen ", "Note: ", "(", "x_"]))
    assert find(f"{before}{text} today"), text


@settings(max_examples=EXAMPLES * 5, deadline=None, database=None)
@given(
    st.sampled_from(["Q1", "Q2", "Q3", "Q4", "q3"]),
    st.sampled_from(["1st", "2nd", "3rd", "4th"]),
    st.sampled_from(["", " week", " half", " month of the year"]),
    st.integers(2019, 2030),
)
def test_quarter_words_and_ordinary_dates_are_not_identifiers(quarter, ordinal, tail, year):
    financial_year = f"{year}-{(year + 1) % 100:02d}"
    text = f"In {quarter} {ordinal}{tail} of {financial_year}, waits fell since 1/4/{year}"
    assert find(text) == []


def test_the_unchanged_return_the_fuzzer_starts_from_is_clean(catalogue):
    assert check(catalogue, csv_bytes(good_return_cache()), GROUP, PERIOD).findings == []
