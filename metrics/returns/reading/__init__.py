"""Reading a return file (CSV or XLSX) into a Polars frame of text cells, within limits: the
dispatcher over one module per format (:mod:`.text`, :mod:`.xlsx`) and the vocabulary they
share (:mod:`.base`).

Every cell is read as text; numbers are parsed later (:mod:`metrics.core.numbers`) so that
a cell that is not a number can be reported with its row and column. Anything that cannot be
read raises :class:`~metrics.returns.reading.base.ReadError` with findings that say what is
wrong, where, and how to fix it. Reading is bounded (:class:`~metrics.core.limits.ReadLimits`):
bytes, rows, columns and cell length are checked as the file is read, never after a reader
has allocated for the whole of it.
"""

from __future__ import annotations

from pathlib import Path

from metrics.core.limits import MB, ReadLimits
from metrics.returns.reading.base import RawReturn, ReadError, read_error
from metrics.returns.reading.text import read_text
from metrics.returns.reading.xlsx import read_xlsx


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
        return read_xlsx(data, limits)
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
    return read_text(data, limits)


def _too_big(size: int, max_bytes: int) -> ReadError:
    return read_error(
        "R01",
        f"The file is {size / MB:.1f} MB; the limit is {max_bytes / MB:.0f} MB. "
        "A return holds one group's figures for one quarter: check that it is the right file.",
    )
