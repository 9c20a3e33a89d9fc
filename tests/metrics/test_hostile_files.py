"""Each crash, hang, wrong accept and false reject found by trying the product as an
attacker and as a busy user would, as a minimal file: each now gets a finding that says
what and where, in bounded time and memory."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from metrics.core.findings import Severity
from tests.helpers import check, csv_bytes, good_return, set_cell

GROUP, PERIOD = "HCP", "2025-26-Q2"
FILES = Path(__file__).resolve().parent.parent / "files" / "hostile"


def xlsx_with_cell_at(ref: str) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as book:
        sheet = book.add_worksheet("return")
        sheet.write("A1", "indicator_code")
        sheet.write(ref, "x")
    return buffer.getvalue()


def xlsx_of_rows(rows: int) -> bytes:
    """A workbook whose sheet XML holds ``rows`` rows (written as XML directly: quick)."""
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(1, rows + 1))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>'
    )
    template = zipfile.ZipFile(io.BytesIO(xlsx_with_cell_at("A2")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in template.infolist():
            data = template.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            out.writestr(info.filename, data)
    return buffer.getvalue()


def zip_with_bad_name_encoding() -> bytes:
    """A zip whose entry name claims UTF-8 (flag bit 11) but is not: zipfile raises
    UnicodeDecodeError reading its directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/\u00e9.xml", "x")
    data = bytearray(buffer.getvalue())
    name = "xl/\u00e9.xml".encode()
    at = data.rfind(name)  # the central directory's copy of the name
    data[at + 3 : at + 5] = b"\xff\xfe"
    return bytes(data)


def zip_with_unsupported_version() -> bytes:
    """A zip whose entry needs a zip version Python cannot extract (NotImplementedError)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buffer.getvalue())
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 6, 99)  # version needed to extract: 9.9
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<H", data, local + 4, 99)
    return bytes(data)


def crash_cases() -> list[tuple[str, bytes, str, str]]:
    """(what, file, rule, words the message must have)."""
    return [
        ("xlsx cell at XFD1048576", xlsx_with_cell_at("XFD1048576"), "R01", "XFD1048576"),
        ("csv with a million columns", b"," * 1_000_000 + b"\nx\n", "R01", "1,000,001 columns"),
        (
            "csv of a million rows of X,,,,,",
            b"indicator_code,period,area_code,breakdown,numerator,denominator\n"
            + b"X,,,,,\n" * 1_000_000,
            "R01",
            "more than 50,000 rows",
        ),
        ("xlsx of 3 million rows", xlsx_of_rows(3_000_000), "R01", "row 50,002"),
        (
            "csv with two million blank-headed columns",
            b"indicator_code" + b"," * 2_000_000 + b"\nBH01\n",
            "R01",
            "columns",
        ),
        (
            "csv line longer than 131,072 characters",
            b"indicator_code,commentary\nBH01," + b"a" * 140_000 + b"\n",
            "R01",
            "Row 2, column B (commentary) holds 140,000 characters",
        ),
        ("zip entry with a bad name encoding", zip_with_bad_name_encoding(), "R02", "damaged"),
        ("zip entry needing an unknown version", zip_with_unsupported_version(), "R02", "damaged"),
    ]


CRASH_CASES = crash_cases()


@pytest.mark.parametrize(
    ("what", "data", "rule", "words"), CRASH_CASES, ids=[case[0] for case in CRASH_CASES]
)
def test_crashes_and_runaways_become_findings(catalogue, what, data, rule, words):
    started = time.monotonic()
    report = check(catalogue, data, GROUP, PERIOD)
    assert time.monotonic() - started < 60, what
    assert [f.rule for f in report.findings] == [rule], report.findings
    assert words in report.findings[0].message
    assert "Error" not in report.findings[0].message  # no library's exception text


@pytest.mark.slow  # reads files of millions of cells
def test_reading_the_worst_files_stays_under_a_gigabyte(tmp_path):
    """Each worst file is read in a fresh process whose address space is capped at 1 GiB:
    a reader that allocated for the whole file would fail here."""
    cases = crash_cases()[:6]
    for n, (_, data, _, _) in enumerate(cases):
        (tmp_path / f"{n}.bin").write_bytes(data)
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
        from metrics.returns.reading.base import ReadError
        from metrics.returns.reading import read_return
        for n in range({len(cases)}):
            try:
                read_return({str(tmp_path)!r} + f"/{{n}}.bin", file_name=f"{{n}}.xlsx"
                            if n in (0, 3) else f"{{n}}.csv")
            except ReadError as exc:
                print(exc.findings[0].rule)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["R01"] * len(cases)


@pytest.mark.parametrize(
    "text",
    [
        "DOB: 2015-04-03",
        "DoB 3rd April 2015",
        "NHS9434765919",
        "NHS no: 943.476.5919",
        "ref_A123456789012",
        "SW1A  1AA",
        "Seen at S\u200bW1A 1AA",  # a zero-width space inside
        "ＤＯＢ ２０１５-０４-０３",  # full-width
        "NHS ９４３ ４７６ ５９１９",
        "UPN A123456789012",
    ],
)
def test_identifiers_written_as_people_write_them_are_refused(catalogue, text):
    frame = set_cell(good_return(catalogue, GROUP, PERIOD), 1, "commentary", text)
    report = check(catalogue, frame, GROUP, PERIOD)
    found = [(f.rule, f.row, f.column) for f in report.errors]
    assert found == [("C17", 3, "commentary")]
    assert report.contains_identifiers and report.observations is None
    assert all(text not in (f.value or "") + f.message for f in report.findings)


@pytest.mark.parametrize(
    ("cell", "rule"),
    [("12.5", "C21"), ("9" * 400, "C19"), ("1e28", "C08"), ("1" + "0" * 28, "C19")],
)
def test_figures_no_count_of_children_could_be_are_refused(catalogue, cell, rule):
    frame = good_return(catalogue, GROUP, PERIOD)
    frame = set_cell(frame, 0, "denominator", "99999999999999999999999999999999999")
    frame = set_cell(frame, 0, "numerator", cell)
    report = check(catalogue, frame, GROUP, PERIOD)
    assert (rule, 2, "numerator") in {(f.rule, f.row, f.column) for f in report.errors}
    assert report.observations is None


def test_blank_line_straight_after_the_header_is_fine(catalogue):
    text = csv_bytes(good_return(catalogue, GROUP, PERIOD)).decode()
    header, rest = text.split("\n", 1)
    report = check(catalogue, f"{header}\n\n{rest}".encode(), GROUP, PERIOD)
    assert report.findings == []
    assert report.observations["source_row"].min() == 3  # row numbers stay the spreadsheet's


@pytest.mark.parametrize("text", ["Q3 1st week: waits fell", "Better in Q2 2nd half; Q4 3rd"])
def test_quarter_words_are_not_postcodes(catalogue, text):
    frame = set_cell(good_return(catalogue, GROUP, PERIOD), 0, "commentary", text)
    assert check(catalogue, frame, GROUP, PERIOD).findings == []


def test_committed_minimal_files(catalogue):
    """The small files kept in tests/files/hostile, as a person would upload them."""
    expected = {
        "cell_at_xfd1048576.xlsx": "R01",
        "long_line.csv": "R01",
        "zip_bad_name.xlsx": "R02",
    }
    for name, rule in expected.items():
        data = (FILES / name).read_bytes()
        report = check(catalogue, data, GROUP, PERIOD)
        assert [f.rule for f in report.findings] == [rule], name
        assert all(f.severity is Severity.ERROR for f in report.findings)
