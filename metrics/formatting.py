"""Figures as people read them: rounded half up, with units, suppressed where small."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

SUPPRESSED = "c"
"""DfE symbol for a figure withheld to protect confidentiality."""


def round_half_up(value: float, decimals: int) -> float:
    """Round five up, as published statistics do (never banker's rounding).

    >>> round_half_up(2.675, 2), round_half_up(0.5, 0)
    (2.68, 1.0)
    """
    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-decimals)
    # enough digits for any float (up to 1.8e308), so no figure can overflow the rounding
    context = Context(prec=340 + decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP, context=context))


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
