"""AppTest runs pages against the demo database (a private copy per module)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def app_db(demo_db, tmp_path_factory, monkeypatch_module):
    target = tmp_path_factory.mktemp("app") / "demo.duckdb"
    shutil.copy(demo_db, target)
    monkeypatch_module.setenv("OUTCOMES_DB", str(target))
    return target


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()
