"""Rendering helpers shared by pages: the palette, RAG labels, charts with tables."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from html import escape

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from metrics.core.disclosure import FOOTNOTE, WITHHELD
from metrics.core.formatting import (  # noqa: F401  (labels re-exported for pages)
    COMPARISON_LABELS,
    DIRECTION_LABELS,
    RAG_LABELS,
    SUPPRESSED,
    change,
    counted,
    csv_bytes,
    figure,
    interval,
    rag_label,
    sentence_case,
)

# One accessible palette (Okabe-Ito), defined once in metrics.reports.charts. Colour never
# carries meaning alone: RAG has a symbol and a word, lines have labels and dash styles.
from metrics.reports.charts import RAG_COLOURS  # noqa: F401  (for pages)
from metrics.reports.tables import frame_table


def _withheld() -> pl.Expr:
    """Rows the reader may not see the figures of (every read of our own figures has a
    ``suppression`` column: None, or why the row is suppressed)."""
    return pl.col("suppression").is_not_null()


def figure_column(column: str, decimals: int, unit: str, *, own: bool = False) -> pl.Expr:
    """A numeric column as people read it (rounded half up, with its unit). ``own``: the
    partnership's own figures, shown as ``c`` where suppressed for this reader (published
    benchmarks arrive suppressed by their publisher)."""
    shown = pl.col(column).map_elements(lambda v: figure(v, decimals, unit), return_dtype=pl.String)
    if not own:
        return shown
    return pl.when(_withheld()).then(pl.lit(SUPPRESSED)).otherwise(shown)


def change_column(expression: pl.Expr, decimals: int, unit: str) -> pl.Expr:
    """A difference (a change or a gap) as people read it: ``+1.2`` or ``−0.4 pts``."""
    return expression.map_elements(lambda v: change(v, decimals, unit), return_dtype=pl.String)


def count_column(column: str) -> pl.Expr:
    """A numerator (``c`` where suppressed for this reader) as a whole number."""
    return figure_column(column, 0, "", own=True)


def size_column(column: str) -> pl.Expr:
    """A denominator: the size of the group, never suppressed."""
    return figure_column(column, 0, "")


def value_columns(decimals: int, unit: str) -> list[pl.Expr]:
    """``Value`` and ``95% interval`` as people read them, from value and its limits."""
    return [
        figure_column("value", decimals, unit, own=True).alias("Value"),
        pl.when(_withheld())
        .then(pl.lit(SUPPRESSED))
        .otherwise(
            pl.struct("lower_95", "upper_95").map_elements(
                lambda s: interval(s["lower_95"], s["upper_95"], decimals), return_dtype=pl.String
            )
        )
        .alias("95% interval"),
    ]


def note_column(threshold: int) -> pl.Expr:
    """Why a figure is ``c`` (for a reader who sees suppressed figures), or, for one who
    sees every figure, that it is a small number not for publication."""
    return (
        pl.when(pl.col("suppression") == WITHHELD)
        .then(pl.lit(FOOTNOTE.format(threshold=threshold)))
        .when(pl.col("suppressed").fill_null(False))
        .then(pl.lit(f"small number (fewer than {threshold}): not for publication"))
        .otherwise(pl.lit(""))
    )


def suppression_caption(threshold: int, *, concealed: bool) -> str:
    if concealed:
        return FOOTNOTE.format(threshold=threshold)
    return (
        f"The note marks counts below the suppression threshold ({threshold}): you see them "
        "because your role may; they are not for publication, and readers without that "
        "role see c."
    )


_MARKDOWN_SIGNIFICANT = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    r"""Text someone typed, or a value from a file or a URL, made safe for the places
    Streamlit reads as Markdown (labels, alerts, table cells): every ASCII punctuation mark
    is escaped, so no link, image, emphasis, directive or formula can form, and the reader
    sees exactly the characters that were typed. Where a whole block is free text, pages
    use ``st.text`` instead, which renders no Markdown at all.

    >>> print(plain("![x](http://a.b/c.png) **hi** :red[x] $1$"))
    \!\[x\]\(http\:\/\/a\.b\/c\.png\) \*\*hi\*\* \:red\[x\] \$1\$
    """
    return _MARKDOWN_SIGNIFICANT.sub(r"\\\1", str(text))


def subject(catalogue, row: dict) -> str:
    """What a challenge or action is about: its indicator (code and title) or its priority."""
    if row.get("indicator_code"):
        return f"{row['indicator_code']} {catalogue.indicator[row['indicator_code']].title}"
    if row.get("priority_code"):
        return f"Priority: {catalogue.priority[row['priority_code']].title}"
    return ""


def base_layout(
    fig: go.Figure, *, title: str, y_title: str = "", height: int = 380, left: int = 60
) -> go.Figure:
    """House style for every chart; ``left`` is room for the y-axis labels."""
    fig.update_layout(
        title={
            "text": title,
            "font": {"size": 16},
            "y": 0.99,
            "yref": "container",
            "yanchor": "top",
        },
        height=height,
        # the legend sits between the title and the plot, where long period labels under
        # the x axis can never run into it
        margin={"l": left, "r": 20, "t": 100, "b": 10},
        legend={
            "orientation": "h",
            "y": 1.0,
            "yanchor": "bottom",
            "x": 0,
            "xanchor": "left",
            "traceorder": "normal",
        },
        yaxis_title=y_title,
        plot_bgcolor="white",
        hovermode="x unified",
        font={"family": "sans-serif", "size": 13},
    )
    fig.update_xaxes(showgrid=False, linecolor="#505a5f", automargin=True)
    fig.update_yaxes(gridcolor="#dddddd", zeroline=False, automargin=True)
    return fig


PRINT_STYLE = """<style>
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stDownloadButton"], [data-testid="stStatusWidget"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"] { margin: 0 !important;
    padding: 0 !important; overflow: visible !important; }
  /* A4 landscape less the margins is about 1030 CSS pixels: charts are drawn no wider */
  [data-testid="stMainBlockContainer"] { max-width: 1000px !important; padding: 0 !important; }
  .stPlotlyChart, .outcomes-table tr, [data-testid="stMetric"] { break-inside: avoid; }
  .outcomes-table { overflow: visible !important; }
  h1, h2, h3 { break-after: avoid; }
}
</style>"""
"""Any page printed from the browser: the page alone (no menu, header or buttons), on A4
landscape, with charts and table rows kept whole."""

TABLE_STYLE = """<style>
.outcomes-table { overflow-x: auto; }
.outcomes-table table { border-collapse: collapse; font-size: 0.875rem; margin: 0.25rem 0; }
.outcomes-table caption { text-align: left; font-weight: 600; padding: 0 0 0.4rem; }
.outcomes-table th, .outcomes-table td { border: 1px solid #b1b4b6; padding: 0.3rem 0.55rem;
  text-align: left; vertical-align: top; }
.outcomes-table thead th { background: #f3f2f1; }
.outcomes-table tbody th { font-weight: 400; }
.outcomes-table td.number { text-align: right; font-variant-numeric: tabular-nums; }
.outcomes-table td, .outcomes-table th { white-space: nowrap; }
.outcomes-table td.wrap { white-space: normal; min-width: 14rem; max-width: 28rem; }
.outcomes-table thead th { white-space: normal; min-width: 4.5rem; }
</style>"""


def table(frame: pl.DataFrame, caption: str, *, links: dict[str, str] | None = None) -> None:
    """A table people and screen readers can read (a real HTML table with a caption and
    header cells; see :mod:`metrics.reports.tables`), every cell escaped."""
    # a wide table scrolls sideways in its own region, which a keyboard can reach
    st.html(
        f'{TABLE_STYLE}<div class="outcomes-table" role="region" tabindex="0" '
        f'aria-label="{escape(caption)}">{frame_table(frame, caption, links=links)}</div>'
    )


def chart_with_table(
    fig: go.Figure,
    table_: pl.DataFrame,
    *,
    key: str,
    file_name: str,
    summary: str,
    note: str | None = None,
    download_table: Callable[[], pl.DataFrame] | None = None,
) -> None:
    """A chart, with the same figures as an accessible table and a CSV download beside it
    (of what ``download_table()`` makes, the figures as numbers, where given; else of the
    table as shown).

    ``summary`` is one sentence made from the chart's figures: with the title it is the
    chart's accessible name, and it stands under the chart for everyone, followed by
    ``note`` (how to read the chart, where it needs saying)."""
    title = fig.layout.title.text or "Chart"
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    with chart_tab:
        st.plotly_chart(
            fig,
            key=f"{key}_chart",
            theme=None,
            config={"displaylogo": False},
            alt=f"{title}. {summary}",
        )
    with table_tab:
        table(table_, f"{title}: the figures")
    st.caption(f"{summary} {note}" if note else summary)
    download(
        table_ if download_table is None else download_table,
        file_name=file_name,
        key=f"{key}_download",
    )


def download(
    table: pl.DataFrame | Callable[[], pl.DataFrame],
    *,
    file_name: str,
    key: str,
    label: str = "Download as CSV",
) -> None:
    """A CSV download of ``table``, or of what ``table()`` makes: made when the reader
    clicks, not on every run of the page."""
    st.download_button(
        label,
        data=functools.partial(_csv_of, table),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def _csv_of(table: pl.DataFrame | Callable[[], pl.DataFrame]) -> bytes:
    return csv_bytes(table() if callable(table) else table)


def file_name(*parts: str | None, level: str, suffix: str = "csv") -> str:
    """A download's file name saying what it holds and for whom: ``BH01_trend_2025-26-Q2_
    suppressed.csv`` (the level of disclosure: public, suppressed or unsuppressed)."""
    words = [re.sub(r"[^A-Za-z0-9.-]+", "-", p).strip("-") for p in parts if p]
    return "_".join([*(w for w in words if w), level]) + f".{suffix}"
