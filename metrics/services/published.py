"""Published data, as services: an indicator's published England, region and authority figures
and the statistical neighbour model, imported from the files their publishers write.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from metrics.benchmarks import read_source
from metrics.benchmarks.base import PublishedDataError, PublishedRead
from metrics.core.access import Actor, require
from metrics.core.catalogue import Catalogue
from metrics.services.guard import audited
from metrics.store.connection import Store
from metrics.store.connection import (
    StoreError as StoreError,  # for the app, which never imports the store
)
from metrics.store.connection import default_db_path as default_db_path
from metrics.store.reads import figures as queries
from metrics.store.writes import published as published_writes

# --- published benchmarks ------------------------------------------------------------------


@audited
def import_published(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    indicator: str,
    frame: pl.DataFrame,
    *,
    source: str,
) -> int:
    """Replace an indicator's published England, region and authority figures."""
    require(actor, "import-published")
    if indicator not in catalogue.indicator:
        raise ValueError(f"'{indicator}' is not an indicator in the catalogue")
    return published_writes.replace_published(
        store, indicator, frame, source=source, actor=actor.id
    )


@audited
def import_all_published(
    actor: Actor, store: Store, catalogue: Catalogue, folder: Path
) -> dict[str, tuple[int, PublishedRead]]:
    """Import every indicator's published source named in the catalogue from ``folder``:
    per indicator, the values stored and what the reader took, left out and warns of."""
    require(actor, "import-published")
    folder = Path(folder)
    counts = {}
    for ind in catalogue.indicators:
        src = ind.published
        if src is None:
            continue
        path = folder / src.file
        if not path.is_file():
            raise PublishedDataError(
                f"{ind.code}: the catalogue names {src.file}, which is not in {folder}"
            )
        try:
            read = read_source(path, src)
        except PublishedDataError as exc:
            raise PublishedDataError(f"{ind.code}: {exc}") from None
        stored = published_writes.replace_published(
            store, ind.code, read.frame, source=src.file, actor=actor.id
        )
        counts[ind.code] = (stored, read)
    return counts


@audited
def import_neighbours(actor: Actor, store: Store, frame: pl.DataFrame, *, source: str) -> int:
    """Replace the statistical neighbour model."""
    require(actor, "import-published")
    return published_writes.replace_neighbours(store, frame, source=source, actor=actor.id)


@audited
def published_figures(
    actor: Actor,
    store: Store,
    *,
    indicators: list[str] | None = None,
    periods: list[str] | None = None,
    levels: list[str] | None = None,
    areas: list[str] | None = None,
) -> pl.DataFrame:
    """Published England, region and authority figures as their publishers gave them
    (already published, so shown to every reader as they are), filtered by what is given."""
    require(actor, "view-published")
    return queries.published_rows(
        store, indicators=indicators, periods=periods, levels=levels, areas=areas
    )
