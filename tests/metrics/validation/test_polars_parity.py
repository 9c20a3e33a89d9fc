"""The plain-Polars baseline flags the same cells as the GX suites (so the benchmark
compares like with like)."""

from __future__ import annotations

import pytest

from metrics.core.periods import Quarter
from metrics.returns.reading import read_return
from metrics.returns.validation import polars_checks, prepare
from tests.helpers import check, csv_bytes, good_return
from tests.metrics.validation.test_rules import CASES, GROUP, PERIOD


def _polars(catalogue, frame):
    raw = read_return(csv_bytes(frame), file_name="r.csv")
    quarter = Quarter.parse(PERIOD)
    prepared = prepare.prepare_content(raw, catalogue=catalogue, group=GROUP, quarter=quarter)
    params = prepare.content_parameters(catalogue, GROUP, quarter)
    return polars_checks.check(
        prepared, params, catalogue=catalogue, group=GROUP, quarter=quarter, with_history=False
    )


@pytest.mark.parametrize(
    ("rule", "breaks"), [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_same_cells_as_gx(catalogue, rule, breaks):
    frame = breaks(good_return(catalogue, GROUP, PERIOD))
    gx = {(f.rule, f.row, f.column) for f in check(catalogue, frame, GROUP, PERIOD).findings}
    fast = {(f.rule, f.row, f.column) for f in _polars(catalogue, frame)}
    assert fast == gx
    assert any(r == rule for r, _, _ in gx)
