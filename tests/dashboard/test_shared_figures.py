"""Charts and display rows made once and shared by every session
(``dashboard.data.made_once``): one per data version, level of disclosure and what they
show, never handed to another level, and never changed by drawing them."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard import data
from tests.dashboard.test_pages import page


def test_a_chart_is_made_once_per_version_and_level(monkeypatch):
    monkeypatch.setattr(data, "_as", lambda actor: actor)  # stands for (level, version)
    monkeypatch.setattr(data, "_made", type(data._made)())
    made: list[go.Figure] = []

    def make() -> go.Figure:
        made.append(go.Figure(go.Bar(x=["a"], y=[len(made)])))
        return made[-1]

    board, scrutiny = ("reader|unsuppressed", (1, 1)), ("reader|suppressed", (1, 1))
    first = data.made_once(board, ("trend", "BH01"), make)
    assert data.made_once(board, ("trend", "BH01"), make) is first and len(made) == 1
    assert data.made_once(scrutiny, ("trend", "BH01"), make) is not first
    assert data.made_once(board, ("trend", "BH02"), make) is not first
    assert data.made_once(("reader|unsuppressed", (2, 1)), ("trend", "BH01"), make) is not first
    assert len(made) == 4


def test_drawing_a_shared_chart_leaves_it_as_it_was(app_db):
    data._made.clear()
    first = page("overview", **{"as": "board"})
    shared = {k: f.to_json() for k, f in data._made.items() if isinstance(f, go.Figure)}
    assert any("rag summary" in key for key in shared)
    again = page("overview", **{"as": "board"})  # drawn from the shared charts
    assert [c.proto.spec for c in again.get("plotly_chart")] == [
        c.proto.spec for c in first.get("plotly_chart")
    ]
    assert {k: f.to_json() for k, f in data._made.items() if k in shared} == shared
    rows = next(f for k, f in data._made.items() if "indicator rows" in k)
    assert rows.height == 41  # the overview's display rows, made once too
