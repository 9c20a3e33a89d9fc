"""Data quality: how returns arrive, and which problems come up most often."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import data, people
from metrics.core.periods import period_label
from metrics.reports import charts
from metrics.reports import overview as reports
from metrics.returns.validation.rules import load_rules

catalogue = data.catalogue()
quality = data.data_quality(people.actor())
rules = load_rules()

st.title("Data quality")
st.write(
    "How returns have arrived each quarter, and which checks they fail most often: "
    "where guidance or systems could help delivery groups get returns right first time."
)

st.header("Submissions by quarter", divider="gray")
by_quarter = quality["by_quarter"]
wide = by_quarter.pivot(on="status", index="period", values="submissions").fill_null(0)
fig = charts.submissions_figure(wide)
ui.chart_with_table(
    ui.base_layout(fig, title="Submissions by quarter and status", y_title="submissions"),
    wide.select(
        pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Quarter"),
        pl.exclude("period"),
    ),
    key="by_quarter",
    file_name="submissions_by_quarter.csv",
    summary=reports.totals_sentence(
        wide.with_columns(pl.col("period").map_elements(period_label, return_dtype=pl.String)),
        "period",
        ["accepted", "superseded", "rejected"],
        "submissions",
    ),
    note="Superseded: replaced by a later version. Rejected: had errors or unexplained warnings.",
)

st.header("Most frequent findings", divider="gray")
by_rule = quality["by_rule"].with_columns(
    title=pl.col("rule").replace_strict({c: r.title for c, r in rules.items()}, default="")
)
fig = charts.findings_by_rule_figure(by_rule)
ui.chart_with_table(
    ui.base_layout(
        fig,
        title="Findings by rule (errors and warnings)",
        y_title="",
        height=140 + 28 * by_rule.height,
        left=330,
    ),
    by_rule.select(
        pl.col("rule").alias("Rule"),
        pl.col("title").alias("Check"),
        pl.col("severity").alias("Severity"),
        pl.col("findings").alias("Findings"),
        pl.col("returns").alias("Returns affected"),
    ),
    key="by_rule",
    file_name="findings_by_rule.csv",
    summary=reports.totals_sentence(
        by_rule.with_columns(pl.format("{} ({})", "rule", "title").alias("rule")),
        "rule",
        ["findings"],
        "findings",
    ),
)

st.subheader("By delivery group", anchor=False)
by_group = quality["by_group"].with_columns(
    group=pl.col("group_code").replace_strict(
        {g.code: g.name for g in catalogue.groups}, default=pl.col("group_code")
    )
)
wide = by_group.pivot(on="severity", index="group", values="findings").fill_null(0)
fig = charts.findings_by_group_figure(wide)
ui.chart_with_table(
    ui.base_layout(fig, title="Findings by delivery group", height=420, left=330),
    wide.rename({"group": "Group"}),
    key="by_group",
    file_name="findings_by_group.csv",
    summary=reports.totals_sentence(
        wide.rename({"error": "errors", "warning": "warnings"}, strict=False),
        "group",
        ["errors", "warnings"],
        "findings",
    ),
)
