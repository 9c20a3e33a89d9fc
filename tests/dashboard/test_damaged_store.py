"""A database file damaged after the app opened it: every page says so plainly (what is
wrong, and to restore the latest backup) instead of failing with a fault."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from metrics.store.connection import Store, StoreError
from metrics.store.writes.people import set_info
from tests.dashboard.conftest import APP
from tests.metrics.test_store_writers import damaged_copies, one_return_db

pytestmark = pytest.mark.file_only  # a damaged DuckDB file


@pytest.fixture
def damaged_db(tmp_path, catalogue, monkeypatch):
    """A database that opens (its headers are sound) but one of whose blocks of figures is
    damaged, so the first page that reads its figures meets the damage."""
    db = one_return_db(tmp_path, catalogue)
    with Store(db) as store:  # shown as the demo is: with the role switcher, no sign-in
        set_info(store, "demo", "true", actor="test")
        store.record_event(actor="demo", action="demo built")  # as outcomes demo leaves it
    for _, damaged in damaged_copies(db, tmp_path):
        try:
            store = Store(damaged, read_only=True)
        except StoreError:  # the damage must be past the open, in a block the pages read
            continue
        try:
            store.frame("SELECT * FROM indicator_values")
        except StoreError:
            monkeypatch.setenv("OUTCOMES_DB", str(damaged))
            return damaged
        finally:
            store.close()
    pytest.fail("no block of the test database held its figures")


@pytest.mark.parametrize("page", ["overview", "indicator", "trends"])
def test_a_damaged_database_is_a_plain_message_on_every_page(damaged_db, page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    said = " ".join(e.value for e in at.error)
    assert "is damaged" in said and "latest backup" in said, said
