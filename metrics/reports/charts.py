"""Charts as pure functions from a report object to a Plotly figure (no Streamlit), so a page
and a board pack draw the same chart from the same figures."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from metrics.reports.pack import Section, period_label

AUTHORITY = "#0072B2"
TARGET = "#D55E00"
BAND = "rgba(0, 114, 178, 0.18)"
PRINT_WIDTH, PRINT_HEIGHT = 680, 300
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


def trend_figure(section: Section, *, authority: str) -> go.Figure:
    """The authority's figure over time with its 95% interval and the target; a withheld
    (suppressed) figure is a gap in the line."""
    trend = section.trend
    periods = [period_label(p) for p in trend["period"]]
    fig = go.Figure()
    fig.add_trace(
        band(periods, trend["upper_95"], trend["lower_95"], name="95% confidence interval")
    )
    fig.add_scatter(
        x=periods,
        y=trend["value"].to_list(),
        mode="lines+markers",
        name=authority,
        line={"color": AUTHORITY, "width": 3},
    )
    if trend["target"].is_not_null().any():
        fig.add_scatter(
            x=periods,
            y=trend["target"].to_list(),
            mode="lines",
            name="Target",
            line={"color": TARGET, "dash": "dash", "shape": "hv"},
        )
    curve = section.curve
    if curve.height and trend.height:
        ahead = [period_label(p) for p in curve["period"]]
        fig.add_scatter(
            x=[periods[-1], *ahead],
            y=[trend["value"][-1], *curve["forecast"].to_list()],
            mode="lines",
            name="Baseline forecast",
            line={"color": "#505a5f", "dash": "dot"},
        )
    fig.update_layout(
        width=PRINT_WIDTH,
        height=PRINT_HEIGHT,
        margin={"l": 60, "r": 20, "t": 20, "b": 90},
        legend={"orientation": "h", "y": -0.45},
        plot_bgcolor="white",
        font={"family": "sans-serif", "size": 11},
        yaxis_title="%" if section.unit == "%" else section.unit,
    )
    fig.update_xaxes(showgrid=False, linecolor="#505a5f", tickangle=-30, automargin=True)
    fig.update_yaxes(gridcolor="#dddddd", zeroline=False, automargin=True)
    return fig


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
