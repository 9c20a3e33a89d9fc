"""Read queries for pages and exports. Every SQL read the dashboard needs lives here.

Each function takes a :class:`~metrics.store.Store` and returns a Polars frame; none
writes. Pages cache the results keyed by :meth:`Store.data_version`.
"""

from __future__ import annotations

import polars as pl

from metrics.catalogue import Catalogue
from metrics.periods import Quarter
from metrics.store import Store


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
                "unit": i.unit,
                "polarity": i.polarity.value.replace("_", " "),
                "frequency": i.period_type.value.replace("_", " "),
                "definition": i.definition,
                "source": i.source,
            }
            for i in catalogue.indicators
        ]
    ).sort("outcome_number", "code")


def export_values(store: Store, catalogue: Catalogue) -> pl.DataFrame:
    """Every indicator value with the indicator's title and unit, for CSV/Parquet export."""
    values = store.frame(
        "SELECT * EXCLUDE (submission_id) FROM indicator_values "
        "ORDER BY indicator_code, period_order, area_code, breakdown"
    )
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


def returns_received(store: Store) -> pl.DataFrame:
    """Submissions (without figures), newest first."""
    return store.frame(
        "SELECT id, group_code, period, version, status, submitted_by, submitted_at, file_name, "
        "rows, errors, warnings, contents_withheld FROM submissions ORDER BY id DESC"
    )


def latest_period(store: Store) -> str | None:
    """The latest quarter any accepted return is for."""
    periods = store.frame("SELECT DISTINCT period FROM submissions WHERE status = 'accepted'")
    if periods.is_empty():
        return None
    return max(periods["period"].to_list(), key=lambda p: Quarter.parse(p))
