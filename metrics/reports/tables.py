"""Tables people and screen readers can read: a real HTML ``<table>`` with a caption, header
cells with their scope, numbers right-aligned, every cell escaped. The board pack prints
these and the pages show them (``dashboard.components.table``)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import polars as pl


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere in the app (its text and address are escaped)."""

    text: str
    href: str


def sparkline(values: list[float | None], *, width: int = 96, height: int = 22) -> str:
    """Recent figures as a small line of straight segments (no smoothing, which would invent
    a shape the figures do not have), broken where a figure is missing or withheld; named
    for screen readers by the figures themselves."""
    present = [v for v in values if v is not None]
    said = ", ".join("withheld" if v is None else f"{v:g}" for v in values)
    if len(present) < 2:
        return escape(said or "–")
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    step = (width - 4) / (len(values) - 1)
    runs: list[list[str]] = [[]]
    for n, v in enumerate(values):
        if v is None:
            runs.append([])
            continue
        x = 2 + n * step
        y = height - 2 - (v - low) / span * (height - 4)
        runs[-1].append(f"{x:.1f},{y:.1f}")
    lines = "".join(
        f'<polyline points="{" ".join(run)}" fill="none" stroke="#0072B2" stroke-width="1.5"/>'
        for run in runs
        if len(run) > 1
    )
    return (
        f'<svg role="img" aria-label="Recent figures, oldest first: {escape(said)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{lines}</svg>'
    )


def _cell(value: object, *, number: bool = False, header: bool = False, wrap: bool = False) -> str:
    if isinstance(value, list):
        return f"<td>{sparkline(value)}</td>"
    if isinstance(value, Link):
        text = f'<a href="{escape(value.href)}" target="_self">{escape(value.text)}</a>'
    else:
        text = escape("–" if value is None or value == "" else str(value))
    if header:
        return f'<th scope="row">{text}</th>'
    if number:
        return f'<td class="number">{text}</td>'
    return f'<td class="wrap">{text}</td>' if wrap else f"<td>{text}</td>"


def table(
    caption: str,
    headers: list[str],
    rows: list[list[object]],
    numbers: set[int] = frozenset(),
    *,
    row_headers: bool = False,
    wrap: set[int] = frozenset(),
) -> str:
    """A real table: a caption, column header cells with scope, numbers (the columns in
    ``numbers``) right-aligned; with ``row_headers``, each row's first cell heads its row."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            _cell(v, number=i in numbers, header=row_headers and i == 0, wrap=i in wrap)
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


FIGURE_TEXT = r"^(?:[−+±-]?[\d,]+(?:\.\d+)?(?:%| pts)?|c|–|)$"
"""A text cell that reads as a figure (``54.3%``, ``1,204``, ``+2.1 pts``, ``c``, ``–``)."""


def frame_table(frame: pl.DataFrame, caption: str, *, links: dict[str, str] | None = None) -> str:
    """A data frame as a :func:`table`: numeric columns right-aligned (and text columns whose
    every cell reads as a figure, such as ``54.3%`` or ``c``), lists of numbers drawn as
    sparklines, the first column heading its row. ``links`` maps a column to the column
    holding its address; columns whose names start with ``_`` are not shown."""
    links = links or {}
    hidden = set(links.values())
    shown = [c for c in frame.columns if c not in hidden and not c.startswith("_")]
    text = [c for c in shown if frame.schema[c] == pl.String]
    facts = (  # one pass over the text columns: every cell a figure? the longest cell?
        frame.select(
            *(pl.col(c).str.contains(FIGURE_TEXT).all().alias(f"figure {c}") for c in text),
            *(pl.col(c).str.len_chars().max().alias(f"length {c}") for c in text),
        ).row(0, named=True)
        if text and frame.height
        else {}
    )
    numbers = {
        n for n, c in enumerate(shown) if frame.schema[c].is_numeric() or facts.get(f"figure {c}")
    }
    # long text (titles, commentary) wraps; everything else stays on one line
    wrap = {n for n, c in enumerate(shown) if (facts.get(f"length {c}") or 0) > 32}
    rows = [
        [Link(r[c], r[links[c]]) if c in links and r[c] else r[c] for c in shown]
        for r in frame.iter_rows(named=True)
    ]
    return table(caption, shown, rows, numbers, row_headers=True, wrap=wrap)
