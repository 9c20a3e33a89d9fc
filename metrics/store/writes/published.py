"""Writes of published data: an indicator's published England, region and authority
figures, and the statistical neighbour model, each replaced whole in one transaction."""

from __future__ import annotations

import polars as pl

from metrics.store.connection import Store


def replace_published(
    store: Store, indicator: str, frame: pl.DataFrame, *, source: str, actor: str
) -> int:
    """Replace an indicator's published benchmark values; returns the rows stored."""
    rows = frame.with_columns(indicator_code=pl.lit(indicator), source=pl.lit(source))
    with store.transaction() as tx:
        tx.replace_rows("published_values", "indicator_code", [indicator], rows)
        tx.audit(
            actor=actor,
            action="published data imported",
            detail={"indicator": indicator, "rows": rows.height, "source": source},
        )
    return rows.height


def replace_neighbours(store: Store, frame: pl.DataFrame, *, source: str, actor: str) -> int:
    """Replace the statistical neighbour model; returns the rows stored."""
    rows = frame.with_columns(source=pl.lit(source))
    with store.transaction() as tx:
        tx.execute("DELETE FROM neighbours")
        tx.insert_frame("neighbours", rows)
        tx.audit(
            actor=actor,
            action="neighbours imported",
            detail={"rows": rows.height, "source": source},
        )
    return rows.height
