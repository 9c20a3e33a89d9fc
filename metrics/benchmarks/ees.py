"""DfE open-data files (explore-education-statistics' layout).

An EES file has one row per time period and geography (``National``, ``Regional``,
``Local authority``) with filter and indicator columns. :func:`read_published` picks one
indicator column (and optionally numerator and denominator columns), applies filters,
turns suppression symbols into missing values (keeping the symbol), converts periods to
this product's codes, and resolves authority codes across reorganisations. Anything it
cannot map raises :class:`~metrics.benchmarks.base.PublishedDataError` naming the column,
code or row.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from metrics.benchmarks.base import (
    SYMBOLS,
    PublishedDataError,
    PublishedRead,
    apply_filters,
    authorities,
    period_end,
    published_frame,
    refuse_repeats,
)

REQUIRED = ["time_period", "time_identifier", "geographic_level"]
LEVELS = {"National": "national", "Regional": "regional", "Local authority": "local authority"}


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


AREA = ("country_code", "region_code", "new_la_code", "old_la_code")
NUMBER_OR_SYMBOL = r"^\s*(-?[\d,]*\.?\d+|c|x|z|low|u|:|~|)\s*$"


def read_published(
    path: Path | str,
    *,
    column: str,
    filters: dict[str, str] | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    how_to_filter: str = "--filter {column}={value!r}",
) -> PublishedRead:
    """One indicator's published values for England, regions and every authority, with
    the rows left out at each level and why. More than one row for the same period and area
    (a breakdown the filters did not pick) is refused, naming the filter that picks one."""
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
    frame = frame.with_columns(
        _level=pl.col("geographic_level").replace_strict(
            LEVELS, default="other areas", return_dtype=pl.String
        )
    )
    left_out: dict[str, dict[str, int]] = {}
    for kind, n in (
        frame.filter(pl.col("_level") == "other areas")
        .group_by("geographic_level")
        .len()
        .sort("geographic_level")
        .rows()
    ):
        left_out.setdefault("other areas", {})[f"at geographic level '{kind}'"] = n
    frame = frame.filter(pl.col("_level") != "other areas")
    frame = apply_filters(frame, filters, name=path.name, left_out=left_out)
    if frame.is_empty():
        raise PublishedDataError(f"{path.name}: no National, Regional or Local authority rows")
    measures = {column, numerator, denominator, *REQUIRED, *AREA}
    dimensions = {
        c: c
        for c in frame.columns
        if c not in measures
        and not c.startswith("_")
        and not frame[c].fill_null("").str.contains(NUMBER_OR_SYMBOL).all()
        and not c.endswith(("_name", "_code"))
    }

    def code(*columns: str) -> pl.Expr:
        present = [pl.col(c) for c in columns if c in frame.columns]
        return pl.coalesce(present) if present else pl.lit(None, pl.String)

    area = (
        pl.when(pl.col("_level") == "national")
        .then(code("country_code"))
        .when(pl.col("_level") == "regional")
        .then(code("region_code", "region_name"))
        .otherwise(code("new_la_code", "old_la_code", "la_name"))
    )
    refuse_repeats(
        frame.with_columns(_area=area.fill_null(pl.col("geographic_level"))),
        name=path.name,
        keys=["time_period", "_area"],
        dimensions=dimensions,
        value=column,
        describe_area="_area",
        how_to_filter=how_to_filter,
    )
    return PublishedRead(_map_rows(frame, path.name, column, numerator, denominator), left_out)


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
