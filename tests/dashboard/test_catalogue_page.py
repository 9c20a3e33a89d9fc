"""The outcomes and indicators page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import APP
from tests.helpers import html_tables


def test_lists_every_outcome_and_indicator(app_db, catalogue):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("views/catalogue.py").run()
    assert not at.exception
    headers = [h.value for h in at.header]
    assert headers == [f"{o.number}. {o.title}" for o in catalogue.outcomes]
    shown = set()
    for table in html_tables(at):
        assert table["caption"].endswith(": indicators")
        shown |= set(table["frame"]["code"])
    assert shown == set(catalogue.indicator)
