"""The overview reads the store in the shape of the page: each thing once (the values, the
benchmarks with every neighbour average in one grouped read, the returns, the board's
decisions and commentary), at most 8 reads for one render, whoever reads it; the
accountability health table builds from the same reads."""

from __future__ import annotations

from datetime import date

import pytest

from metrics import services
from metrics.core.access import Actor, Role
from metrics.store.connection import Store

READERS = [
    Actor(id="t|board", name="Board", roles=frozenset({Role.BOARD})),
    Actor(id="t|scrutiny", name="Scrutiny", roles=frozenset({Role.SCRUTINY})),
    Actor(id="t|public", name="Public", roles=frozenset({Role.PUBLIC})),
]


class Counted:
    """Counts every read a store is asked for (its two read entry points)."""

    def __init__(self, store: Store):
        self.reads: list[str] = []
        for name in ("frame", "scalar"):
            read = getattr(store, name)
            setattr(store, name, self._counting(read))

    def _counting(self, read):
        def counted(query, params=None):
            self.reads.append(" ".join(query.split())[:80])
            return read(query, params)

        return counted


@pytest.fixture
def store(demo_db):
    with Store(demo_db, read_only=True) as opened:
        yield opened


@pytest.mark.parametrize("reader", READERS, ids=lambda a: a.name)
def test_one_overview_render_reads_the_store_at_most_8_times(store, catalogue, reader):
    period = services.default_period(reader, store)
    counted = Counted(store)
    overview = services.overview(reader, store, catalogue, period, on=date(2026, 11, 23))
    assert overview.indicators.height == len(catalogue.indicators)
    assert overview.indicators["england"].drop_nulls().len() > 0  # the benchmarks were read
    assert len(counted.reads) <= 8, counted.reads
    assert len(counted.reads) == len(set(counted.reads)), "a read was repeated"


def test_health_reads_the_returns_once_for_all_its_quarters(store, catalogue):
    board = READERS[0]
    counted = Counted(store)
    table = services.health(board, store, catalogue, on=date(2026, 11, 23))
    assert table.height == len(catalogue.groups)
    returns = [q for q in counted.reads if q.startswith("SELECT period, group_code, count(*)")]
    assert len(returns) == 2, counted.reads  # the four quarters together, and the overview's
    assert len(counted.reads) <= 14, counted.reads
