"""Reading return files: encodings, separators, XLSX, numbers as text, and clear refusals."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import polars as pl
import pytest

from metrics.core.limits import ReadLimits
from metrics.core.numbers import parse_numbers
from metrics.returns.reading import read_return
from metrics.returns.reading.base import ReadError, canonical

CSV = "indicator_code,area_code,numerator,commentary\nBH01,E05099001,1234,Café opened\n"


def test_utf8_with_and_without_bom():
    plain = read_return(CSV.encode("utf-8"), file_name="r.csv")
    bom = read_return(b"\xef\xbb\xbf" + CSV.encode("utf-8"), file_name="r.csv")
    assert plain.frame.equals(bom.frame)
    assert bom.columns[0] == "indicator_code"
    assert bom.frame["commentary"][0] == "Café opened"


def test_windows_1252_and_semicolons():
    raw = read_return(CSV.replace(",", ";").encode("cp1252"), file_name="r.csv")
    assert raw.encoding == "windows-1252" and raw.delimiter == ";"
    assert raw.frame["commentary"][0] == "Café opened"


def test_utf16_from_excel_unicode_text():
    raw = read_return(CSV.replace(",", "\t").encode("utf-16"), file_name="r.txt")
    assert raw.delimiter == "\t" and raw.frame["numerator"][0] == "1234"


def test_blank_lines_keep_spreadsheet_row_numbers():
    text = CSV + "\n\n,,,\nBH01,E05099002,5,\n\n\n"
    raw = read_return(text.encode(), file_name="r.csv")
    assert raw.frame["_row"].to_list() == [2, 6]


def test_quoted_separators_and_newlines():
    text = 'indicator_code,commentary\nBH01,"Up, then down\nthen up"\nBH02,x\n'
    raw = read_return(text.encode(), file_name="r.csv")
    assert raw.frame["commentary"][0] == "Up, then down\nthen up"
    assert raw.frame["_row"].to_list() == [2, 3]


def test_xlsx_reads_sheet_named_return():
    frame = pl.DataFrame({"indicator_code": ["BH01"], "numerator": [12.0], "note": ["x"]})
    buffer = io.BytesIO()
    import xlsxwriter

    with xlsxwriter.Workbook(buffer) as book:
        pl.DataFrame({"a": ["guidance"]}).write_excel(book, worksheet="guidance")
        frame.write_excel(book, worksheet="return")
    raw = read_return(buffer.getvalue(), file_name="r.xlsx")
    assert raw.file_format == "xlsx"
    assert raw.frame["numerator"][0] == "12" and raw.frame["_row"][0] == 2


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1,234", 1234.0),
        ("45%", 45.0),
        (" 12.5 ", 12.5),
        ("1,234,567.8", 1234567.8),
        ("0", 0.0),
        ("-3", -3.0),
        ("12,5", None),
        ("n/a", None),
        ("", None),
    ],
)
def test_numbers_stored_as_text(text, number):
    out = pl.DataFrame({"x": [text]}).select(parse_numbers("x"))["x"][0]
    assert out == number


def test_heading_variants():
    assert canonical(" Indicator Code ") == "indicator_code"
    assert canonical("Comments") == "commentary"
    assert canonical("Area") == "area_code"


def limits(**changes) -> ReadLimits:
    return dataclasses.replace(ReadLimits.from_settings(), **changes)


def _error(data: bytes, name: str = "r.csv", **kw) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_return(data, file_name=name, **kw)
    return info.value


def test_too_large():
    err = _error(CSV.encode() * 10, limits=limits(max_bytes=100))
    assert err.findings[0].rule == "R01" and "limit" in err.findings[0].message


def test_xlsx_zip_bomb_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 5_000_000)
    err = _error(buffer.getvalue(), "r.xlsx", limits=limits(max_unpacked_bytes=1_000_000))
    assert err.findings[0].rule == "R01" and "unpacks" in err.findings[0].message


def test_not_a_table():
    assert _error(b"%PDF-1.4 ...", "r.pdf").findings[0].rule == "R02"
    assert _error(b"\x00\x01\x02binary" * 10, "r.csv").findings[0].rule == "R02"
    assert _error(b"just,some\x00", "r.xlsx").findings[0].rule == "R02"


def test_bad_bytes_name_the_line():
    data = CSV.encode() + b"BH02,E05099001,\x81\x8d,\n"
    err = _error(data)
    assert err.findings[0].rule == "R03" and err.findings[0].row == 3


def test_no_header_and_empty():
    assert _error(b"hello world\n").findings[0].rule == "R04"
    assert _error(b"   \n\n").findings[0].rule == "R06"


def test_ragged_row_named():
    err = _error(b"a,b\n1,2\n3,4,5\n")
    assert err.findings[0].rule == "R05" and err.findings[0].row == 3


def test_repeated_heading():
    err = _error(b"indicator_code,Indicator Code\nBH01,BH01\n")
    assert err.findings[0].rule == "R07" and "twice" in err.findings[0].message
