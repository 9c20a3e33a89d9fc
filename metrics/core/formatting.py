"""Figures as people read them: rounded half up, with units, suppressed where small."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import polars as pl

T = TypeVar("T", float, pl.Expr)

SUPPRESSED = "c"
"""DfE symbol for a figure withheld to protect confidentiality."""

# Words for ratings, with a symbol each so that colour never carries the meaning alone.
# One term for a figure with no RAG rating, "Not rated", with the reason after it.
RAG_LABELS = {
    "green": "✔ Green",
    "amber": "▲ Amber",
    "red": "✖ Red",
    "no target": "○ Not rated: no target",
    "not judged": "– Not rated: context",
    "no figures": "… Not rated: no figures",
    "suppressed": "c Suppressed",
}
COMPARISON_LABELS = {
    "better": "● Better",
    "worse": "● Worse",
    "similar": "○ Similar",
    "higher": "▲ Higher",
    "lower": "▼ Lower",
    "not compared": "",
}
DIRECTION_LABELS = {
    "improving": "↗ Improving",
    "worsening": "↘ Worsening",
    "no change": "→ No change",
    "increased": "↑ Increased",
    "decreased": "↓ Decreased",
    "no earlier figure": "",
}


def counted(n: int, thing: str, things: str | None = None) -> str:
    """``n`` things in words: "1 group", "2 groups" (``things``: an irregular plural).

    >>> counted(1, "group"), counted(3, "group"), counted(2, "text", "texts given")
    ('1 group', '3 groups', '2 texts given')
    """
    return f"{n} {thing if n == 1 else things or thing + 's'}"


def sentence_case(text: T) -> T:
    """A status as it is written everywhere: "Submitted late", "On track" (one case).

    >>> sentence_case("submitted late")
    'Submitted late'
    """
    if isinstance(text, pl.Expr):
        return text.str.slice(0, 1).str.to_uppercase() + text.str.slice(1)
    return text[:1].upper() + text[1:]


def day(when) -> str:
    """A date as people write it: "3 December 2026" (no leading zero).

    >>> from datetime import date
    >>> day(date(2026, 12, 3))
    '3 December 2026'
    """
    return f"{when.day} {when:%B %Y}"


def rag_label(rag: str | None) -> str:
    return RAG_LABELS.get(rag or "no figures", rag or "")


_NUDGE = 1e-12
"""Relative tolerance within which a figure counts as a decimal half: a binary float holds
57.5 (46 / 80 * 100) as 57.49999999999999 and 9.15 ((9.1 + 9.2) / 2) as 9.149999999999999,
and a publisher working in decimals rounds both up."""


def round_half_up(value: T, decimals: int | pl.Expr) -> T:
    """Round half away from zero ("round five up"), as published statistics do (never
    banker's rounding), treating a figure within a relative 1e-12 of a decimal half as the
    half it stands for. The one rounding in the product: it takes a number, or a Polars
    expression (``decimals`` may then be an expression too), and both go through the same
    arithmetic (:func:`_half_up`).

    >>> round_half_up(46 / 80 * 100, 0), round_half_up((9.1 + 9.2) / 2, 1)
    (58.0, 9.2)
    >>> round_half_up(-2.345, 2), round_half_up(2.675, 2), round_half_up(0.5, 0)
    (-2.35, 2.68, 1.0)
    """
    if isinstance(value, pl.Expr):
        places = decimals if isinstance(decimals, pl.Expr) else pl.lit(decimals)
        return _half_up_expr(value.cast(pl.Float64), places.cast(pl.Float64))
    return float(_half_up(np.asarray([value], dtype=float), np.asarray([decimals]))[0])


def each_value(
    frame: pl.DataFrame, column: str, function: Callable[[Any], Any], dtype: pl.DataType
) -> pl.Expr:
    """``function`` of each value of ``frame``'s ``column``, as an expression: called here,
    once per distinct value, never by Polars' worker threads (which would need the GIL; see
    :func:`_half_up_expr`)."""
    found = {v: function(v) for v in frame.get_column(column).unique().to_list() if v is not None}
    return pl.col(column).replace_strict(found, default=None, return_dtype=dtype)


def _half_up_expr(value: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """:func:`_half_up` as a Polars expression, step for step (a test holds the two to the
    same answers). Native, not a Python function called by Polars: Polars' worker threads
    would need the GIL for one, and a session thread holding the GIL while it waits on
    those workers (several validations or pages at once) deadlocks the process."""
    factor = pl.lit(10.0).pow(decimals)
    scaled = value.abs() * factor
    nudge = pl.max_horizontal(scaled * _NUDGE, pl.lit(_NUDGE))
    # a column, not a scalar: Polars divides a column by a scalar as a multiplication by its
    # reciprocal (6983 / 10 gives 698.3000000000001), where numpy divides
    each = value.abs() * 0.0 + factor
    size = (scaled + 0.5 + nudge).floor() / each
    rounded = pl.when(value < 0).then(-size).otherwise(size)
    whole = scaled.is_finite() & (scaled < 2.0**52)
    return pl.when(whole).then(rounded).otherwise(value).fill_nan(None)


def _half_up(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    factor = 10.0 ** decimals.astype(float)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.abs(values) * factor
        nudge = np.maximum(scaled * _NUDGE, _NUDGE)
        rounded = np.copysign(np.floor(scaled + 0.5 + nudge) / factor, values)
    # beyond 2**52 every float is a whole number already, and infinities stay as they are
    return np.where(np.isfinite(scaled) & (scaled < 2.0**52), rounded, values)


def _missing(value: float | None) -> bool:
    """No figure to show: none, or not a finite number (which no check lets in)."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def figure(value: float | None, decimals: int, unit: str = "", *, suppressed: bool = False) -> str:
    """``figure(54.25, 1, '%')`` -> ``'54.3%'``; suppressed figures show as ``c``."""
    if suppressed:
        return SUPPRESSED
    if _missing(value):
        return "–"
    text = f"{round_half_up(value, decimals):,.{decimals}f}"
    if unit == "%":
        return text + "%"
    return text


def interval(lower: float | None, upper: float | None, decimals: int) -> str:
    if _missing(lower) or _missing(upper):
        return ""
    return f"{figure(lower, decimals)} to {figure(upper, decimals)}"


def change(value: float | None, decimals: int, unit: str = "") -> str:
    """A signed change: ``+1.2`` or ``−0.4`` (percentage points for percentages)."""
    if _missing(value):
        return "–"
    rounded = round_half_up(value, decimals)
    sign = "+" if rounded > 0 else ("−" if rounded < 0 else "±")
    text = f"{sign}{abs(rounded):,.{decimals}f}"
    return text + (" pts" if unit == "%" else "")


def csv_safe(table: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe: those
    starting with = + - @, or with a tab, carriage return or line feed (which some
    spreadsheets skip before reading the formula)."""
    text = [c for c, t in table.schema.items() if t == pl.String]
    lists = [c for c, t in table.schema.items() if isinstance(t, pl.List)]
    table = table.drop(lists)
    return table.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+@\-\t\r\n]"))
        .then("'" + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


def csv_bytes(table: pl.DataFrame) -> bytes:
    """A table as the CSV file a reader downloads (UTF-8, formulas defused by
    :func:`csv_safe`): the pages' downloads, ``outcomes export`` and the open data API."""
    return csv_safe(table).write_csv().encode("utf-8")
