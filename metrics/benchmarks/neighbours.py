"""The DfE statistical neighbour model: each authority's ten nearest neighbours, nearest first,
from the 2021 or the 2025 layout of the published file.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from metrics.benchmarks.base import PublishedDataError


def read_neighbours(path: Path | str) -> pl.DataFrame:
    """The DfE statistical neighbour model (one row per authority, ten neighbours) as
    (old_la_code, rank, neighbour_old_la_code). Both the 2021 and 2025 layouts are read."""
    path = Path(path)
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
    key = next((c for c in ("old_la_code", "LA number", "LA num") if c in frame.columns), None)
    sn = [c for c in frame.columns if re.fullmatch(r"SN_?\d+", c)]
    if key is None or len(sn) < 10:
        raise PublishedDataError(
            f"{path.name}: expected an authority code column (old_la_code or 'LA number') and "
            f"columns SN1..SN10; the file has {', '.join(frame.columns)}"
        )
    long = frame.select(pl.col(key).alias("old_la_code"), *sn).unpivot(
        index="old_la_code", variable_name="slot", value_name="neighbour"
    )
    return (
        long.with_columns(
            rank=pl.col("slot").str.extract(r"(\d+)").cast(pl.Int32),
        )
        .filter(pl.col("neighbour").is_not_null() & (pl.col("neighbour") != ""))
        .select("old_la_code", "rank", pl.col("neighbour").alias("neighbour_old_la_code"))
        .sort("old_la_code", "rank")
    )
