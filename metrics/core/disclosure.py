"""Figures for publication: rounded half up, small numbers suppressed.

Primary suppression: a count (numerator) from 1 up to the indicator's threshold less
one, and the rate or proportion derived from it, is shown as ``c``. Secondary
suppression: where only one figure in a set that adds up to a published total is
suppressed (one locality of the authority, or one category of a breakdown), the next
smallest figure in the set is suppressed too, so the first cannot be worked out by
subtraction.

:func:`conceal` applies both to indicator values read for someone who may not see small
numbers: the figures of a suppressed row, and every figure derived from them (its interval,
RAG, the change from it and to it), are removed, and ``suppression`` says why. The service
layer calls it for every reader without ``view-unsuppressed``; nothing else hides figures.
"""

from __future__ import annotations

import polars as pl

from metrics.core.catalogue import Catalogue
from metrics.core.formatting import SUPPRESSED, figure

FOOTNOTES = {
    "primary": "c: suppressed because the count is small (fewer than {threshold}).",
    "secondary": "c: suppressed so that another suppressed figure cannot be worked out from "
    "the total.",
}


def _set_key(catalogue: Catalogue) -> pl.Expr:
    """Which additive set a row belongs to: the localities, or a breakdown dimension."""
    localities = [a.code for a in catalogue.localities]
    return (
        pl.when(pl.col("area_code").is_in(localities) & (pl.col("breakdown") == "total"))
        .then(pl.lit("localities"))
        .when(pl.col("breakdown") != "total")
        .then(pl.col("area_code") + ":" + pl.col("breakdown").str.split(":").list.first())
    )


def suppress(values: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Add ``suppression`` (None, ``primary`` or ``secondary``) to indicator values."""
    frame = values.with_columns(
        _set=_set_key(catalogue),
        suppression=pl.when(pl.col("suppressed").fill_null(False)).then(pl.lit("primary")),
    )
    keys = ["indicator_code", "period", "_set"]
    counts = frame.group_by(keys).agg(
        primaries=(pl.col("suppression") == "primary").sum(), members=pl.len()
    )
    frame = frame.join(counts, on=keys, how="left")
    # in sets with exactly one primary suppression, also hide the smallest other member
    candidates = frame.filter(
        pl.col("_set").is_not_null()
        & (pl.col("primaries") == 1)
        & (pl.col("members") > 1)
        & pl.col("suppression").is_null()
    )
    secondary = (
        candidates.sort("numerator", "area_code", "breakdown", nulls_last=True)
        .group_by(keys, maintain_order=True)
        .first()
        .select(*keys, "area_code", "breakdown", pl.lit("secondary").alias("_secondary"))
    )
    frame = frame.join(secondary, on=[*keys, "area_code", "breakdown"], how="left")
    return frame.with_columns(suppression=pl.coalesce("suppression", "_secondary")).drop(
        "_set", "primaries", "members", "_secondary"
    )


def public_table(values: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Indicator values as text for publication, with ``c`` and a footnote where
    suppressed."""
    frame = suppress(values, catalogue)
    decimals = {i.code: i.decimals for i in catalogue.indicators}
    units = {i.code: i.unit for i in catalogue.indicators}
    thresholds = {i.code: i.suppression_threshold for i in catalogue.indicators}
    rows = []
    for r in frame.iter_rows(named=True):
        code, hidden = r["indicator_code"], r["suppression"] is not None
        d = decimals[code]
        rows.append(
            {
                "indicator_code": code,
                "period": r["period"],
                "area_code": r["area_code"],
                "breakdown": r["breakdown"],
                "numerator": SUPPRESSED if hidden else figure(r["numerator"], 0),
                "denominator": figure(r["denominator"], 0),
                "value": figure(r["value"], d, suppressed=hidden),
                "lower_95": figure(r["lower_95"], d, suppressed=hidden),
                "upper_95": figure(r["upper_95"], d, suppressed=hidden),
                "unit": units[code],
                "footnote": FOOTNOTES[r["suppression"]].format(threshold=thresholds[code])
                if hidden
                else "",
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            k: pl.String
            for k in (
                "indicator_code",
                "period",
                "area_code",
                "breakdown",
                "numerator",
                "denominator",
                "value",
                "lower_95",
                "upper_95",
                "unit",
                "footnote",
            )
        },
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
    the earlier figure when it is the one suppressed; RAG becomes ``suppressed``."""
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
