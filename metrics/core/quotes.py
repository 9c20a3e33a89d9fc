"""Figures quoted in what a person wrote, and whether one gives back a withheld figure.

Commentary and explanations are shown beside the figures. A count withheld to protect small
numbers (``c``) is given back by commentary that quotes it, in digits or in words ("2", "two
custodial sentences"), or that quotes a rate, percentage or mean from which it can be worked
out with a figure shown beside it: "0.11 per 1,000" with 27,558 children aged 10-17 shown is
3 children, for the only whole numbers of children that round to 0.11 per 1,000 of 27,558 are
3. :func:`giveaways` finds both.

>>> [q.number for q in quoted_figures("Two custodial sentences in 2026-27-Q1, 0.11 per 1,000.")]
[2.0, 0.11]
>>> cell = WithheldCell("YJ01", "E06000999", "total", 3, 27558, 0.1089, 1000, 5, mean=False)
>>> [str(q) for q, _ in giveaways("0.11 per 1,000 aged 10-17 this quarter", [cell])]
['0.11']
>>> giveaways("fewer than 5 children, against 12 a year before", [cell])
[]
>>> [str(q) for q, _ in giveaways("about 0.1 per 1,000", [cell])]  # 2, 3 or 4: all small
['0.1']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORDS = {w: n for n, w in enumerate(_ONES)} | {w: 20 + 10 * n for n, w in enumerate(_TENS)}
"""Numbers as words, up to ninety-nine (with compounds: twenty-one, forty three)."""

_NUMBER = re.compile(
    r"(?<![\w.,])(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w]|[.,]\d)"
    r"(?P<percent>\s*(?:%|per\s*cent\b|percent\b))?"
    r"|(?<![\w-])(?P<words>(?:" + "|".join(_TENS) + r")(?:[\s-](?:" + "|".join(_ONES[1:10]) + r"))?"
    r"|" + "|".join(sorted(_ONES, key=len, reverse=True)) + r")(?![\w-])",
    re.IGNORECASE,
)
_NOT_A_FIGURE = re.compile(
    r"\b\d{4}-\d{2}(?:-?Q\d)?\b"  # a period: 2026-27, 2026-27-Q1
    r"|\bQ\d\b"  # a quarter
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*"
    r"|\bper\s+(?:\d{1,3}(?:,\d{3})*|\d+)\b"  # the unit of a rate: per 1,000
    r"|\b(?:fewer|less|more|other)\s+than\s+\S+|\b(?:under|below|over|above|up\s+to|at\s+(?:least|most))\s+\S+"
    r"|\bone\s+(?:of|another|off|or\s+two)\b|\bno\s+one\b|\bone-off\b",
    re.IGNORECASE,
)
"""Numbers that quote no figure: periods, dates, the unit of a rate, and bounds ("fewer than
5" is how a small number is written)."""


@dataclass(frozen=True)
class Quoted:
    """A number as written: its value, its decimal places, and whether it is a percentage."""

    text: str
    number: float
    decimals: int
    percent: bool

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class WithheldCell:
    """A figure that is withheld from readers: its indicator, area and breakdown, its count
    (for a mean, the number of children), its denominator and value as stored, the
    indicator's multiplier (100 for a percentage, 1,000 for a rate per 1,000) and threshold."""

    indicator: str
    area: str
    breakdown: str
    count: float | None
    denominator: float | None
    value: float | None
    multiplier: float
    threshold: int
    mean: bool


def quoted_figures(text: str) -> list[Quoted]:
    """Every number ``text`` quotes as a figure (not periods, dates, units or bounds)."""
    cleaned = _NOT_A_FIGURE.sub(" ", text or "")
    found = []
    for match in _NUMBER.finditer(cleaned):
        if match.group("digits"):
            digits = match.group("digits").replace(",", "")
            decimals = len(digits.split(".")[1]) if "." in digits else 0
            found.append(
                Quoted(match.group("digits"), float(digits), decimals, bool(match.group("percent")))
            )
        else:
            words = re.split(r"[\s-]+", match.group("words").lower())
            found.append(
                Quoted(match.group("words"), float(sum(WORDS[w] for w in words)), 0, False)
            )
    return found


def gives_back(quoted: Quoted, cell: WithheldCell) -> bool:
    """Whether ``quoted`` is the cell's count, or a rate, percentage or mean from which the
    cell's count (or its mean) can be worked out: every whole count that rounds to it, with
    the cell's denominator, is the cell's own, or is a small number."""
    count, denominator = cell.count, cell.denominator
    exact = not quoted.percent and quoted.decimals == 0
    if count is not None and exact and quoted.number == count:
        return True
    half = 0.5 * 10.0**-quoted.decimals
    if cell.mean:
        return (
            cell.value is not None
            and quoted.decimals > 0
            and abs(quoted.number - cell.value) <= half + 1e-9
        )
    if count is None or not denominator:
        return False
    for multiplier in {cell.multiplier, *([100.0] if quoted.percent else [])}:
        if multiplier <= 1:
            continue
        low = math.ceil((quoted.number - half) * denominator / multiplier - 1e-9)
        high = math.floor((quoted.number + half) * denominator / multiplier + 1e-9)
        if low <= count <= high and (low == high or (low >= 1 and high < cell.threshold)):
            return True
    return False


def giveaways(text: str, cells: Iterable[WithheldCell]) -> list[tuple[Quoted, WithheldCell]]:
    """Each figure ``text`` quotes that gives back a withheld cell, with the cell."""
    cells = list(cells)
    if not cells or not text:
        return []
    return [(q, c) for q in quoted_figures(text) for c in cells if gives_back(q, c)]
