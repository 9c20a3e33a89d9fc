"""What every published-data reader shares: the suppression symbols publishers use, the
authorities and their codes across reorganisations, when a period ends, and the one frame
of published values every reader returns (:func:`published_frame`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import polars as pl

from metrics.core.numbers import parse_numbers
from metrics.core.periods import PeriodType, parse_year, year_end
from metrics.core.settings import ROOT

LAS_FILE = ROOT / "data" / "reference" / "las.csv"
SYMBOLS = {
    "c": "confidential (suppressed)",
    "x": "not available",
    "z": "not applicable",
    "low": "rounds to zero",
    "u": "low reliability",
    ":": "not available (legacy)",
    "~": "rounds to zero (legacy)",
}


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


def period_end(code: str) -> date:
    """The last day of a published period: 31 March for a year code (financial and
    reporting years; an academic year's census falls before it), 31 December for a
    calendar year."""
    if re.fullmatch(r"\d{4}", code):
        return date(int(code), 12, 31)
    return year_end(parse_year(code), PeriodType.FINANCIAL_YEAR)


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


@dataclass(frozen=True)
class PublishedRead:
    """What a reader took from a published file: the values (:func:`published_frame`), the
    rows it left out at each level and why, and what the person importing should check."""

    frame: pl.DataFrame
    left_out: dict[str, dict[str, int]]
    """Rows left out: level (national, regional, local authority, other areas) -> reason ->
    how many."""
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def taken(self) -> dict[str, int]:
        """Rows taken at each level."""
        return dict(self.frame.group_by("level").len().sort("level").rows())

    def summary(self) -> list[str]:
        """One line per level: how many rows were taken and how many left out and why;
        then the notes."""
        taken = self.taken()
        lines = []
        for level in LEVEL_ORDER:
            took, out = taken.get(level, 0), self.left_out.get(level, {})
            if not took and not out:
                continue
            line = f"{level}: took {took} row{'s' * (took != 1)}"
            if out:
                line += "; left out " + "; ".join(
                    f"{n} {why}" for why, n in sorted(out.items(), key=lambda kv: -kv[1])
                )
            lines.append(line)
        return lines + list(self.notes)


LEVEL_ORDER = ("national", "regional", "local authority", "other areas")


def count_left_out(left_out: dict[str, dict[str, int]], dropped: pl.DataFrame, reason: str) -> None:
    """Add the rows of ``dropped`` (with a ``_level`` column) to ``left_out`` under
    ``reason``, per level."""
    for level, n in dropped.group_by("_level").len().rows():
        by_reason = left_out.setdefault(level, {})
        by_reason[reason] = by_reason.get(reason, 0) + n


def apply_filters(
    frame: pl.DataFrame,
    filters: dict[str, str] | None,
    *,
    name: str,
    left_out: dict[str, dict[str, int]],
) -> pl.DataFrame:
    """The rows of ``frame`` (with a ``_level`` column) whose columns hold the values
    ``filters`` names, the others counted in ``left_out``; a filter no row meets is refused."""
    for key, value in (filters or {}).items():
        keep = pl.col(key) == value
        if frame.filter(keep).is_empty():
            raise PublishedDataError(f"{name}: no row has {key} = '{value}'")
        count_left_out(left_out, frame.filter(~keep), f"with {key} other than '{value}'")
        frame = frame.filter(keep)
    return frame


def refuse_repeats(
    frame: pl.DataFrame,
    *,
    name: str,
    keys: list[str],
    dimensions: dict[str, str],
    value: str,
    describe_area: str,
    how_to_filter: str,
) -> None:
    """Refuse a file in which one period and area has more than one row (age bands, sexes,
    another breakdown the filters did not pick): storing them as one series would mix them.
    The message names the columns that tell the rows apart, the values found and the filter
    that picks one. ``dimensions`` maps the frame's columns to the names the file's header
    gives them; ``how_to_filter`` says how a filter is given, e.g.
    ``--filter {column}={value!r}``."""
    repeated = frame.filter(pl.len().over(keys) > 1)
    if repeated.is_empty():
        return
    groups = repeated.select(keys).unique().height
    differ = [
        column
        for column in dimensions
        if column in repeated.columns
        and repeated.group_by(keys).agg(pl.col(column).n_unique()).get_column(column).max() > 1
    ]
    first_key = repeated.row(0, named=True)
    example = repeated.filter(pl.all_horizontal(pl.col(k) == first_key[k] for k in keys)).iter_rows(
        named=True
    )
    shown = "; ".join(
        ", ".join(f"{dimensions[c]} '{r[c] or ''}'" for c in differ)
        + f": {(r[value] or '').strip() or 'no value'}"
        for r in example
    )
    where = f"{first_key[describe_area] or ''} {first_key[keys[0]]}".strip()
    if differ:
        choices = "; ".join(
            f"{dimensions[c]} has "
            + ", ".join(f"'{v}'" for v in sorted(repeated[c].drop_nulls().unique().to_list()))
            for c in differ
        )
        column = differ[0]
        pick = sorted(repeated[column].drop_nulls().unique().to_list())[0]
        fix = "pick one with " + how_to_filter.format(column=dimensions[column], value=pick)
        told = f"They differ in {choices}: {fix}."
    else:
        told = "The rows repeat the same period and area: remove the repeats and import again."
    raise PublishedDataError(
        f"{name}: {groups} period and area pair{'s' * (groups != 1)} have more than one row, "
        f"which would be stored as one series (e.g. {where}: {shown}). {told}"
    )
