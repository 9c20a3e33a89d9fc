"""OHID Fingertips' CSV export: the ``indicators-…data.csv`` files the Fingertips website and
the ``fingertipsR`` package produce, read into the same published-values frame as DfE's
open-data files (:func:`metrics.benchmarks.ees.read_published`).

Fingertips' header (as the site exports it, e.g. ``Indicator ID``, ``Area Code``, ``Time
period``, ``Lower CI 95.0 limit``, ``Value note``) and fingertipsR's (``IndicatorID``,
``AreaCode``, ``Timeperiod``, ``LowerCI95.0limit``, ``Valuenote``) differ only in spaces and
punctuation, so columns are matched with those taken out.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from metrics.benchmarks.base import (
    SYMBOLS,
    PublishedDataError,
    authorities,
    period_end,
    published_frame,
)

REQUIRED = {
    "indicatorid": "IndicatorID",
    "areacode": "AreaCode",
    "areatype": "AreaType",
    "timeperiod": "Timeperiod",
    "value": "Value",
}
OPTIONAL = {
    "areaname": "AreaName",
    "sex": "Sex",
    "age": "Age",
    "categorytype": "Category Type",
    "lowerci950limit": "Lower CI 95.0 limit",
    "upperci950limit": "Upper CI 95.0 limit",
    "count": "Count",
    "denominator": "Denominator",
    "valuenote": "Value note",
}


def key(column: str) -> str:
    """A column name with case, spaces and punctuation taken out: ``Lower CI 95.0 limit``
    and ``LowerCI95.0limit`` are both ``lowerci950limit``."""
    return re.sub(r"[^a-z0-9]", "", column.lstrip("\ufeff").lower())


def is_fingertips(columns: list[str]) -> bool:
    """Whether a header is Fingertips' (either spelling)."""
    return set(REQUIRED) <= {key(c) for c in columns}


def level(area_type: str, area_code: str) -> str | None:
    """The level of a Fingertips area: England, a region, or an upper-tier authority (the
    level children's services sit at); None for any other geography (districts, ICBs,
    practices), which is left out."""
    kind = area_type.strip().lower()
    if kind == "england" or area_code == "E92000001":
        return "national"
    if kind.startswith("region") or area_code.startswith("E12"):
        return "regional"
    if kind.startswith(("counties & uas", "counties and uas", "upper tier", "utla")):
        return "local authority"
    return None


def period(text: str) -> str:
    """A Fingertips time period as this product's code: ``2023/24`` (financial or academic
    year) -> ``2023-24``; ``2023`` (calendar year) -> ``2023``. Pooled periods
    (``2020 - 22``) have no single year to compare a return with and are refused."""
    value = text.strip()
    found = re.fullmatch(r"(\d{4})\s*/\s*(\d{2})", value)
    if found:
        start, end = int(found.group(1)), int(found.group(2))
        if (start + 1) % 100 != end:
            raise PublishedDataError(f"time period '{text}': the years are not consecutive")
        return f"{start}-{end:02d}"
    if re.fullmatch(r"\d{4}", value):
        return value
    raise PublishedDataError(
        f"time period '{text}' is not one year (a pooled period such as '2020 - 22' cannot "
        "be compared with one year's figure: export the single-year indicator instead)"
    )


def read_fingertips(
    path: Path | str, *, indicator_id: int, filters: dict[str, str] | None = None
) -> pl.DataFrame:
    """The published values of Fingertips indicator ``indicator_id`` for England, the
    regions and every upper-tier authority, as :func:`metrics.benchmarks.ees.read_published`
    gives them (period, level, area_code, old_la_code, area_name, value, numerator,
    denominator, symbol). ``filters`` pick the rows by other columns (e.g. ``Sex: Persons``,
    ``Age: 4-5 yrs``); rows of a category breakdown (a Category Type) are left out."""
    path = Path(path)
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise PublishedDataError(f"{path}: cannot be read as CSV ({exc})") from None
    keys = [key(c) for c in frame.columns]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise PublishedDataError(f"{path.name}: columns repeated in the header: {', '.join(twice)}")
    frame = frame.rename(dict(zip(frame.columns, keys, strict=True)))
    missing = [name for k, name in REQUIRED.items() if k not in frame.columns]
    if missing:
        raise PublishedDataError(
            f"{path.name}: not a Fingertips export: no column {', '.join(missing)}"
        )
    frame = frame.filter(pl.col("indicatorid").str.strip_chars() == str(indicator_id))
    if frame.is_empty():
        raise PublishedDataError(f"{path.name}: no row is for Fingertips indicator {indicator_id}")
    if "categorytype" in frame.columns:
        frame = frame.filter(pl.col("categorytype").fill_null("").str.strip_chars() == "")
    for column, wanted in (filters or {}).items():
        if key(column) not in frame.columns:
            raise PublishedDataError(f"{path.name}: no column '{column}' to filter on")
        frame = frame.filter(pl.col(key(column)).str.strip_chars() == wanted)
        if frame.is_empty():
            raise PublishedDataError(f"{path.name}: no row has {column} = '{wanted}'")
    las = authorities()
    rows = []
    for number, row in enumerate(frame.iter_rows(named=True), start=2):
        code = (row["areacode"] or "").strip()
        found = level(row["areatype"] or "", code)
        if found is None:
            continue
        try:
            when = period(row["timeperiod"] or "")
        except PublishedDataError as exc:
            raise PublishedDataError(f"{path.name}: row {number}: {exc}") from None
        old = None
        name = (row.get("areaname") or "").strip()
        if found == "local authority":
            auth = las.resolve(code, None, period_end(when))
            if auth is None:
                raise PublishedDataError(
                    f"{path.name}: row {number}: area code '{code}' ({name}) is not an "
                    "authority in las.csv"
                )
            code, old, name = auth.new_code, auth.old_code, name or auth.name
        raw = (row["value"] or "").strip()
        note = (row.get("valuenote") or "").lower()
        symbol = raw.lower() if raw.lower() in SYMBOLS else None
        if not raw and "suppress" in note:
            symbol = "c"
        elif not raw:
            symbol = "x"
        rows.append(
            {
                "period": when,
                "time_period": row["timeperiod"],
                "level": found,
                "area_code": code,
                "old_la_code": old,
                "area_name": name or ("England" if found == "national" else code),
                "value_text": raw,
                "numerator_text": (row.get("count") or "").strip() or None,
                "denominator_text": (row.get("denominator") or "").strip() or None,
                "symbol": symbol,
            }
        )
    if not rows:
        raise PublishedDataError(
            f"{path.name}: no England, region or upper-tier authority rows for indicator "
            f"{indicator_id} (export 'Counties & UAs' with their England and region values)"
        )
    return published_frame(rows)
