"""Published benchmark data, read from the files their publishers write: which layout a file is
in (:func:`layout`), and an indicator's published values from the file its catalogue source
names (:func:`read_source`), over one module per layout (:mod:`.ees` for DfE's open-data
files, :mod:`.fingertips` for OHID Fingertips' exports, :mod:`.tables` for a publisher's own
table by area) and what they share (:mod:`.base`).
The statistical neighbour model is read by :mod:`.neighbours`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from metrics.benchmarks.base import PublishedDataError, PublishedRead
from metrics.benchmarks.ees import REQUIRED, read_published
from metrics.benchmarks.fingertips import is_fingertips, read_fingertips
from metrics.benchmarks.tables import read_table


def layout(path: Path | str) -> str:
    """Which published layout a file is in, from its header: ``"ees"`` (DfE's open-data
    files from explore-education-statistics) or ``"fingertips"`` (OHID Fingertips' CSV
    export, or fingertipsR's); anything else is refused, saying what each needs."""

    path = Path(path)
    try:
        header = pl.read_csv(path, n_rows=0, infer_schema=False, encoding="utf8-lossy").columns
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise PublishedDataError(f"{path}: cannot be read as CSV ({exc})") from None
    names = {c.lstrip("\ufeff").strip() for c in header}
    if set(REQUIRED) <= names:
        return "ees"
    if is_fingertips(header):
        return "fingertips"
    raise PublishedDataError(
        f"{path.name}: not a layout this product reads. A DfE open-data file has the columns "
        f"{', '.join(REQUIRED)}; a Fingertips export has Indicator ID, Area Code, Area Type, "
        "Time period and Value. Download the file again from explore-education-statistics "
        "or Fingertips without changing its columns."
    )


CATALOGUE_FILTER = "add {column}: {value!r} to the filters of its published source"


def read_source(path: Path | str, src, *, how_to_filter: str = CATALOGUE_FILTER) -> PublishedRead:
    """An indicator's published values from the file its catalogue source names, in the
    file's own layout (a DfE open-data file, a Fingertips export, or the publisher's table
    the source describes), with what was left
    out and what to check. ``how_to_filter`` says how a filter is given where a file holds
    more than one row per period and area (in the catalogue, or ``--filter`` on the
    command line)."""

    if src.table is not None:
        return read_table(
            path,
            table=src.table,
            column=src.column,
            filters=src.filters,
            numerator=src.numerator_column,
            denominator=src.denominator_column,
            how_to_filter=how_to_filter,
        )
    found = layout(path)
    if found == "fingertips":
        if src.fingertips_id is None:
            raise PublishedDataError(
                f"{Path(path).name} is a Fingertips export: give the Fingertips indicator id "
                "(fingertips_id in the catalogue, --fingertips-id on the command line)"
            )
        return read_fingertips(
            path,
            indicator_id=src.fingertips_id,
            filters=src.filters,
            expected_name=src.name,
            how_to_filter=how_to_filter,
        )
    if src.column is None:
        raise PublishedDataError(
            f"{Path(path).name} is a DfE open-data file: name the column holding the value "
            "(column in the catalogue, --column on the command line)"
        )
    return read_published(
        path,
        column=src.column,
        filters=src.filters,
        numerator=src.numerator_column,
        denominator=src.denominator_column,
        how_to_filter=how_to_filter,
    )
