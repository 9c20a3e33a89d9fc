"""Building returns for tests: valid figures from the demo generator, then one change."""

from __future__ import annotations

from html.parser import HTMLParser

import polars as pl

from metrics.core.access import Actor
from metrics.core.catalogue import Catalogue
from metrics.core.periods import Quarter
from metrics.demo.build import generate_return
from metrics.demo.profiles import load_profiles
from metrics.returns.validation import ValidationReport, validate_return
from metrics.services.returns import ANY_VERSION, CheckedReturn, submit_return


def good_return(catalogue: Catalogue, group: str, period: str) -> pl.DataFrame:
    return generate_return(catalogue, load_profiles(), group, Quarter.parse(period))


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode("utf-8")


def set_cell(frame: pl.DataFrame, index: int, column: str, value: str | None) -> pl.DataFrame:
    """Change one cell (``index`` counts data rows from 0: spreadsheet row ``index + 2``)."""
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == index)
        .then(pl.lit(value, dtype=pl.String))
        .otherwise(pl.col(column))
        .alias(column)
    )


def check(
    catalogue: Catalogue,
    frame: pl.DataFrame | bytes,
    group: str,
    period: str,
    history: pl.DataFrame | None = None,
) -> ValidationReport:
    data = frame if isinstance(frame, bytes) else csv_bytes(frame)
    return validate_return(
        data,
        catalogue=catalogue,
        group=group,
        period=period,
        history=history,
        file_name="return.csv",
    )


def bh01_history(base: pl.DataFrame, previous: str, scale: float) -> pl.DataFrame:
    """The group's accepted BH01 figures for ``previous``, as history for the cross-period
    checks: the return's own numerators times ``scale``, over the same denominators."""
    rows = base.filter(pl.col("indicator_code") == "BH01")
    num = rows["numerator"].cast(pl.Float64) * scale
    den = rows["denominator"].cast(pl.Float64)
    return pl.DataFrame(
        {
            "indicator_code": rows["indicator_code"],
            "period": [previous] * rows.height,
            "area_code": rows["area_code"],
            "breakdown": rows["breakdown"],
            "numerator": num,
            "denominator": den,
            "value": num / den * 100,
        }
    )


def rules(report: ValidationReport) -> set[str]:
    return {f.rule for f in report.findings}


class _TableParser(HTMLParser):
    """The tables in some HTML: caption, header cells and body rows, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "head": [], "rows": [], "scopes": []})
        elif tag == "caption":
            self._in = "caption"
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = []
            if tag == "th":
                self.tables[-1]["scopes"].append(dict(attrs).get("scope"))

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in = None
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if not table["head"]:
                table["head"] = self._row
            else:
                table["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in == "caption":
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def html_tables(at) -> list[dict]:
    """Every accessible table (``components.table``) an AppTest run drew: caption, head
    (column headers), rows (cells as text), scopes (of every header cell), and frame (a
    pandas frame, whole numbers and decimals as numbers)."""
    import pandas as pd

    found = []
    for element in at.get("html"):
        parser = _TableParser()
        parser.feed(element.proto.body)
        for t in parser.tables:
            rows = [[_number(c) for c in r] for r in t["rows"]]
            t["frame"] = pd.DataFrame(rows, columns=t["head"])
            found.append(t)
    return found


def ingest(
    store,
    report,
    *,
    catalogue,
    data: bytes,
    file_name: str | None,
    submitted_by: str,
    explanations: dict[str, str] | None = None,
    based_on=ANY_VERSION,
    on_step=None,
    on_wait=None,
):
    """A return already validated (``report``), submitted through the one submit service as
    an operator named ``submitted_by``, against the version ``based_on`` (default: whatever
    is current)."""
    return submit_return(
        Actor.operator(submitted_by),
        store,
        catalogue,
        CheckedReturn(report, data, file_name, based_on),
        explanations=explanations,
        on_step=on_step,
        on_wait=on_wait,
    )
