"""Charts made once and shared by every session (``dashboard.data.figure_once``): one per
data version, level of disclosure and what the chart shows, never handed to another level,
and never changed by drawing them."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard import data
from tests.dashboard.test_pages import page


def test_a_chart_is_made_once_per_version_and_level(monkeypatch):
    monkeypatch.setattr(data, "_as", lambda actor: actor)  # stands for (level, version)
    monkeypatch.setattr(data, "_figures", type(data._figures)())
    made: list[go.Figure] = []

    def make() -> go.Figure:
        made.append(go.Figure(go.Bar(x=["a"], y=[len(made)])))
        return made[-1]

    board, scrutiny = ("reader|unsuppressed", (1, 1)), ("reader|suppressed", (1, 1))
    first = data.figure_once(board, ("trend", "BH01"), make)
    assert data.figure_once(board, ("trend", "BH01"), make) is first and len(made) == 1
    assert data.figure_once(scrutiny, ("trend", "BH01"), make) is not first
    assert data.figure_once(board, ("trend", "BH02"), make) is not first
    assert data.figure_once(("reader|unsuppressed", (2, 1)), ("trend", "BH01"), make) is not first
    assert len(made) == 4


def test_drawing_a_shared_chart_leaves_it_as_it_was(app_db):
    data._figures.clear()
    first = page("overview", **{"as": "board"})
    shared = {key: fig.to_json() for key, fig in data._figures.items()}
    assert any("rag summary" in key for key in shared)
    again = page("overview", **{"as": "board"})  # drawn from the shared charts
    assert [c.proto.spec for c in again.get("plotly_chart")] == [
        c.proto.spec for c in first.get("plotly_chart")
    ]
    assert {key: fig.to_json() for key, fig in data._figures.items() if key in shared} == shared
