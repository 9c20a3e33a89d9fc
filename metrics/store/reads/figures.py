"""What the figures pages read: stored indicator values and the sets suppression judges,
commentary, returns received, findings, published values and the neighbour model (each
neighbour average for many indicators in one grouped read). Functions take a store (or a
store as it stood at a meeting's cut-off) and return Polars frames; none writes.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from metrics.core.catalogue import COMMENTARY_PARTS, Catalogue
from metrics.core.formatting import each_value
from metrics.core.periods import (
    Quarter,
    matching_year,
    quarter_order,
)
from metrics.store.connection import Store

# --- the board's overview -------------------------------------------------------------


def indicator_values(
    store: Store,
    where: str,
    params: list,
    *,
    select: str = "v.*",
    joins: str = "",
    order: str = "v.indicator_code, v.period_order, v.area_code, v.breakdown",
) -> pl.DataFrame:
    """Rows of ``indicator_values v`` that meet ``where`` (with ``joins``, in ``order``)."""
    return store.frame(
        f"SELECT {select} FROM indicator_values v {joins} WHERE {where} ORDER BY {order}",
        params,
    )


_REPLACED_SINCE = """
    SELECT list(DISTINCT m.cut_off ORDER BY m.cut_off) FROM meetings m
    WHERE m.cut_off <= ? AND EXISTS (
        SELECT 1 FROM submissions was JOIN submissions later
          ON later.group_code = was.group_code AND later.period = was.period
        WHERE was.status <> 'rejected' AND later.status <> 'rejected'
          AND was.submitted_at <= m.cut_off AND later.submitted_at > m.cut_off)
"""


def suppression_sets(store: Store, codes: list[str], *, now: datetime | None = None):
    """Every value of ``codes`` with what small-number suppression judges: the sets a
    reader sees together (an authority and its localities, a breakdown's categories). With
    ``now`` (read from the store itself, not as at a meeting), every row also carries
    :func:`cut_offs_with_figures_replaced_since` as ``replaced_cut_offs``, in the same read."""
    also = f", ({_REPLACED_SINCE}) AS replaced_cut_offs" if now is not None else ""
    return store.frame(
        "SELECT indicator_code, period, period_order, area_code, breakdown, numerator, "
        f"denominator, value, suppressed{also} FROM indicator_values "
        "WHERE list_contains(?, indicator_code)",
        [*([now] if now is not None else []), codes],
    )


def cut_offs_with_figures_replaced_since(store: Store, now: datetime) -> list[datetime]:
    """The data cut-offs (passed by ``now``) of meetings whose figures differ from today's:
    a return current at the cut-off was replaced by a later version after it. As at any
    other cut-off, every return a reader sees is the one still current, so the figures are
    today's (returns that arrived since add periods, not other versions of them)."""
    found = store.frame(f"SELECT ({_REPLACED_SINCE}) AS cut_offs", [now])["cut_offs"]
    return found.explode().drop_nulls().to_list()


def overdue_action_indicators(store: Store, on: date) -> set[str]:
    """Indicators with an unfinished action whose date has passed by ``on``."""
    return set(
        store.frame(
            "SELECT DISTINCT indicator_code FROM actions WHERE indicator_code IS NOT NULL "
            "AND due_on < ? AND status NOT IN ('done', 'dropped')",
            [on],
        )["indicator_code"].to_list()
    )


def exception_decisions(store: Store, quarter: str) -> pl.DataFrame:
    """The board's decisions on its exception list for a quarter, oldest first."""
    return store.frame("SELECT * FROM exception_decisions WHERE period = ? ORDER BY id", [quarter])


def returns_received(store: Store, quarters: list[str]) -> pl.DataFrame:
    """Per quarter of ``quarters`` and group, the versions of its return: how many, how many
    rejected, the current version and when it was accepted, and when the first version was
    accepted (a later version corrects it: lateness is judged by the first)."""
    return store.frame(
        "SELECT period, group_code, count(*) FILTER (WHERE status <> 'rejected') AS versions, "
        "count(*) FILTER (WHERE status = 'rejected') AS rejected, "
        "max(version) FILTER (WHERE status = 'accepted') AS current_version, "
        "max(submitted_at) FILTER (WHERE status = 'accepted') AS accepted_at, "
        "min(submitted_at) FILTER (WHERE status IN ('accepted', 'superseded')) "
        "AS first_accepted_at "
        "FROM submissions WHERE list_contains(?, period) GROUP BY ALL",
        [quarters],
    )


def periods_available(store: Store) -> list[str]:
    """Quarters with at least one accepted return, oldest first."""
    frame = store.frame(
        "SELECT DISTINCT period FROM submissions WHERE status IN ('accepted', 'superseded')"
    )
    return sorted(frame["period"].to_list(), key=lambda p: Quarter.parse(p))


_PART_ORDER = (
    "CASE c.part "
    + " ".join(f"WHEN '{part}' THEN {n}" for n, part in enumerate(COMMENTARY_PARTS))
    + " END"
)
_LABELLED = (
    "CASE c.part WHEN 'commentary' THEN c.text "
    + " ".join(
        f"WHEN '{part}' THEN '{label}: ' || c.text"
        for part, label in COMMENTARY_PARTS.items()
        if part != "commentary"
    )
    + " END"
)
"""A part of a group's commentary as it reads: the story behind the curve, partners and so
on under their headings; what the figures show as it was written."""


def current_commentary(store: Store) -> pl.DataFrame:
    """Commentary per indicator and period, from the current version of each return, its
    parts in their order under their headings."""
    return store.frame(
        f"SELECT c.indicator_code, c.period, string_agg({_LABELLED}, '\n\n' "
        f"ORDER BY {_PART_ORDER}) AS text FROM commentary c "
        "JOIN submissions s ON s.id = c.submission_id WHERE s.status = 'accepted' "
        "GROUP BY c.indicator_code, c.period"
    )


def commentary_history(store: Store, code: str) -> pl.DataFrame:
    """Commentary on one indicator from every current return, newest first (its parts in
    their order under their headings)."""
    return store.frame(
        f"SELECT s.period AS return_period, c.period, string_agg({_LABELLED}, '\n\n' "
        f"ORDER BY {_PART_ORDER}) AS text, s.group_code, s.version, s.submitted_at "
        "FROM commentary c JOIN submissions s ON s.id = c.submission_id "
        "WHERE c.indicator_code = ? AND s.status = 'accepted' "
        "GROUP BY ALL ORDER BY s.submitted_at DESC",
        [code],
    )


# --- delivery groups' returns and data quality --------------------------------------------


def current_observations(store: Store, codes: list[str]) -> pl.DataFrame:
    """The accepted figures of these indicators, every period (what values are made from)."""
    return store.frame(
        "SELECT indicator_code, period, area_code, breakdown, numerator, denominator, value, "
        "sd, submission_id FROM current_observations WHERE list_contains(?, indicator_code)",
        [codes],
    )


def group_submissions(store: Store, group: str) -> pl.DataFrame:
    """A group's submissions, newest first."""
    return store.frame(
        "SELECT id, period, version, status, submitted_by, submitted_at, file_name, rows, "
        "errors, warnings FROM submissions WHERE group_code = ? ORDER BY id DESC",
        [group],
    )


def submission_findings(store: Store, submission_id: int) -> pl.DataFrame:
    return store.frame(
        "SELECT severity, rule, row_number AS row, column_name AS column, value, message, "
        "explanation, subject FROM findings WHERE submission_id = ? ORDER BY seq",
        [submission_id],
    )


def submissions_by_quarter(store: Store) -> pl.DataFrame:
    """Submissions per quarter and status."""
    frame = store.frame(
        "SELECT period, status, count(*) AS submissions FROM submissions GROUP BY 1, 2"
    )
    return (
        frame.with_columns(order=each_value(frame, "period", quarter_order, pl.Int32))
        .sort("order", "status")
        .drop("order")
    )


def findings_by_rule(store: Store) -> pl.DataFrame:
    """How often each rule has been broken, with its severity."""
    return store.frame(
        "SELECT rule, severity, count(*) AS findings, count(DISTINCT submission_id) AS returns "
        "FROM findings GROUP BY 1, 2 ORDER BY findings DESC, rule"
    )


def findings_by_group(store: Store) -> pl.DataFrame:
    """Findings per delivery group and severity."""
    return store.frame(
        "SELECT s.group_code, f.severity, count(*) AS findings FROM findings f "
        "JOIN submissions s ON s.id = f.submission_id GROUP BY 1, 2 ORDER BY findings DESC"
    )


# --- benchmarks -------------------------------------------------------------------------------


def neighbour_average(
    store: Store, indicator: str, period: str, old_la_code: str, *, method: str = "median"
) -> tuple[float | None, int]:
    """The average of an authority's statistical neighbours' published values: the median
    (as the DfE outcomes dashboard) or the mean (as LAIT). Returns (average, neighbours
    with a value)."""
    if method not in ("median", "mean"):
        raise ValueError(f"method must be 'median' or 'mean', not {method!r}")
    row = store.frame(
        f"SELECT {method}(p.value) AS average, count(p.value) AS n FROM neighbours n "
        "JOIN published_values p ON p.old_la_code = n.neighbour_old_la_code "
        "WHERE n.old_la_code = ? AND p.indicator_code = ? AND p.period = ? "
        "AND p.level = 'local authority'",
        [old_la_code, indicator, period],
    ).row(0)
    return row[0], int(row[1])


def neighbour_averages_for(
    store: Store, codes: list[str], old_la_code: str, *, method: str = "median"
) -> pl.DataFrame:
    """An authority's statistical neighbours' average (median or mean) of each of ``codes``
    in every published period, in one grouped read: (indicator_code, period, average, n),
    n the neighbours with a value. The same arithmetic as :func:`neighbour_average`."""
    if method not in ("median", "mean"):
        raise ValueError(f"method must be 'median' or 'mean', not {method!r}")
    return store.frame(
        f"SELECT p.indicator_code, p.period, {method}(p.value) AS average, "
        "count(p.value) AS n FROM neighbours n "
        "JOIN published_values p ON p.old_la_code = n.neighbour_old_la_code "
        "WHERE n.old_la_code = ? AND list_contains(?, p.indicator_code) "
        "AND p.level = 'local authority' GROUP BY p.indicator_code, p.period",
        [old_la_code, codes],
    )


def neighbour_list(store: Store, old_la_code: str) -> list[str]:
    """An authority's statistical neighbours (old codes) in the model's order."""
    return store.frame(
        "SELECT neighbour_old_la_code FROM neighbours WHERE old_la_code = ? ORDER BY rank",
        [old_la_code],
    )["neighbour_old_la_code"].to_list()


def similar_authorities(store: Store, catalogue: Catalogue, indicator: str) -> pl.DataFrame:
    """One indicator's published figures, every published year, for England and each of the
    home authority's statistical neighbours (in the model's order), with the neighbours'
    average by the catalogue's method: period, area_name, value, role (england, neighbour,
    average), rank (the neighbour's place in the model)."""
    method = catalogue.settings.neighbour_average
    home = catalogue.settings.home_old_la_code
    columns = {
        "period": pl.String,
        "area_name": pl.String,
        "value": pl.Float64,
        "role": pl.String,
        "rank": pl.Int64,
    }
    if not home:
        return pl.DataFrame(schema=columns)
    # the average is worked out in SQL by the catalogue's method, as neighbour_average does
    neighbours = (
        "FROM neighbours n JOIN published_values p "
        "ON p.old_la_code = n.neighbour_old_la_code AND p.level = 'local authority' "
        "WHERE n.old_la_code = ? AND p.indicator_code = ?"
    )
    frame = store.frame(
        f"SELECT p.period, p.area_name, p.value, 'neighbour' AS role, n.rank {neighbours} "
        f"UNION ALL SELECT p.period, 'Neighbours ({method})', {method}(p.value), 'average', "
        f"11 {neighbours} GROUP BY p.period "
        "UNION ALL SELECT period, 'England', value, 'england', 0 FROM published_values "
        "WHERE indicator_code = ? AND level = 'national' ORDER BY period, rank",
        [home, indicator, home, indicator, indicator],
    )
    if frame.is_empty():
        return pl.DataFrame(schema=columns)
    return frame.cast(columns)


def published_series(
    store: Store, indicator: str, *, level: str, area_code: str | None = None
) -> pl.DataFrame:
    """Published values for England (``level='national'``), a region or authorities."""
    query = (
        "SELECT * FROM published_values WHERE indicator_code = ? AND level = ?"
        + (" AND area_code = ?" if area_code else "")
        + " ORDER BY period, area_code"
    )
    return store.frame(query, [indicator, level] + ([area_code] if area_code else []))


BENCHMARK_SCHEMA = {
    "indicator_code": pl.String,
    "period": pl.String,
    "benchmark_period": pl.String,
    "benchmark_matched": pl.Boolean,
    "england": pl.Float64,
    "region": pl.Float64,
    "neighbours": pl.Float64,
    "neighbours_n": pl.Int64,
    "neighbour_method": pl.String,
}


def benchmark_rows(
    store: Store, catalogue: Catalogue, wanted: list[tuple[str, str]]
) -> pl.DataFrame:
    """England, region and neighbours for each (indicator, local period) in ``wanted``
    with published figures: the published year the period falls in, or the latest
    published before it (flagged not matched)."""
    method = catalogue.settings.neighbour_average
    codes = sorted({code for code, _ in wanted})
    published = store.frame(
        "SELECT indicator_code, period, level, area_code, value FROM published_values "
        "WHERE value IS NOT NULL AND level IN ('national', 'regional') "
        "AND list_contains(?, indicator_code)",
        [codes],
    )
    home = catalogue.settings.home_old_la_code
    averages = (
        {
            (code, period): (average, int(n))
            for code, period, average, n in neighbour_averages_for(
                store, codes, home, method=method
            ).iter_rows()
        }
        if home
        else {}
    )
    rows = []
    for code, local_period in wanted:
        mine = published.filter(pl.col("indicator_code") == code)
        national = mine.filter(pl.col("level") == "national")
        years = national["period"].to_list()
        if not years:
            continue
        period, matched = matching_year(local_period, years)
        row = {"indicator_code": code, "period": local_period, "neighbour_method": method}
        if period is not None:
            region = mine.filter(
                (pl.col("level") == "regional")
                & (pl.col("period") == period)
                & (pl.col("area_code") == catalogue.settings.home_region_code)
            )
            neighbours, n = averages.get((code, period), (None, 0))
            row |= {
                "benchmark_period": period,
                "benchmark_matched": matched,
                "england": national.filter(pl.col("period") == period)["value"][0],
                "region": region["value"][0] if region.height else None,
                "neighbours": neighbours,
                "neighbours_n": n,
            }
        rows.append(row)
    return pl.DataFrame(rows, schema=BENCHMARK_SCHEMA)


def all_authorities(store: Store, indicator: str, period: str | None = None) -> pl.DataFrame:
    """Every authority's published value for an indicator in ``period`` (default: the
    latest published year), for spine charts, ranks and quartiles."""
    if period is None:
        period = store.scalar(
            "SELECT max(period) FROM published_values WHERE indicator_code = ? "
            "AND level = 'local authority' AND value IS NOT NULL",
            [indicator],
        )
    if period is None:
        return pl.DataFrame()
    return store.frame(
        "SELECT period, area_code, old_la_code, area_name, value FROM published_values "
        "WHERE indicator_code = ? AND level = 'local authority' AND period = ? "
        "AND value IS NOT NULL",
        [indicator, period],
    )


def neighbour_averages(
    store: Store, indicator: str, period: str, *, method: str = "median"
) -> pl.DataFrame:
    """Every authority in the neighbour model with its own published value and its
    neighbours' average (median or mean) for one indicator and period."""
    if method not in ("median", "mean"):
        raise ValueError(f"method must be 'median' or 'mean', not {method!r}")
    return store.frame(
        f"SELECT n.old_la_code, any_value(own.area_name) AS area_name, "
        f"any_value(own.value) AS value, {method}(p.value) AS neighbour_{method}, "
        "count(p.value) AS neighbours_with_value "
        "FROM neighbours n "
        "LEFT JOIN published_values p ON p.old_la_code = n.neighbour_old_la_code "
        "  AND p.indicator_code = ? AND p.period = ? AND p.level = 'local authority' "
        "LEFT JOIN published_values own ON own.old_la_code = n.old_la_code "
        "  AND own.indicator_code = ? AND own.period = ? AND own.level = 'local authority' "
        "GROUP BY n.old_la_code ORDER BY n.old_la_code",
        [indicator, period, indicator, period],
    )


def published_rows(
    store: Store,
    *,
    indicators: list[str] | None = None,
    periods: list[str] | None = None,
    levels: list[str] | None = None,
    areas: list[str] | None = None,
) -> pl.DataFrame:
    """Published figures as imported from their publishers' files, each filter (a list)
    applied only when given: every level, area and year."""
    where, params = [], []
    for column, wanted in (
        ("indicator_code", indicators),
        ("period", periods),
        ("level", levels),
        ("area_code", areas),
    ):
        if wanted:
            where.append(f"list_contains(?, {column})")
            params.append(list(wanted))
    return store.frame(
        "SELECT indicator_code, period, time_period, level, area_code, old_la_code, area_name, "
        "value, numerator, denominator, symbol, source FROM published_values"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY indicator_code, period, level, area_code",
        params,
    )
