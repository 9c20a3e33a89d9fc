"""Board overview: performance against the plan for one quarter, exceptions and returns."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from dashboard import as_at, data, people, state
from dashboard import components as ui
from metrics.core.access import NotPermitted, can
from metrics.core.formatting import SUPPRESSED, change, counted, day, figure
from metrics.core.periods import Quarter, period_label
from metrics.reports import charts
from metrics.reports import overview as reports

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

overview = data.overview(me, period, meeting=meeting)
link_extra = {"meeting": str(meeting)} if meeting else {}

if can(me, "resolve-challenge") and meeting is None:  # the board: its next meeting first
    agenda = data.board_agenda(me)
    coming = agenda["meeting"]
    if coming is None:
        st.info("No board meeting is planned: add the next one under 'Challenges and actions'.")
    else:
        listed = overview.listed.height
        st.info(
            f"Next meeting: {ui.plain(coming['title'])}, {coming['held_on']:%A} "
            f"{day(coming['held_on'])} "
            f"(figures as they stand at {coming['cut_off']:%H:%M} on {day(coming['cut_off'])}). "
            f"To decide: {counted(listed, 'indicator')} on the exception list below; "
            f"{counted(agenda['answered'], 'challenge')} answered and waiting to be resolved, "
            f"{agenda['unanswered']} still unanswered; "
            f"{counted(agenda['actions_due'], 'action')} due by then"
            + (f", {agenda['actions_overdue']} overdue." if agenda["actions_overdue"] else "."),
            icon=":material/event:",
        )
        st.page_link(
            "views/accountability.py",
            label="Challenges, actions and the board pack for the meeting",
            icon=":material/assignment:",
        )

# --- summary by outcome and by priority ----------------------------------------------------

st.header("Summary", divider="gray")
by_outcome, by_priority = st.tabs(
    ["By outcome", "By plan priority"], key="summary", bind="query-params"
)
for tab, summary, by, title, heading in (
    (by_outcome, overview.by_outcome, "outcome", "Outcome", "by Every Child Matters outcome"),
    (by_priority, overview.by_priority, "priority", "Plan priority", "by plan priority"),
):
    with tab:
        shown = summary.rename(
            {"heading": title, "no_target": "not rated"}
            | {
                c: c.capitalize()
                for c in ("indicators", "green", "amber", "red", "improving", "worsening")
            }
        )

        def rag_chart(summary=summary, heading=heading):
            fig = charts.rag_summary_figure(summary, f"Indicators by RAG rating, {heading}")
            return ui.base_layout(
                fig, title=fig.layout.title.text, height=150 + 44 * summary.height
            )

        ui.chart_with_table(
            data.made_once(me, ("rag summary", by, period, meeting, data.today()), rag_chart),
            shown,
            key=f"summary_{by}",
            file_name=ui.file_name("rag-by", by, period, level=data.disclosure_level(me)),
            summary=reports.summary_sentence(
                summary,
                "the outcomes"
                if by == "outcome"
                else "the plan priorities (an indicator under two priorities counts under each)",
            ),
        )
        if by == "priority":
            reds = [
                (p, n)
                for p in catalogue.priorities
                for heading_, n in zip(summary["heading"], summary["red"], strict=True)
                if heading_ == p.title and n
            ]
            if reds:
                st.write("Red indicators under a priority, in one click:")
                for p, n in reds:
                    st.page_link(
                        "views/overview.py",
                        label=f"{n} red under '{p.title}'",
                        query_params={"period": period, "priority": p.code, "rag": "red"}
                        | link_extra,
                        icon=":material/filter_alt:",
                    )

# --- every indicator -----------------------------------------------------------------------

st.header("Indicators", divider="gray")
outcome_names = {o.code: o.title for o in catalogue.outcomes}
priority_names = {p.code: p.title for p in catalogue.priorities}
group_names = {g.code: g.name for g in catalogue.groups}
rag_names = {r: ui.rag_label(r) for r in ("red", "amber", "green", "no target", "suppressed")}
direction_names = {d: ui.DIRECTION_LABELS[d] for d in ("improving", "worsening", "no change")}
left, middle, right = st.columns(3)
with left:
    outcomes = state.choices("outcome", outcome_names, label="Outcome", placeholder="All outcomes")
    groups = state.choices("group", group_names, label="Owning group", placeholder="All groups")
with middle:
    priorities = state.choices(
        "priority", priority_names, label="Plan priority", placeholder="All priorities"
    )
    directions = state.choices(
        "direction", direction_names, label="Direction", placeholder="Any direction"
    )
with right:
    rags = state.choices("rag", rag_names, label="RAG rating", placeholder="Any rating")
measures = state.choices(
    "measure",
    {"population": "Population indicators", "performance": "Performance measures"},
    label="Show",
    default=["population", "performance"],
    pills=True,
    help="Population indicators are conditions of well-being the whole partnership "
    "answers for; performance measures are of one group's service (results-based "
    "accountability).",
)
every = data.made_once(  # the display rows of every indicator, formatted once per version
    me,
    ("indicator rows", period, meeting, data.today()),
    lambda: reports.indicator_rows(overview.indicators),
)
rows = reports.filter_rows(
    every,
    outcomes=outcomes,
    priorities=priorities,
    rags=rags,
    directions=directions,
    groups=groups,
    measures=measures,
)
st.write(f"{rows.height} of {every.height} indicators shown.")
SORTS = {
    "outcome": "Outcome, as the plan lists them",
    "rag": "RAG rating, red first",
    "direction": "Direction, worsening first",
    "england": "Compared with England, worse first",
    "title": "Title, A to Z",
}
COLUMNS = {
    "key": "The key columns (value, target, RAG, direction, England)",
    "all": "Every column (intervals, changes, trend, region, neighbours, group)",
}
sort_at, columns_at = st.columns(2)
with sort_at:
    order = state.choice("sort", list(SORTS), label="Sort by", format_func=SORTS.get)
with columns_at:
    columns = state.choice("columns", list(COLUMNS), label="Columns", format_func=COLUMNS.get)
rows = reports.sort_rows(rows, order)
if columns == "key":
    rows = rows.select(*reports.KEY_COLUMNS, pl.col("^_.*$"))
shown = rows.with_columns(
    _href=pl.format(
        "indicator?code={}&period={}{}",
        pl.col("Code"),
        pl.lit(period),
        pl.lit(f"&meeting={meeting}" if meeting else ""),
    )
).rename(
    {"Neighbours": f"Neighbours ({overview.neighbour_average})", "Trend": "Recent figures"},
    strict=False,
)
ui.table(
    shown,
    f"Indicators for {overview.period_label}: {rows.height} of {every.height} shown"
    + ("" if columns == "all" else " (the key columns)"),
    links={"Code": "_href"},
)
st.caption(
    "England, region and neighbour figures are for the published year each figure's period "
    "falls in, or the latest published where that year is not out yet ('(latest)'); "
    f"the neighbour average is the {overview.neighbour_average} of the authority's "
    "10 statistical neighbours (DfE model). Recent trend: the five most recent points, "
    "significant at 99.8% (Fingertips' method)."
)
ui.download(
    functools.partial(reports.indicator_download, overview.indicators, rows["Code"].to_list()),
    file_name=ui.file_name("indicators", period, level=data.disclosure_level(me)),
    key="indicators_csv",
)

# --- exceptions ----------------------------------------------------------------------------

st.header("Exceptions", divider="gray")
flagged = overview.listed
missing = flagged.filter(~pl.col("commentary_given")).height if flagged.height else 0
st.write(
    f"{flagged.height} indicators are on the board's exception list: red, significantly "
    "worse than England or the neighbours, a significantly worsening trend, a late return "
    "or an overdue action, as the board has added or taken off. Each needs the owning "
    f"group's commentary before the meeting ({missing} still without)."
)
if flagged.height:  # all on one screen, each a jump to its card below
    ui.table(
        pl.DataFrame(
            [
                {
                    "Code": r["indicator_code"],
                    "Indicator": r["title"],
                    "RAG": ui.rag_label(r["rag"]),
                    "On the list because": r["reasons"] or "added by the board",
                    "Commentary": "given" if r["commentary_given"] else "still needed",
                    "_jump": f"#exception-{r['indicator_code'].lower()}",
                }
                for r in flagged.iter_rows(named=True)
            ]
        ),
        f"The exception list for {overview.period_label}: each code jumps to its card",
        links={"Code": "_jump"},
    )
# the cards, compact: a smaller heading and less space between their lines
st.html(
    "<style>.st-key-exception_cards h3 {font-size: 1.15rem; padding: 0.25rem 0 0.4rem;} "
    ".st-key-exception_cards [data-testid='stVerticalBlock'] {gap: 0.4rem;}</style>"
)
with st.container(key="exception_cards"):
    for r in flagged.iter_rows(named=True):
        with st.container(border=True):
            st.subheader(
                f"{r['indicator_code']} {r['title']}",
                anchor=f"exception-{r['indicator_code'].lower()}",
            )
            d, unit = r["decimals"], r["unit"]
            hidden = r.get("suppression") is not None
            since = SUPPRESSED if hidden else change(r["change_previous"], d, unit)
            st.markdown(
                f"**{ui.rag_label(r['rag'])}** · {ui.DIRECTION_LABELS.get(r['direction'], '')} · "
                f"{figure(r['value'], d, unit, suppressed=hidden)} in {period_label(r['period'])} "
                f"(target "
                f"{figure(r['target'], d, unit)}; {since} since the period before) · {r['group']}"
            )
            why = r["reasons"] or "added by the board"
            st.caption(f"On the list because: {why}.")
            if r["decision"] == "include":
                st.caption(
                    f"Added by {ui.plain(r['decided_by'])}: {ui.plain(r['decision_reason'])}"
                )
            if r.get("commentary"):
                if not r["commentary_given"]:
                    written = period_label(r["commentary_period"])
                    st.caption(f"The latest commentary, written for {written}:")
                st.text(r["commentary"])  # as the group typed it: never as Markdown
            note = reports.commentary_note(r)
            if note:
                st.warning(ui.plain(note), icon=":material/edit_note:")
            st.page_link(
                "views/indicator.py",
                label="Open the indicator",
                query_params={"code": r["indicator_code"], "period": period} | link_extra,
                icon=":material/arrow_forward:",
            )
taken_off = overview.taken_off
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
status = overview.returns
counts = status.group_by("status").len()
st.write(", ".join(f"{n} {s}" for s, n in counts.sort("status").iter_rows()))
st.table(
    status.select(
        pl.col("group").alias("Group"),
        ui.sentence_case(pl.col("status")).alias("Status"),
        pl.col("version").cast(pl.String).fill_null("–").alias("Version"),
        pl.col("accepted_at").dt.strftime("%d %b %Y").fill_null("–").alias("Accepted"),
        pl.col("corrected_at").dt.strftime("%d %b %Y").fill_null("–").alias("Corrected"),
        pl.col("rejected_attempts").alias("Rejected attempts"),
        pl.col("due_by").cast(pl.String).alias("Due by"),
    )
    .to_pandas()
    .set_index("Group")
)
