"""XLSX workbooks, opened so that no file can take the server down.

An XLSX file is a zip of XML parts. Before any reader allocates, :func:`inspect` checks the
zip's own directory (parts, declared sizes, encryption) and streams the chosen sheet's XML
through expat, counting the bytes it really unpacks to and every row and cell reference
against :class:`~metrics.core.limits.ReadLimits`. Only then is the workbook opened with
calamine (fastexcel) — in a child process with an address-space and CPU-time limit, so
that a reader that still runs away or aborts (calamine sizes its buffers from the sheet's
declared dimension) ends that process, not the app, and becomes a finding.

The child process is this module run as
``python -m metrics.returns.reading.xlsx MEMORY_MB SECONDS SHEET`` with the workbook on
standard input and an Arrow IPC stream of text cells on standard output.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

import polars as pl

from metrics.core.limits import ReadLimits
from metrics.core.settings import ROOT
from metrics.returns.reading.base import (
    ROW_COLUMN,
    RawReturn,
    ReadError,
    cell_too_long,
    column_name,
    finish,
    read_error,
)

MAX_PARTS = 2_000
CHUNK = 1024 * 1024
CANNOT_READ = 3
"""The child's exit status when calamine refused the workbook (damaged, not a workbook)."""

_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,8})$")
_DAMAGED = (
    "The workbook could not be read: it is damaged or was saved in a form this app cannot "
    "open. Open it in Excel and save it again as an Excel workbook (.xlsx), or save the "
    "return sheet as CSV UTF-8."
)


def _column_number(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - 64)
    return number


def _cell(ref: str) -> tuple[int, int] | None:
    """'XFD1048576' -> (row 1048576, column 16384); None when it is not a cell reference."""
    match = _REF.match(ref.strip())
    if not match:
        return None
    return int(match.group(2)), _column_number(match.group(1))


@dataclass
class _Scan:
    """What the sheet's XML says about its size, gathered while streaming it."""

    limits: ReadLimits
    sheet: str
    row: int = 0
    column: int = 0
    rows_seen: int = 0

    def refuse_extent(self, rows: int, columns: int, where: str) -> None:
        if rows > self.limits.max_rows + 1 or columns > self.limits.max_columns:
            raise read_error(
                "R01",
                f"The sheet '{self.sheet}' has cells as far as {where} (row {rows:,}, "
                f"column {columns:,}); a return has at most {self.limits.max_rows:,} rows "
                f"and {self.limits.max_columns} columns. Delete the rows and columns beyond "
                "your figures (or copy the return into a new workbook) and upload it again.",
            )

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "dimension":
            last = (attrs.get("ref") or "").split(":")[-1]
            cell = _cell(last)
            if cell:
                self.refuse_extent(*cell, last.upper())
        elif local == "row":
            self.rows_seen += 1
            given = attrs.get("r")
            self.row = int(given) if given and given.isdigit() else self.row + 1
            self.column = 0
            self.refuse_extent(max(self.row, self.rows_seen), 1, f"row {self.row:,}")
        elif local == "c":
            cell = _cell(attrs.get("r") or "")
            self.column = cell[1] if cell else self.column + 1
            self.refuse_extent(self.row, self.column, attrs.get("r") or f"row {self.row:,}")


def _attr(attrs: dict[str, str], local: str, *, namespaced: bool = False) -> str | None:
    for key, value in attrs.items():
        parts = key.rsplit(" ", 1)
        if parts[-1] == local and (len(parts) == 2) == namespaced:
            return value
    return None


def _parser(start) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")

    def no_doctype(*_args: object) -> None:
        raise read_error("R02", _DAMAGED)

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    parser.StartElementHandler = start
    return parser


def _stream(archive: zipfile.ZipFile, part: str, parser, budget: list[int], limits) -> None:
    """Feed ``part`` to ``parser`` in chunks, counting the bytes it really unpacks to."""
    with archive.open(part) as handle:
        while chunk := handle.read(CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _unpacks_too_far(limits)
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _unpacks_too_far(limits: ReadLimits) -> ReadError:
    return read_error(
        "R01",
        f"This workbook unpacks to more than {limits.max_unpacked_bytes / 1e6:,.0f} MB, far "
        "more than a return needs. Copy just the return sheet into a new workbook, or save "
        "it as CSV.",
    )


def inspect(data: bytes, limits: ReadLimits) -> str:
    """Check a workbook from its zip directory and XML; return the sheet to read."""
    try:
        return _inspect(data, limits)
    except ReadError:
        raise
    except Exception:  # zipfile and expat raise many kinds on a damaged file
        raise read_error("R02", _DAMAGED) from None


def _inspect(data: bytes, limits: ReadLimits) -> str:
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise read_error(
            "R01",
            f"This workbook has {len(infos):,} parts; a return needs a handful. Copy the "
            "return sheet into a new workbook, or save it as CSV.",
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise read_error(
            "R02",
            "This workbook is protected with a password. Remove the password (File > Info > "
            "Protect Workbook) and upload it again.",
        )
    if sum(info.file_size for info in infos) > limits.max_unpacked_bytes:
        raise _unpacks_too_far(limits)
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise read_error(
            "R02",
            "This file is a zip archive but not an Excel workbook. Save the return as an "
            "Excel workbook (.xlsx) or as CSV UTF-8.",
        )
    budget = [limits.max_unpacked_bytes]
    sheets: list[tuple[str, str]] = []

    def on_sheet(name: str, attrs: dict[str, str]) -> None:
        if name.rsplit(" ", 1)[-1] == "sheet":
            sheets.append((attrs.get("name") or "", _attr(attrs, "id", namespaced=True) or ""))

    _stream(archive, "xl/workbook.xml", _parser(on_sheet), budget, limits)
    targets: dict[str, str] = {}

    def on_relationship(name: str, attrs: dict[str, str]) -> None:
        if name.rsplit(" ", 1)[-1] == "Relationship":
            targets[attrs.get("Id") or ""] = attrs.get("Target") or ""

    if "xl/_rels/workbook.xml.rels" in names:
        _stream(archive, "xl/_rels/workbook.xml.rels", _parser(on_relationship), budget, limits)
    if not sheets:
        raise read_error(
            "R06", "The workbook has no sheets. Fill in the template and upload it again."
        )
    chosen = next((s for s in sheets if s[0].strip().lower() == "return"), sheets[0])
    target = targets.get(chosen[1], "")
    part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    part = os.path.normpath(part).replace(os.sep, "/")
    if part not in names:
        raise read_error("R02", _DAMAGED)
    scan = _Scan(limits, chosen[0])
    _stream(archive, part, _parser(scan.start), budget, limits)
    for shared in ("xl/sharedStrings.xml", "xl/styles.xml"):
        if shared in names:
            _stream(archive, shared, _parser(lambda *_: None), budget, limits)
    return chosen[0]


def read_workbook(data: bytes, limits: ReadLimits) -> tuple[pl.DataFrame, list[str]]:
    """The chosen sheet as text cells ``c0..cN`` with spreadsheet row numbers, and its
    header row. Raises :class:`ReadError` for anything that cannot be read."""
    sheet = inspect(data, limits)
    frame = _read_in_child(data, sheet, limits)
    frame = frame.with_row_index(ROW_COLUMN, offset=1).with_columns(
        pl.col(ROW_COLUMN).cast(pl.Int64)
    )
    if frame.height == 0:
        raise read_error(
            "R06", "The return sheet is empty. Fill in the template and upload it again."
        )
    cells = [c for c in frame.columns if c != ROW_COLUMN]
    if len(cells) > limits.max_columns or frame.height > limits.max_rows + 1:
        raise read_error(
            "R01",
            f"The sheet '{sheet}' has {frame.height:,} rows and {len(cells)} columns; a "
            f"return has at most {limits.max_rows:,} rows and {limits.max_columns} columns.",
        )
    header = ["" if v is None else str(v) for v in frame.select(cells).row(0)]
    return frame.slice(1), header


def _child_env() -> dict[str, str]:
    root = str(ROOT)
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{root}{os.pathsep}{path}" if path else root,
        "MALLOC_ARENA_MAX": "2",
        "POLARS_MAX_THREADS": "1",
        "RAYON_NUM_THREADS": "1",
    }


def _read_in_child(data: bytes, sheet: str, limits: ReadLimits) -> pl.DataFrame:
    memory_mb = max(limits.reader_memory_bytes // (1024 * 1024), 64)
    command = [
        sys.executable,
        "-m",
        "metrics.returns.reading.xlsx",
        str(memory_mb),
        str(limits.reader_seconds),
        sheet,
    ]
    try:
        done = subprocess.run(
            command,
            input=data,
            capture_output=True,
            timeout=limits.reader_seconds + 10,
            env=_child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise read_error(
            "R01",
            f"The workbook took longer than {limits.reader_seconds} seconds to open, far "
            "longer than a return should. Copy just the return sheet into a new workbook, or "
            "save it as CSV.",
        ) from None
    if done.returncode == 0:
        try:
            return pl.read_ipc_stream(io.BytesIO(done.stdout))
        except Exception:
            raise read_error("R02", _DAMAGED) from None
    if done.returncode == CANNOT_READ:
        raise read_error("R02", _DAMAGED)
    raise read_error(
        "R01",
        f"The workbook needed more than {memory_mb:,} MB of memory or "
        f"{limits.reader_seconds} seconds to open, far more than a return should (its sheets "
        "may declare millions of empty cells). Copy just the return sheet into a new "
        "workbook, or save it as CSV.",
    )


def _child(argv: list[str]) -> int:
    """Run in the child process: limits first, then calamine."""
    import resource

    memory = int(argv[0]) * 1024 * 1024
    seconds = int(argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    data = sys.stdin.buffer.read()
    try:
        import fastexcel

        reader = fastexcel.read_excel(data)
        loaded = reader.load_sheet(argv[2], header_row=None, dtypes="string")
        frame = loaded.to_polars()
        frame.columns = [f"c{i}" for i in range(frame.width)]
        frame = frame.with_columns(pl.all().cast(pl.String))
    except MemoryError:
        return 4
    except Exception:  # calamine's own errors: a damaged or unusual workbook
        return CANNOT_READ
    out = io.BytesIO()
    frame.write_ipc_stream(out)
    sys.stdout.buffer.write(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))


def read_xlsx(data: bytes, limits: ReadLimits) -> RawReturn:
    frame, header = read_workbook(data, limits)
    width = len(header)
    for position in range(width):
        longest = frame.get_column(f"c{position}").str.len_chars().max()
        if longest is not None and longest > limits.max_cell_chars:
            at = frame.filter(pl.col(f"c{position}").str.len_chars() == longest)[ROW_COLUMN][0]
            raise cell_too_long(at, column_name(header, position), longest, limits)
    return finish(frame, header, "xlsx", None, None)
