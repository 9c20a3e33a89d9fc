"""Read queries for pages and exports. Every SQL read the dashboard needs lives here.

Each function takes a :class:`~metrics.store.Store` and returns a Polars frame; none
writes. Pages cache the results keyed by :meth:`Store.data_version`.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from metrics.core.catalogue import COMMENTARY_PARTS, Catalogue, Polarity
from metrics.core.disclosure import conceal, public_table, suppress
from metrics.core.periods import (
    Quarter,
    latest_complete_quarter,
    matching_year,
    previous_period,
    sort_key,
)
from metrics.core.stats import compare_to_benchmark, recent_trend
from metrics.store.connection import Store


def measure_label(indicator) -> str:
    """``Population indicator``, or ``Performance measure: How well did we do it?``."""
    if indicator.rba is None:
        return "Population indicator"
    return f"Performance measure: {indicator.rba.question}"


def catalogue_table(catalogue: Catalogue) -> pl.DataFrame:
    """One row per indicator with the names of its outcome, group and priorities."""
    return pl.DataFrame(
        [
            {
                "code": i.code,
                "title": i.title,
                "outcome_number": catalogue.outcome[i.outcome].number,
                "outcome": catalogue.outcome[i.outcome].title,
                "group": catalogue.group[i.group].name,
                "group_code": i.group,
                "priorities": ", ".join(catalogue.priority[p].title for p in i.priorities),
                "kind": i.kind.value,
                "measure": measure_label(i),
                "unit": i.unit,
                "polarity": i.polarity.value.replace("_", " "),
                "frequency": i.period_type.value.replace("_", " "),
                "definition": i.definition,
                "source": i.source,
            }
            for i in catalogue.indicators
        ]
    ).sort("outcome_number", "code")


def export_values(store: Store, catalogue: Catalogue, *, concealed: bool) -> pl.DataFrame:
    """Every indicator value with the indicator's title and unit, for CSV/Parquet export."""
    values = _values(store, catalogue, "true", [], concealed=concealed).drop("submission_id")
    names = catalogue_table(catalogue).select(
        pl.col("code").alias("indicator_code"),
        pl.col("title").alias("indicator_title"),
        "unit",
        "polarity",
    )
    areas = pl.DataFrame(
        {"area_code": list(catalogue.area), "area_name": [a.name for a in catalogue.areas]}
    )
    return (
        values.join(names, on="indicator_code", how="left")
        .join(areas, on="area_code", how="left")
        .drop("period_order")
    )


def public_values(store: Store, catalogue: Catalogue) -> pl.DataFrame:
    """Every indicator value as published: text, small numbers as ``c`` with a footnote."""
    return public_table(_values(store, catalogue, "true", [], concealed=False), catalogue)


# --- indicator values, concealed for readers who may not see small numbers ----------------


def _values(
    store: Store,
    catalogue: Catalogue,
    where: str,
    params: list,
    *,
    concealed: bool,
    select: str = "v.*",
    joins: str = "",
    order: str = "v.indicator_code, v.period_order, v.area_code, v.breakdown",
) -> pl.DataFrame:
    """Rows of ``indicator_values v`` (every read of them goes through here). With
    ``concealed``, small numbers and what derives from them are removed
    (:func:`metrics.disclosure.conceal`), judged on the whole sets the rows belong to."""
    frame = store.frame(
        f"SELECT {select} FROM indicator_values v {joins} WHERE {where} ORDER BY {order}",
        params,
    )
    if not concealed:
        return frame.with_columns(suppression=pl.lit(None, dtype=pl.String))
    codes = frame["indicator_code"].unique().to_list()
    sets = store.frame(
        "SELECT indicator_code, period, period_order, area_code, breakdown, numerator, "
        "suppressed FROM indicator_values WHERE list_contains(?, indicator_code)",
        [codes],
    )
    return conceal(frame, suppress(sets, catalogue))


# --- the board's overview -------------------------------------------------------------


def periods_available(store: Store) -> list[str]:
    """Quarters with at least one accepted return, oldest first."""
    frame = store.frame(
        "SELECT DISTINCT period FROM submissions WHERE status IN ('accepted', 'superseded')"
    )
    return sorted(frame["period"].to_list(), key=lambda p: Quarter.parse(p))


def default_period(store: Store, today: date | None = None) -> str | None:
    """The latest complete quarter (ended before today) that has returns."""
    periods = periods_available(store)
    if not periods:
        return None
    cutoff = latest_complete_quarter(today or store.clock.today())
    eligible = [p for p in periods if Quarter.parse(p) <= cutoff]
    return eligible[-1] if eligible else periods[-1]


def _direction(change: pl.Expr, polarity: pl.Expr) -> pl.Expr:
    return (
        pl.when(change.is_null())
        .then(pl.lit("no earlier figure"))
        .when(polarity == Polarity.NO_JUDGEMENT.value)
        .then(
            pl.when(change > 0)
            .then(pl.lit("increased"))
            .when(change < 0)
            .then(pl.lit("decreased"))
            .otherwise(pl.lit("no change"))
        )
        .when(change == 0)
        .then(pl.lit("no change"))
        .when((change > 0) == (polarity == Polarity.HIGH_IS_GOOD.value))
        .then(pl.lit("improving"))
        .otherwise(pl.lit("worsening"))
    )


def values_as_at(
    store: Store,
    catalogue: Catalogue,
    quarter: str,
    *,
    area: str | None = None,
    breakdown: str = "total",
    concealed: bool,
) -> pl.DataFrame:
    """Every indicator value (for one area and breakdown) that had been reported by the end
    of ``quarter``: annual indicators carry the year most recently reported."""
    area = area or catalogue.authority.code
    order = _quarter_order(quarter)
    frame = _values(
        store,
        catalogue,
        "v.area_code = ? AND v.breakdown = ?",
        [area, breakdown],
        concealed=concealed,
        select="v.*, s.period AS return_period, s.submitted_at, s.version",
        joins="LEFT JOIN submissions s ON s.id = v.submission_id",
    )
    if frame.is_empty():
        return frame
    frame = frame.with_columns(
        return_order=pl.col("return_period").map_elements(_quarter_order, return_dtype=pl.Int32)
    )
    return frame.filter(pl.col("return_order") <= order)


def _quarter_order(code: str | None) -> int:
    if code is None:
        return 0
    q = Quarter.parse(code)
    return q.year * 10 + q.quarter


def indicator_table(
    store: Store, catalogue: Catalogue, quarter: str, *, concealed: bool
) -> pl.DataFrame:
    """One row per indicator: its latest authority value as at ``quarter`` with interval,
    target, RAG, changes, direction, a sparkline of recent values and the last return."""
    history = values_as_at(store, catalogue, quarter, concealed=concealed)
    meta = catalogue_table(catalogue).select(
        pl.col("code").alias("indicator_code"),
        "title",
        "outcome_number",
        "outcome",
        "group",
        "group_code",
        "measure",
        "unit",
    )
    info = pl.DataFrame(
        [
            {
                "indicator_code": i.code,
                "polarity": i.polarity.value,
                "decimals": i.decimals,
                "outcome_code": i.outcome,
                "priority_codes": i.priorities,
            }
            for i in catalogue.indicators
        ]
    )
    if history.is_empty():
        return meta.join(info, on="indicator_code").with_columns(
            rag=pl.lit("no figures"), direction=pl.lit("no earlier figure")
        )
    ordered = history.sort("period_order")
    spark = ordered.group_by("indicator_code").agg(
        pl.col("value").tail(8).alias("recent"),
    )
    latest = ordered.group_by("indicator_code").agg(pl.all().last())
    table = (
        meta.join(info, on="indicator_code")
        .join(latest, on="indicator_code", how="left")
        .join(spark, on="indicator_code", how="left")
        .with_columns(
            direction=_direction(pl.col("change_previous"), pl.col("polarity")),
            rag=pl.col("rag").fill_null("no figures"),
        )
    )
    return table.sort("outcome_number", "indicator_code")


RAG_ORDER = ["red", "amber", "green", "no target", "not judged", "no figures"]


def rag_summary(table: pl.DataFrame, catalogue: Catalogue, *, by: str) -> pl.DataFrame:
    """Counts of RAG and direction per outcome (``by="outcome"``) or plan priority."""
    if by == "outcome":
        keyed = table.with_columns(heading=pl.col("outcome"), order=pl.col("outcome_number"))
    elif by == "priority":
        titles = {p.code: (n, p.title) for n, p in enumerate(catalogue.priorities)}
        keyed = table.explode("priority_codes").with_columns(
            heading=pl.col("priority_codes").replace_strict(
                {k: v[1] for k, v in titles.items()}, default=None
            ),
            order=pl.col("priority_codes").replace_strict(
                {k: v[0] for k, v in titles.items()}, default=None
            ),
        )
    else:
        raise ValueError(f"by must be 'outcome' or 'priority', not {by!r}")
    counts = keyed.group_by("order", "heading").agg(
        indicators=pl.len(),
        green=(pl.col("rag") == "green").sum(),
        amber=(pl.col("rag") == "amber").sum(),
        red=(pl.col("rag") == "red").sum(),
        no_target=pl.col("rag").is_in(["no target", "not judged", "no figures"]).sum(),
        improving=(pl.col("direction") == "improving").sum(),
        worsening=(pl.col("direction") == "worsening").sum(),
    )
    return counts.sort("order").drop("order")


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


EXCEPTION_RULES = {
    "red": "red against its target",
    "worse than England": "significantly worse than England",
    "worse than neighbours": "significantly worse than the statistical neighbours",
    "worsening trend": "a significantly worsening trend",
    "return late": "the owning group's return is late",
    "action overdue": "an action on it is overdue",
}
"""Why an indicator enters the board's exception list by rule."""


def exception_list(
    store: Store, catalogue: Catalogue, table: pl.DataFrame, quarter: str, *, on: date
) -> pl.DataFrame:
    """The board's exception list for ``quarter``: the indicators of ``table`` (an indicator
    table with benchmarks) that a rule puts on it, with the rules' reasons, as changed by
    the board's own decisions (the latest for each indicator stands: added or removed, with
    its reason); each with whether the owning group has given commentary for its period.
    ``on`` is the day the list is for (overdue actions and late returns are judged then)."""
    late = set(
        returns_status(store, catalogue, quarter, today=on)
        .filter(pl.col("status") == "late")["group_code"]
        .to_list()
    )
    overdue = set(
        store.frame(
            "SELECT DISTINCT indicator_code FROM actions WHERE indicator_code IS NOT NULL "
            "AND due_on < ? AND status NOT IN ('done', 'dropped')",
            [on],
        )["indicator_code"].to_list()
    )
    decisions = {
        r["indicator_code"]: r
        for r in store.frame(
            "SELECT * FROM exception_decisions WHERE period = ? ORDER BY id", [quarter]
        ).iter_rows(named=True)
    }
    notes = (
        current_commentary(store)
        .group_by("indicator_code", "period")
        .agg(pl.col("text").str.join("\n\n").alias("commentary"))
    )
    said = {
        (r["indicator_code"], r["period"]): r["commentary"] for r in notes.iter_rows(named=True)
    }
    earlier = _latest_earlier(notes)
    rows = []
    for r in table.join(notes, on=["indicator_code", "period"], how="left").iter_rows(named=True):
        code = r["indicator_code"]
        reasons = [
            label
            for rule, label in EXCEPTION_RULES.items()
            if (rule == "red" and r.get("rag") == "red")
            or (rule == "worse than England" and r.get("vs_england") == "worse")
            or (rule == "worse than neighbours" and r.get("vs_neighbours") == "worse")
            or (rule == "worsening trend" and "getting worse" in (r.get("trend") or ""))
            or (rule == "return late" and r["group_code"] in late)
            or (rule == "action overdue" and code in overdue)
        ]
        decided = decisions.get(code)
        listed = bool(reasons)
        if decided:
            listed = decided["decision"] == "include"
        if listed or decided:
            rows.append(
                {
                    **r,
                    "reasons": "; ".join(reasons),
                    "decision": decided["decision"] if decided else None,
                    "decision_reason": decided["reason"] if decided else None,
                    "decided_by": decided["decided_by"] if decided else None,
                    "listed": listed,
                    **_commentary(catalogue, r, said, earlier),
                }
            )
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, infer_schema_length=None).sort(
        ~pl.col("listed"), pl.col("rag") != "red", "outcome_number", "indicator_code"
    )


def _latest_earlier(notes: pl.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Each indicator's commentary by period, latest first."""
    by_code: dict[str, list[tuple[str, str]]] = {}
    for r in notes.iter_rows(named=True):
        by_code.setdefault(r["indicator_code"], []).append((r["period"], r["commentary"]))
    for said in by_code.values():
        said.sort(key=lambda pair: sort_key(pair[0]), reverse=True)
    return by_code


def _commentary(catalogue: Catalogue, row: dict, said: dict, earlier: dict) -> dict:
    """The group's commentary on an exception's figure: for its period if given (stale when
    it repeats the period before's while the figure moved); otherwise the latest written
    for an earlier period, shown as older than the figure (and still owed)."""
    text = (row.get("commentary") or "").strip()
    if text:
        return {
            "commentary_given": True,
            "commentary_stale": _stale(catalogue, row, said),
            "commentary_period": row.get("period"),
        }
    period = row.get("period")
    before = [
        (p, t)
        for p, t in earlier.get(row["indicator_code"], [])
        if period is not None and sort_key(p) < sort_key(period) and t.strip()
    ]
    if not before:
        return {"commentary_given": False, "commentary_stale": False, "commentary_period": None}
    return {
        "commentary": before[0][1],
        "commentary_given": False,
        "commentary_stale": True,
        "commentary_period": before[0][0],
    }


def _stale(catalogue: Catalogue, row: dict, said: dict) -> bool:
    """Commentary that is the same text as the period before's while the figure moved."""
    text = (row.get("commentary") or "").strip()
    if not text or row.get("period") is None or not row.get("change_previous"):
        return False
    ind = catalogue.indicator[row["indicator_code"]]
    before = previous_period(row["period"], ind.period_type)
    return (said.get((ind.code, before)) or "").strip() == text


def returns_status(
    store: Store, catalogue: Catalogue, quarter: str, today: date | None = None
) -> pl.DataFrame:
    """Which groups have submitted for ``quarter``, which are late, with versions."""
    q = Quarter.parse(quarter)
    due_by = q.end + timedelta(days=RETURN_DUE_DAYS)
    subs = store.frame(
        "SELECT group_code, count(*) FILTER (WHERE status <> 'rejected') AS versions, "
        "count(*) FILTER (WHERE status = 'rejected') AS rejected, "
        "max(version) FILTER (WHERE status = 'accepted') AS current_version, "
        "max(submitted_at) FILTER (WHERE status = 'accepted') AS accepted_at "
        "FROM submissions WHERE period = ? GROUP BY 1",
        [quarter],
    )
    by_group = {r["group_code"]: r for r in subs.to_dicts()}
    today = today or store.clock.today()
    rows = []
    for g in catalogue.groups:
        due = bool(catalogue.due_rows(g.code, q))
        sub = by_group.get(g.code, {})
        if sub.get("current_version"):
            status = "submitted"
            if sub["accepted_at"].date() > due_by:
                status = "submitted late"
        elif not due:
            status = "nothing due"
        elif today > due_by:
            status = "late"
        else:
            status = "not yet due"
        rows.append(
            {
                "group": g.name,
                "group_code": g.code,
                "status": status,
                "version": sub.get("current_version"),
                "accepted_at": sub.get("accepted_at"),
                "rejected_attempts": sub.get("rejected", 0),
                "due_by": due_by,
            }
        )
    return pl.DataFrame(
        rows, schema_overrides={"version": pl.Int64, "accepted_at": pl.Datetime("us")}
    )


RETURN_DUE_DAYS = 30
"""A quarterly return is due this many days after the quarter ends."""


# --- one indicator ------------------------------------------------------------------------


def indicator_series(
    store: Store,
    catalogue: Catalogue,
    code: str,
    *,
    area: str,
    breakdown: str = "total",
    concealed: bool,
) -> pl.DataFrame:
    """Every period's value for one indicator, area and breakdown, oldest first."""
    return _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.area_code = ? AND v.breakdown = ?",
        [code, area, breakdown],
        concealed=concealed,
    )


def area_values(
    store: Store, catalogue: Catalogue, code: str, period: str, *, concealed: bool
) -> pl.DataFrame:
    """Each area's total for one indicator and period, with names and levels."""
    frame = _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.period = ? AND v.breakdown = 'total'",
        [code, period],
        concealed=concealed,
    )
    return frame.join(_areas(catalogue), on="area_code", how="left")


def _areas(catalogue: Catalogue) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "area_code": [a.code for a in catalogue.areas],
            "area_name": [a.name for a in catalogue.areas],
            "level": [a.level.value for a in catalogue.areas],
        }
    )


def breakdown_values(
    store: Store, catalogue: Catalogue, code: str, *, concealed: bool
) -> pl.DataFrame:
    """The authority's values by breakdown category for every period."""
    frame = _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.area_code = ? AND v.breakdown <> 'total'",
        [code, catalogue.authority.code],
        concealed=concealed,
        order="v.period_order, v.breakdown",
    )
    labels = {f"{b.code}:{c.code}": c.label for b in catalogue.breakdowns for c in b.categories}
    return frame.with_columns(
        dimension=pl.col("breakdown").str.split(":").list.first(),
        category=pl.col("breakdown").replace_strict(labels, default=pl.col("breakdown")),
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


def area_series(
    store: Store, catalogue: Catalogue, code: str, areas: list[str], *, concealed: bool
) -> pl.DataFrame:
    """Totals for several areas over time (for comparing localities)."""
    frame = _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.breakdown = 'total' AND list_contains(?, v.area_code)",
        [code, areas],
        concealed=concealed,
        order="v.period_order, v.area_code",
    )
    return frame.join(_areas(catalogue), on="area_code", how="left")


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
        "explanation FROM findings WHERE submission_id = ? ORDER BY seq",
        [submission_id],
    )


def submissions_by_quarter(store: Store) -> pl.DataFrame:
    """Submissions per quarter and status."""
    frame = store.frame(
        "SELECT period, status, count(*) AS submissions FROM submissions GROUP BY 1, 2"
    )
    return (
        frame.with_columns(
            order=pl.col("period").map_elements(_quarter_order, return_dtype=pl.Int32)
        )
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


def _benchmark_rows(
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
    neighbour_cache: dict[tuple[str, str], tuple[float | None, int]] = {}
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
            if (code, period) not in neighbour_cache:
                neighbour_cache[code, period] = (
                    neighbour_average(
                        store, code, period, catalogue.settings.home_old_la_code, method=method
                    )
                    if catalogue.settings.home_old_la_code
                    else (None, 0)
                )
            neighbours, n = neighbour_cache[code, period]
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


def benchmarks(store: Store, catalogue: Catalogue, periods_shown: dict[str, str]) -> pl.DataFrame:
    """Per indicator in ``periods_shown`` (indicator code -> the local period on screen)
    with published figures: England's, the home region's and the statistical neighbours'
    average (median or mean, as the settings say) for the published year that period
    falls in, or the latest published before it (``benchmark_matched`` false)."""
    return _benchmark_rows(store, catalogue, sorted(periods_shown.items()))


def benchmark_series(
    store: Store, catalogue: Catalogue, code: str, local_periods: list[str]
) -> pl.DataFrame:
    """The benchmarks to draw against each local period of one indicator's trend."""
    return _benchmark_rows(store, catalogue, [(code, p) for p in local_periods])


COMPARISONS = {
    "vs_england": ("england", "95"),
    "vs_england_998": ("england", "998"),
    "vs_neighbours": ("neighbours", "95"),
}
"""Comparison columns of :func:`with_benchmarks`: (benchmark column, interval level)."""


def with_benchmarks(
    table: pl.DataFrame, store: Store, catalogue: Catalogue, quarter: str, *, concealed: bool
) -> pl.DataFrame:
    """The indicator table with England, region and neighbour columns, the Fingertips
    comparisons with England (95% and 99.8% intervals) and with the neighbours' average
    (95%), and the recent trend marker."""

    if "period" not in table.columns:  # no figures at all yet: nothing to compare
        return table
    shown = {
        code: period
        for code, period in table.select("indicator_code", "period").iter_rows()
        if period is not None
    }
    table = table.join(
        benchmarks(store, catalogue, shown).drop("period"), on="indicator_code", how="left"
    )
    history = values_as_at(store, catalogue, quarter, concealed=concealed)
    by_indicator = (
        {
            key[0]: part
            for key, part in history.sort("period_order")
            .partition_by("indicator_code", as_dict=True)
            .items()
        }
        if history.height
        else {}
    )
    empty = pl.DataFrame(
        schema={
            c: pl.Float64 for c in ("value", "lower_95", "upper_95", "numerator", "denominator")
        }
    )
    trends, versus = [], []
    for row in table.iter_rows(named=True):
        ind = catalogue.indicator[row["indicator_code"]]
        points = by_indicator.get(ind.code, empty)
        counts = ind.kind.value == "proportion"
        trends.append(
            recent_trend(
                points["value"].to_list(),
                points["lower_95"].to_list(),
                points["upper_95"].to_list(),
                polarity=ind.polarity.value,
                numerators=points["numerator"].to_list() if counts else None,
                denominators=points["denominator"].to_list() if counts else None,
            )
        )
        versus.append(
            tuple(
                compare_to_benchmark(
                    row.get("value"),
                    row.get(f"lower_{level}"),
                    row.get(f"upper_{level}"),
                    row.get(benchmark),
                    polarity=ind.polarity.value,
                )
                for benchmark, level in COMPARISONS.values()
            )
        )
    return table.with_columns(
        pl.Series("trend", trends, dtype=pl.String),
        *(
            pl.Series(name, [v[i] for v in versus], dtype=pl.String)
            for i, name in enumerate(COMPARISONS)
        ),
    )


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
