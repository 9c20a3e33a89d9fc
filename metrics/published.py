"""Published benchmark data: DfE open-data (EES-format) files and the statistical
neighbour model.

An EES file has one row per time period and geography (``National``, ``Regional``,
``Local authority``) with filter and indicator columns. :func:`read_published` picks one
indicator column (and optionally numerator and denominator columns), applies filters,
turns suppression symbols into missing values (keeping the symbol), converts periods to
this product's codes, and resolves authority codes across reorganisations. Anything it
cannot map raises :class:`PublishedDataError` naming the column, code or row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import polars as pl

from metrics.periods import PeriodType, parse_year, year_end
from metrics.reading import parse_numbers

LAS_FILE = Path(__file__).resolve().parent.parent / "data" / "reference" / "las.csv"
SYMBOLS = {
    "c": "confidential (suppressed)",
    "x": "not available",
    "z": "not applicable",
    "low": "rounds to zero",
    "u": "low reliability",
    ":": "not available (legacy)",
    "~": "rounds to zero (legacy)",
}
REQUIRED = ["time_period", "time_identifier", "geographic_level"]
LEVELS = {"National": "national", "Regional": "regional", "Local authority": "local authority"}


class PublishedDataError(ValueError):
    """A published file that cannot be mapped."""


@dataclass(frozen=True)
class Authority:
    new_code: str
    old_code: str
    name: str
    live: bool
    operating_from: date | None = None
    terminated: date | None = None

    def operating_on(self, day: date) -> bool:
        return (self.operating_from is None or self.operating_from <= day) and (
            self.terminated is None or day <= self.terminated
        )


def _day(text: str | None) -> date | None:
    if not text:
        return None
    return datetime.strptime(text.strip(), "%d/%m/%Y").date()


@dataclass(frozen=True)
class LaCodes:
    """DfE's las.csv: every authority by its new (ONS) code, and the authorities that have
    used each old (three-digit) code, with their dates of operation and termination."""

    by_new: dict[str, Authority]
    by_old: dict[str, tuple[Authority, ...]]

    def resolve(self, new_code: str | None, old_code: str | None, on: date) -> Authority | None:
        """The authority a row names: by its new code where it has one; by its old code
        otherwise, choosing the authority operating on ``on`` where an old code was reused
        after a reorganisation (North Yorkshire's 815 and Somerset's 933 in April 2023),
        else the live one, else the latest to operate."""
        if new_code and new_code in self.by_new:
            return self.by_new[new_code]
        candidates = self.by_old.get(old_code or "", ())
        for auth in candidates:
            if auth.operating_on(on):
                return auth
        live = [a for a in candidates if a.live]
        if live:
            return live[0]
        return max(candidates, key=lambda a: a.operating_from or date.min, default=None)


@cache
def authorities(path: Path = LAS_FILE) -> LaCodes:
    """Every authority by new and by old code (from DfE's las.csv)."""
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    by_new: dict[str, Authority] = {}
    by_old: dict[str, list[Authority]] = {}
    for row in frame.iter_rows(named=True):
        auth = Authority(
            row["new_la_code"],
            row["old_la_code"],
            row["la_name"],
            row["status"] == "live",
            _day(row["date_of_operation"]),
            _day(row["date_of_termination"]),
        )
        by_new[auth.new_code] = auth
        by_old.setdefault(auth.old_code, []).append(auth)
    return LaCodes(by_new, {code: tuple(auths) for code, auths in by_old.items()})


def period_code(time_period: str, time_identifier: str) -> str:
    """EES period to this product's code: ``202425`` academic/financial year ->
    ``2024-25``; ``2025`` reporting year (at 31 March) -> ``2024-25``; calendar -> ``2025``."""
    text = time_period.strip()
    ident = time_identifier.strip().lower()
    if re.fullmatch(r"\d{6}", text):
        return f"{text[:4]}-{text[4:]}"
    if re.fullmatch(r"\d{4}", text):
        if ident.startswith("reporting year") or ident.startswith("financial year"):
            year = int(text)
            return f"{year - 1}-{year % 100:02d}"
        return text
    raise PublishedDataError(f"time_period '{time_period}' ({time_identifier}) is not a year")


def period_end(code: str) -> date:
    """The last day of a published period: 31 March for a year code (financial and
    reporting years; an academic year's census falls before it), 31 December for a
    calendar year."""
    if re.fullmatch(r"\d{4}", code):
        return date(int(code), 12, 31)
    return year_end(parse_year(code), PeriodType.FINANCIAL_YEAR)


def read_published(
    path: Path | str,
    *,
    column: str,
    filters: dict[str, str] | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
) -> pl.DataFrame:
    """One indicator's published values for England, regions and every authority."""
    path = Path(path)
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise PublishedDataError(f"{path}: cannot be read as CSV ({exc})") from None
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
    wanted = [*REQUIRED, column, *(c for c in (numerator, denominator) if c), *(filters or {})]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise PublishedDataError(
            f"{path.name}: no column {', '.join(repr(m) for m in missing)}; the file has "
            f"{', '.join(frame.columns)}"
        )
    for key, value in (filters or {}).items():
        frame = frame.filter(pl.col(key) == value)
        if frame.is_empty():
            raise PublishedDataError(f"{path.name}: no row has {key} = '{value}'")
    frame = frame.filter(pl.col("geographic_level").is_in(list(LEVELS)))
    if frame.is_empty():
        raise PublishedDataError(f"{path.name}: no National, Regional or Local authority rows")
    return _map_rows(frame, path.name, column, numerator, denominator)


def _map_rows(
    frame: pl.DataFrame, name: str, column: str, numerator: str | None, denominator: str | None
) -> pl.DataFrame:
    las = authorities()
    rows = []
    for number, row in enumerate(frame.iter_rows(named=True), start=2):
        level = LEVELS[row["geographic_level"]]
        if level == "local authority":
            period = period_code(row["time_period"], row["time_identifier"])
            auth = las.resolve(row.get("new_la_code"), row.get("old_la_code"), period_end(period))
            if auth is None:
                raise PublishedDataError(
                    f"{name}: row {number}: authority code '{row.get('new_la_code')}' / "
                    f"'{row.get('old_la_code')}' ({row.get('la_name')}) is not in las.csv"
                )
            code, old, area = auth.new_code, auth.old_code, row.get("la_name") or auth.name
        elif level == "regional":
            code, old, area = row.get("region_code"), None, row.get("region_name")
        else:
            code, old, area = row.get("country_code"), None, row.get("country_name") or "England"
        raw = (row[column] or "").strip()
        rows.append(
            {
                "period": period_code(row["time_period"], row["time_identifier"]),
                "time_period": row["time_period"],
                "level": level,
                "area_code": code,
                "old_la_code": old,
                "area_name": area,
                "value_text": raw,
                "numerator_text": (row.get(numerator) or "").strip() if numerator else None,
                "denominator_text": (row.get(denominator) or "").strip() if denominator else None,
                "symbol": raw.lower() if raw.lower() in SYMBOLS else None,
            }
        )
    return published_frame(rows)


def published_frame(rows: list[dict]) -> pl.DataFrame:
    """Published rows read from any layout (period, time_period, level, area_code,
    old_la_code, area_name, value_text, numerator_text, denominator_text, symbol) as the
    frame the store takes, their figures parsed as numbers."""
    out = pl.DataFrame(
        rows,
        schema_overrides={
            "numerator_text": pl.String,
            "denominator_text": pl.String,
            "old_la_code": pl.String,
            "symbol": pl.String,
        },
    )
    return out.with_columns(
        value=parse_numbers("value_text"),
        numerator=parse_numbers("numerator_text"),
        denominator=parse_numbers("denominator_text"),
    ).drop("value_text", "numerator_text", "denominator_text")


def layout(path: Path | str) -> str:
    """Which published layout a file is in, from its header: ``"ees"`` (DfE's open-data
    files from explore-education-statistics) or ``"fingertips"`` (OHID Fingertips' CSV
    export, or fingertipsR's); anything else is refused, saying what each needs."""
    from metrics.fingertips import is_fingertips

    path = Path(path)
    try:
        header = pl.read_csv(path, n_rows=0, infer_schema=False, encoding="utf8-lossy").columns
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise PublishedDataError(f"{path}: cannot be read as CSV ({exc})") from None
    names = {c.lstrip("\ufeff").strip() for c in header}
    if set(REQUIRED) <= names:
        return "ees"
    if is_fingertips(header):
        return "fingertips"
    raise PublishedDataError(
        f"{path.name}: not a layout this product reads. A DfE open-data file has the columns "
        f"{', '.join(REQUIRED)}; a Fingertips export has Indicator ID, Area Code, Area Type, "
        "Time period and Value. Download the file again from explore-education-statistics "
        "or Fingertips without changing its columns."
    )


def read_source(path: Path | str, src) -> pl.DataFrame:
    """An indicator's published values from the file its catalogue source names, in the
    file's own layout (a DfE open-data file, or a Fingertips export)."""
    from metrics.fingertips import read_fingertips

    found = layout(path)
    if found == "fingertips":
        if src.fingertips_id is None:
            raise PublishedDataError(
                f"{Path(path).name} is a Fingertips export: give the Fingertips indicator id "
                "(fingertips_id in the catalogue, --fingertips-id on the command line)"
            )
        return read_fingertips(path, indicator_id=src.fingertips_id, filters=src.filters)
    if src.column is None:
        raise PublishedDataError(
            f"{Path(path).name} is a DfE open-data file: name the column holding the value "
            "(column in the catalogue, --column on the command line)"
        )
    return read_published(
        path,
        column=src.column,
        filters=src.filters,
        numerator=src.numerator_column,
        denominator=src.denominator_column,
    )


def import_all(
    store, catalogue, folder: Path | str, *, actor: str = "command line"
) -> dict[str, int]:
    """Import every indicator's published source named in the catalogue from ``folder``."""
    folder = Path(folder)
    counts = {}
    for ind in catalogue.indicators:
        src = ind.published
        if src is None:
            continue
        path = folder / src.file
        if not path.is_file():
            raise PublishedDataError(
                f"{ind.code}: the catalogue names {src.file}, which is not in {folder}"
            )
        frame = read_source(path, src)
        counts[ind.code] = store.replace_published(ind.code, frame, source=src.file, actor=actor)
    return counts


def read_neighbours(path: Path | str) -> pl.DataFrame:
    """The DfE statistical neighbour model (one row per authority, ten neighbours) as
    (old_la_code, rank, neighbour_old_la_code). Both the 2021 and 2025 layouts are read."""
    path = Path(path)
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
    key = next((c for c in ("old_la_code", "LA number", "LA num") if c in frame.columns), None)
    sn = [c for c in frame.columns if re.fullmatch(r"SN_?\d+", c)]
    if key is None or len(sn) < 10:
        raise PublishedDataError(
            f"{path.name}: expected an authority code column (old_la_code or 'LA number') and "
            f"columns SN1..SN10; the file has {', '.join(frame.columns)}"
        )
    long = frame.select(pl.col(key).alias("old_la_code"), *sn).unpivot(
        index="old_la_code", variable_name="slot", value_name="neighbour"
    )
    return (
        long.with_columns(
            rank=pl.col("slot").str.extract(r"(\d+)").cast(pl.Int32),
        )
        .filter(pl.col("neighbour").is_not_null() & (pl.col("neighbour") != ""))
        .select("old_la_code", "rank", pl.col("neighbour").alias("neighbour_old_la_code"))
        .sort("old_la_code", "rank")
    )
