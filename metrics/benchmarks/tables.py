"""A publisher's own table with one row per area: the spreadsheets and CSV files the Youth
Justice Board, Ofsted and OHID publish by authority, in the layout each gives them.

Such a table has a title and notes above its header, a row per area (England, the regions,
the authorities, and often areas this product does not compare with: Welsh authorities,
joint youth justice services, districts), and notes below. The catalogue names the columns
(:class:`~metrics.core.catalogue.AreaTable`): the area code, the area name, the period,
the value and optionally the numerator and denominator. :func:`read_table` finds the header
row wherever it is, tells each row's level from its ONS area code (``E92`` England, ``E12``
a region, an upper-tier authority by DfE's ``las.csv``), reads suppression marks in either
form (``c`` or ``[c]``), and returns the same published-values frame as the other readers.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from metrics.benchmarks.base import (
    SYMBOLS,
    PublishedDataError,
    PublishedRead,
    apply_filters,
    authorities,
    count_left_out,
    period_end,
    published_frame,
    refuse_repeats,
)
from metrics.core.periods import PeriodError, parse_year, year_code

HEADER_SEARCH_ROWS = 30
"""How far down a table its header may be (below the title and notes)."""
MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


def table_period(text: str) -> str:
    """A table's period as this product's code: a financial or academic year written
    ``2024-25``, ``2024/25``, ``2024 to 2025`` or ``202425``; a date (``31 March 2025``,
    ``as at 31 August 2024``) as the financial year it falls in; a calendar year as itself."""
    cleaned = " ".join(text.split()).lower()
    match = re.fullmatch(r"(\d{4})\s*(?:-|/|to)\s*(\d{2}|\d{4})", cleaned)
    if match:
        start, end = int(match[1]), int(match[2]) % 100
        if (start + 1) % 100 != end:
            raise PublishedDataError(f"period '{text}': {start} and {match[2]} are not consecutive")
        return year_code(start)
    if re.fullmatch(r"\d{6}", cleaned):
        try:
            return year_code(parse_year(cleaned))
        except PeriodError as exc:
            raise PublishedDataError(str(exc)) from None
    if re.fullmatch(r"\d{4}", cleaned):
        return cleaned
    match = re.search(r"(\d{1,2})\s+([a-z]+)\s+(\d{4})", cleaned)
    if match and match[2] in MONTHS:
        month, year = MONTHS[match[2]], int(match[3])
        return year_code(year if month >= 4 else year - 1)
    raise PublishedDataError(
        f"period '{text}' is not a year (2024-25, 2024/25, 2024) or a date (31 March 2025)"
    )


def _cells(path: Path, sheet: str | None) -> pl.DataFrame:
    """Every cell of the file as text, no header taken: columns ``c0``, ``c1``, …"""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        import fastexcel

        try:
            reader = fastexcel.read_excel(str(path))
            names = reader.sheet_names
            if sheet is not None and sheet not in names:
                raise PublishedDataError(
                    f"{path.name}: no sheet '{sheet}'; the workbook has {', '.join(names)}"
                )
            frame = reader.load_sheet(
                sheet if sheet is not None else 0, header_row=None, dtypes="string"
            ).to_polars()
        except PublishedDataError:
            raise
        except Exception as exc:  # calamine reports damage in its own exception types
            raise PublishedDataError(f"{path.name}: cannot be read as a workbook ({exc})") from None
    else:
        # the title and notes above a table are narrower than the table: read row by row
        try:
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
                rows = list(csv.reader(f))
        except (OSError, csv.Error) as exc:
            raise PublishedDataError(f"{path}: cannot be read as CSV ({exc})") from None
        width = max((len(r) for r in rows), default=0)
        frame = pl.DataFrame(
            [r + [None] * (width - len(r)) for r in rows],
            schema=[f"c{i}" for i in range(width)],
            orient="row",
        )
    return frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})


def _header(cells: pl.DataFrame, name: str, wanted: list[str]) -> tuple[int, dict[str, str]]:
    """The header row's index (the first row naming every wanted column) and each header
    name's cell column."""

    def norm(text: str | None) -> str:
        return " ".join((text or "").replace("\ufeff", "").split()).lower()

    looking = {norm(w) for w in wanted}
    for index, row in enumerate(cells.head(HEADER_SEARCH_ROWS).iter_rows()):
        named = {norm(v): f"c{i}" for i, v in enumerate(row) if norm(v)}
        if looking <= set(named):
            first: dict[str, tuple[str, str]] = {}  # the first cell of each name
            for i, v in enumerate(row):
                first.setdefault(norm(v), (" ".join((v or "").split()), f"c{i}"))
            first.pop("", None)
            return index, dict(first.values())
    first = next(
        (
            [" ".join((v or "").split()) for v in row if v and v.strip()]
            for row in cells.head(HEADER_SEARCH_ROWS).iter_rows()
            if sum(bool(v and v.strip()) for v in row) > 2
        ),
        [],
    )
    raise PublishedDataError(
        f"{name}: no row in its first {HEADER_SEARCH_ROWS} names all of "
        f"{', '.join(repr(w) for w in wanted)}"
        + (f"; the table's columns seem to be {', '.join(first)}" if first else "")
        + ". Check the column names in the catalogue's table against the file."
    )


def _level(code: str) -> str | None:
    if code == "E92000001":
        return "national"
    if code.startswith("E12"):
        return "regional"
    if re.fullmatch(r"E(06|08|09|10|11)\d{6}", code):
        return "local authority"
    return None


def _mark(raw: str) -> str:
    """A cell without its brackets: ``[c]`` is ``c``, as gov.uk's accessible tables write
    their suppression marks."""
    text = raw.strip()
    return text[1:-1].strip() if text.startswith("[") and text.endswith("]") else text


def read_table(
    path: Path | str,
    *,
    table,
    column: str,
    filters: dict[str, str] | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    how_to_filter: str = "--filter {column}={value!r}",
) -> PublishedRead:
    """One indicator's published values from a publisher's area table (``table`` is the
    catalogue's :class:`~metrics.core.catalogue.AreaTable`): England, the regions and every
    upper-tier authority, with the rows left out at each level and why."""
    path = Path(path)
    name = path.name
    cells = _cells(path, table.sheet)
    wanted = [
        table.area_code,
        table.period,
        column,
        *(c for c in (table.area_name, numerator, denominator) if c),
        *(filters or {}),
    ]
    at, by_header = _header(cells, name, wanted)

    def col(header: str) -> str:
        return next(
            v for k, v in by_header.items() if k.lower() == " ".join(header.split()).lower()
        )

    body = cells.slice(at + 1).with_row_index("_row", offset=at + 2)
    rename = {col(h): h for h in dict.fromkeys(wanted)}
    dims = {
        v: k for k, v in by_header.items() if v not in rename and k.strip() and v in body.columns
    }
    frame = body.select("_row", *(pl.col(c).alias(h) for c, h in [*rename.items(), *dims.items()]))
    frame = frame.with_columns(
        pl.col(h).str.strip_chars().fill_null("") for h in dict.fromkeys(wanted)
    ).with_columns(
        _code=pl.col(table.area_code).str.to_uppercase(),
    )
    # notes under the table and blank lines have neither a period nor a value
    blank = (pl.col(table.period) == "") & (pl.col(column) == "")
    left_out: dict[str, dict[str, int]] = {}
    frame = frame.filter(~blank)
    england = (pl.col("_code") == "") & (
        pl.col(table.area_name).str.to_lowercase() == "england" if table.area_name else False
    )
    frame = frame.with_columns(
        _code=pl.when(england).then(pl.lit("E92000001")).otherwise(pl.col("_code"))
    ).with_columns(
        _level=pl.col("_code").map_elements(
            lambda c: _level(c) or "other areas", return_dtype=pl.String
        )
    )
    count_left_out(
        left_out,
        frame.filter(pl.col("_level") == "other areas"),
        "not England, a region or an upper-tier authority (by area code)",
    )
    frame = frame.filter(pl.col("_level") != "other areas")
    frame = apply_filters(frame, filters, name=name, left_out=left_out)
    if frame.is_empty():
        raise PublishedDataError(f"{name}: no row for England, a region or an authority")
    dimensions = {
        c: c
        for c in dims.values()
        if frame[c].drop_nulls().n_unique() > 1
        and not frame[c].fill_null("").str.contains(r"^\s*[\d.,\[\]a-z~:-]*\s*$").all()
    }
    refuse_repeats(
        frame,
        name=name,
        keys=[table.period, "_code"],
        dimensions=dimensions,
        value=column,
        describe_area="_code",
        how_to_filter=how_to_filter,
    )
    return PublishedRead(_rows(frame, name, table, column, numerator, denominator), left_out)


def _rows(frame, name, table, column, numerator, denominator) -> pl.DataFrame:
    las = authorities()
    rows, unknown = [], []
    for row in frame.iter_rows(named=True):
        where = f"{name}: row {row['_row']}"
        try:
            period = table_period(row[table.period])
        except PublishedDataError as exc:
            raise PublishedDataError(f"{where}, column '{table.period}': {exc}") from None
        code, level = row["_code"], row["_level"]
        area = row.get(table.area_name) if table.area_name else None
        old = None
        if level == "local authority":
            auth = las.resolve(code, None, period_end(period))
            if auth is None:
                unknown.append(f"{code} ({area or 'no name'}, row {row['_row']})")
                continue
            code, old, area = auth.new_code, auth.old_code, area or auth.name
        raw = _mark(row[column])
        rows.append(
            {
                "period": period,
                "time_period": row[table.period],
                "level": level,
                "area_code": code,
                "old_la_code": old,
                "area_name": area or ("England" if level == "national" else code),
                "value_text": raw,
                "numerator_text": _mark(row[numerator]) if numerator else None,
                "denominator_text": _mark(row[denominator]) if denominator else None,
                "symbol": raw.lower() if raw.lower() in SYMBOLS else None,
            }
        )
    if unknown:
        raise PublishedDataError(
            f"{name}: authority code{'s' * (len(unknown) > 1)} {', '.join(unknown[:5])} "
            "not in las.csv: update data/reference/las.csv from DfE's list of authorities"
        )
    return published_frame(rows)
