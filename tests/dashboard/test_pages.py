"""Every page runs on the demo database and shows what the store holds."""

from __future__ import annotations

import json
import re
import statistics

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.core.formatting import figure
from metrics.core.periods import Quarter, period_label
from metrics.store.connection import Store
from tests.conftest import ROOT
from tests.dashboard.conftest import APP
from tests.helpers import html_tables


def page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, at.exception
    return at


def url(at: AppTest, key: str) -> list[str]:
    """A URL parameter's values (AppTest gives one value as a string)."""
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def frame_with(at: AppTest, column: str):
    frames = [e.value for e in list(at.dataframe) + list(at.table)]
    frames += [t["frame"] for t in html_tables(at)]
    for value in frames:
        if column in value.columns or column == value.index.name:
            return value
    raise AssertionError(f"no table with column {column!r}")


def as_at(db, catalogue, quarter: str) -> pl.DataFrame:
    """Each indicator's RAG and direction as reported by the end of ``quarter``, computed
    here in SQL independently of metrics.reports.figures."""
    with Store(db, read_only=True) as store:
        return store.frame(
            """
            SELECT v.indicator_code,
                   arg_max(v.rag, v.period_order) AS rag,
                   arg_max(v.change_previous, v.period_order) AS change
            FROM indicator_values v JOIN submissions s ON s.id = v.submission_id
            WHERE v.area_code = ? AND v.breakdown = 'total' AND s.period <= ?
            GROUP BY 1
            """,
            [catalogue.authority.code, quarter],
        )


def test_overview_rag_counts_match_the_store(app_db, demo_db, catalogue):
    at = page("overview")
    quarter = catalogue.last_demo_quarter().code  # the latest complete quarter today
    assert at.selectbox(key="url_period").value == quarter
    expected = as_at(demo_db, catalogue, quarter).with_columns(
        outcome=pl.col("indicator_code").replace_strict(
            {i.code: catalogue.outcome[i.outcome].title for i in catalogue.indicators}
        )
    )
    counts = expected.group_by("outcome").agg(
        green=(pl.col("rag") == "green").sum(),
        amber=(pl.col("rag") == "amber").sum(),
        red=(pl.col("rag") == "red").sum(),
    )
    shown = frame_with(at, "Indicators")  # the summary by outcome (its first tab)
    assert shown["Indicators"].sum() == len(catalogue.indicators)
    for row in counts.iter_rows(named=True):
        line = shown[shown["Outcome"] == row["outcome"]].iloc[0]
        assert (line["Green"], line["Amber"], line["Red"]) == (
            row["green"],
            row["amber"],
            row["red"],
        ), row["outcome"]
    assert frame_with(at, "Plan priority")["Indicators"].sum() == sum(
        len(i.priorities) for i in catalogue.indicators
    )


def test_overview_exceptions_and_returns(app_db, demo_db, catalogue):
    at = page("overview")
    exceptions = [s.value for s in at.subheader]
    period = catalogue.last_demo_quarter().code
    with Store(demo_db, read_only=True) as store:  # what the demo's board took off the list
        excluded = store.frame(
            "SELECT indicator_code FROM exception_decisions WHERE period = ? "
            "AND decision = 'exclude'",
            [period],
        )["indicator_code"].to_list()
    reds = as_at(demo_db, catalogue, period).filter(pl.col("rag") == "red")["indicator_code"]
    shown = {code for code in reds if any(s.startswith(code + " ") for s in exceptions)}
    assert excluded and shown == set(reds) - set(excluded)
    status = frame_with(at, "Status")
    assert status.loc["Youth Justice Partnership Board", "Status"] == "Late"
    assert (status["Status"] == "Submitted").sum() >= 6
    table = frame_with(at, "Title")
    assert len(table) == len(catalogue.indicators)


def test_overview_period_from_the_url(app_db, demo_db):
    at = page("overview", period="2024-25-Q2")
    assert at.selectbox(key="url_period").value == "2024-25-Q2"
    table = frame_with(at, "Title")
    assert set(table["Period"]) <= {"2024-25 Q2 (Jul–Sep)", "2023-24", "2022-23", "–"}


def test_indicator_page(app_db, demo_db, catalogue):
    at = page("indicator", code="ED01", period="2025-26-Q3")
    assert at.title[0].value.startswith("ED01 ")
    with Store(demo_db, read_only=True) as store:
        periods = store.frame(
            "SELECT period FROM indicator_values WHERE indicator_code = 'ED01' "
            "AND area_code = ? AND breakdown = 'total' ORDER BY period_order",
            [catalogue.authority.code],
        )["period"].to_list()
    assert list(frame_with(at, "95% interval")["Period"]) == [period_label(p) for p in periods]
    with pytest.raises(AssertionError):  # too few yearly figures to forecast from
        frame_with(at, "Baseline forecast")
    assert at.selectbox(key="url_area_period").value == "2024-25"  # reported in 2025-26 Q3
    assert len(frame_with(at, "Locality")) == len(catalogue.localities)
    gap = frame_with(at, "Gap (Disadvantaged minus All other pupils)")
    assert gap["Gap (Disadvantaged minus All other pupils)"].str.match(r"^−\d+\.\d pts$").all()
    assert [h.value for h in at.header] == [
        "Trend",
        "Localities",
        "Compared with England and all authorities",
        "Groups of children",
        "Commentary",
        "Challenges",
    ]


def test_indicator_page_turns_the_curve(app_db, demo_db):
    at = page("indicator", code="BH05")
    curve = frame_with(at, "Baseline forecast")
    with Store(demo_db, read_only=True) as store:
        last = store.scalar(
            "SELECT max_by(period, period_order) FROM indicator_values "
            "WHERE indicator_code = 'BH05' AND breakdown = 'total'"
        )
    following = [Quarter.parse(last).shift(n).label for n in range(1, 5)]
    assert list(curve["Period"]) == following
    assert all(" to " in cell for cell in curve["95% prediction interval"])


def test_submit_page_lists_template_and_history(app_db, demo_db, catalogue):
    at = page("submit", group="SCP", quarter="2024-25-Q3", **{"as": "lead:SCP"})
    assert "rows are due" in at.markdown[1].value
    history = frame_with(at, "Submission")
    with Store(demo_db, read_only=True) as store:
        n = store.scalar("SELECT count(*) FROM submissions WHERE group_code = 'SCP'")
    assert len(history) == n
    assert "Rejected" in set(history["Status"])


def test_quality_page_counts(app_db, demo_db):
    at = page("quality")
    with Store(demo_db, read_only=True) as store:
        by_rule = dict(store.frame("SELECT rule, count(*) FROM findings GROUP BY 1").rows())
    shown = frame_with(at, "Rule")
    assert dict(zip(shown["Rule"], shown["Findings"], strict=True)) == by_rule


@pytest.mark.parametrize("name", ["trends", "catalogue", "guide", "accessibility"])
def test_reading_pages(app_db, demo_db, catalogue, name):
    at = page(name, outcome="safe", code="SS01")
    if name == "trends":
        assert at.selectbox(key="url_code").value == "SS01"
        table = frame_with(at, "Area")  # by default the authority and two localities
        assert set(table["Area"]) == {a.name for a in catalogue.areas[:3]}
        assert not at.button  # nothing on the page writes
    elif name == "guide":
        rules = frame_with(at, "Rule")
        assert {"C08", "H02", "W01"} <= set(rules["Rule"])
    elif name == "accessibility":
        assert at.title[0].value == "Accessibility statement"
    else:
        assert len(at.header) == 5


def test_overview_shows_benchmarks_significance_and_trend(app_db, demo_db, catalogue):
    at = page("overview", columns="all")
    table = frame_with(at, "Title").set_index("Code")
    with Store(demo_db, read_only=True) as store:
        england = store.frame(
            "SELECT indicator_code, arg_max(value, period) AS value FROM published_values "
            "WHERE level = 'national' GROUP BY 1"
        )
    assert set(england["indicator_code"]) == {
        i.code for i in catalogue.indicators if i.published is not None
    }
    with Store(demo_db, read_only=True) as store:
        for code in england["indicator_code"]:
            year = table.loc[code, "Published year"].removesuffix(" (latest)")
            value = store.scalar(
                "SELECT value FROM published_values WHERE level = 'national' "
                "AND indicator_code = ? AND period = ?",
                [code, year],
            )
            d = catalogue.indicator[code].decimals
            shown = str(table.loc[code, "England"]).rstrip("%").replace(",", "")
            assert float(shown) == pytest.approx(value, abs=10**-d / 2), code
            assert table.loc[code, f"Neighbours ({catalogue.settings.neighbour_average})"] != "–"
            assert table.loc[code, "Compared with England"] != ""
            assert table.loc[code, "England (99.8%)"] != ""
            assert table.loc[code, "Compared with neighbours"] != ""
            if catalogue.indicator[code].period_type.value == "financial_quarter":
                # the demo's last quarter is later than anything published
                assert table.loc[code, "Published year"].endswith(" (latest)"), code
    assert set(table["Recent trend"]) <= {
        "increasing and getting better",
        "increasing and getting worse",
        "decreasing and getting better",
        "decreasing and getting worse",
        "increasing",
        "decreasing",
        "no significant change",
        "cannot be calculated",
    }
    assert "no significant change" in set(table["Recent trend"])


def test_overview_for_an_earlier_quarter_uses_that_years_published_figures(
    app_db, demo_db, catalogue
):
    at = page("overview", period="2023-24-Q4", columns="all")
    table = frame_with(at, "Title").set_index("Code")
    with Store(demo_db, read_only=True) as store:
        for code, year in (("SS01", "2023-24"), ("CC01", "2023-24"), ("BH05", "2023-24")):
            value = store.scalar(
                "SELECT value FROM published_values WHERE level = 'national' "
                "AND indicator_code = ? AND period = ?",
                [code, year],
            )
            assert table.loc[code, "Published year"] == year
            d = catalogue.indicator[code].decimals
            shown = str(table.loc[code, "England"]).rstrip("%")
            assert float(shown) == pytest.approx(value, abs=10**-d / 2)


def _published_authorities(demo_db, code: str) -> int:
    with Store(demo_db, read_only=True) as store:
        return store.scalar(
            "SELECT count(*) FROM published_values WHERE indicator_code = ? AND "
            "level = 'local authority' AND value IS NOT NULL AND period = "
            "(SELECT max(period) FROM published_values WHERE indicator_code = ?)",
            [code, code],
        )


def test_indicator_page_spine_and_funnel(app_db, demo_db, catalogue):
    at = page("indicator", code="SS01", period="2024-25-Q4")  # low is good: ranked, banded
    headers = [h.value for h in at.header]
    assert "Compared with England and all authorities" in headers
    assert "Funnel plot" in [s.value for s in at.subheader]
    spine = frame_with(at, "Measure").set_index("Measure")
    with Store(demo_db, read_only=True) as store:
        england = store.scalar(
            "SELECT value FROM published_values WHERE level = 'national' "
            "AND indicator_code = 'SS01' AND period = '2024-25'"
        )
    assert float(spine.loc["England", "Value"].rstrip("%")) == pytest.approx(england, abs=0.05)
    assert "Westmere, 2024-25 Q4 (Jan–Mar)" in spine.index
    trend = frame_with(at, "Published year").set_index("Period")
    assert trend.loc["2024-25 Q4 (Jan–Mar)", "Published year"] == "2024-25"
    assert trend.loc["2025-26 Q1 (Apr–Jun)", "Published year"] == "2024-25 (latest published)"
    authorities = _published_authorities(demo_db, "SS01")
    rank, of = spine.loc["Rank among authorities", "Value"].split(" of ")
    assert int(of) == authorities + 1 and 1 <= int(rank) <= authorities + 1
    assert spine.loc["Quartile band", "Value"] in {"A", "B", "C", "D"}
    localities = frame_with(at, "Against the authority (99.8% limits)")
    assert set(localities["Against the authority (99.8% limits)"]) <= {
        "● Better",
        "● Worse",
        "○ Similar",
    }


def test_indicator_with_no_better_direction_is_neither_ranked_nor_banded(app_db):
    at = page("indicator", code="CC01")  # children looked after: no judgement
    spine = frame_with(at, "Measure").set_index("Measure")
    assert spine.loc["Rank among authorities", "Value"] == "not ranked: no better direction"
    assert spine.loc["Quartile band", "Value"] == "–"
    assert "Lowest authority" in spine.index and "Highest authority" in spine.index
    localities = frame_with(at, "Against the authority (99.8% limits)")
    assert set(localities["Against the authority (99.8% limits)"]) <= {
        "▲ Higher",
        "▼ Lower",
        "○ Similar",
    }


def test_overview_labels_population_indicators_and_performance_measures(app_db, catalogue):
    at = page("overview", columns="all")
    table = frame_with(at, "Measure")
    population = {i.code for i in catalogue.indicators if i.rba is None}
    shown = dict(zip(table["Code"], table["Measure"], strict=True))
    assert {c for c, m in shown.items() if m == "Population indicator"} == population
    assert shown["SS03"] == "Performance measure: How well did we do it?"
    owner = dict(zip(table["Code"], table["Group"], strict=True))
    assert owner["BH02"].startswith("The partnership (reported by ")
    at.button_group(key="url_measure").set_value(["performance"]).run()
    assert url(at, "measure") == ["performance"]
    only = frame_with(at, "Measure")
    assert set(only["Measure"]) != {"Population indicator"} and len(only) == 41 - len(population)


def test_a_lead_sets_the_groups_forecast_beside_the_baseline(app_db):
    at = page("indicator", code="BH05", **{"as": "lead:HCP"})
    next(n for n in at.number_input if n.label.startswith("Forecast")).set_value(93.0)
    next(t for t in at.text_input if t.label.startswith("Why")).input("Catch-up clinics")
    next(b for b in at.button if b.label == "Save the forecast").click().run()
    assert not at.exception, at.exception
    curve = frame_with(at, "The group's forecast")
    assert curve["The group's forecast"].iloc[0] == "93.0%"
    assert curve["Their reason"].iloc[0].startswith("Catch-up clinics (by ")
    board = page("indicator", code="BH05", **{"as": "board"})
    assert not any(b.label == "Save the forecast" for b in board.button)
    assert frame_with(board, "The group's forecast")["The group's forecast"].iloc[0] == "93.0%"


def test_overview_filters_come_from_the_url_and_go_back_to_it(app_db, demo_db, catalogue):
    quarter = catalogue.last_demo_quarter().code
    rags = dict(as_at(demo_db, catalogue, quarter).select("indicator_code", "rag").iter_rows())
    under = {i.code for i in catalogue.indicators if "best_start" in i.priorities}
    expected = {c for c in under if rags.get(c) == "red"}
    assert expected, "the demo should have a red indicator under 'Best start in life'"
    at = page("overview", priority="best_start", rag="red")
    assert set(frame_with(at, "Title")["Code"]) == expected
    assert at.multiselect(key="url_rag").value == ["red"]
    # the one-click view of the red indicators under each priority that has any
    links = {e.proto.label: e.proto.query_string for e in at.get("page_link")}
    assert links[f"{len(expected)} red under 'Best start in life'"].endswith(
        "priority=best_start&rag=red"
    )
    # changing a filter writes it to the URL, as codes
    at.multiselect(key="url_group").set_value(["HCP"]).run()
    assert url(at, "group") == ["HCP"]
    assert set(frame_with(at, "Title")["Code"]) == {
        c for c in expected if catalogue.indicator[c].group == "HCP"
    }


def test_an_unknown_filter_in_a_link_is_noted_and_left_out(app_db, catalogue):
    at = page("overview", outcome="nonsense")
    assert any("cannot show" in i.value for i in at.info)
    assert len(frame_with(at, "Title")) == len(catalogue.indicators)
    assert "outcome" not in at.query_params


def test_accessibility_statement_says_what_the_regulations_ask_and_is_true(app_db, catalogue):
    at = page("accessibility")
    text = "\n".join(m.value for m in at.markdown).replace("\\", "")  # Markdown escapes
    for heading in (
        "## How accessible this dashboard is",
        "## Feedback and contact information",
        "## Enforcement procedure",
        "### Compliance status",
        "### Non-accessible content",
        "## How we tested this dashboard",
        "## Preparation of this accessibility statement",
    ):
        assert heading in text
    contact = catalogue.settings.accessibility
    assert "partially compliant" in text and "Equality Advisory and Support Service" in text
    assert f"{contact.prepared:%d %B %Y}" in text and contact.email in text
    # the axe-core release it names is the one the browser tests run
    makefile = (ROOT / "Makefile").read_text()
    axe = re.search(r"^AXE_VERSION := (\S+)$", makefile, re.M).group(1)
    assert f"axe-core\n{axe}" in text or f"axe-core {axe}" in text


def test_the_overview_opens_on_the_key_columns_and_shows_every_one_on_request(app_db):
    from metrics.reports.overview import KEY_COLUMNS

    key = frame_with(page("overview"), "Title")
    assert list(key.columns) == list(KEY_COLUMNS)
    every = frame_with(page("overview", columns="all"), "Title")
    assert set(KEY_COLUMNS) < set(every.columns) and len(every.columns) > 20
    assert (every[list(KEY_COLUMNS)] == key[list(KEY_COLUMNS)]).all().all()


@pytest.mark.parametrize("code", ["SS01", "ED01"])
def test_the_indicator_page_opens_with_its_headline_as_the_overview_shows_it(app_db, code):
    row = frame_with(page("overview", columns="all"), "Title").set_index("Code").loc[code]
    at = page("indicator", code=code, **{"as": "board"})
    shown = {m.label: m.value for m in at.metric}
    assert shown == {
        "Latest figure": row["Value"],
        "Target for the year": row["Target"],
        "RAG": row["RAG"],
        "Since the period before": row["Since last period"],
        "England": row["England"],
    }
    assert row["Period"] in at.caption[0].value
    # the board's challenge is one click from the headline: the page's first link
    first = at.get("page_link")[0].proto
    assert first.label == "Challenge the group on this indicator"
    assert first.query_string == f"indicator={code}"
    scrutiny = page("indicator", code=code, **{"as": "scrutiny"})
    assert "Challenge the group on this indicator" not in {
        e.proto.label for e in scrutiny.get("page_link")
    }


def test_every_indicator_with_a_published_equivalent_is_compared(app_db, catalogue):
    """On the demo, each indicator the catalogue maps to a published source shows England
    and the neighbours on the overview and on its own page; the others show neither."""
    published = {i.code for i in catalogue.indicators if i.published is not None}
    assert len(published) >= 25
    table = frame_with(page("overview", columns="all"), "Title").set_index("Code")
    neighbours = next(c for c in table.columns if c.startswith("Neighbours"))
    shown = {
        code
        for code in table.index
        if table.loc[code, "England"] != "–" and table.loc[code, neighbours] != "–"
    }
    assert shown == published
    for code in sorted(published):
        trend = frame_with(page("indicator", code=code), "Published year")
        columns = [c for c in trend.columns if c == "England" or c.startswith("Neighbours")]
        assert len(columns) == 2, code
        for column in columns:
            assert (trend[column] != "–").any(), (code, column)


def test_the_indicator_page_names_the_ten_neighbours(app_db, demo_db, catalogue):
    at = page("indicator", code="CC01")
    table = frame_with(at, "Quartile band")
    assert len(table) == 10
    with Store(demo_db, read_only=True) as store:
        period = store.scalar(
            "SELECT max(period) FROM published_values WHERE indicator_code = 'CC01' "
            "AND level = 'local authority'"
        )
        named = store.frame(
            "SELECT p.area_name, p.value FROM neighbours n JOIN published_values p "
            "ON p.old_la_code = n.neighbour_old_la_code WHERE n.old_la_code = ? "
            "AND p.indicator_code = 'CC01' AND p.period = ? AND p.level = 'local authority' "
            "ORDER BY n.rank",
            [catalogue.settings.home_old_la_code, period],
        )
    assert list(table["Authority"]) == named["area_name"].to_list()
    assert "Gateshead" in set(table["Authority"])  # Darlington's neighbours, as stated
    caption = " ".join(c.value for c in at.caption)
    median = statistics.median(named["value"].to_list())
    assert f"median of the 10 with a published figure: {median:.1f}" in caption


def test_chart_tables_are_real_tables_with_captions_and_header_scopes(app_db):
    at = page("indicator", code="SS01")
    found = html_tables(at)
    charts = [t for t in found if t["caption"].endswith(": the figures")]
    assert len(charts) >= 4  # trend, forecast, localities, funnel, spine ...
    for t in found:
        assert t["caption"] and t["rows"]
        assert t["scopes"] and set(t["scopes"]) <= {"col", "row"}
        assert t["scopes"].count("row") == len(t["rows"])  # each row has its header cell


def test_scrutiny_compares_with_similar_authorities_on_trends(app_db, demo_db, catalogue):
    ind = catalogue.indicator["CC01"]
    at = page("trends", outcome=ind.outcome, code="CC01", **{"as": "scrutiny"})
    table = next(t["frame"] for t in html_tables(at) if "similar authorities" in t["caption"])
    areas = set(table["Area"])
    assert "England" in areas and "Neighbours (median)" in areas
    with Store(demo_db, read_only=True) as store:
        named = store.frame(
            "SELECT DISTINCT p.area_name FROM neighbours n JOIN published_values p ON "
            "p.old_la_code = n.neighbour_old_la_code WHERE p.indicator_code = 'CC01' "
            "AND n.old_la_code = ?",
            [catalogue.settings.home_old_la_code],
        )["area_name"].to_list()
    assert len(named) == 10 and set(named) <= areas
    said = " ".join(c.value for c in at.caption)  # the sentence under the chart
    assert "England" in said and "neighbours (median)" in said
    # our own figures beside them: for a quarterly indicator, each year's latest quarter
    ours = pl.from_pandas(table).filter(pl.col("Area").str.starts_with(catalogue.authority.name))
    assert ours.height >= 2 and set(ours["Area"]) == {
        f"{catalogue.authority.name} (each year's latest quarter)"
    }
    with Store(demo_db, read_only=True) as store:
        expected = store.frame(
            "SELECT left(period, 7) AS year, arg_max(value, period) AS value "
            "FROM indicator_values WHERE indicator_code = 'CC01' AND area_code = ? "
            "AND breakdown = 'total' GROUP BY 1",
            [catalogue.authority.code],
        )
    for row in ours.iter_rows(named=True):
        year = next(y for y in expected["year"] if period_label(y) == row["Period"])
        value = expected.filter(pl.col("year") == year)["value"][0]
        shown = figure(value, ind.decimals, ind.unit)
        assert float(str(row["Value"]).replace(",", "")) == float(shown.replace(",", ""))
    # a neighbour picked is drawn in its own colour, our line thick and blue
    highlight = next(s for s in at.selectbox if s.label == "Highlight a neighbour")
    highlight.set_value(named[0]).run()
    chart = at.get("plotly_chart")[-1].proto
    drawn = {t["name"]: t["line"] for t in json.loads(chart.spec)["data"]}
    assert drawn[named[0]]["color"] == "#E69F00" and drawn[named[1]]["width"] == 1
    assert drawn[next(iter(set(ours["Area"])))]["width"] == 4
    # an indicator with no published equivalent says so, and why
    other = next(
        i
        for i in catalogue.indicators
        if i.no_published_source and not i.no_published_source.published_elsewhere
    )
    at = page("trends", outcome=other.outcome, code=other.code, **{"as": "scrutiny"})
    said = [i.value for i in at.info if "Local measure, no national equivalent" in i.value]
    assert said and other.no_published_source.reason.rstrip(".") in said[0]


def test_figure_downloads_are_for_programs(app_db, catalogue, monkeypatch):
    """Downloads of figures: numbers as numbers (no thousands separators), the indicator and
    its unit on every row, and a file name saying what and for whom."""
    from dashboard import components

    made: dict[str, pl.DataFrame] = {}

    def recording(table, *, file_name, key, **kwargs):
        made[file_name] = table() if callable(table) else table

    monkeypatch.setattr(components, "download", recording)
    ind = catalogue.indicator["CC01"]
    page("trends", outcome=ind.outcome, code="CC01", **{"as": "scrutiny"})
    similar = made["CC01_similar-authorities_suppressed.csv"]
    assert similar.schema["value"] == pl.Float64
    assert set(similar["indicator_code"]) == {"CC01"} and set(similar["unit"]) == {ind.unit}
    assert {"england", "neighbour"} <= set(similar["role"])
    areas = made["CC01_areas_suppressed.csv"]
    assert areas.schema["numerator"] == pl.Int64 and areas.schema["denominator"] == pl.Int64
    assert set(areas["indicator_title"]) == {ind.title}
    # a count of a thousand or more is written as digits alone, as a program reads it
    text = components.csv_bytes(areas).decode()
    big = areas.filter(pl.col("denominator") >= 1000)
    assert big.height and all(f",{n}," in text for n in big["denominator"].head(3))
