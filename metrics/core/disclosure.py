"""Figures for publication: rounded half up, small numbers withheld, and the withholding
proven by an audit.

**Primary cells.** A count (numerator) from 1 up to the indicator's threshold less one, and
for a mean, a mean over 1 up to threshold less one children, is withheld (``c``) with every
figure made from it.

**Secondary cells, chosen by an audit.** Figures a reader sees together add up: an authority
and its localities, an area and each breakdown dimension's categories, the authority's
category and the same category in each locality. From what is shown, an attacker can bound
each withheld count by linear programming (the interval attack statistical offices audit
against, as tau-ARGUS and sdcTable do). :func:`withheld_cells` withholds further cells,
one at a time (the smallest count that shares an addition with the exposed cell, a total
last, never a zero, whose value is known), until every withheld cell's feasible range, found
by SciPy's HiGHS solver over everything shown, holds more than one value and is not confined
to 1..threshold-1. Several versions of the same figures (a meeting's and the latest) are
audited together: a cell whose figure did not change is one unknown in both, and a cell is
withheld in every version or in none. For a mean, the audited amount is its sum (mean times
children), known only to the rounding of the published means.

Every withheld figure carries one footnote: nothing tells a primary cell from a secondary.

:func:`conceal` applies this to indicator values read for someone who may not see small
numbers: the figures of a withheld row, and every figure derived from them (its interval,
RAG, the change from it and to it), are removed, and ``suppression`` says so. The service
layer calls it for every reader without ``view-unsuppressed``; nothing else hides figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
from scipy.optimize import linprog

from metrics.core.catalogue import Catalogue, Kind
from metrics.core.formatting import SUPPRESSED, round_half_up
from metrics.core.quotes import WithheldCell

WITHHELD = "withheld"
"""The ``suppression`` of every withheld row, primary or secondary alike."""

FOOTNOTE = (
    "c: withheld to protect small numbers: the count is fewer than {threshold}, or showing it "
    "would let a small count be worked out from the other figures."
)

WITHHELD_COMMENTARY = (
    "Commentary withheld: some of this indicator's figures for the period are withheld to "
    "protect small numbers, and what the group wrote could give them away."
)
"""What a reader without ``view-unsuppressed`` reads in place of commentary on an indicator
and period with a withheld figure."""

Key = tuple[str, str]
"""A cell of one indicator and period: (area code, breakdown)."""


@dataclass(frozen=True)
class Addition:
    """``parent`` is the sum of ``children`` (where the figures show it exactly), or at
    least their sum (where some of the parent is not broken down)."""

    parent: Key
    children: tuple[Key, ...]


@dataclass(frozen=True)
class Exposure:
    """A withheld cell whose feasible range, from what is shown, gives it away."""

    key: Key
    version: int
    low: float
    high: float


def additions(keys: Iterable[Key], authority: str, localities: Sequence[str]) -> list[Addition]:
    """Every addition among ``keys``: the authority's total over its localities' totals; each
    area's total over each breakdown dimension's categories; each of the authority's
    categories over the same category in the localities."""
    present = set(keys)
    found: list[Addition] = []
    areas = sorted({area for area, _ in present})
    categories = sorted({b for _, b in present if b != "total"})

    def add(parent: Key, children: list[Key]) -> None:
        children = [c for c in children if c in present]
        if parent in present and children:
            found.append(Addition(parent, tuple(children)))

    for breakdown in ["total", *categories]:
        add((authority, breakdown), [(a, breakdown) for a in localities])
    for area in areas:
        for dimension in sorted({b.split(":")[0] for b in categories}):
            add((area, "total"), [(area, b) for b in categories if b.startswith(dimension + ":")])
    return found


def _bounds_of(
    versions: Sequence[Mapping[Key, float]],
    structure: Sequence[Addition],
    withheld: frozenset[Key],
    slack: Mapping[Key, float],
    signed: bool,
):
    """The unknowns (a withheld cell's distinct amounts across versions) and the linear
    constraints the shown figures put on them."""
    unknowns: dict[tuple[Key, float], int] = {}
    for version in versions:
        for key, amount in version.items():
            if key in withheld:
                unknowns.setdefault((key, amount), len(unknowns))
    rows_eq, b_eq, rows_ub, b_ub = [], [], [], []
    for version in versions:
        for addition in structure:
            members = [addition.parent, *addition.children]
            if any(m not in version for m in members):
                continue
            total = sum(version[c] for c in addition.children)
            exact = math.isclose(total, version[addition.parent], abs_tol=1e-9)
            wiggle = sum(slack.get(m, 0.0) for m in members)
            if not exact and total > version[addition.parent] + wiggle:
                continue  # the categories overlap: no addition holds
            row = np.zeros(len(unknowns))
            known = 0.0
            for member, sign in [(addition.parent, 1.0), *((c, -1.0) for c in addition.children)]:
                if member in withheld:
                    row[unknowns[(member, version[member])]] += sign
                else:
                    known += sign * version[member]
            if not row.any():
                continue
            # parent - sum(children) = 0 (within the rounding), or >= 0
            if exact and wiggle == 0:
                rows_eq.append(row)
                b_eq.append(-known)
            else:
                rows_ub.append(-row)
                b_ub.append(known + wiggle)
                if exact:
                    rows_ub.append(row)
                    b_ub.append(wiggle - known)
    # a withheld count is known to be at least 1: zeros are shown (a zero is withheld only
    # when nothing else is left, and then known to be at least 0); a sum may be negative
    bounds = [(None if signed else min(amount, 1.0), None) for _, amount in unknowns]
    return unknowns, rows_eq, b_eq, rows_ub, b_ub, bounds


def exposures(
    versions: Sequence[Mapping[Key, float]],
    structure: Sequence[Addition],
    withheld: Iterable[Key],
    *,
    threshold: int,
    slack: Mapping[Key, float] | None = None,
    counts: bool = True,
) -> list[Exposure]:
    """The withheld cells that what is shown gives away: for counts, a feasible range holding
    one whole number only, or only numbers from 1 to ``threshold`` - 1; for amounts known to
    a rounding (``slack``), a range no wider than that rounding."""
    withheld = frozenset(withheld)
    slack = slack or {}
    unknowns, a_eq, b_eq, a_ub, b_ub, bounds = _bounds_of(
        versions, structure, withheld, slack, signed=not counts
    )
    found = []
    for (key, amount), index in unknowns.items():
        objective = np.zeros(len(unknowns))
        objective[index] = 1.0
        ends = []
        for sense in (1.0, -1.0):
            result = linprog(
                sense * objective,
                A_eq=np.array(a_eq) if a_eq else None,
                b_eq=b_eq or None,
                A_ub=np.array(a_ub) if a_ub else None,
                b_ub=b_ub or None,
                bounds=bounds,
                method="highs",
            )
            if result.status == 3:  # unbounded this way
                ends.append(-sense * math.inf)
            elif result.status == 0:
                ends.append(sense * result.fun)
            else:
                raise ArithmeticError(f"the disclosure audit could not be solved: {result.message}")
        low, high = ends
        if counts:
            whole_low = math.ceil(low - 1e-6) if math.isfinite(low) else -math.inf
            whole_high = math.floor(high + 1e-6) if math.isfinite(high) else math.inf
            exposed = whole_high <= whole_low or (whole_low >= 1 and whole_high <= threshold - 1)
        else:
            rounding = sum(slack.values()) if slack else 0.0
            exposed = high - low <= 2 * rounding + 1e-9
        if exposed:
            version = next(i for i, v in enumerate(versions) if v.get(key) == amount)
            found.append(Exposure(key, version, low, high))
    return found


def withheld_cells(
    versions: Sequence[Mapping[Key, float]],
    primary: Iterable[Key],
    structure: Sequence[Addition],
    *,
    threshold: int,
    weight: Mapping[Key, float],
    slack: Mapping[Key, float] | None = None,
    counts: bool = True,
) -> frozenset[Key]:
    """The cells to withhold, in every version: the ``primary`` ones and as few others as the
    audit needs (:func:`exposures`), each chosen as the smallest ``weight`` (its count, or a
    mean's children) among the shown cells that share an addition with an exposed cell or
    with a withheld cell added to it, totals last, zeros only when nothing else is left."""
    withheld = set(primary)
    if not withheld:
        return frozenset()
    parents = {a.parent for a in structure}
    keys = {k for v in versions for k in v}
    while True:
        found = exposures(
            versions, structure, withheld, threshold=threshold, slack=slack, counts=counts
        )
        if not found:
            return frozenset(withheld)
        reach, frontier, shown = {found[0].key}, [found[0].key], set()
        while frontier:
            key = frontier.pop()
            for addition in structure:
                members = {addition.parent, *addition.children}
                if key in members:
                    for member in members - reach:
                        reach.add(member)
                        if member in withheld:
                            frontier.append(member)
                        else:
                            shown.add(member)
        if not shown:  # nothing left to withhold beside it: the audit cannot be met
            raise ArithmeticError(f"no cell can protect {found[0].key}")
        nonzero = [k for k in shown if weight.get(k, 0) > 0] or sorted(shown)
        withheld.add(min(nonzero, key=lambda k: (k in parents, weight.get(k, 0), k)))
        if withheld >= keys:
            return frozenset(withheld)


@lru_cache(maxsize=4096)
def _decided(
    versions: tuple[tuple[tuple[Key, float], ...], ...],
    primary: frozenset[Key],
    structure: tuple[Addition, ...],
    threshold: int,
    weight: tuple[tuple[Key, float], ...],
    slack: tuple[tuple[Key, float], ...],
    counts: bool,
) -> frozenset[Key]:
    """:func:`withheld_cells`, remembered: the figures of most sets do not change between
    reads, and an audit is a few milliseconds per withheld cell."""
    return withheld_cells(
        [dict(v) for v in versions],
        primary,
        structure,
        threshold=threshold,
        weight=dict(weight),
        slack=dict(slack),
        counts=counts,
    )


def small_count(kind: pl.Expr, threshold: pl.Expr) -> pl.Expr:
    """Whether a row is a primary cell: its count (a mean's children) is 1 to threshold - 1."""
    counted = pl.when(kind == Kind.MEAN.value).then("denominator").otherwise("numerator")
    return ((counted >= 1) & (counted < threshold)).fill_null(False)


def suppress(
    values: pl.DataFrame,
    catalogue: Catalogue,
    *,
    other_versions: Sequence[pl.DataFrame] = (),
) -> pl.DataFrame:
    """Add ``suppression`` (None or :data:`WITHHELD`) to indicator values, decided per
    indicator and period over the whole of each set, with ``other_versions`` of the same
    figures that the same reader can see audited together with them.

    ``values`` needs ``indicator_code``, ``period``, ``area_code``, ``breakdown``,
    ``numerator``, ``denominator`` and ``value``."""
    authority = catalogue.authority.code
    localities = [a.code for a in catalogue.localities]
    columns = ["indicator_code", "period", "area_code", "breakdown"]
    amounts = ["numerator", "denominator", "value", "suppressed"]
    tagged = [
        frame.select(*columns, *amounts).with_columns(_version=pl.lit(i))
        for i, frame in enumerate([values, *other_versions])
    ]
    together = pl.concat(tagged, how="vertical_relaxed")
    hidden: list[tuple[str, str, str, str]] = []
    for (code, period), rows in together.group_by(["indicator_code", "period"]):
        indicator = catalogue.indicator.get(code)
        if indicator is None:
            continue
        kind, threshold = str(indicator.kind), indicator.suppression_threshold
        primary = {
            (r["area_code"], r["breakdown"]) for r in rows.iter_rows(named=True) if r["suppressed"]
        }
        if not primary:
            continue
        mean = kind == Kind.MEAN.value
        versions: list[dict[Key, float]] = [{} for _ in tagged]
        weight: dict[Key, float] = {}
        slack: dict[Key, float] = {}
        half_unit = 0.5 * 10**-indicator.decimals if mean else 0.0
        for r in rows.iter_rows(named=True):
            key = (r["area_code"], r["breakdown"])
            children = r["denominator"] if mean else r["numerator"]
            amount = (r["value"] or 0.0) * (children or 0.0) if mean else children
            if amount is None:
                continue
            versions[r["_version"]][key] = float(amount)
            weight[key] = max(weight.get(key, 0.0), float(children or 0.0))
            if mean:
                slack[key] = half_unit * (children or 0.0)
        structure = additions({k for v in versions for k in v}, authority, localities)
        decided = _decided(
            tuple(tuple(sorted(v.items())) for v in versions),
            frozenset(primary),
            tuple(structure),
            threshold,
            tuple(sorted(weight.items())),
            tuple(sorted(slack.items())),
            not mean,
        )
        hidden.extend((code, period, area, breakdown) for area, breakdown in decided)
    marks = pl.DataFrame(hidden, schema={c: pl.String for c in columns}, orient="row").with_columns(
        suppression=pl.lit(WITHHELD)
    )
    return values.drop("suppression", strict=False).join(marks, on=columns, how="left")


def withheld_figures(values: pl.DataFrame, catalogue: Catalogue) -> dict[str, list[WithheldCell]]:
    """By indicator, the cells of ``values`` (figures not yet stored: a return's, as
    checked) that publication will withhold, primary and secondary, as :func:`suppress`
    decides them, for checking what a person wrote beside them
    (:func:`metrics.core.quotes.giveaways`).

    ``values`` needs ``indicator_code``, ``period``, ``area_code``, ``breakdown``,
    ``numerator``, ``denominator`` and ``value``."""
    known = [i for i in catalogue.indicators if i.code in set(values["indicator_code"])]
    if not known:
        return {}
    spec = pl.DataFrame(
        {
            "indicator_code": [i.code for i in known],
            "_kind": [i.kind.value for i in known],
            "_threshold": [i.suppression_threshold for i in known],
        }
    )
    marked = values.join(spec, on="indicator_code").with_columns(
        suppressed=small_count(pl.col("_kind"), pl.col("_threshold"))
    )
    return withheld_cells_of(suppress(marked, catalogue), catalogue)


def withheld_cells_of(marked: pl.DataFrame, catalogue: Catalogue) -> dict[str, list[WithheldCell]]:
    """By indicator, the rows of ``marked`` (values with ``suppression``, as :func:`suppress`
    gives them) that are withheld, as cells that text can be checked against."""
    cells: dict[str, list[WithheldCell]] = {}
    for r in marked.filter(pl.col("suppression") == WITHHELD).iter_rows(named=True):
        ind = catalogue.indicator[r["indicator_code"]]
        mean = ind.kind is Kind.MEAN
        cells.setdefault(ind.code, []).append(
            WithheldCell(
                indicator=ind.code,
                area=r["area_code"],
                breakdown=r["breakdown"],
                count=r["denominator"] if mean else r["numerator"],
                denominator=r["denominator"],
                value=r["value"],
                multiplier=float(ind.multiplier),
                threshold=ind.suppression_threshold,
                mean=mean,
            )
        )
    return cells


PUBLIC_COLUMNS = {
    "indicator_code": pl.String,
    "indicator_title": pl.String,
    "period": pl.String,
    "area_code": pl.String,
    "area_name": pl.String,
    "breakdown": pl.String,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "value": pl.Float64,
    "lower_95": pl.Float64,
    "upper_95": pl.Float64,
    "unit": pl.String,
    "suppressed": pl.String,
    "footnote": pl.String,
}
"""The layout of figures as published (``outcomes export --public``, the open data API):
numbers as numbers, rounded half up as the indicator is shown; a withheld figure is empty,
with ``c`` in ``suppressed`` and the footnote that says why (both empty where nothing is
withheld)."""


def public_table(
    values: pl.DataFrame, catalogue: Catalogue, *, marks: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Indicator values for publication (:data:`PUBLIC_COLUMNS`): withheld as ``marks``
    (:func:`suppress` over whole sets and versions) says, or as :func:`suppress` judges
    ``values`` alone."""
    if marks is None:
        frame = suppress(values, catalogue)
    else:
        keys = ["indicator_code", "period", "area_code", "breakdown"]
        frame = values.drop("suppression", strict=False).join(
            marks.select(*keys, "suppression"), on=keys, how="left", maintain_order="left"
        )
    return published_layout(frame, catalogue)


def published_layout(frame: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Values already judged (``suppression`` set where withheld: as :func:`suppress` or
    :func:`conceal` leaves them) in the layout of :data:`PUBLIC_COLUMNS`, in their order:
    each figure rounded half up to its indicator's decimals, a withheld one left empty."""
    spec = pl.DataFrame(
        {
            "indicator_code": [i.code for i in catalogue.indicators],
            "indicator_title": [i.title for i in catalogue.indicators],
            "unit": [i.unit for i in catalogue.indicators],
            "_decimals": [i.decimals for i in catalogue.indicators],
            "_footnote": [
                FOOTNOTE.format(threshold=i.suppression_threshold) for i in catalogue.indicators
            ],
        }
    )
    areas = pl.DataFrame(
        {"area_code": list(catalogue.area), "area_name": [a.name for a in catalogue.areas]}
    )
    hidden = pl.col("suppression").is_not_null()

    def shown(column: str, decimals: pl.Expr | int) -> pl.Expr:
        rounded = round_half_up(pl.col(column), decimals)
        return pl.when(~hidden).then(rounded).alias(column)

    return (
        frame.drop("indicator_title", "unit", "area_name", strict=False)
        .join(spec, on="indicator_code", how="left", maintain_order="left")
        .join(areas, on="area_code", how="left", maintain_order="left")
        .with_columns(
            shown("numerator", 0),
            round_half_up(pl.col("denominator"), 0).alias("denominator"),
            *(shown(c, pl.col("_decimals")) for c in ("value", "lower_95", "upper_95")),
            pl.when(hidden).then(pl.lit(SUPPRESSED)).alias("suppressed"),
            pl.when(hidden).then(pl.col("_footnote")).alias("footnote"),
        )
        # a "count" beyond 64-bit integers is no count of children: left empty, not failed
        .select(pl.col(c).cast(t, strict=False) for c, t in PUBLIC_COLUMNS.items())
    )


FIGURES = ("numerator", "value", "sd", "lower_95", "upper_95", "lower_998", "upper_998")
"""The columns of a suppressed row that are withheld (the denominator is not: it is the
size of the group, published as DfE publishes it)."""

SUPPRESSED_RAG = "suppressed"


def conceal(values: pl.DataFrame, marks: pl.DataFrame) -> pl.DataFrame:
    """Indicator values with every suppressed figure, and every figure derived from one,
    removed. ``marks`` is :func:`suppress` over whole sets (every locality and breakdown
    category of the indicators and periods in ``values``), so secondary suppression sees
    each set entire even when ``values`` holds only part of it.

    A change from an earlier period is removed when either figure is suppressed, and so is
    the earlier figure when it is the one suppressed; RAG becomes ``suppressed``.
    ``withheld_in_period`` says whether any figure of the indicator and period (any area or
    breakdown) is withheld: commentary on it is withheld too."""
    keys = ["indicator_code", "area_code", "breakdown"]
    marked = marks.select(*keys, "period", "period_order", "suppression").sort(
        [*keys, "period_order"]
    )
    marked = marked.with_columns(
        _previous_hidden=pl.col("suppression").shift(1).over(keys).is_not_null(),
    )
    year_ago = marked.select(
        *keys,
        (pl.col("period_order") + 10).alias("period_order"),
        pl.col("suppression").is_not_null().alias("_year_ago_hidden"),
    )
    marked = marked.join(year_ago, on=[*keys, "period_order"], how="left").select(
        *keys, "period", "suppression", "_previous_hidden", "_year_ago_hidden"
    )
    frame = values.drop("suppression", strict=False).join(marked, on=[*keys, "period"], how="left")
    in_set = marks.group_by("indicator_code", "period").agg(
        withheld_in_period=pl.col("suppression").is_not_null().any()
    )
    frame = frame.drop("withheld_in_period", strict=False).join(
        in_set, on=["indicator_code", "period"], how="left"
    )
    hidden = pl.col("suppression").is_not_null()
    previous_hidden = pl.col("_previous_hidden").fill_null(False)
    year_ago_hidden = pl.col("_year_ago_hidden").fill_null(False)

    def withheld(column: str, when: pl.Expr) -> pl.Expr:
        return pl.when(when).then(None).otherwise(pl.col(column)).alias(column)

    present = set(frame.columns)
    changes = [
        withheld(c, w)
        for c, w in (
            *((c, hidden) for c in FIGURES),
            ("previous_value", previous_hidden),
            ("change_previous", hidden | previous_hidden),
            ("year_ago_value", year_ago_hidden),
            ("change_year", hidden | year_ago_hidden),
        )
        if c in present
    ]
    if "rag" in present:
        changes.append(
            pl.when(hidden).then(pl.lit(SUPPRESSED_RAG)).otherwise(pl.col("rag")).alias("rag")
        )
    return frame.with_columns(changes).drop("_previous_hidden", "_year_ago_hidden")
