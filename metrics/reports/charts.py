"""Charts as pure functions from a report object to a Plotly figure (no Streamlit), so a page
and a board pack draw the same chart from the same figures."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from metrics.core.formatting import figure
from metrics.core.periods import period_label
from metrics.reports.indicator import Trend

AUTHORITY = "#0072B2"
TARGET = "#D55E00"
BENCHMARK = "#000000"
BAND = "rgba(0, 114, 178, 0.18)"
PRINT_WIDTH, PRINT_HEIGHT = 680, 340
RAG_COLOURS = {"green": "#007A3D", "amber": "#B35C00", "red": "#C8102E", "no_target": "#b1b4b6"}
"""RAG colours (each with a symbol, a word and a pattern: colour never carries it alone)."""


def band(x: list, upper: list, lower: list, *, name: str, colour: str = BAND) -> go.Scatter:
    """A shaded interval (confidence or prediction) around a line: up the upper limits and
    back down the lower ones."""
    return go.Scatter(
        x=list(x) + list(x)[::-1],
        y=list(upper) + list(lower)[::-1],
        fill="toself",
        fillcolor=colour,
        line={"width": 0},
        hoverinfo="skip",
        mode="lines",
        name=name,
    )


def trend_figure(trend: Trend, *, printed: bool = True) -> go.Figure:
    """The authority's figure over time with its 95% interval, the target, England and the
    neighbours (published year) and the baseline forecast; a withheld (suppressed) figure is
    a gap in the line. ``printed``: sized and styled for a board pack's A4 page (on screen,
    the page's house style sizes it)."""
    series = trend.series
    periods = [period_label(p) for p in series["period"]]
    fig = go.Figure()
    fig.add_trace(
        band(periods, series["upper_95"], series["lower_95"], name="95% confidence interval")
    )
    fig.add_scatter(
        x=periods,
        y=series["value"].to_list(),
        mode="lines+markers",
        name=trend.authority,
        line={"color": AUTHORITY, "width": 3},
        marker={"size": 7},
    )
    if series["target"].is_not_null().any():
        fig.add_scatter(
            x=periods,
            y=series["target"].to_list(),
            mode="lines",
            name="Target",
            line={"color": TARGET, "dash": "dash", "shape": "hv"},
        )
    published = trend.published
    for label, key, dash in (
        ("England", "england", "dot"),
        (f"Neighbours ({trend.neighbour_average})", "neighbours", "dashdot"),
    ):
        if published.height and published[key].is_not_null().any():
            fig.add_scatter(
                x=[period_label(p) for p in published["period"]],
                y=published[key].to_list(),
                customdata=published["benchmark_period"].to_list(),
                hovertemplate="%{x}: %{y} (published %{customdata})",
                mode="lines",
                name=f"{label} (published year)",
                line={"color": BENCHMARK, "dash": dash, "width": 1.5, "shape": "hv"},
            )
    curve = trend.curve
    if curve.height and series.height:
        ahead = [period_label(p) for p in curve["period"]]
        fig.add_scatter(
            x=[periods[-1], *ahead],
            y=[series["value"][-1], *curve["forecast"].to_list()],
            mode="lines",
            name="Baseline forecast",
            line={"color": "#505a5f", "dash": "dot"},
        )
        fig.update_xaxes(categoryorder="array", categoryarray=[*periods, *ahead])
    if printed:
        fig.update_layout(
            width=PRINT_WIDTH,
            height=PRINT_HEIGHT,
            margin={"l": 60, "r": 20, "t": 60, "b": 20},
            # above the plot: the period labels under the x axis never run into it
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
            plot_bgcolor="white",
            font={"family": "sans-serif", "size": 11},
        )
    fig.update_layout(yaxis_title=y_title(trend.unit))
    fig.update_xaxes(showgrid=False, linecolor="#505a5f", tickangle=-30, automargin=True)
    fig.update_yaxes(gridcolor="#dddddd", zeroline=False, automargin=True)
    return fig


def curve_figure(trend: Trend, curve: pl.DataFrame, *, group: str) -> go.Figure:
    """Turn the curve: the figures so far, the baseline forecast with its 95% prediction
    interval, the target and (where ``curve`` has a ``group_forecast`` column with values)
    the owning group's own forecast, named ``group``."""
    series = trend.series
    periods = [period_label(p) for p in series["period"]]
    ahead = [period_label(p) for p in curve["period"]]
    fig = go.Figure()
    fig.add_trace(
        band(
            ahead,
            curve["upper"],
            curve["lower"],
            name="95% prediction interval",
            colour="rgba(85, 85, 85, 0.15)",
        )
    )
    fig.add_scatter(
        x=periods,
        y=series["value"].to_list(),
        mode="lines+markers",
        name=trend.authority,
        line={"color": AUTHORITY, "width": 3},
    )
    fig.add_scatter(
        x=[*periods[-1:], *ahead],
        y=[*series["value"].to_list()[-1:], *curve["forecast"].to_list()],
        mode="lines+markers",
        name="Baseline forecast (if nothing changes)",
        line={"color": "#505a5f", "dash": "dash"},
    )
    if curve["target"].is_not_null().any():
        fig.add_scatter(
            x=ahead,
            y=curve["target"].to_list(),
            mode="lines",
            name="Target",
            line={"color": TARGET, "dash": "dot", "shape": "hv"},
        )
    if "group_forecast" in curve.columns and curve["group_forecast"].is_not_null().any():
        fig.add_scatter(
            x=ahead,
            y=curve["group_forecast"].to_list(),
            mode="markers",
            name=group,
            marker={"symbol": "star", "size": 12, "color": "#009E73"},
        )
    # periods in time order (the interval band, drawn first, would otherwise put the future
    # periods at the left of the category axis)
    fig.update_xaxes(categoryorder="array", categoryarray=[*periods, *ahead], automargin=True)
    fig.update_layout(yaxis_title=y_title(trend.unit))
    return fig


def similar_figure(
    frame: pl.DataFrame, *, title: str, unit: str, highlight: str | None = None
) -> go.Figure:
    """Our authority, England, the neighbours' average and each neighbour over the published
    years (from :func:`metrics.services.similar_authorities`): our figures thick and blue,
    England dotted, the average dashed, the neighbours thin and grey (each still named), and
    one neighbour a reader picks (``highlight``) in orange."""
    fig = go.Figure()
    first = {"ours": 0, "england": 1, "average": 2}  # the legend's order: ours first
    ordered = frame.sort(
        pl.col("role").replace_strict(first, default=3, return_dtype=pl.Int8),
        pl.col("area_name") != highlight,
        "rank",
        "period",
    )
    for (name, role), line in ordered.group_by("area_name", "role", maintain_order=True):
        periods = [period_label(p) for p in line["period"]]
        if role == "neighbour" and name == highlight:
            role = "highlight"
        style = {
            "ours": {"color": AUTHORITY, "width": 4},
            "england": {"color": BENCHMARK, "width": 3, "dash": "dot"},
            "average": {"color": AVERAGE, "width": 3, "dash": "dash"},
            "highlight": {"color": MARKER, "width": 3},
        }.get(role, {"color": "#b1b4b6", "width": 1})
        fig.add_scatter(
            x=periods,
            y=line["value"].to_list(),
            mode="lines" if role == "neighbour" else "lines+markers",
            name=name,
            line=style,
            opacity=0.7 if role == "neighbour" else 1,
        )
    fig.update_layout(title={"text": title}, yaxis_title=y_title(unit))
    return fig


LOCALITY = "#56B4E9"
MARKER = "#E69F00"
AVERAGE = "#009E73"


def localities_figure(
    local: pl.DataFrame, centre: float | None, *, authority: str, decimals: int, unit: str
) -> go.Figure:
    """Each locality's figure as a bar with its 95% interval, against the authority's line."""
    fig = go.Figure()
    fig.add_bar(
        x=local["area_name"].to_list(),
        y=local["value"].to_list(),
        name="Locality",
        marker_color=LOCALITY,
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (local["upper_95"] - local["value"]).to_list(),
            "arrayminus": (local["value"] - local["lower_95"]).to_list(),
            "color": "#333333",
        },
    )
    if centre is not None:
        fig.add_hline(
            y=centre,
            line_dash="dash",
            line_color=AUTHORITY,
            annotation_text=f"{authority} {figure(centre, decimals, unit)}",
            annotation_position="top left",
        )
    return fig


def funnel_figure(
    limits, local: pl.DataFrame, centre: float, *, authority: str, decimals: int, unit: str
) -> go.Figure:
    """A funnel plot: the control limits (:func:`metrics.reports.indicator.funnel`) around
    the authority's figure, and each locality by its size."""
    fig = go.Figure()
    for level, dash in zip(sorted(limits.limits), ("dash", "dot"), strict=True):
        lo, hi = limits.limits[level]
        name = f"{level * 100:g}% limits"
        fig.add_scatter(
            x=list(limits.sizes),
            y=list(hi),
            mode="lines",
            name=name,
            line={"color": "#505a5f", "dash": dash},
        )
        fig.add_scatter(
            x=list(limits.sizes),
            y=list(lo),
            mode="lines",
            name=name,
            showlegend=False,
            line={"color": "#505a5f", "dash": dash},
        )
    fig.add_hline(
        y=centre,
        line_color=AUTHORITY,
        annotation_text=f"{authority} {figure(centre, decimals, unit)}",
    )
    fig.add_scatter(
        x=local["denominator"].to_list(),
        y=local["value"].to_list(),
        mode="markers+text",
        text=local["area_name"].to_list(),
        textposition="top center",
        name="Localities",
        marker={"size": 11, "color": MARKER, "symbol": "circle"},
    )
    fig.update_xaxes(title="denominator (size)")
    return fig


def spine_figure(
    place,
    *,
    england: float | None,
    value: float | None,
    england_label: str,
    ours_label: str,
    verdict: str,
) -> go.Figure:
    """A spine chart (:class:`metrics.reports.indicator.Spine`): the range of all
    authorities, their middle half, England and our figure; worst on the left where the
    indicator has a better direction."""
    worst, best, q25, q75 = place.worst, place.best, place.lower_band, place.upper_band
    worst_label, best_label = ("Worst", "Best") if place.judged else ("Lowest", "Highest")
    fig = go.Figure()
    fig.add_bar(
        y=[""],
        x=[abs(best - worst)],
        base=[min(worst, best)],
        orientation="h",
        marker_color="#dddddd",
        name=f"{worst_label} to {best_label.lower()} authority",
        width=0.5,
    )
    fig.add_bar(
        y=[""],
        x=[abs(q75 - q25)],
        base=[min(q25, q75)],
        orientation="h",
        marker_color="#a6a6a6",
        name="25th to 75th percentile",
        width=0.5,
    )
    if england is not None:
        fig.add_scatter(
            y=[""],
            x=[england],
            mode="markers",
            name=england_label,
            marker={
                "symbol": "line-ns-open",
                "size": 36,
                "color": BENCHMARK,
                "line": {"width": 3, "color": BENCHMARK},
            },
        )
    if value is not None:
        fig.add_scatter(
            y=[""],
            x=[value],
            mode="markers+text",
            name=ours_label,
            text=[verdict],
            textposition="top center",
            marker={"symbol": "diamond", "size": 18, "color": AUTHORITY},
        )
    fig.update_layout(barmode="overlay")
    if place.low_is_good:
        fig.update_xaxes(autorange="reversed")
    return fig


SERIES = ["#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]


def lines_figure(frame: pl.DataFrame, *, by: str, emphasise: str | None = None) -> go.Figure:
    """One line per value of column ``by`` (groups of children, or areas) over the periods
    of ``frame`` (period, value), in the order they first appear; the line named
    ``emphasise`` (the authority) drawn thick in the authority's colour."""
    fig = go.Figure()
    names = list(dict.fromkeys(frame[by].to_list()))
    for n, name in enumerate(names):
        line = frame.filter(pl.col(by) == name)
        own = name == emphasise
        fig.add_scatter(
            x=[period_label(p) for p in line["period"]],
            y=line["value"].to_list(),
            mode="lines+markers",
            name=name,
            line={
                "color": AUTHORITY if own else SERIES[n % len(SERIES)],
                "width": 4 if own else 2,
                "dash": "solid" if own else ["dash", "dot", "dashdot", "solid"][n % 4],
            },
        )
    return fig


def y_title(unit: str) -> str:
    """The value axis's title: the unit (percentages as %, rates per their base)."""
    return "%" if unit == "%" else unit


def rag_summary_figure(summary: pl.DataFrame, title: str) -> go.Figure:
    """Indicators by RAG rating per heading (outcome or plan priority), stacked, with each
    heading's counts of improving and worsening indicators written beside its bar."""
    fig = go.Figure()
    for column, label, pattern in (
        ("green", "✔ Green", ""),
        ("amber", "▲ Amber", "/"),
        ("red", "✖ Red", "x"),
        ("no_target", "○ Not rated", "."),
    ):
        fig.add_bar(
            y=summary["heading"],
            x=summary[column],
            name=label,
            orientation="h",
            marker={
                "color": RAG_COLOURS[column],
                "pattern": {"shape": pattern, "fgcolor": "white", "fillmode": "overlay"},
            },
            text=summary[column],
            textposition="inside",
        )
    for r in summary.iter_rows(named=True):
        fig.add_annotation(
            x=r["indicators"],
            y=r["heading"],
            text=f"↗ {r['improving']} improving · ↘ {r['worsening']} worsening",
            showarrow=False,
            xanchor="left",
            xshift=6,
            font={"size": 12, "color": "#0b0c0c"},
        )
    widest = int(summary["indicators"].max() or 1) if summary.height else 1
    fig.update_layout(barmode="stack", title={"text": title})
    # room to the right of the longest bar for its improving and worsening counts
    fig.update_xaxes(range=[0, widest * 1.6], title="Indicators")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


# --- data quality (how returns arrive) -------------------------------------------------------

STATUS_STYLES = {
    "accepted": (AUTHORITY, ""),
    "superseded": (SERIES[3], "/"),
    "rejected": (SERIES[4], "x"),
}
"""Colour and pattern of each submission status (a pattern as well as a colour)."""


def submissions_figure(wide: pl.DataFrame) -> go.Figure:
    """Submissions each quarter, stacked by status (columns ``period`` and one per status)."""
    fig = go.Figure()
    for status, (colour, pattern) in STATUS_STYLES.items():
        if status in wide.columns:
            fig.add_bar(
                x=[period_label(p) for p in wide["period"]],
                y=wide[status],
                name=status.capitalize(),
                marker={"color": colour, "pattern": {"shape": pattern, "fillmode": "overlay"}},
            )
    fig.update_layout(barmode="stack")
    return fig


def findings_by_rule_figure(by_rule: pl.DataFrame) -> go.Figure:
    """Findings by rule, most frequent first, red for errors and amber for warnings, each
    bar labelled with its severity (columns ``rule``, ``title``, ``severity``, ``findings``)."""
    fig = go.Figure()
    fig.add_bar(
        y=by_rule["rule"] + " " + by_rule["title"],
        x=by_rule["findings"],
        orientation="h",
        marker_color=[
            RAG_COLOURS["red"] if s == "error" else RAG_COLOURS["amber"]
            for s in by_rule["severity"]
        ],
        text=by_rule["severity"],
        textposition="auto",
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def findings_by_group_figure(wide: pl.DataFrame) -> go.Figure:
    """Errors and warnings by delivery group, stacked (columns ``group``, ``error``,
    ``warning``); errors carry a pattern as well as their colour."""
    fig = go.Figure()
    for severity, pattern in (("error", "x"), ("warning", "")):
        if severity in wide.columns:
            fig.add_bar(
                y=wide["group"],
                x=wide[severity],
                name=severity.capitalize() + "s",
                orientation="h",
                marker={
                    "color": RAG_COLOURS["red" if severity == "error" else "amber"],
                    "pattern": {"shape": pattern, "fgcolor": "white", "fillmode": "overlay"},
                },
            )
    fig.update_layout(barmode="stack")
    return fig
