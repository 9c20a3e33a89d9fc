"""A change to the catalogue takes effect on values already stored: `outcomes recompute`
computes them again, and so does the next start of the app or of a writing command; a page
never shows a RAG against an old target."""

from __future__ import annotations

import shutil

import polars as pl
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from metrics import cli, services
from metrics.core.access import Actor, Role
from metrics.core.catalogue import catalogue_dir, load_catalogue
from metrics.store.connection import Store
from tests.conftest import ROOT
from tests.helpers import html_tables

BOARD = Actor(id="t|board", name="Board", roles=frozenset({Role.BOARD}))
CODE = "BH01"  # breastfeeding, high is good


@pytest.fixture
def lowered_target(tmp_path, monkeypatch):
    """A copy of the catalogue in which BH01's target is met in every year."""
    folder = tmp_path / "catalogue"
    shutil.copytree(catalogue_dir(), folder)
    path = folder / "indicators.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["code"] == CODE:
            for target in entry["targets"].values():
                target["value"] = 1.0
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("OUTCOMES_CATALOGUE", str(folder))
    return load_catalogue(folder)


def ratings(db, catalogue) -> dict[str, str]:
    """BH01's RAG by period, as the board's overview reads it for each quarter."""
    with Store(db, read_only=True) as store:
        return dict(
            store.frame(
                "SELECT period, rag FROM indicator_values WHERE indicator_code = ? "
                "AND area_code = ? AND breakdown = 'total'",
                [CODE, catalogue.authority.code],
            ).rows()
        )


def overview_rag(db, catalogue) -> str:
    with Store(db, read_only=True) as store:
        period = services.default_period(BOARD, store)
        table = services.overview(BOARD, store, catalogue, period, on=store.clock.today())
        table = table.indicators
    return table.filter(pl.col("indicator_code") == CODE)["rag"][0]


def test_outcomes_recompute_rates_against_the_changed_target(demo_copy, catalogue, lowered_target):
    before = ratings(demo_copy, catalogue)
    assert set(before.values()) - {"green"}, "the demo has BH01 periods that are not green"
    assert overview_rag(demo_copy, catalogue) == "red"
    # reading alone changes nothing: the stored values stand until recomputed
    assert ratings(demo_copy, catalogue) == before
    assert cli.main(["recompute", "--db", str(demo_copy), "--by", "Data team"]) == 0
    after = ratings(demo_copy, lowered_target)
    assert set(after) == set(before) and set(after.values()) == {"green"}
    assert overview_rag(demo_copy, lowered_target) == "green"
    with Store(demo_copy, read_only=True) as store:
        audit = store.frame(
            "SELECT actor, detail FROM audit_log WHERE action = 'values recomputed' "
            "ORDER BY id DESC LIMIT 1"
        ).row(0, named=True)
        assert audit["actor"] == "operator|Data team" and "asked for" in audit["detail"]
        assert store.info(services.CATALOGUE_FINGERPRINT) == lowered_target.fingerprint()


def test_a_writing_command_recomputes_on_start_once(demo_copy, lowered_target):
    assert cli.main(["users", "list", "--db", str(demo_copy)]) == 0
    assert set(ratings(demo_copy, lowered_target).values()) == {"green"}
    with Store(demo_copy, read_only=True) as store:
        count = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'values recomputed'")
    assert cli.main(["users", "list", "--db", str(demo_copy)]) == 0  # nothing changed since
    with Store(demo_copy, read_only=True) as store:
        again = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'values recomputed'")
    assert again == count


def test_the_app_recomputes_on_start_and_the_overview_shows_the_new_rag(
    demo_copy, lowered_target, monkeypatch
):
    from dashboard import data

    monkeypatch.setenv("OUTCOMES_DB", str(demo_copy))
    data.catalogue.clear()  # the app starts afresh with the changed catalogue
    try:
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
        at.switch_page("views/overview.py").run()
        assert not at.exception, at.exception
    finally:
        data._store(str(demo_copy)).close()  # let this test open the file again
        data.catalogue.clear()  # and the next app start the catalogue as it is
    table = next(t["frame"] for t in html_tables(at) if "Code" in t["head"])
    row = table[table["Code"] == CODE].iloc[0]
    assert row["RAG"].endswith("Green"), row.to_dict()
    assert set(ratings(demo_copy, lowered_target).values()) == {"green"}
