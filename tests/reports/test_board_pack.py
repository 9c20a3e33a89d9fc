"""The board pack for a demo meeting, printed to PDF by Debian's Chromium: its pages, a
section for every exception indicator, the figures as they stood at the meeting's data
cut-off even after a later resubmission, and an accessible document (tagged, titled, in a
language, every figure with alternative text). Pictures of its first pages are saved."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from datetime import datetime, timedelta

import polars as pl
import pytest
from pypdf import PdfReader

from metrics import services as acc
from metrics.core.access import Actor, Role
from metrics.core.clock import FixedClock
from metrics.core.formatting import figure
from metrics.reports import board as board_rules
from metrics.reports import figures as report_figures
from metrics.services import check_return, submit_return
from metrics.store.connection import Store
from tests.conftest import ROOT
from tests.helpers import csv_bytes, good_return

pytestmark = pytest.mark.browser  # Chromium prints the PDF

BOARD = Actor(id="t|board", name="Board member", roles=frozenset({Role.BOARD}))
ARTIFACTS = ROOT / "test-artifacts" / "board-pack"


def structure(node, found: list) -> list:
    """Every structure element's type and alternative text, depth first."""
    node = node.get_object()
    if hasattr(node, "get"):
        if node.get("/S") is not None:
            found.append((str(node["/S"]), node.get("/Alt")))
        kids = node.get("/K")
        if kids is not None:
            kids = kids.get_object()
            for kid in kids if isinstance(kids, list) else [kids]:
                if hasattr(kid, "get_object"):
                    structure(kid, found)
    return found


@pytest.fixture(scope="module")
def pack(demo_db, catalogue, tmp_path_factory):
    """A meeting over a copy of the demo, a resubmission after its cut-off, then its pack."""
    folder = tmp_path_factory.mktemp("pack")
    db = folder / "demo.duckdb"
    shutil.copy(demo_db, db)
    with Store(db, clock=FixedClock(datetime(2026, 11, 23, 10))) as store:
        cut_off = store.clock.now() - timedelta(minutes=1)
        meeting = acc.add_meeting(
            BOARD,
            store,
            held_on=store.clock.today(),
            kind="mid-year review",
            title="Partnership board",
            reports_to=["Health and Wellbeing Board"],
            cut_off=cut_off,
        )
        then = report_figures.indicator_table(store, catalogue, _period(store), concealed=False)
        then = report_figures.with_benchmarks(
            then, store, catalogue, _period(store), concealed=False
        )
        listed = board_rules.exception_list(
            store, catalogue, then, _period(store), on=store.clock.today()
        )
        exceptions = listed.filter(pl.col("listed"))
        # after the cut-off, a group resubmits the quarter of one of its exception indicators
        changed = exceptions.filter(pl.col("period").str.contains("Q")).row(0, named=True)
        group = catalogue.indicator[changed["indicator_code"]].group
        lead = Actor(
            id="t|lead", name="Lead", roles=frozenset({Role.LEAD}), groups=frozenset({group})
        )
        corrected = good_return(catalogue, group, changed["period"]).with_columns(
            numerator=pl.when(pl.col("indicator_code") == changed["indicator_code"])
            .then(
                (pl.col("numerator").cast(pl.Float64) * 0.8).round(0).cast(pl.Int64).cast(pl.String)
            )
            .otherwise(pl.col("numerator"))
        )
        checked = check_return(
            lead,
            store,
            catalogue,
            group=group,
            period=changed["period"],
            data=csv_bytes(corrected),
            file_name="again.csv",
        )
        explanations = {f.key: "Checked with the service." for f in checked.report.warnings}
        store.clock.advance(minutes=5)  # resubmitted after the cut-off
        result = submit_return(lead, store, catalogue, checked, explanations=explanations)
        assert result.status == "accepted", result.message
        now = report_figures.indicator_table(store, catalogue, _period(store), concealed=False)
        pdf = acc.board_pack(BOARD, store, catalogue, meeting, format="pdf")
    path = folder / "pack.pdf"
    path.write_bytes(pdf)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / "board_pack.pdf")
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "6", str(path), ARTIFACTS / "page"],
        check=True,
    )
    return {"pdf": path, "then": then, "now": now, "exceptions": exceptions, "changed": changed}


def _period(store) -> str:
    return report_figures.default_period(store)


def text_of(path) -> str:
    """The PDF's text, with the font's ligatures (ﬀ, ﬁ) read as their letters."""
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return unicodedata.normalize("NFKC", text)


def test_pages_numbered_and_every_exception_has_its_section(pack, catalogue):
    reader = PdfReader(pack["pdf"])
    pages = len(reader.pages)
    text = text_of(pack["pdf"])
    assert pages >= 4 + pack["exceptions"].height  # cover, contents, summary, ...
    assert re.search(rf"page\s+{pages}\s+of\s+{pages}", text) and re.search(r"page\s+1\s+of", text)
    assert "OFFICIAL" in text and "Partnership board" in text
    for n, code in enumerate(pack["exceptions"]["indicator_code"], start=1):
        title = catalogue.indicator[code].title
        words = r"\s+".join(re.escape(w) for w in title.split()[:3])  # a heading may wrap
        assert re.search(rf"{n}\.\s+{code}\s+{words}", text), code
    assert (ARTIFACTS / "page-1.png").exists() or (ARTIFACTS / "page-01.png").exists()


def test_figures_are_those_at_the_cut_off_not_the_resubmission(pack, catalogue):
    text = text_of(pack["pdf"])
    sections = re.split(r"\n\d+\. (?=[A-Z]{2}\d{2} )", text)
    by_code = {s[:4]: s for s in sections[1:]}
    differs = 0
    for row in pack["exceptions"].iter_rows(named=True):
        ind = catalogue.indicator[row["indicator_code"]]
        # the section's "at a glance" table: the figure, target, RAG, change, owner
        glance = by_code[ind.code].split("at a glance", 1)[1].split("Chart:", 1)[0]
        then = figure(row["value"], ind.decimals, ind.unit)
        assert then in glance, (ind.code, then, glance)
        later = pack["now"].filter(pl.col("indicator_code") == ind.code).row(0, named=True)
        if later["value"] != row["value"]:
            differs += 1
            assert figure(later["value"], ind.decimals, ind.unit) not in glance
    assert differs >= 1  # the resubmission did change a figure the pack shows


def test_the_pdf_is_an_accessible_document(pack):
    reader = PdfReader(pack["pdf"])
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])  # tagged
    assert str(root["/Lang"]) == "en-GB"
    assert reader.metadata.title.startswith("Board pack: Partnership board")
    tags = structure(root["/StructTreeRoot"], [])
    kinds = {kind for kind, _ in tags}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/Caption"} <= kinds
    figures = [alt for kind, alt in tags if kind == "/Figure"]
    assert len(figures) == pack["exceptions"].height  # one chart per exception indicator
    assert all(alt and str(alt).endswith(".") for alt in figures), figures
    assert any("went from" in str(alt) for alt in figures)


def test_a_deep_dive_is_saved_listed_and_made(demo_db, catalogue, tmp_path):
    """A deep dive on a plan priority, for the safeguarding partnership, with localities and
    a breakdown: saved, listed, and made as an accessible PDF with a section per indicator;
    a scrutiny member's copy has c where the board's has the small number."""
    shutil.copy(demo_db, tmp_path / "d.duckdb")
    scrutiny = Actor(id="t|s", name="Councillor", roles=frozenset({Role.SCRUTINY}))
    with Store(tmp_path / "d.duckdb") as store:
        dive = acc.add_deep_dive(
            BOARD,
            store,
            catalogue,
            title="Youth justice <review>",
            audience="Safeguarding Children Partnership",
            priority="youth",
            areas=[a.code for a in catalogue.localities],
            breakdowns=["sex"],
            narrative="First-time entrants rose in two localities.\nWhy, and what works?",
        )
        listed = acc.deep_dives(scrutiny, store)  # newest first, after the demo's own
        assert listed["title"][0] == "Youth justice <review>" and listed["id"][0] == dive
        html = acc.deep_dive_report(BOARD, store, catalogue, dive, format="html").decode()
        hidden = acc.deep_dive_report(scrutiny, store, catalogue, dive, format="html").decode()
        pdf = acc.deep_dive_report(BOARD, store, catalogue, dive, format="pdf")
    codes = [i.code for i in catalogue.indicators if "youth" in i.priorities]
    assert all(f'id="{c}"' in html for c in codes)
    assert "Youth justice &lt;review&gt;" in html and "<review>" not in html
    assert "by area" in html and "Safeguarding Children Partnership" in html
    assert hidden.count(">c<") > html.count(">c<")  # small numbers withheld from scrutiny
    path = tmp_path / "dive.pdf"
    path.write_bytes(pdf)
    reader = PdfReader(path)
    assert str(reader.trailer["/Root"]["/Lang"]) == "en-GB"
    assert reader.metadata.title == "Deep dive: Youth justice <review>"
    figures = [
        alt
        for kind, alt in structure(reader.trailer["/Root"]["/StructTreeRoot"], [])
        if kind == "/Figure"
    ]
    assert len(figures) == len(codes) and all(figures)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / "deep_dive.pdf")
