"""Turn a return as read into the frames the GX suites check.

The suites check plain columns; this step adds what they need to know, as columns whose
names start with ``_``: the figures parsed as numbers, the indicator's kind and owner
from the catalogue, the period each row should carry, the value calculated from
numerator and denominator, the locality sums, and the previous period's figures.
"""

from __future__ import annotations

import pandas as pd
import polars as pl

from metrics.core import identifiers
from metrics.core.catalogue import COMMENTARY_PARTS, Catalogue, Kind
from metrics.core.formatting import round_half_up
from metrics.core.numbers import NUMBER_PATTERN, parse_numbers
from metrics.core.periods import PeriodError, PeriodType, Quarter, normalise, previous_period
from metrics.core.quotes import giveaways
from metrics.core.values import withheld_by_indicator
from metrics.returns.reading.base import ROW_COLUMN, RawReturn, column_letter

REQUIRED_COLUMNS = [
    "indicator_code",
    "period",
    "area_code",
    "breakdown",
    "numerator",
    "denominator",
]
OPTIONAL_COLUMNS = ["value", "sd", *COMMENTARY_PARTS]
INFO_COLUMNS = ["indicator_title", "area_name", "unit"]
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS + INFO_COLUMNS
CODE_COLUMNS = ["indicator_code", "period", "area_code", "breakdown"]
FIGURE_COLUMNS = ["numerator", "denominator", "value", "sd"]
SAME_FIGURE_MINIMUM = 10
"""Identical figures are queried (W02) only where the numerator is at least this."""

# Headings that name information about individual children (H02).
IDENTIFIER_HEADINGS = [
    r"^(?:child|first|fore|sur|last|family|given|full|pupil|young_person|person|middle)_?names?$",
    r"^names?$",
    r"(?:^|_)(?:dob|d_o_b)(?:$|_)",
    r"birth",
    r"(?:^|_)(?:upn|uln|uci)(?:$|_)",
    r"unique_(?:pupil|learner)",
    r"(?:^|_)nhs",
    r"(?:^|_)chi_?(?:number|no)$",
    r"post_?code",
    r"(?:^|_)address",
    r"(?:^|_)(?:pupil|child|person|client|case)_?(?:id|ref|reference|number|no)$",
]

FORMULA_START = {"code": r"^[=+@\-]", "free_text": r"^[=+@]"}
"""A cell starting like a spreadsheet formula (C18); commentary may start a list with -."""


def header_frame(raw: RawReturn) -> pd.DataFrame:
    """One row per heading, for the header suite."""
    names = raw.columns
    return pd.DataFrame(
        {
            "_position": list(range(len(names))),
            ROW_COLUMN: [1] * len(names),
            "column_name": names,
            "heading": raw.header[: len(names)],
            "column_letter": [column_letter(i) for i in range(len(names))],
        }
    )


def header_parameters() -> dict[str, object]:
    return {
        "required_columns": REQUIRED_COLUMNS,
        "identifier_headings": IDENTIFIER_HEADINGS,
        "known_columns": KNOWN_COLUMNS,
    }


def _indicator_frame(catalogue: Catalogue, quarter: Quarter) -> pl.DataFrame:
    rows = []
    for ind in catalogue.indicators:
        expected = ind.period_in(quarter)
        rows.append(
            {
                "indicator_code": ind.code,
                "_owner": ind.group,
                "_kind": ind.kind.value,
                "_multiplier": float(ind.multiplier),
                "_decimals": ind.decimals,
                "_unit": ind.unit,
                "_period_type": ind.period_type.value,
                "_expected_period": expected,
                "_previous_period": previous_period(expected, ind.period_type),
                "_change_threshold": float(ind.change_threshold),
                "_additive": ind.additive,
                "_suppression_threshold": ind.suppression_threshold,
                "_plausible_maximum": float(catalogue.settings.plausible_maximum[ind.kind]),
            }
        )
    return pl.DataFrame(rows)


def _normalised_periods(frame: pl.DataFrame) -> pl.DataFrame:
    pairs = frame.select("period", "_period_type").unique().drop_nulls()
    found = []
    for period, ptype in pairs.iter_rows():
        try:
            found.append(normalise(period, PeriodType(ptype)))
        except PeriodError:
            found.append(f"?{period}")
    return pairs.with_columns(pl.Series("_period_found", found, dtype=pl.String))


def prepare_content(
    raw: RawReturn,
    *,
    catalogue: Catalogue,
    group: str,
    quarter: Quarter,
    history: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The return's rows with the lookup columns the content and history suites check."""
    frame = raw.frame
    for col in KNOWN_COLUMNS:
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    frame = frame.with_columns(
        [pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in raw.columns]
    )
    frame = frame.with_columns([parse_numbers(c).alias(f"_{c}") for c in FIGURE_COLUMNS]).join(
        _indicator_frame(catalogue, quarter), on="indicator_code", how="left"
    )

    frame = frame.join(_normalised_periods(frame), on=["period", "_period_type"], how="left")
    levels = pl.DataFrame(
        {"area_code": list(catalogue.area), "_area_level": [a.level.value for a in catalogue.areas]}
    )
    frame = frame.join(levels, on="area_code", how="left")
    owned = pl.col("_owner") == group
    area_known = pl.col("area_code").is_in(list(catalogue.area))
    breakdown_known = pl.col("breakdown").is_in(catalogue.breakdown_codes())
    frame = frame.with_columns(
        _checkable=(
            owned
            & area_known
            & breakdown_known
            & (pl.col("_period_found") == pl.col("_expected_period"))
        ).fill_null(False),
        _key=pl.concat_str(
            [
                pl.col("indicator_code"),
                pl.coalesce("_period_found", "period"),
                pl.col("area_code"),
                pl.col("breakdown"),
            ],
            separator="|",
            ignore_nulls=False,
        ),
        _combo=pl.concat_str(
            [pl.col("indicator_code"), pl.col("_area_level"), pl.col("breakdown")],
            separator="|",
            ignore_nulls=False,
        ),
    )
    frame = _with_values(frame)
    frame = _with_cell_flags(frame, catalogue)
    frame = _with_giveaways(frame, catalogue)
    frame = _with_locality_sums(frame, catalogue)
    frame = _with_history(frame, catalogue, history)
    return frame


def _with_values(frame: pl.DataFrame) -> pl.DataFrame:
    kind = pl.col("_kind")
    ratio = pl.col("_numerator") / pl.col("_denominator") * pl.col("_multiplier")
    calc = (
        pl.when(kind.is_in([Kind.PROPORTION.value, Kind.RATE.value]) & (pl.col("_denominator") > 0))
        .then(ratio)
        .when(kind == Kind.COUNT.value)
        .then(pl.col("_numerator"))
        .when(kind == Kind.MEAN.value)
        .then(pl.col("_value"))
    )
    return frame.with_columns(_value_calc=calc).with_columns(
        _value_discrepancy=pl.when(kind != Kind.MEAN.value).then(
            (pl.col("_value") - pl.col("_value_calc")).abs()
        ),
        _value_tolerance=0.5 * pl.lit(10.0).pow(-pl.col("_decimals")) + 1e-9,
    )


def checked_cells(frame: pl.DataFrame) -> list[tuple[str, identifiers.Context]]:
    """Every cell column of the return and how its text is read: codes and information
    columns, figures, and free-text commentary."""
    out: list[tuple[str, identifiers.Context]] = [(c, "code") for c in text_columns(frame)]
    out += [(c, "figure") for c in FIGURE_COLUMNS]
    return [*out, *((c, "free_text") for c in COMMENTARY_PARTS)]


def _columns_where(flags: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """The names of the columns whose flag is true, comma-separated (null when none)."""
    names = pl.concat_str(
        [pl.when(flag.fill_null(False)).then(pl.lit(column)) for column, flag in flags],
        separator=",",
        ignore_nulls=True,
    )
    return pl.when(names != "").then(names)


def _with_cell_flags(frame: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Per row, the columns holding a child's identifier (C17), starting like a formula
    (C18), with an implausible figure (C19) or a fraction of a person (C21)."""
    cells = checked_cells(frame)
    found = []
    for column, context in cells:
        values = frame.get_column(column).drop_nulls().unique().to_list()
        hits = [v for v in values if identifiers.find(v, context)]
        found.append((column, pl.col(column).is_in(hits)))
    formula = [
        (c, pl.col(c).str.contains(FORMULA_START["free_text" if ctx == "free_text" else "code"]))
        for c, ctx in cells
    ]
    bound = pl.col("_plausible_maximum")
    implausible = [
        (c, ~pl.col(f"_{c}").is_finite() | (pl.col(f"_{c}").abs() > bound)) for c in FIGURE_COLUMNS
    ]
    whole = [
        (c, pl.col("_kind").is_not_null() & (pl.col(f"_{c}") != pl.col(f"_{c}").round(0)))
        for c in ("numerator", "denominator")
    ]
    return frame.with_columns(
        _identifier_in=_columns_where(found),
        _formula_in=_columns_where(formula),
        _implausible_in=_columns_where(implausible),
        _fraction_in=_columns_where(whole),
    )


def _with_giveaways(frame: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Per row, the commentary cells that quote a figure the return's readers will see
    withheld (C22): the count itself, in digits or words, or a rate, percentage or mean
    that gives it back with the denominator shown (:mod:`metrics.core.quotes`); and what
    each quotes, for the message."""
    parts = [p for p in COMMENTARY_PARTS if p in frame.columns]
    empty = frame.with_columns(
        _gives_back_in=pl.lit(None, dtype=pl.String), _gives_back=pl.lit(None, dtype=pl.String)
    )
    if (
        not parts
        or frame.filter(pl.any_horizontal(pl.col(p).is_not_null() for p in parts)).is_empty()
    ):
        return empty
    checkable = frame.filter(pl.col("_checkable") & pl.col("_numerator").is_not_null())
    figures = to_observations(checkable, catalogue)
    cells = withheld_by_indicator(figures.unique(CODE_COLUMNS, keep="none"), catalogue)
    if not cells:
        return empty
    columns, said = [], []
    for row in frame.select(ROW_COLUMN, "indicator_code", *parts).iter_rows(named=True):
        found = {p: giveaways(row[p], cells.get(row["indicator_code"], [])) for p in parts}
        found = {p: g for p, g in found.items() if g}
        columns.append(",".join(found) or None)
        said.append(
            "; ".join(
                f"'{quoted}' (the withheld figure for {_where(cell, catalogue)})"
                for g in found.values()
                for quoted, cell in g[:1]
            )
            or None
        )
    return frame.with_columns(
        _gives_back_in=pl.Series(columns, dtype=pl.String),
        _gives_back=pl.Series(said, dtype=pl.String),
    )


def _where(cell, catalogue: Catalogue) -> str:
    area = catalogue.area[cell.area].name if cell.area in catalogue.area else cell.area
    return area if cell.breakdown == "total" else f"{area}, {cell.breakdown}"


def _with_locality_sums(frame: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    localities = [a.code for a in catalogue.localities]
    sums = (
        frame.filter(
            pl.col("area_code").is_in(localities)
            & (pl.col("breakdown") == "total")
            & pl.col("_additive").fill_null(False)
        )
        .group_by("indicator_code", "_period_found")
        .agg(
            _locality_numerator=pl.col("_numerator").sum(),
            _locality_denominator=pl.col("_denominator").sum(),
        )
    )
    frame = frame.join(sums, on=["indicator_code", "_period_found"], how="left")
    is_total = (pl.col("area_code") == catalogue.authority.code) & (pl.col("breakdown") == "total")
    differs = ((pl.col("_numerator") - pl.col("_locality_numerator")).abs() > 1e-9) | (
        (pl.col("_denominator").fill_null(0) - pl.col("_locality_denominator").fill_null(0)).abs()
        > 1e-9
    )
    return frame.with_columns(
        _total_mismatch=pl.when(is_total & pl.col("_locality_numerator").is_not_null()).then(
            differs
        )
    )


def _with_history(
    frame: pl.DataFrame, catalogue: Catalogue, history: pl.DataFrame | None
) -> pl.DataFrame:
    authority = catalogue.authority.population_0_17
    names = pl.DataFrame(
        {
            "area_code": list(catalogue.area),
            "_area_name": [a.name for a in catalogue.areas],
            "_area_scale": [(authority / a.population_0_17) ** 0.5 for a in catalogue.areas],
        }
    )
    frame = frame.join(names, on="area_code", how="left")
    # Figures for smaller groups move more by chance: a locality's threshold is scaled by
    # sqrt(authority population / locality population), a breakdown's doubled.
    scale = (
        pl.when(pl.col("breakdown") != "total")
        .then(2.0)
        .otherwise(pl.col("_area_scale").fill_null(1.0))
    )
    frame = frame.with_columns(_change_threshold=pl.col("_change_threshold") * scale)
    if history is None or history.is_empty():
        return frame.with_columns(
            _previous_value=pl.lit(None, dtype=pl.Float64),
            _abs_change=pl.lit(None, dtype=pl.Float64),
            _change=pl.lit(None, dtype=pl.Float64),
            _same_as_previous=pl.lit(None, dtype=pl.Boolean),
        )
    previous = history.select(
        "indicator_code",
        "area_code",
        "breakdown",
        pl.col("period").alias("_previous_period"),
        pl.col("numerator").cast(pl.Float64).alias("_prev_numerator"),
        pl.col("denominator").cast(pl.Float64).alias("_prev_denominator"),
        pl.col("value").cast(pl.Float64).alias("_previous_value"),
    )
    frame = frame.join(
        previous, on=["indicator_code", "area_code", "breakdown", "_previous_period"], how="left"
    )
    change = pl.col("_value_calc") - pl.col("_previous_value")
    same_num = pl.col("_numerator").eq_missing(pl.col("_prev_numerator"))
    same_den = pl.col("_denominator").eq_missing(pl.col("_prev_denominator"))
    decimals = pl.col("_decimals")
    return frame.with_columns(
        _change=change,
        _abs_change=change.abs(),
        # the figures as the submitter sees them, for messages
        _value_shown=round_half_up(pl.col("_value_calc"), decimals),
        _previous_shown=round_half_up(pl.col("_previous_value"), decimals),
        _change_shown=round_half_up(change, decimals),
        _threshold_shown=round_half_up(pl.col("_change_threshold"), decimals),
        # small counts repeat by chance; identical figures of 10 or more suggest a copy
        _same_as_previous=pl.when(
            pl.col("_previous_value").is_not_null() & (pl.col("_numerator") >= SAME_FIGURE_MINIMUM)
        ).then(same_num & same_den),
    )


def content_parameters(catalogue: Catalogue, group: str, quarter: Quarter) -> dict[str, object]:
    """Suite parameters: kept small (sets of codes, not of rows), as GX copies them into
    every check it runs."""
    return {
        "known_indicators": list(catalogue.indicator),
        "group_indicators": [i.code for i in catalogue.indicators_of(group)],
        "known_areas": list(catalogue.area),
        "known_breakdowns": catalogue.breakdown_codes(),
        "permitted_combinations": sorted(catalogue.permitted_combinations(group, quarter)),
        "due_indicators": sorted(
            {i.code for i in catalogue.indicators_of(group) if i.is_due(quarter)}
        ),
        "number_pattern": NUMBER_PATTERN,
    }


def coverage_frame(
    frame: pl.DataFrame, catalogue: Catalogue, group: str, quarter: Quarter
) -> pl.DataFrame:
    """One row per row due from the group this quarter, and whether the return has it."""
    due = pl.DataFrame(
        catalogue.due_rows(group, quarter),
        schema=["indicator_code", "period", "area_code", "breakdown"],
        orient="row",
    )
    due = due.with_columns(
        _key=pl.concat_str(pl.all(), separator="|"),
        _due=pl.concat_str(pl.all(), separator=" "),
    )
    present = frame.select(pl.col("_key").drop_nulls().unique(), _present=pl.lit(True))
    return (
        due.join(present, on="_key", how="left")
        .with_columns(pl.col("_present").fill_null(False))
        .with_row_index("_position")
        .with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW_COLUMN))
    )


def text_columns(frame: pl.DataFrame) -> list[str]:
    """Columns of free text or codes in the return (not figures, not commentary)."""
    return [
        c
        for c in frame.columns
        if not c.startswith("_") and c not in FIGURE_COLUMNS and c not in COMMENTARY_PARTS
    ]


def to_observations(frame: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """The accepted figures, typed, one row per indicator x period x area x breakdown."""
    return frame.select(
        pl.col(ROW_COLUMN).alias("source_row"),
        "indicator_code",
        pl.col("_period_found").alias("period"),
        "area_code",
        "breakdown",
        pl.col("_numerator").alias("numerator"),
        pl.col("_denominator").alias("denominator"),
        pl.col("_value_calc").alias("value"),
        pl.col("_sd").alias("sd"),
    )


def commentary_by_indicator(frame: pl.DataFrame) -> pl.DataFrame:
    """Commentary per indicator, period and part (what the figures show, the story behind
    the curve, ...): the distinct texts of its rows, in row order."""
    parts = [
        frame.filter(pl.col(part).is_not_null() & (pl.col(part).str.strip_chars() != ""))
        .group_by("indicator_code", pl.col("_period_found").alias("period"), maintain_order=True)
        .agg(pl.col(part).unique(maintain_order=True).str.join("\n\n").alias("text"))
        .with_columns(part=pl.lit(part))
        for part in COMMENTARY_PARTS
        if part in frame.columns
    ]
    schema = {"indicator_code": pl.String, "period": pl.String, "text": pl.String}
    if not parts:
        return pl.DataFrame(schema={**schema, "part": pl.String})
    return pl.concat(parts, how="vertical_relaxed")
