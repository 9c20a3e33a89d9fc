"""Board overview: performance against the plan for one quarter, exceptions and returns."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import as_at, data, people, state
from dashboard import components as ui
from metrics.access import NotPermitted, can
from metrics.formatting import SUPPRESSED, change, figure, interval
from metrics.periods import Quarter

catalogue = data.catalogue()
me = people.actor()

st.title("Board overview")
meeting = as_at.choose_meeting(me)
periods = data.periods(me, meeting=meeting)
if not periods:
    st.info(
        "No returns have been accepted yet. Delivery groups submit them on the "
        "'Submit a return' page."
    )
    st.stop()

period = state.choice(
    "period",
    periods[::-1],
    label="Quarter",
    default=data.default_period(me, meeting=meeting),
    format_func=lambda p: Quarter.parse(p).label,
    help="Defaults to the latest complete quarter. Annual indicators show the latest year "
    "reported by the end of the quarter.",
)
st.caption(
    f"{catalogue.settings.partnership}. Figures for {catalogue.authority.name} as a whole, "
    f"as reported by the end of {Quarter.parse(period).label}. RAG compares each figure with "
    "its target for the year; direction compares it with the period before."
)

# --- summary by outcome and by priority ----------------------------------------------------

st.header("Summary", divider="gray")


def summary_chart(summary: pl.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for column, label, pattern in (
        ("green", "✔ Green", ""),
        ("amber", "▲ Amber", "/"),
        ("red", "✖ Red", "x"),
        ("no_target", "○ No target", "."),
    ):
        colour = ui.RAG_COLOURS.get(column, "#b1b4b6")
        fig.add_bar(
            y=summary["heading"],
            x=summary[column],
            name=label,
            orientation="h",
            marker={
                "color": colour,
                "pattern": {"shape": pattern, "fgcolor": "white", "fillmode": "overlay"},
            },
            text=summary[column],
            textposition="inside",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    return ui.base_layout(fig, title=title, height=140 + 40 * summary.height, left=260)


by_outcome, by_priority = st.tabs(["By outcome", "By plan priority"])
for tab, by, title, heading in (
    (by_outcome, "outcome", "Every Child Matters outcome", "by Every Child Matters outcome"),
    (by_priority, "priority", "Plan priority", "by plan priority"),
):
    with tab:
        summary = data.rag_summary(me, period, by, meeting=meeting)
        shown = summary.rename({"heading": title, "no_target": "no target"})
        ui.chart_with_table(
            summary_chart(summary, f"Indicators by RAG rating, {heading}"),
            shown,
            key=f"summary_{by}",
            file_name=f"rag_by_{by}_{period}.csv",
        )

# --- every indicator -----------------------------------------------------------------------

st.header("Indicators", divider="gray")


def verdict(row: dict, column: str) -> str:
    return ui.COMPARISON_LABELS.get(row.get(column) or "", "")


def indicator_rows(frame: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for r in frame.iter_rows(named=True):
        d, unit = r["decimals"], r["unit"]
        hidden = r.get("suppression") is not None
        rows.append(
            {
                "Indicator": f"indicator?code={r['indicator_code']}&period={period}"
                + (f"&meeting={meeting}" if meeting else ""),
                "Code": r["indicator_code"],
                "Title": r["title"],
                "Outcome": r["outcome"],
                "Period": r.get("period") or "–",
                "Value": figure(r.get("value"), d, unit, suppressed=hidden),
                "95% interval": SUPPRESSED
                if hidden
                else interval(r.get("lower_95"), r.get("upper_95"), d),
                "Target": figure(r.get("target"), d, unit),
                "RAG": ui.rag_label(r["rag"]),
                "Since last period": SUPPRESSED
                if hidden
                else change(r.get("change_previous"), d, unit),
                "Since a year ago": SUPPRESSED if hidden else change(r.get("change_year"), d, unit),
                "Direction": ui.DIRECTION_LABELS.get(r["direction"], r["direction"]),
                "Recent trend": r.get("trend") or "",
                "England": figure(r.get("england"), d, unit),
                "Neighbours": figure(r.get("neighbours"), d, unit),
                "Region": figure(r.get("region"), d, unit),
                "Published year": (r.get("benchmark_period") or "")
                + (" (latest)" if r.get("benchmark_matched") is False else ""),
                "Compared with England": verdict(r, "vs_england"),
                "England (99.8%)": verdict(r, "vs_england_998"),
                "Compared with neighbours": verdict(r, "vs_neighbours"),
                "Trend": r.get("recent") or [],
                "Measure": r["measure"],
                "Group": r["group"]
                if r["measure"].startswith("Performance")
                else f"The partnership (reported by {r['group']})",
                "Last return": r["submitted_at"].strftime("%d %b %Y")
                if r.get("submitted_at")
                else "–",
            }
        )
    return pl.DataFrame(rows)


rows = indicator_rows(data.indicator_table(me, period, benchmarks=True, meeting=meeting))
outcome_filter = st.multiselect(
    "Outcomes",
    [o.title for o in catalogue.outcomes],
    placeholder="All outcomes",
    key="overview_outcomes",
)
if outcome_filter:
    rows = rows.filter(pl.col("Outcome").is_in(outcome_filter))
measure_filter = st.segmented_control(
    "Show",
    ["Population indicators", "Performance measures"],
    selection_mode="multi",
    default=["Population indicators", "Performance measures"],
    key="overview_measures",
    help="Population indicators are conditions of well-being the whole partnership answers "
    "for; performance measures are of one group's service (results-based accountability).",
)
rows = rows.filter(
    pl.col("Measure").str.starts_with("Population")
    & pl.lit("Population indicators" in measure_filter)
    | pl.col("Measure").str.starts_with("Performance")
    & pl.lit("Performance measures" in measure_filter)
)
st.dataframe(
    rows,
    hide_index=True,
    key="indicator_table",
    height=min(36 * (rows.height + 1) + 4, 1600),
    column_config={
        "Indicator": st.column_config.LinkColumn(
            "Indicator", display_text=r"code=(\w+)", help="Open the indicator's page", width="small"
        ),
        "Code": None,
        "Title": st.column_config.TextColumn("Title", width="medium"),
        "Trend": st.column_config.LineChartColumn("Trend (recent periods)", width="small"),
        "Neighbours": st.column_config.TextColumn(
            f"Neighbours ({catalogue.settings.neighbour_average})",
            help=f"The {catalogue.settings.neighbour_average} of the statistical neighbours' "
            "published values for the published year",
        ),
        "Published year": st.column_config.TextColumn(
            help="The published year the figure is compared with: the year its period falls "
            "in, or '(latest)' where that year is not published yet"
        ),
        "Compared with England": st.column_config.TextColumn(
            help="Fingertips' comparison: the 95% interval of the figure against England's "
            "value for the published year"
        ),
        "England (99.8%)": st.column_config.TextColumn(
            help="The same comparison with the 99.8% interval: a difference here is very "
            "unlikely to be chance"
        ),
        "Compared with neighbours": st.column_config.TextColumn(
            help=f"The 95% interval of the figure against the neighbours' "
            f"{catalogue.settings.neighbour_average} for the published year"
        ),
    },
)
st.caption(
    "England, region and neighbour figures are for the published year each figure's period "
    "falls in, or the latest published where that year is not out yet ('(latest)'); "
    f"the neighbour average is the {catalogue.settings.neighbour_average} of the authority's "
    "10 statistical neighbours (DfE model). Recent trend: the five most recent points, "
    "significant at 99.8% (Fingertips' method)."
)
ui.download(rows.drop("Indicator"), file_name=f"indicators_{period}.csv", key="indicators_csv")

# --- exceptions ----------------------------------------------------------------------------

st.header("Exceptions", divider="gray")
on = data.meeting(me, meeting)["held_on"] if meeting else date.today()
exceptions = data.exception_list(me, period, on=on, meeting=meeting)
flagged = exceptions.filter(pl.col("listed")) if exceptions.height else exceptions
missing = flagged.filter(~pl.col("commentary_given")).height if flagged.height else 0
st.write(
    f"{flagged.height} indicators are on the board's exception list: red, significantly "
    "worse than England or the neighbours, a significantly worsening trend, a late return "
    "or an overdue action, as the board has added or taken off. Each needs the owning "
    f"group's commentary before the meeting ({missing} still without)."
)
for r in flagged.iter_rows(named=True):
    with st.container(border=True):
        st.subheader(f"{r['indicator_code']} {r['title']}", anchor=False)
        d, unit = r["decimals"], r["unit"]
        hidden = r.get("suppression") is not None
        since = SUPPRESSED if hidden else change(r["change_previous"], d, unit)
        st.markdown(
            f"**{ui.rag_label(r['rag'])}** · {ui.DIRECTION_LABELS.get(r['direction'], '')} · "
            f"{figure(r['value'], d, unit, suppressed=hidden)} in {r['period']} (target "
            f"{figure(r['target'], d, unit)}; {since} since the period before) · {r['group']}"
        )
        why = r["reasons"] or "added by the board"
        st.caption(f"On the list because: {why}.")
        if r["decision"] == "include":
            st.caption(f"Added by {ui.plain(r['decided_by'])}: {ui.plain(r['decision_reason'])}")
        if r.get("commentary"):
            st.text(r["commentary"])  # what the group typed: shown as typed, never as Markdown
            if r["commentary_stale"]:
                st.warning(
                    "This is the same commentary as for the period before, while the figure "
                    f"moved: {ui.plain(r['group'])} should say whether it still holds.",
                    icon=":material/update:",
                )
        else:
            st.warning(
                f"Commentary needed from {ui.plain(r['group'])} before the meeting.",
                icon=":material/edit_note:",
            )
        st.page_link(
            "views/indicator.py",
            label="Open the indicator",
            query_params={"code": r["indicator_code"], "period": period}
            | ({"meeting": str(meeting)} if meeting else {}),
            icon=":material/arrow_forward:",
        )
taken_off = exceptions.filter(~pl.col("listed")) if exceptions.height else exceptions
if taken_off.height:
    st.caption(
        "Taken off the list by the board: "
        + "; ".join(
            f"{r['indicator_code']} ({ui.plain(r['decision_reason'])}, {ui.plain(r['decided_by'])})"
            for r in taken_off.iter_rows(named=True)
        )
    )
if can(me, "manage-exceptions") and meeting is None:
    with st.form("exception_decision", clear_on_submit=True):
        st.subheader("Change the exception list", anchor=False)
        codes = list(catalogue.indicator)
        chosen = st.selectbox(
            "Indicator", codes, format_func=lambda c: f"{c} {catalogue.indicator[c].title}"
        )
        include = st.radio("The board", ["adds it to the list", "takes it off the list"])
        reason = st.text_input("Reason (kept with the decision)")
        if st.form_submit_button("Record the decision"):
            try:
                data.decide_exception(
                    me, period, chosen, include=include.startswith("adds"), reason=reason
                )
            except (NotPermitted, ValueError) as exc:
                st.error(ui.plain(exc))
            else:
                st.rerun()

# --- returns -------------------------------------------------------------------------------

st.header("Returns for the quarter", divider="gray")
status = data.returns_status(me, period, meeting=meeting)
counts = status.group_by("status").len()
st.write(", ".join(f"{n} {s}" for s, n in counts.sort("status").iter_rows()))
st.table(
    status.select(
        pl.col("group").alias("Group"),
        pl.col("status").str.to_uppercase().alias("Status"),
        pl.col("version").cast(pl.String).fill_null("–").alias("Version"),
        pl.col("accepted_at").dt.strftime("%d %b %Y").fill_null("–").alias("Accepted"),
        pl.col("rejected_attempts").alias("Rejected attempts"),
        pl.col("due_by").cast(pl.String).alias("Due by"),
    )
    .to_pandas()
    .set_index("Group")
)
