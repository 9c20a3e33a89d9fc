"""Reading a return file (CSV or XLSX) into a Polars frame of text cells.

Every cell is read as text against an explicit all-string schema; numbers are parsed
later by :func:`parse_numbers` so that a cell that is not a number can be reported with
its row and column. Row numbers are those a person sees when they open the file in a
spreadsheet: the header is row 1, the first figures row 2.

Accepted: UTF-8 with or without a byte-order mark, UTF-16 with a byte-order mark,
Windows-1252; comma, semicolon or tab separators; blank lines; XLSX workbooks (the sheet
named ``return``, else the first). Anything else raises :class:`ReadError` with findings
that say what is wrong and how to fix it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from metrics.findings import Finding, Severity

DEFAULT_MAX_BYTES = int(float(os.environ.get("OUTCOMES_MAX_UPLOAD_MB", "20")) * 1024 * 1024)
MAX_XLSX_EXPANSION = 20
"""An XLSX whose contents unpack to more than this multiple of the size limit is refused."""

ROW_COLUMN = "_row"

ALIASES = {
    "indicator": "indicator_code",
    "code": "indicator_code",
    "area": "area_code",
    "num": "numerator",
    "den": "denominator",
    "standard_deviation": "sd",
    "comment": "commentary",
    "comments": "commentary",
    "breakdown_code": "breakdown",
}


class ReadError(ValueError):
    """The file could not be read as a return."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("; ".join(f.message for f in findings))


@dataclass(frozen=True)
class RawReturn:
    """A return file as read: text cells, the row numbers, the header as written."""

    frame: pl.DataFrame
    header: list[str]
    file_format: str
    encoding: str | None
    delimiter: str | None

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW_COLUMN]


def _fail(
    rule: str,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> ReadError:
    return ReadError([Finding(rule, Severity.ERROR, row, column, value, message)])


def canonical(name: str) -> str:
    """Header text to a column name: ``'Indicator Code '`` -> ``'indicator_code'``."""
    clean = re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
    return ALIASES.get(clean, clean)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, exc) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, exc) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc) from None


def _encoding_error(data: bytes, exc: UnicodeDecodeError) -> ReadError:
    line = data[: exc.start].count(b"\n") + 1
    return _fail(
        "R03",
        f"Line {line} has bytes that are neither UTF-8 nor Windows-1252 text "
        f"(byte 0x{data[exc.start]:02x}). Save the file as 'CSV UTF-8' from your spreadsheet.",
        row=line,
    )


def _sniff_delimiter(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    if counts[best] == 0:
        raise _fail(
            "R04",
            "The first line has no commas, semicolons or tabs, so it is not a table header. "
            "Start from the template: its first line names the columns.",
            row=1,
            value=first_line[:80],
        )
    return best


def _ragged_row(text: str, delimiter: str) -> Finding | None:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    width = None
    for number, record in enumerate(reader, start=1):
        if width is None:
            width = len(record)
        elif len(record) > width:
            return Finding(
                "R05",
                Severity.ERROR,
                number,
                None,
                None,
                f"Row {number} has {len(record)} cells but the header has {width}. "
                "Remove the extra cells, or put text that contains the separator in quotes.",
            )
    return None


def _read_csv(data: bytes) -> RawReturn:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            "R02",
            "This is not a text (CSV) file. Upload the return as CSV or XLSX, made from the "
            "template.",
        )
    text, encoding = _decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n \t")
    if not text.strip():
        raise _fail("R06", "The file is empty. Fill in the template and upload it again.")
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=delimiter,
            has_header=False,
            skip_rows=1,
            schema={f"c{i}": pl.String for i in range(len(header))},
            quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        ragged = _ragged_row(text, delimiter)
        if ragged:
            raise ReadError([ragged]) from None
        raise _fail("R05", f"The file could not be read as a table: {exc}".split("\n")[0]) from None
    return _finish(frame, header, "csv", encoding, delimiter)


def _check_xlsx_size(data: bytes, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _fail(
            "R02",
            "This file claims to be XLSX but is damaged. Save it again from your "
            "spreadsheet, or save it as CSV.",
        ) from None
    if unpacked > max_bytes * MAX_XLSX_EXPANSION:
        raise _fail(
            "R01",
            f"This workbook unpacks to {unpacked / 1e6:.0f} MB, far more than a return needs. "
            "Copy just the return sheet into a new workbook, or save it as CSV.",
        )


def _read_xlsx(data: bytes, max_bytes: int) -> RawReturn:
    import fastexcel

    _check_xlsx_size(data, max_bytes)
    try:
        reader = fastexcel.read_excel(data)
        sheets = reader.sheet_names
        sheet = next((s for s in sheets if s.strip().lower() == "return"), sheets[0])
        loaded = reader.load_sheet(sheet, header_row=None, dtypes="string")
        frame = loaded.to_polars()
    except Exception as exc:  # fastexcel raises its own hierarchy; report any of it
        raise _fail(
            "R02", f"The workbook could not be read ({exc}). Save it again as XLSX or CSV."
        ) from None
    if frame.height == 0:
        raise _fail("R06", "The return sheet is empty. Fill in the template and upload it again.")
    header = ["" if v is None else str(v) for v in frame.row(0)]
    frame = frame.slice(1)
    frame.columns = [f"c{i}" for i in range(frame.width)]
    return _finish(frame, header, "xlsx", None, None)


def _finish(
    frame: pl.DataFrame, header: list[str], fmt: str, encoding: str | None, delimiter: str | None
) -> RawReturn:
    names = [canonical(h) for h in header]
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            if frame.get_column(f"c{position}").drop_nulls().str.strip_chars().eq("").all():
                names[position] = f"_blank_{position}"
                continue
            raise _fail(
                "R07",
                f"Column {position + 1} has figures but no heading. "
                "Give it a heading from the template, or delete it.",
                row=1,
            )
        if name in seen:
            raise _fail(
                "R07",
                f"The heading '{header[position]}' appears twice (columns {seen[name] + 1} and "
                f"{position + 1}). Keep one.",
                row=1,
                column=header[position],
            )
        seen[name] = position
    frame.columns = names
    frame = frame.select([c for c in names if not c.startswith("_blank_")])
    frame = frame.with_columns(pl.col(pl.String).str.strip_chars())
    frame = frame.with_row_index(ROW_COLUMN, offset=2).with_columns(
        pl.col(ROW_COLUMN).cast(pl.Int64)
    )
    cells = [c for c in frame.columns if c != ROW_COLUMN]
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c) == "") for c in cells])
    frame = frame.filter(~blank) if cells else frame
    header = [h for h, n in zip(header, names, strict=True) if not n.startswith("_blank_")]
    return RawReturn(frame, header, fmt, encoding, delimiter)


def read_return(
    source: bytes | str | Path, *, file_name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> RawReturn:
    """Read a return from a path or from the bytes of an upload."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        file_name = file_name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise _fail("R02", f"The file {path} could not be opened: {exc.strerror}.") from None
        if size > max_bytes:
            raise _too_big(size, max_bytes)
        data = path.read_bytes()
    else:
        data = source
    if len(data) > max_bytes:
        raise _too_big(len(data), max_bytes)
    if not data.strip():
        raise _fail("R06", "The file is empty. Fill in the template and upload it again.")
    name = (file_name or "").lower()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_bytes)
    if name.endswith((".xlsx", ".xlsm")):
        raise _fail(
            "R02",
            "This file is named .xlsx but is not an Excel workbook. "
            "Save it again as XLSX, or as CSV.",
        )
    if name.endswith((".xls", ".ods", ".pdf", ".docx", ".zip")) or data.startswith(
        (b"\xd0\xcf\x11\xe0", b"%PDF")
    ):
        raise _fail(
            "R02",
            "Only CSV and XLSX returns can be read. Save the return as CSV UTF-8 "
            "or as an Excel workbook (.xlsx).",
        )
    return _read_csv(data)


def _too_big(size: int, max_bytes: int) -> ReadError:
    return _fail(
        "R01",
        f"The file is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes / 1024 / 1024:.0f} MB. "
        "A return holds one group's figures for one quarter: check that it is the right file.",
    )


_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


def parse_numbers(column: str) -> pl.Expr:
    """Text to a float: thousands separators (``1,234``), a trailing ``%`` and spaces are
    accepted; anything else that is not blank becomes null (and is reported by validation).
    """
    text = pl.col(column).str.strip_chars().str.replace_all(r"[\s\u00a0]", "")
    grouped = text.str.contains(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?$")
    text = pl.when(grouped).then(text.str.replace_all(",", "")).otherwise(text)
    text = text.str.strip_suffix("%")
    return pl.when(text.str.contains(_NUMBER)).then(text.cast(pl.Float64, strict=False))


NUMBER_PATTERN = r"^\s*[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?\s*%?\s*$"
"""Text that :func:`parse_numbers` turns into a number (or a blank)."""
