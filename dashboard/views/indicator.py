"""One indicator: definition, trend with intervals and target, localities, breakdowns,
commentary. The indicator and period are in the URL, so a link opens this exact view."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from dashboard import as_at, data, people, state
from dashboard import components as ui
from metrics.core.access import NotPermitted, can
from metrics.core.formatting import figure
from metrics.core.periods import PeriodError, Quarter, is_period, period_label, sort_key
from metrics.reports import charts
from metrics.reports import indicator as report
from metrics.reports.overview import indicator_rows as overview_rows

catalogue = data.catalogue()
me = people.actor()
authority = catalogue.authority
level = data.disclosure_level(me)  # said in every download's file name

code = state.choice(
    "code",
    [i.code for i in catalogue.indicators],
    label="Indicator",
    format_func=lambda c: f"{c} {catalogue.indicator[c].title}",
)
ind = catalogue.indicator[code]
unit, d = ind.unit, ind.decimals
y_title = charts.y_title(unit)

st.title(f"{ind.code} {ind.title}")
meeting = as_at.choose_meeting(me)
# the period a link asks for: any quarter or year (the figures as they stood then)
wanted = state.valid("period", is_period, label="Period", instead="the latest figures")

# --- the headline: as the board overview shows it for the quarter ---------------------------

try:  # a link to a quarter heads the page with that quarter's figures
    quarter = Quarter.parse(wanted).code if wanted else None
except PeriodError:
    quarter = None
quarter = quarter or data.default_period(me, meeting=meeting)
headline = (
    overview_rows(
        data.overview(me, quarter, meeting=meeting).indicators.filter(
            pl.col("indicator_code") == code
        )
    )
    if quarter
    else None
)
if headline is not None and headline.height:
    h = headline.row(0, named=True)
    latest_at, target_at, rag_at, change_at, england_at = st.columns([1.1, 1, 1, 1.1, 1])
    latest_at.metric("Latest figure", h["Value"], help=f"For {h['Period']}; unit: {ind.unit}")
    target_at.metric("Target for the year", h["Target"])
    withheld = h["Value"] == ui.SUPPRESSED  # the RAG of a withheld figure is withheld too
    rag_at.metric(
        "RAG",
        ui.SUPPRESSED if withheld else h["RAG"],
        help="Withheld to protect small numbers" if withheld else None,
    )
    change_at.metric(
        "Since the period before",
        h["Since last period"],
        help=f"Direction: {h['Direction'] or 'not judged'}",
    )
    england_at.metric(
        "England",
        h["England"],
        help=f"Compared with England: {h['Compared with England'] or 'not compared'}",
    )
    st.caption(
        " · ".join(
            part
            for part in (
                f"{h['Period']}",
                h["Direction"] and f"{h['Direction']} since the period before",
                ind.no_published_source.label
                if ind.no_published_source
                else h["Compared with England"]
                and f"{h['Compared with England']} compared with England ({h['Published year']})",
                f"reported by {catalogue.group[ind.group].name}",
            )
            if part
        )
    )
if can(me, "raise-challenge"):
    st.page_link(
        "views/accountability.py",
        label="Challenge the group on this indicator",
        query_params={"indicator": code},
        icon=":material/forum:",
    )
st.write(ind.definition)
facts = {
    "Outcome": catalogue.outcome[ind.outcome].title,
    "Plan priorities": ", ".join(catalogue.priority[p].title for p in ind.priorities) or "–",
    "Owner": catalogue.group[ind.group].name,
    "Accountability": (
        f"Performance measure of the group's service: {ind.rba.question}"
        if ind.rba
        else "Population indicator: the whole partnership answers for it (reported by the "
        "group above)"
    ),
    "Polarity": {
        "high_is_good": "Higher is better",
        "low_is_good": "Lower is better",
        "no_judgement": "No judgement (context indicator)",
    }[ind.polarity.value],
    "Kind": ind.kind.value + (f" per {ind.multiplier:,.0f}" if ind.kind.value == "rate" else ""),
    "Frequency": ind.period_type.value.replace("_", " "),
    "Source": ind.source,
}
ui.table(
    pl.DataFrame({"Item": list(facts), "About this indicator": list(facts.values())}),
    "About this indicator",
)

trend = data.trend(me, code, meeting=meeting)
series, published = trend.series, trend.published
if series.is_empty():
    st.info("No figures have been accepted for this indicator yet.")
    st.stop()

# --- trend ---------------------------------------------------------------------------------

st.header("Trend", divider="gray")
periods = series["period"].to_list()
method = catalogue.settings.neighbour_average
trend_chart = data.made_once(  # made once per data version, level and meeting
    me,
    ("trend", code, meeting),
    lambda: ui.base_layout(
        charts.trend_figure(trend, printed=False),
        title=f"{authority.name}: {ind.title}",
        y_title=y_title,
    ),
)
trend_table = series.select(
    pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Period"),
    *ui.value_columns(d, unit),
    ui.count_column("numerator").alias("Numerator"),
    ui.size_column("denominator").alias("Denominator"),
    ui.figure_column("target", d, unit).alias("Target"),
    pl.col("rag").map_elements(ui.rag_label, return_dtype=pl.String).alias("RAG"),
)
if published.height:
    trend_table = trend_table.join(
        published.select(
            pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Period"),
            ui.figure_column("england", d, unit).alias("England"),
            ui.figure_column("neighbours", d, unit).alias(f"Neighbours ({method})"),
            pl.when(pl.col("benchmark_matched"))
            .then(pl.col("benchmark_period"))
            .otherwise(pl.col("benchmark_period") + " (latest published)")
            .alias("Published year"),
        ),
        on="Period",
        how="left",
    )
trend_numbers = (
    series.join(
        published.select("period", "england", "neighbours", "benchmark_period"),
        on="period",
        how="left",
        maintain_order="left",
    )
    if published.height
    else series
)
ui.chart_with_table(
    trend_chart,
    trend_table,
    key="trend",
    file_name=ui.file_name(code, "trend", f"to-{periods[-1]}", level=level),
    download_table=functools.partial(
        report.figures_download,
        trend_numbers,
        catalogue,
        code,
        extra=tuple(
            c
            for c in ("target", "rag", "england", "neighbours", "benchmark_period")
            if c in trend_numbers.columns
        ),
    ),
    summary=trend.summary,
    note="The shaded band is the 95% confidence interval: the range the true figure is "
    "likely to lie in, given the numbers involved. England and neighbour lines show the "
    "published year each period falls in, or the latest published year where that year "
    "is not yet out (the table says which).",
)

# --- turn the curve ------------------------------------------------------------------------

curve = trend.curve
board_business = can(me, "view-board-business")  # the public view: figures only
if curve.height and board_business:
    st.subheader("Turn the curve: where the figure is heading", anchor=False)
    theirs = data.group_forecasts(me, code)
    curve = curve.join(
        theirs.rename({"value": "group_forecast"}), on="period", how="left"
    ).with_columns(
        group_note=pl.when(pl.col("group_forecast").is_not_null()).then(
            pl.format("{} (by {})", "reason", "set_by")
        )
    )
    curve_chart = data.made_once(
        me,
        ("curve", code, meeting),
        lambda: ui.base_layout(
            charts.curve_figure(
                trend, curve, group=f"{catalogue.group[ind.group].name}'s forecast"
            ),
            title=f"Baseline forecast: {ind.title}",
            y_title=y_title,
        ),
    )
    ui.chart_with_table(
        curve_chart,
        curve.select(
            pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Period"),
            ui.figure_column("forecast", d, unit).alias("Baseline forecast"),
            pl.struct("lower", "upper")
            .map_elements(
                lambda r: f"{figure(r['lower'], d)} to {figure(r['upper'], d)}",
                return_dtype=pl.String,
            )
            .alias("95% prediction interval"),
            ui.figure_column("target", d, unit).alias("Target"),
            ui.figure_column("group_forecast", d, unit).alias("The group's forecast"),
            pl.col("group_note").fill_null("").alias("Their reason"),
        ),
        key="curve",
        file_name=ui.file_name(code, "baseline-forecast", level=level),
        download_table=lambda: report.labelled_download(
            curve.select(
                "period",
                "forecast",
                "lower",
                "upper",
                "target",
                "group_forecast",
                pl.col("group_note").alias("group_reason"),
            ),
            catalogue,
            code,
        ),
        summary=report.forecast_summary(ind.title, trend.curve, d, unit),
        note="The baseline: a straight line fitted (least squares) through the last "
        "eight figures shown (at least five), carried on four periods, with its 95% "
        "prediction interval. It says where the figure is heading if nothing changes; the "
        "gap to the target is the curve to turn.",
    )
    if can(me, "set-forecast", ind.group):
        with st.form("group_forecast", clear_on_submit=True):
            st.markdown("**Your group's forecast**: where you expect the figure to be, and why.")
            when = st.selectbox("Period", curve["period"].to_list())
            value = st.number_input(f"Forecast ({y_title})", value=None, format=f"%.{d}f")
            reason = st.text_input("Why (kept with the forecast and shown beside it)")
            if st.form_submit_button("Save the forecast"):
                try:
                    data.set_forecast(
                        me,
                        indicator=code,
                        period=when,
                        value=float("nan") if value is None else float(value),
                        reason=reason,
                    )
                except (NotPermitted, ValueError) as exc:
                    st.error(ui.plain(exc))
                else:
                    st.rerun()

# --- localities ----------------------------------------------------------------------------

has_localities = any(level.value == "locality" for level in ind.area_levels) and can(
    me, "view-localities"
)
chosen_default = max(
    (p for p in periods if wanted is None or sort_key(p) <= sort_key(wanted)),
    key=sort_key,
    default=periods[-1],
)
if has_localities:
    st.header("Localities", divider="gray")
    period = state.choice(
        "area_period",
        periods[::-1],
        label="Period for the comparison",
        default=chosen_default,
        format_func=period_label,
    )
    areas = data.area_values(me, code, period, meeting=meeting)
    total = areas.filter(pl.col("level") == "authority")
    local = areas.filter(pl.col("level") == "locality").sort(
        "value", descending=ind.polarity.value != "low_is_good", nulls_last=True
    )
    centre = total["value"][0] if not total.is_empty() else None
    localities_chart = data.made_once(
        me,
        ("localities", code, period, meeting),
        lambda: ui.base_layout(
            charts.localities_figure(
                local, centre, authority=authority.name, decimals=d, unit=unit
            ),
            title=f"Localities, {period_label(period)} "
            f"({'highest' if ind.polarity.value == 'no_judgement' else 'best'} first; "
            "bars show 95% intervals)",
            y_title=y_title,
        ),
    )
    local_table = local.select(
        pl.col("area_name").alias("Locality"),
        *ui.value_columns(d, unit),
        ui.count_column("numerator").alias("Numerator"),
        ui.size_column("denominator").alias("Denominator"),
        ui.note_column(ind.suppression_threshold).alias("Note"),
    )
    show_funnel = report.compared(ind) and centre is not None
    if show_funnel:
        verdicts = report.locality_verdicts(local, centre, ind)
        local_table = local_table.with_columns(
            pl.Series(
                "Against the authority (99.8% limits)",
                [ui.COMPARISON_LABELS.get(v or "", "") or "–" for v in verdicts],
                dtype=pl.String,
            )
        )

        def funnel_chart():
            limits = report.funnel(centre, local["denominator"].to_list(), ind)
            funnel = charts.funnel_figure(
                limits, local, centre, authority=authority.name, decimals=d, unit=unit
            )
            made = ui.base_layout(
                funnel, title=f"Funnel plot, {period_label(period)}", y_title=y_title, height=420
            )
            return made.update_xaxes(title="denominator (size)")

        funnel_figure = data.made_once(me, ("funnel", code, period, meeting), funnel_chart)
    ui.chart_with_table(
        localities_chart,
        local_table,
        key="localities",
        file_name=ui.file_name(code, "localities", period, level=level),
        download_table=functools.partial(report.figures_download, areas, catalogue, code),
        summary=report.localities_summary(local, centre, ind, authority.name),
        note="Where a locality's interval does not cross the authority's line, the "
        "difference is unlikely to be chance. "
        + ui.suppression_caption(ind.suppression_threshold, concealed=data.conceals(me)),
    )
    if show_funnel:
        st.subheader("Funnel plot", anchor=False)
        ui.chart_with_table(
            funnel_figure,
            local_table,
            key="funnel",
            file_name=ui.file_name(code, "funnel", period, level=level),
            download_table=functools.partial(report.figures_download, areas, catalogue, code),
            summary=report.funnel_summary(local["area_name"].to_list(), verdicts),
            note="A locality outside the dotted (99.8%) limits differs from "
            "the authority by more than chance would explain. Limits as Fingertips draws "
            "them: Wilson score limits of the authority's proportion, or exact Poisson "
            "limits of its rate, at each size.",
        )

# --- against all authorities (spine chart) ---------------------------------------------------

# the period chosen for the localities (or asked for in the URL), else the latest
spine_period = period if has_localities else chosen_default
latest = series.filter(pl.col("period") == spine_period).row(0, named=True)
matched = published.filter(pl.col("period") == spine_period)
bench = matched.row(0, named=True) if matched.height else {}
others = (
    data.all_authorities(me, code, bench["benchmark_period"])
    if bench.get("benchmark_period")
    else None
)
if others is not None and not others.is_empty():
    st.header("Compared with England and all authorities", divider="gray")
    published_period = others["period"][0]
    st.caption(
        f"Our {period_label(latest['period'])} figure against every authority's published "
        f"figure for {published_period}"
        + (
            ", the year it falls in."
            if bench.get("benchmark_matched")
            else f", the latest published: the year {period_label(latest['period'])} falls in "
            "is not "
            "published yet."
        )
    )
    england = bench.get("england")
    place = report.spine(
        others["value"].to_list(),
        latest["value"],
        latest["lower_95"],
        latest["upper_95"],
        england,
        polarity=ind.polarity.value,
    )
    worst, best, q25, q75 = place.worst, place.best, place.lower_band, place.upper_band
    low_good, judged = place.low_is_good, place.judged
    worst_label, best_label = ("Worst", "Best") if judged else ("Lowest", "Highest")
    ours_hidden = latest.get("suppression") is not None
    spine_chart = data.made_once(
        me,
        ("spine", code, spine_period, meeting),
        lambda: ui.base_layout(
            charts.spine_figure(
                place,
                england=england,
                value=latest["value"],
                england_label=f"England {published_period}",
                ours_label=f"{authority.name}, {period_label(latest['period'])}",
                verdict=ui.COMPARISON_LABELS.get(place.verdict or "", ""),
            ),
            title=f"Spine chart: all authorities, {published_period} "
            + (
                "(worst on the left, best on the right)"
                if judged
                else "(lowest on the left, highest on the right)"
            ),
            height=260,
        ),
    )
    spine_table = pl.DataFrame(
        {
            "Measure": [
                f"{worst_label} authority",
                "25th percentile",
                "England",
                "75th percentile",
                f"{best_label} authority",
                f"{authority.name}, {period_label(latest['period'])}",
                "Rank among authorities",
                "Quartile band",
            ],
            "Value": [
                figure(worst, d, unit),
                figure(q25, d, unit),
                figure(england, d, unit),
                figure(q75, d, unit),
                figure(best, d, unit),
                figure(latest["value"], d, unit, suppressed=ours_hidden),
                f"{place.rank} of {place.count}"
                if place.rank
                else (
                    "not ranked: suppressed" if ours_hidden else "not ranked: no better direction"
                ),
                place.band or "–",
            ],
        }
    )
    ui.chart_with_table(
        spine_chart,
        spine_table,
        key="spine",
        file_name=ui.file_name(code, "all-authorities", published_period, level=level),
        download_table=lambda: report.labelled_download(
            others.select("period", "area_code", "old_la_code", "area_name", "value"),
            catalogue,
            code,
        ),
        summary=report.spine_summary(
            place,
            latest["value"],
            england,
            ind,
            name=authority.name,
            year=published_period,
        ),
        note="Rank 1 is the best; tied authorities share the best rank they span. Quartile "
        "band A is the best quarter of authorities; a value equal to a cut-point falls in the "
        "quarter below. An indicator with no better direction is neither ranked nor banded "
        "(LAIT's conventions).",
    )
    st.subheader("Statistical neighbours", anchor=False)
    near = report.named_neighbours(
        others, data.neighbour_list(me), latest["value"], polarity=ind.polarity.value
    )
    ui.table(
        near.select(
            pl.col("neighbour").alias("Neighbour"),
            pl.col("authority").alias("Authority"),
            ui.figure_column("value", d, unit).alias(f"Value ({published_period})"),
            pl.col("rank").cast(pl.String).fill_null("–").alias("Rank among authorities"),
            pl.col("band").fill_null("–").alias("Quartile band"),
        ),
        f"{authority.name}'s statistical neighbours, {published_period}",
    )
    st.caption(
        f"The {near.height} authorities most like {authority.name} in DfE's statistical "
        f"neighbour model, nearest first. Their average is the {method} of the "
        f"{bench.get('neighbours_n') or 0} with a published figure: "
        f"{figure(bench.get('neighbours'), d, unit)}"
        + (
            " (the middle value, so one unusual neighbour does not move it)."
            if method == "median"
            else " (the mean)."
        )
    )

# --- breakdowns ----------------------------------------------------------------------------

if ind.breakdowns:
    st.header("Groups of children", divider="gray")
    values = data.breakdown_values(me, code, meeting=meeting)
    for dim_code in ind.breakdowns:
        dim = catalogue.breakdown[dim_code]
        rows = values.filter(pl.col("dimension") == dim_code)
        if rows.is_empty():
            continue
        st.subheader(dim.label, anchor=False)
        order = {cat.label: n for n, cat in enumerate(dim.categories)}
        breakdown_chart = data.made_once(
            me,
            ("breakdown", code, dim_code, meeting),
            lambda rows=rows, order=order, dim=dim: ui.base_layout(
                charts.lines_figure(
                    rows.sort(pl.col("category").replace_strict(order, default=99), "period_order"),
                    by="category",
                ),
                title=f"By {dim.label.split(' (')[0].lower()}",
                y_title=y_title,
            ),
        )
        shown = rows.with_columns(ui.figure_column("value", d, unit, own=True).alias("shown"))
        wide = shown.pivot(on="category", index="period", values="shown")
        if dim.gap:
            first, second = (next(c.label for c in dim.categories if c.code == g) for g in dim.gap)
            gap = f"Gap ({first} minus {second})"
            numbers = rows.pivot(on="category", index="period", values="value")
            hidden = rows.with_columns(hidden=pl.col("suppression").is_not_null()).pivot(
                on="category", index="period", values="hidden"
            )
            gaps = numbers.join(hidden, on="period", suffix="_hidden").select(
                "period",
                pl.when(pl.col(f"{first}_hidden") | pl.col(f"{second}_hidden"))
                .then(pl.lit(ui.SUPPRESSED))
                .otherwise(ui.change_column(pl.col(first) - pl.col(second), d, unit))
                .alias(gap),
            )
            wide = wide.join(gaps, on="period", how="left")
        shown = wide.select(
            pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Period"),
            pl.exclude("period"),
        )
        compared = (
            tuple(next(c.label for c in dim.categories if c.code == g) for g in dim.gap)
            if dim.gap
            else None
        )
        ui.chart_with_table(
            breakdown_chart,
            shown,
            key=f"breakdown_{dim_code}",
            file_name=ui.file_name(code, dim_code, level=level),
            download_table=functools.partial(report.figures_download, rows, catalogue, code),
            summary=report.breakdown_summary(rows, compared, ind),
        )

# --- commentary and challenges (the board's business: not in the public view) -------------

if board_business:
    st.header("Commentary", divider="gray")
    notes = data.commentary_history(me, code, meeting=meeting)
    if notes.is_empty():
        st.write("No commentary has been given for this indicator.")
    for r in notes.iter_rows(named=True):
        with st.container(border=True):
            st.markdown(
                f"**{period_label(r['period'])}** · return for {period_label(r['return_period'])} "
                f"(version {r['version']}, {r['submitted_at']:%d %b %Y})"
            )
            st.text(r["text"])  # what the group typed: shown as typed, never as Markdown

    st.header("Challenges", divider="gray")
    asked = data.challenges(me).filter(pl.col("indicator_code") == code)
    if asked.is_empty():
        st.write("The board has not challenged this indicator.")
    else:
        ui.table(
            asked.select(
                pl.col("reference").alias("Reference"),
                pl.col("question").alias("Question"),
                pl.col("due_on").dt.strftime("%d %b %Y").alias("Due"),
                pl.col("status").alias("Status"),
                pl.col("answer").fill_null("").alias("Answer"),
            ),
            "Challenges on this indicator",
        )
else:  # the public view: only what the board has made public
    published = data.public_items(me, code)
    if published.height:
        st.header("What the board is asking", divider="gray")
        ui.table(
            published.select(
                pl.col("reference").alias("Reference"),
                pl.col("kind").alias("Kind"),
                pl.col("what").alias("Question or action"),
                pl.col("due_on").dt.strftime("%d %b %Y").alias("Due"),
                pl.col("status").alias("Status"),
                pl.col("answer").fill_null("").alias("Answer"),
            ),
            "Challenges and actions the board has made public on this indicator",
        )
