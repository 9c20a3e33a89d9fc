"""Building returns for tests: valid figures from the demo generator, then one change."""

from __future__ import annotations

import polars as pl

from metrics.catalogue import Catalogue
from metrics.demo import generate_return, load_profiles
from metrics.periods import Quarter
from metrics.validation import ValidationReport, validate_return


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


def rules(report: ValidationReport) -> set[str]:
    return {f.rule for f in report.findings}
