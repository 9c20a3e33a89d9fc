"""What every reader of a return shares: the read-error finding (with row, column and how to
fix it), the canonical column headings and their synonyms, how a column is named in a
message, and how a grid of text cells becomes a :class:`RawReturn`.

Row numbers are those a person sees when they open the file in a spreadsheet: the header is
row 1, the first figures row 2.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass

import polars as pl

from metrics.core.findings import Finding, Severity
from metrics.core.limits import ReadLimits

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


def too_many_columns(count: int, limits: ReadLimits) -> ReadError:
    return read_error(
        "R01",
        f"The header has {count:,} columns; a return has at most {limits.max_columns}. "
        "Start from the template, or delete the empty columns to the right of the figures.",
        row=1,
    )


def too_many_rows(limits: ReadLimits) -> ReadError:
    return read_error(
        "R01",
        f"The file has more than {limits.max_rows:,} rows of figures, far more than a return "
        "needs. Check that it is the right file, or delete the rows below the figures.",
    )


def cell_too_long(row: int, column: str, length: int, limits: ReadLimits) -> ReadError:
    return read_error(
        "R01",
        f"Row {row}, column {column} holds {length:,} characters; a cell may hold at most "
        f"{limits.max_cell_chars:,}. Shorten it (commentary can summarise and point to the "
        "full report).",
        row=row,
        column=column,
    )


def column_letter(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_name(header: list[str], position: int) -> str:
    """How a finding names a column: its letter, and its heading when it has one."""
    heading = header[position].strip()[:40] if position < len(header) else ""
    letters = column_letter(position)
    return f"{letters} ({heading})" if heading else letters


def finish(
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
                f"Column {column_name(header, position)} has figures but no heading. "
                "Give it a heading from the template, or delete it.",
                row=1,
                column=column_name(header, position),
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
