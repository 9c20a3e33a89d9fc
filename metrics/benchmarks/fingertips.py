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
    PublishedRead,
    authorities,
    count_left_out,
    period_end,
    published_frame,
    refuse_repeats,
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


UPPER_TIER = re.compile(r"^(count(y|ies)\s*(&|and)\s*(uas?\b|unitary)|upper[\s-]*tier|utla)")


def level(area_type: str, area_code: str) -> str | None:
    """The level of a Fingertips area: England, a region, or an upper-tier authority (the
    level children's services sit at); None for any other geography (districts, ICBs,
    practices), which is left out. Upper-tier authorities are named differently in each
    vintage of Fingertips: ``County & UA``, ``County & UA (pre 4/19)``, ``County & UA
    (4/19-3/20)``, ``Counties & UAs (from Apr 2023)``, ``Upper tier local authorities
    (post 4/21)``; England's area type is ``England`` or ``Country``."""
    kind = " ".join(area_type.split()).lower()
    if kind in ("england", "country") or area_code == "E92000001":
        return "national"
    if kind.startswith("region") or area_code.startswith("E12"):
        return "regional"
    if UPPER_TIER.match(kind):
        return "local authority"
    return None


def _same_name(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    return norm(a) == norm(b)


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


MEASURES = {
    "value",
    "lowerci950limit",
    "upperci950limit",
    "lowerci998limit",
    "upperci998limit",
    "count",
    "denominator",
    "valuenote",
    "recenttrend",
    "comparedtoenglandvalueorpercentiles",
    "comparedtoregionvalueorpercentiles",
    "timeperiodsortable",
    "newdata",
    "comparedtogoal",
    "indicatorname",
    "parentcode",
    "parentname",
    "areaname",
    "areatype",
    "timeperiodrange",
}


def read_fingertips(
    path: Path | str,
    *,
    indicator_id: int,
    filters: dict[str, str] | None = None,
    expected_name: str | None = None,
    how_to_filter: str = "--filter {column}={value!r}",
) -> PublishedRead:
    """The published values of Fingertips indicator ``indicator_id`` for England, the
    regions and every upper-tier authority, as :func:`metrics.benchmarks.ees.read_published`
    gives them (period, level, area_code, old_la_code, area_name, value, numerator,
    denominator, symbol), with the rows left out at each level and why. ``filters`` pick the
    rows by other columns (e.g. ``Sex: Persons``, ``Age: 4-5 yrs``); rows of a category
    breakdown (a Category Type, such as deprivation deciles) are left out. More than one row
    for the same period and area (age bands, sexes) is refused, naming the filter that picks
    one. The export's indicator name is checked against ``expected_name`` (the catalogue's)."""
    path = Path(path)
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise PublishedDataError(f"{path}: cannot be read as CSV ({exc})") from None
    header = {key(c): c.lstrip("\ufeff").strip() for c in frame.columns}
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
    ids = frame.get_column("indicatorid").str.strip_chars()
    frame = frame.filter(ids == str(indicator_id))
    if frame.is_empty():
        held = sorted(set(ids.drop_nulls().to_list()), key=lambda i: (len(i), i))
        raise PublishedDataError(
            f"{path.name}: no row is for Fingertips indicator {indicator_id} (the file holds "
            f"indicator{'s' * (len(held) != 1)} {', '.join(held[:12]) or 'none'})"
        )
    warnings, notes = [], []
    if "indicatorname" in frame.columns:
        names = sorted({" ".join(n.split()) for n in frame["indicatorname"].drop_nulls()})
        found_name = names[0] if names else ""
        notes.append(f"Fingertips indicator {indicator_id} is '{found_name}' in this export")
        if expected_name and not any(_same_name(n, expected_name) for n in names):
            warnings.append(
                f"{path.name} calls Fingertips indicator {indicator_id} '{found_name}', but the "
                f"catalogue expects '{expected_name}': check the indicator id before relying "
                "on these figures"
            )
    types = frame.get_column("areatype").fill_null("")
    codes = frame.get_column("areacode").fill_null("").str.strip_chars()
    frame = frame.with_columns(
        _level=pl.Series(
            [level(t, c) or "other areas" for t, c in zip(types, codes, strict=True)],
            dtype=pl.String,
        ),
        _row=pl.int_range(2, frame.height + 2),
    )
    left_out: dict[str, dict[str, int]] = {}
    other = frame.filter(pl.col("_level") == "other areas")
    for kind, n in other.group_by("areatype").len().sort("areatype").rows():
        left_out.setdefault("other areas", {})[
            f"of area type '{kind}' (not England, a region or an upper-tier authority)"
        ] = n
    frame = frame.filter(pl.col("_level") != "other areas")
    if "categorytype" in frame.columns:
        category = pl.col("categorytype").fill_null("").str.strip_chars()
        for kind in sorted(set(frame.filter(category != "")["categorytype"])):
            count_left_out(
                left_out,
                frame.filter(pl.col("categorytype") == kind),
                f"of a breakdown by {kind}",
            )
        frame = frame.filter(category == "")
    for column, wanted in (filters or {}).items():
        if key(column) not in frame.columns:
            raise PublishedDataError(f"{path.name}: no column '{column}' to filter on")
        keep = pl.col(key(column)).fill_null("").str.strip_chars() == wanted
        if frame.filter(keep).is_empty():
            held = sorted(set(frame[key(column)].drop_nulls()))
            raise PublishedDataError(
                f"{path.name}: no row of indicator {indicator_id} has {column} = '{wanted}' "
                f"(it has {', '.join(repr(v) for v in held[:12])})"
            )
        count_left_out(left_out, frame.filter(~keep), f"with {column} other than '{wanted}'")
        frame = frame.filter(keep)
    dimensions = {
        k: header[k] for k in frame.columns if k not in MEASURES and not k.startswith("_")
    }
    for k in ("indicatorid", "areacode", "timeperiod"):
        dimensions.pop(k, None)
    refuse_repeats(
        frame.with_columns(pl.col("areacode").str.strip_chars(), pl.col("timeperiod")),
        name=path.name,
        keys=["timeperiod", "areacode"],
        dimensions=dimensions,
        value="value",
        describe_area="areaname" if "areaname" in frame.columns else "areacode",
        how_to_filter=how_to_filter,
    )
    las = authorities()
    rows = []
    for row in frame.iter_rows(named=True):
        number, found = row["_row"], row["_level"]
        code = (row["areacode"] or "").strip()
        try:
            when = period(row["timeperiod"] or "")
        except PublishedDataError as exc:
            raise PublishedDataError(f"{path.name}: row {number}: {exc}") from None
        old = None
        name = " ".join((row.get("areaname") or "").split())
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
    return PublishedRead(published_frame(rows), left_out, tuple(warnings), tuple(notes))
