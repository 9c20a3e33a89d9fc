"""The catalogue is data, checked on load with errors that name the file and the entry."""

from __future__ import annotations

import shutil

import pytest

from metrics.core.catalogue import DEFAULT_CATALOGUE_DIR, CatalogueError, load_catalogue


def test_shipped_catalogue_covers_the_plan(catalogue):
    assert len(catalogue.indicators) >= 30
    assert {i.outcome for i in catalogue.indicators} == {o.code for o in catalogue.outcomes}
    assert len({i.group for i in catalogue.indicators}) >= 6
    assert len(catalogue.localities) >= 6
    assert {i.polarity.value for i in catalogue.indicators} == {
        "high_is_good",
        "low_is_good",
        "no_judgement",
    }
    assert {i.kind.value for i in catalogue.indicators} == {"proportion", "rate", "count", "mean"}


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "catalogue"
    shutil.copytree(DEFAULT_CATALOGUE_DIR, target)
    return target


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_bad_field_names_file_entry_and_field(folder):
    _edit(folder / "indicators.yaml", "\n  polarity: high_is_good", "\n  polarity: up_is_good")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(folder)
    message = str(info.value)
    assert "indicators.yaml" in message and "entry 1 ('BH01')" in message
    assert "polarity" in message


def test_unknown_reference(folder):
    _edit(folder / "indicators.yaml", "group: HCP", "group: NOPE")
    with pytest.raises(CatalogueError, match=r"BH01.*unknown group 'NOPE'"):
        load_catalogue(folder)


def test_rate_needs_multiplier(folder):
    _edit(folder / "indicators.yaml", "multiplier: 1000", "multiplier: 7")
    with pytest.raises(CatalogueError, match="multiplier"):
        load_catalogue(folder)


def test_duplicate_code_and_bad_yaml(folder):
    _edit(folder / "groups.yaml", "code: HCP", "code: EYP")
    with pytest.raises(CatalogueError, match="code used twice"):
        load_catalogue(folder)
    _edit(folder / "groups.yaml", "code: EYP\n  name: Healthy", "code: HCP\n  name: Healthy")
    (folder / "areas.yaml").write_text("- code: [unclosed")
    with pytest.raises(CatalogueError, match=r"areas\.yaml"):
        load_catalogue(folder)


def test_population_indicators_and_performance_measures(folder, catalogue):
    measures = {i.measure.value for i in catalogue.indicators}
    assert measures == {"population", "performance"}
    assert all((i.rba is None) == (i.measure.value == "population") for i in catalogue.indicators)
    _edit(
        folder / "indicators.yaml",
        "  measure: performance\n  rba: how well",
        "  measure: performance",
    )
    with pytest.raises(CatalogueError, match="rba"):
        load_catalogue(folder)
