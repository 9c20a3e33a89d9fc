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


def _cell(value: object, *, number: bool = False, header: bool = False) -> str:
    if isinstance(value, Link):
        text = f'<a href="{escape(value.href)}" target="_self">{escape(value.text)}</a>'
    else:
        text = escape("–" if value is None or value == "" else str(value))
    if header:
        return f'<th scope="row">{text}</th>'
    return f'<td class="number">{text}</td>' if number else f"<td>{text}</td>"


def table(
    caption: str,
    headers: list[str],
    rows: list[list[object]],
    numbers: set[int] = frozenset(),
    *,
    row_headers: bool = False,
) -> str:
    """A real table: a caption, column header cells with scope, numbers (the columns in
    ``numbers``) right-aligned; with ``row_headers``, each row's first cell heads its row."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            _cell(v, number=i in numbers, header=row_headers and i == 0) for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def frame_table(frame: pl.DataFrame, caption: str, *, links: dict[str, str] | None = None) -> str:
    """A data frame as a :func:`table`: numeric columns right-aligned (and text columns whose
    every cell reads as a figure, such as ``54.3%`` or ``c``), lists left out, the first
    column heading its row. ``links`` maps a column to the column holding its address."""
    links = links or {}
    hidden = set(links.values())
    shown = [
        c
        for c, t in frame.schema.items()
        if c not in hidden and not isinstance(t, pl.List) and not c.startswith("_")
    ]
    numbers = {
        n
        for n, c in enumerate(shown)
        if frame.schema[c].is_numeric()
        or (
            frame.schema[c] == pl.String
            and frame.height
            and frame[c].str.contains(r"^(?:[−+±-]?[\d,]+(?:\.\d+)?(?:%| pts)?|c|–|)$").all()
        )
    }
    rows = [
        [Link(r[c], r[links[c]]) if c in links and r[c] else r[c] for c in shown]
        for r in frame.iter_rows(named=True)
    ]
    return table(caption, shown, rows, numbers, row_headers=True)
