"""Commentary and explanations cannot undo suppression: a return whose commentary quotes a
figure its readers will see withheld, in digits or words, or a rate that gives the count
back with the denominator shown, is refused at check (C22); so is such an explanation at
submit; and the demo writes none."""

from __future__ import annotations

import polars as pl
import pytest

from metrics import services
from metrics.core.access import Actor, Role
from metrics.core.quotes import WithheldCell, giveaways, quoted_figures
from metrics.reports import figures as report_figures
from metrics.store.connection import Store
from tests.helpers import check, csv_bytes, good_return, set_cell

GROUP, PERIOD = "YJS", "2025-26-Q3"


def test_figures_are_read_in_digits_and_words_and_periods_units_and_bounds_are_not():
    said = "Two custodial sentences in 2025-26 Q3 (12.5%, 1,234 aged 10-17); twenty-one in all."
    assert [(q.number, q.decimals, q.percent) for q in quoted_figures(said)] == [
        (2, 0, False),
        (12.5, 1, True),
        (1234, 0, False),
        (10, 0, False),
        (17, 0, False),
        (21, 0, False),
    ]
    assert quoted_figures("fewer than 5; under 10; a rate per 1,000; one of the localities") == []


YOUTH = WithheldCell("YJ01", "N", "total", 3, 27_558, 0.1089, 1000.0, 5, mean=False)


@pytest.mark.parametrize(
    ("text", "gives"),
    [
        ("Three children entered the system.", True),
        ("0.11 per 1,000 aged 10-17 in 2026-27-Q1", True),  # 2.9 to 3.2 children: 3
        ("about 0.1 per 1,000", True),  # 1.4 to 4.1 children: small, whichever
        ("0.0109%", True),  # a percentage of the same denominator
        ("fewer than 5 children", False),
        ("1 per 1,000 in England", False),  # 14 to 41 children: not this cell
        ("27,558 children aged 10-17", False),  # the denominator is shown anyway
    ],
)
def test_a_count_or_a_rate_that_gives_it_back(text, gives):
    assert bool(giveaways(text, [YOUTH])) is gives


def test_a_mean_over_few_children_is_given_back_by_its_value():
    mean = WithheldCell("KS01", "N", "total", 3, 3, 46.2, 1.0, 5, mean=True)
    assert giveaways("Average score 46.2 across three pupils", [mean])
    assert not giveaways("Average score 50 in England", [mean])


def _small_locality(frame: pl.DataFrame, code: str) -> int:
    """A locality row of ``code`` whose count is small (withheld from readers)."""
    counts = frame["numerator"].cast(pl.Float64, strict=False)
    rows = [
        i
        for i, (c, area, n) in enumerate(
            zip(frame["indicator_code"], frame["area_code"], counts, strict=True)
        )
        if c == code and area.startswith("E05") and n is not None and 1 <= n < 5
    ]
    assert rows, f"no small count of {code} in the demo's {GROUP} {PERIOD}"
    return rows[0]


@pytest.mark.parametrize("form", ["digits", "words", "rate"])
def test_commentary_quoting_a_withheld_count_is_refused_at_check(catalogue, form):
    frame = good_return(catalogue, GROUP, PERIOD)
    row = _small_locality(frame, "YJ01")
    count = int(float(frame["numerator"][row]))
    denominator = float(frame["denominator"][row])
    youth = catalogue.indicator["YJ01"]
    said = {
        "digits": f"{count} custodial sentences this quarter.",
        "words": f"{['', 'One', 'Two', 'Three', 'Four'][count]} custodial sentences.",
        "rate": f"{count / denominator * youth.multiplier:.{youth.decimals}f} {youth.unit}.",
    }[form]
    report = check(catalogue, set_cell(frame, row, "commentary", said), GROUP, PERIOD)
    found = [f for f in report.findings if f.rule == "C22"]
    assert [(f.row, f.column) for f in found] == [(row + 2, "commentary")], report.findings
    assert "withheld" in found[0].message and "fewer than 5" in found[0].message
    assert report.observations is None  # an error: nothing can be submitted

    safe = set_cell(frame, row, "commentary", "Fewer than 5 custodial sentences this quarter.")
    assert "C22" not in {f.rule for f in check(catalogue, safe, GROUP, PERIOD).findings}


def test_an_explanation_quoting_a_withheld_count_is_refused_at_submit(tmp_path, catalogue):
    frame = good_return(catalogue, GROUP, PERIOD)
    row = _small_locality(frame, "YJ01")
    count = int(float(frame["numerator"][row]))
    lead = Actor(id="t|lead", name="Lead", roles=frozenset({Role.LEAD}), groups=frozenset({GROUP}))
    with Store(tmp_path / "e.duckdb") as store:
        checked = services.check_return(
            lead,
            store,
            catalogue,
            group=GROUP,
            period=PERIOD,
            data=csv_bytes(frame),
            file_name="r.csv",
        )
        key = f"W01|YJ01 {frame['area_code'][row]} total|numerator"
        with pytest.raises(services.TextRefused, match="gives back a figure of YJ01"):
            services.submit_return(
                lead, store, catalogue, checked, explanations={key: f"Only {count} this time."}
            )
        assert store.scalar("SELECT count(*) FROM submissions") == 0
        result = services.submit_return(
            lead, store, catalogue, checked, explanations={key: "Fewer than 5 this time."}
        )
    assert result.status == "accepted"


def test_the_demo_writes_no_commentary_that_gives_a_withheld_figure_back(demo_db, catalogue):
    """Over every commentary stored in the demo: none quotes a figure that a reader without
    view-unsuppressed sees withheld (as the pages withhold it, across versions)."""
    with Store(demo_db, read_only=True) as store:
        codes = [i.code for i in catalogue.indicators]
        marks = report_figures.suppression_marks(store, catalogue, codes).filter(
            pl.col("suppression").is_not_null()
        )
        assert marks.height > 0  # the demo has small numbers to protect
        values = store.frame("SELECT * FROM indicator_values").join(
            marks.select("indicator_code", "period", "area_code", "breakdown"),
            on=["indicator_code", "period", "area_code", "breakdown"],
        )
        texts = store.frame("SELECT indicator_code, period, text FROM commentary")
    cells: dict[tuple[str, str], list[WithheldCell]] = {}
    for r in values.iter_rows(named=True):
        ind = catalogue.indicator[r["indicator_code"]]
        mean = ind.kind.value == "mean"
        cells.setdefault((ind.code, r["period"]), []).append(
            WithheldCell(
                ind.code,
                r["area_code"],
                r["breakdown"],
                r["denominator"] if mean else r["numerator"],
                r["denominator"],
                r["value"],
                float(ind.multiplier),
                ind.suppression_threshold,
                mean=mean,
            )
        )
    given = [
        (code, period, text)
        for code, period, text in texts.iter_rows()
        if giveaways(text, cells.get((code, period), []))
    ]
    assert texts.height > 100 and given == []
