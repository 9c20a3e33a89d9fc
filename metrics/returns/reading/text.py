"""Reading a CSV (or semicolon- or tab-separated) return, row by row and within limits.

Accepted: UTF-8 with or without a byte-order mark, UTF-16 with a byte-order mark,
Windows-1252; comma, semicolon or tab separators; blank lines. Python's ``csv`` module
parses it one row at a time, so rows, columns and cell length are checked before anything
is held for the whole file.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from metrics.core.limits import ReadLimits
from metrics.returns.reading.base import (
    ROW_COLUMN,
    RawReturn,
    ReadError,
    cell_too_long,
    column_name,
    finish,
    read_error,
    too_many_columns,
    too_many_rows,
)


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


def read_text(data: bytes, limits: ReadLimits) -> RawReturn:
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
        raise too_many_columns(first_line.count(delimiter) + 1, limits)
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
            raise too_many_rows(limits)
        numbers.append(number)
        for position in range(width):
            cell = record[position] if position < len(record) else None
            if cell is not None and len(cell) > limits.max_cell_chars:
                raise cell_too_long(number, column_name(header, position), len(cell), limits)
            cells[position].append(cell)
    for position, heading in enumerate(header):
        if len(heading) > limits.max_cell_chars:
            raise cell_too_long(1, column_name(header, position), len(heading), limits)
    frame = pl.DataFrame(
        {f"c{i}": pl.Series(cells[i], dtype=pl.String) for i in range(width)}
        | {ROW_COLUMN: pl.Series(numbers, dtype=pl.Int64)}
    )
    return finish(frame, header, "csv", encoding, delimiter)
