"""The catalogue is data, checked on load with errors that name the file and the entry."""

from __future__ import annotations

import shutil

import pytest

from metrics.core.catalogue import DEFAULT_CATALOGUE_DIR, CatalogueError, load_catalogue
from metrics.core.settings import ROOT


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


def test_every_indicator_names_a_published_source_or_says_why_it_has_none(catalogue):
    without = [i for i in catalogue.indicators if i.published is None]
    assert without, "the catalogue has local measures"
    for ind in catalogue.indicators:
        assert (ind.published is None) != (ind.no_published_source is None), ind.code
    for ind in without:
        assert len(ind.no_published_source.reason) >= 20
    labels = {i.no_published_source.label for i in without}
    assert labels == {"local measure, no national equivalent", "national figures not imported"}


def test_an_indicator_with_neither_a_source_nor_a_reason_is_refused(folder):
    path = folder / "indicators.yaml"
    text = path.read_text()
    start = text.index("  no_published_source:\n")  # MH02's, the first
    end = text.index("- code:", start)
    path.write_text(text[:start] + text[end:])
    with pytest.raises(CatalogueError, match=r"MH02.*published:.*no_published_source"):
        load_catalogue(folder)
    reason = text[start : text.index("\n", text.index("reason:", start))]
    path.write_text(text.replace(reason, "  no_published_source:\n    reason: none", 1))
    with pytest.raises(CatalogueError, match=r"MH02.*at least 20 characters"):
        load_catalogue(folder)


def test_the_readme_lists_every_published_source(catalogue):
    """The README's table of published equivalents names each source's file as the
    catalogue does, and no indicator without one."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| Indicator | Published equivalent |") :]
    table = table[: table.index("\n\n")]
    listed = {line.split()[1]: line for line in table.splitlines()[2:]}
    sources = {i.code: i.published for i in catalogue.indicators if i.published}
    assert set(listed) == set(sources)
    for code, src in sources.items():
        assert f"`{src.file}`" in listed[code], code
