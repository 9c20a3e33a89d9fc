"""Reading a return file (CSV or XLSX) into a Polars frame of text cells, within limits.

Every cell is read as text; numbers are parsed later by :func:`parse_numbers` so that a
cell that is not a number can be reported with its row and column. Row numbers are those
a person sees when they open the file in a spreadsheet: the header is row 1, the first
figures row 2.

Accepted: UTF-8 with or without a byte-order mark, UTF-16 with a byte-order mark,
Windows-1252; comma, semicolon or tab separators; blank lines; XLSX workbooks (the sheet
named ``return``, else the first). Anything else raises :class:`ReadError` with findings
that say what is wrong, where, and how to fix it.

Reading is bounded (:class:`ReadLimits`, from :mod:`metrics.settings`): bytes, rows,
columns and cell length are checked as the file is read, never after a reader has
allocated for the whole of it. CSV is parsed by Python's ``csv`` module row by row; an
XLSX workbook is checked from its own zip directory and XML (:mod:`metrics.xlsx`) and then
opened in a child process with memory and time limits, so no file can take the server
down.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from metrics.findings import Finding, Severity
from metrics.settings import setting

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
    "what_the_figures_show": "commentary",
    "story_behind_the_curve": "story",
    "the_story_behind_the_curve": "story",
    "partners_with_a_role": "partners",
    "actions_planned": "actions",
    "breakdown_code": "breakdown",
}

# Cell length is checked here, cell by cell, against ReadLimits.max_cell_chars; the csv
# module's own limit (131,072 characters, process-wide) is set above any file we accept.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """What a return file may hold; anything beyond is refused with a finding (R01)."""

    max_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_unpacked_bytes: int
    reader_memory_bytes: int
    reader_seconds: int

    @classmethod
    def from_settings(cls) -> ReadLimits:
        return cls(
            max_bytes=int(setting("OUTCOMES_MAX_UPLOAD_MB") * MB),
            max_rows=setting("OUTCOMES_MAX_ROWS"),
            max_columns=setting("OUTCOMES_MAX_COLUMNS"),
            max_cell_chars=setting("OUTCOMES_MAX_CELL_CHARS"),
            max_unpacked_bytes=int(setting("OUTCOMES_MAX_XLSX_UNPACKED_MB") * MB),
            reader_memory_bytes=setting("OUTCOMES_READER_MEMORY_MB") * MB,
            reader_seconds=setting("OUTCOMES_READER_SECONDS"),
        )

    @classmethod
    def unbounded_for(cls, data: bytes) -> ReadLimits:
        """Limits that admit ``data`` whatever its size (benchmarks of huge returns)."""
        base = cls.from_settings()
        big = max(len(data) * 2, base.max_bytes)
        return cls(
            max_bytes=big,
            max_rows=10**9,
            max_columns=base.max_columns,
            max_cell_chars=base.max_cell_chars,
            max_unpacked_bytes=big * 20,
            reader_memory_bytes=base.reader_memory_bytes * 8,
            reader_seconds=base.reader_seconds * 10,
        )


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


def read_error(
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
    return read_error(
        "R03",
        f"Line {line} has bytes that are neither UTF-8 nor Windows-1252 text "
        f"(byte 0x{data[exc.start]:02x}). Save the file as 'CSV UTF-8' from your spreadsheet.",
        row=line,
    )


def _sniff_delimiter(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    if counts[best] == 0:
        raise read_error(
            "R04",
            "The first line has no commas, semicolons or tabs, so it is not a table header. "
            "Start from the template: its first line names the columns.",
            row=1,
            value=first_line[:80],
        )
    return best


def _too_many_columns(count: int, limits: ReadLimits) -> ReadError:
    return read_error(
        "R01",
        f"The header has {count:,} columns; a return has at most {limits.max_columns}. "
        "Start from the template, or delete the empty columns to the right of the figures.",
        row=1,
    )


def _too_many_rows(limits: ReadLimits) -> ReadError:
    return read_error(
        "R01",
        f"The file has more than {limits.max_rows:,} rows of figures, far more than a return "
        "needs. Check that it is the right file, or delete the rows below the figures.",
    )


def _cell_too_long(row: int, column: str, length: int, limits: ReadLimits) -> ReadError:
    return read_error(
        "R01",
        f"Row {row}, column {column} holds {length:,} characters; a cell may hold at most "
        f"{limits.max_cell_chars:,}. Shorten it (commentary can summarise and point to the "
        "full report).",
        row=row,
        column=column,
    )


def _read_csv(data: bytes, limits: ReadLimits) -> RawReturn:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise read_error(
            "R02",
            "This is not a text (CSV) file. Upload the return as CSV or XLSX, made from the "
            "template.",
        )
    text, encoding = _decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n \t")
    if not text.strip():
        raise read_error("R06", "The file is empty. Fill in the template and upload it again.")
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    if first_line.count(delimiter) + 1 > limits.max_columns:
        raise _too_many_columns(first_line.count(delimiter) + 1, limits)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str] = next(records)
    width = len(header)
    cells: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    for number, record in enumerate(records, start=2):
        if not record or all(not c.strip() for c in record):
            continue  # a blank line: skipped, but row numbers stay the spreadsheet's
        if len(record) > width:
            if any(c.strip() for c in record[width:]):
                raise read_error(
                    "R05",
                    f"Row {number} has {len(record)} cells but the header has {width}. "
                    "Remove the extra cells, or put text that contains the separator in quotes.",
                    row=number,
                )
            record = record[:width]
        if len(numbers) >= limits.max_rows:
            raise _too_many_rows(limits)
        numbers.append(number)
        for position in range(width):
            cell = record[position] if position < len(record) else None
            if cell is not None and len(cell) > limits.max_cell_chars:
                raise _cell_too_long(number, _column_name(header, position), len(cell), limits)
            cells[position].append(cell)
    for position, heading in enumerate(header):
        if len(heading) > limits.max_cell_chars:
            raise _cell_too_long(1, _column_name(header, position), len(heading), limits)
    frame = pl.DataFrame(
        {f"c{i}": pl.Series(cells[i], dtype=pl.String) for i in range(width)}
        | {ROW_COLUMN: pl.Series(numbers, dtype=pl.Int64)}
    )
    return _finish(frame, header, "csv", encoding, delimiter)


def column_letter(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _column_name(header: list[str], position: int) -> str:
    """How a finding names a column: its letter, and its heading when it has one."""
    heading = header[position].strip()[:40] if position < len(header) else ""
    letters = column_letter(position)
    return f"{letters} ({heading})" if heading else letters


def _read_xlsx(data: bytes, limits: ReadLimits) -> RawReturn:
    from metrics import xlsx

    frame, header = xlsx.read_workbook(data, limits)
    width = len(header)
    for position in range(width):
        longest = frame.get_column(f"c{position}").str.len_chars().max()
        if longest is not None and longest > limits.max_cell_chars:
            at = frame.filter(pl.col(f"c{position}").str.len_chars() == longest)[ROW_COLUMN][0]
            raise _cell_too_long(at, _column_name(header, position), longest, limits)
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
            raise read_error(
                "R07",
                f"Column {_column_name(header, position)} has figures but no heading. "
                "Give it a heading from the template, or delete it.",
                row=1,
                column=_column_name(header, position),
            )
        if name in seen:
            raise read_error(
                "R07",
                f"The heading '{header[position]}' appears twice (columns {seen[name] + 1} and "
                f"{position + 1}). Keep one.",
                row=1,
                column=header[position],
            )
        seen[name] = position
    frame = frame.rename({f"c{i}": name for i, name in enumerate(names)})
    frame = frame.select([c for c in names if not c.startswith("_blank_")] + [ROW_COLUMN])
    frame = frame.with_columns(pl.col(pl.String).str.strip_chars())
    cells = [c for c in frame.columns if c != ROW_COLUMN]
    if cells:
        blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c) == "") for c in cells])
        frame = frame.filter(~blank)
    header = [h for h, n in zip(header, names, strict=True) if not n.startswith("_blank_")]
    return RawReturn(frame, header, fmt, encoding, delimiter)


def read_return(
    source: bytes | str | Path,
    *,
    file_name: str | None = None,
    limits: ReadLimits | None = None,
) -> RawReturn:
    """Read a return from a path or from the bytes of an upload."""
    limits = limits or ReadLimits.from_settings()
    if isinstance(source, (str, Path)):
        path = Path(source)
        file_name = file_name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise read_error(
                "R02", f"The file {path} could not be opened: {exc.strerror}."
            ) from None
        if size > limits.max_bytes:
            raise _too_big(size, limits.max_bytes)
        data = path.read_bytes()
    else:
        data = source
    if len(data) > limits.max_bytes:
        raise _too_big(len(data), limits.max_bytes)
    if not data.strip():
        raise read_error("R06", "The file is empty. Fill in the template and upload it again.")
    name = (file_name or "").lower()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, limits)
    if name.endswith((".xlsx", ".xlsm")):
        raise read_error(
            "R02",
            "This file is named .xlsx but is not an Excel workbook. "
            "Save it again as XLSX, or as CSV.",
        )
    if name.endswith((".xls", ".ods", ".pdf", ".docx", ".zip")) or data.startswith(
        (b"\xd0\xcf\x11\xe0", b"%PDF", b"PK")
    ):
        raise read_error(
            "R02",
            "Only CSV and XLSX returns can be read. Save the return as CSV UTF-8 "
            "or as an Excel workbook (.xlsx).",
        )
    return _read_csv(data, limits)


def _too_big(size: int, max_bytes: int) -> ReadError:
    return read_error(
        "R01",
        f"The file is {size / MB:.1f} MB; the limit is {max_bytes / MB:.0f} MB. "
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
