"""The interval attack, as an attacker would make it: from every figure one reader can see,
bound each withheld count by linear programming, and fail if any is pinned to one value or
confined to 1..threshold-1.

The attack here is written apart from :mod:`metrics.core.disclosure` (its own additions, its
own LP over SciPy's HiGHS), and reads what the services give a scrutiny member and the
public, so a fault in the engine's model is not repeated in its test.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from metrics.core.access import Actor, Role
from metrics.core.disclosure import suppress
from metrics.core.values import compute_indicator_values
from metrics.reports import figures as report_figures
from metrics.services import export_values
from metrics.store.connection import Store
from tests.metrics.test_transforms import obs


def sums_seen(authority: str, localities: list[str], cells: dict) -> list[tuple]:
    """(total, parts) pairs that hold exactly in the figures: the authority over its
    localities, per breakdown; each area's total over each dimension's categories."""
    found = []
    breakdowns = {b for _, b in cells}
    for b in breakdowns:
        parts = [(a, b) for a in localities if (a, b) in cells]
        if (authority, b) in cells and parts:
            found.append(((authority, b), parts))
    for area in {a for a, _ in cells}:
        for dimension in {b.split(":")[0] for b in breakdowns if b != "total"}:
            parts = [(area, b) for b in breakdowns if b.startswith(dimension + ":")]
            parts = [p for p in parts if p in cells]
            if (area, "total") in cells and parts:
                found.append(((area, "total"), parts))
    return [
        (total, parts)
        for total, parts in found
        if math.isclose(cells[total], sum(cells[p] for p in parts))
    ]


def attack(truth: dict, shown: set, authority: str, localities: list[str]) -> dict:
    """Each withheld cell's feasible range from the shown ones, in one version."""
    ranges = attack_versions([truth], [set(truth) - shown], authority, localities)
    return {cell: bounds for (cell, _), bounds in ranges.items()}


def given_away(ranges: dict, threshold: int) -> dict:
    out = {}
    for k, (low, high) in ranges.items():
        lo = math.ceil(low - 1e-6)
        hi = math.floor(high + 1e-6) if math.isfinite(high) else math.inf
        if hi <= lo or (lo >= 1 and hi <= threshold - 1):
            out[k] = (low, high)
    return out


# --- generated sets -----------------------------------------------------------------------

counts = st.one_of(st.integers(0, 6), st.integers(0, 60))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    localities=st.lists(counts, min_size=7, max_size=7),
    fsm_small=counts,
    sex_small=counts,
)
def test_no_generated_set_gives_a_small_count_away(catalogue, localities, fsm_small, sex_small):
    """Localities with their total, and the total broken down two ways, several small cells
    and zeros among them: the attack finds nothing."""
    authority = catalogue.authority.code
    codes = [a.code for a in catalogue.localities]
    total = sum(localities)
    fsm_small, sex_small = min(fsm_small, total), min(sex_small, total)
    cells = {(a, "total"): float(n) for a, n in zip(codes, localities, strict=True)}
    cells |= {
        (authority, "total"): float(total),
        (authority, "fsm:disadvantaged"): float(fsm_small),
        (authority, "fsm:other"): float(total - fsm_small),
        (authority, "sex:female"): float(sex_small),
        (authority, "sex:male"): float(total - sex_small),
    }
    rows = [
        ("ED01", "2024-25", a, b, n, n + 100.0 * (1 + (b == "total")), None, None, 1)
        for (a, b), n in cells.items()
    ]
    marked = suppress(compute_indicator_values(obs(rows), catalogue), catalogue)
    shown = {
        (r["area_code"], r["breakdown"])
        for r in marked.iter_rows(named=True)
        if r["suppression"] is None
    }
    threshold = catalogue.indicator["ED01"].suppression_threshold
    for (a, b), n in cells.items():
        if 1 <= n < threshold:
            assert (a, b) not in shown
    assert given_away(attack(cells, shown, authority, codes), threshold) == {}


def test_the_attack_finds_the_old_patterns(catalogue):
    """The attack is not blind: the old rule's patterns are given away."""
    authority = catalogue.authority.code
    codes = [a.code for a in catalogue.localities]
    cells = {(a, "total"): float(n) for a, n in zip(codes, [2, 0, 5, 6, 7, 6, 6], strict=True)}
    cells[(authority, "total")] = 32.0
    old = set(cells) - {(codes[0], "total"), (codes[1], "total")}
    assert set(given_away(attack(cells, old, authority, codes), 5)) == {(codes[0], "total")}
    cells = {(a, "total"): float(n) for a, n in zip(codes, [3, 30, 2, 40, 25, 33, 9], strict=True)}
    cells[(authority, "total")] = 142.0
    old = set(cells) - {(codes[0], "total"), (codes[2], "total")}
    assert len(given_away(attack(cells, old, authority, codes), 5)) == 2


# --- the whole demo, as each reader who gets c sees it ----------------------------------------


def _seen(frame: pl.DataFrame) -> dict:
    """(indicator, period) -> cell -> shown figure or None, from a published table."""
    out: dict = defaultdict(dict)
    for r in frame.iter_rows(named=True):
        shown = None if r["numerator"] in ("c", None, "") else r["numerator"]
        out[(r["indicator_code"], r["period"])][(r["area_code"], r["breakdown"])] = shown
    return out


@pytest.mark.parametrize("role", [Role.SCRUTINY, Role.PUBLIC])
def test_no_withheld_count_in_the_demo_can_be_worked_out(demo_db, catalogue, role):
    reader = Actor(id=f"t|{role.name}", name=role.value, roles=frozenset({role}))
    with Store(demo_db, read_only=True) as store:
        seen = _seen(export_values(reader, store, catalogue))
        # the truth, read past the service (which gives it out only on the record)
        truth_frame = report_figures.export_values(store, catalogue, concealed=False)
    truth: dict = defaultdict(dict)
    for r in truth_frame.iter_rows(named=True):
        if r["numerator"] is not None and catalogue.indicator[r["indicator_code"]].kind != "mean":
            truth[(r["indicator_code"], r["period"])][(r["area_code"], r["breakdown"])] = r[
                "numerator"
            ]
    authority = catalogue.authority.code
    codes = [a.code for a in catalogue.localities]
    withheld = attacked = 0
    for (code, period), cells in seen.items():
        true = {k: float(v) for k, v in truth[(code, period)].items() if k in cells}
        shown = {k for k, v in cells.items() if v is not None and k in true}
        hidden = set(true) - shown
        withheld += len(hidden)
        if not hidden:
            continue
        attacked += 1
        threshold = catalogue.indicator[code].suppression_threshold
        assert given_away(attack(true, shown, authority, codes), threshold) == {}, (code, period)
    assert withheld > 0 and attacked > 0  # the demo has small numbers to protect


def test_the_public_export_has_the_authority_as_a_whole_only(demo_db, catalogue):
    public = Actor(id="t|public", name="public", roles=frozenset({Role.PUBLIC}))
    scrutiny = Actor(id="t|scrutiny", name="scrutiny", roles=frozenset({Role.SCRUTINY}))
    with Store(demo_db, read_only=True) as store:
        theirs = export_values(public, store, catalogue)
        members = export_values(scrutiny, store, catalogue)
    assert set(theirs["area_code"]) == {catalogue.authority.code}
    assert set(members["area_code"]) > {catalogue.authority.code}  # localities for members


# --- a meeting's figures beside the latest, after a correction past its cut-off -------------


def attack_versions(truths: list[dict], hiddens: list[set], authority: str, localities: list):
    """The interval attack on several versions at once: a cell whose figure is the same in
    two versions is one unknown (the worst case: the attacker guesses right which changed),
    known if any version shows it."""
    known = {(k, t[k]) for t, h in zip(truths, hiddens, strict=True) for k in t if k not in h}
    unknowns = sorted({(k, t[k]) for t in truths for k in t} - known)
    index = {u: i for i, u in enumerate(unknowns)}
    rows, rhs = [], []
    for truth in truths:
        for total, parts in sums_seen(authority, localities, truth):
            row, fixed = np.zeros(len(unknowns)), 0.0
            for cell, sign in [(total, 1.0), *((p, -1.0) for p in parts)]:
                if (cell, truth[cell]) in index:
                    row[index[(cell, truth[cell])]] += sign
                else:
                    fixed += sign * truth[cell]
            if row.any():
                rows.append(row)
                rhs.append(-fixed)
    ranges = {}
    for u in unknowns:
        c = np.zeros(len(unknowns))
        c[index[u]] = 1.0
        ends = []
        for sense in (1.0, -1.0):
            r = linprog(
                sense * c,
                A_eq=np.array(rows) if rows else None,
                b_eq=rhs or None,
                bounds=[(min(v, 1.0), None) for _, v in unknowns],
                method="highs",
            )
            ends.append(sense * r.fun if r.status == 0 else -sense * math.inf)
        ranges[u] = tuple(ends)
    return ranges


def test_a_correction_past_a_meetings_cut_off_cannot_be_worked_out(tmp_path, catalogue):
    """Castle Vale's 8 was shown at the meeting; corrected to 3 since. Compared with the
    meeting's view, the latest total gives the new figure away unless the audit sees both."""
    from datetime import date, datetime

    from metrics.core.clock import FixedClock
    from metrics.services import (
        add_meeting,
        area_values,
        as_at_meeting,
        check_return,
        submit_return,
    )
    from tests.helpers import csv_bytes, good_return, set_cell

    lead = Actor(id="t|lead", name="Lead", roles=frozenset({Role.LEAD}), groups=frozenset({"HCP"}))
    board = Actor(id="t|board", name="Board", roles=frozenset({Role.BOARD}))
    scrutiny = Actor(id="t|scrutiny", name="Scrutiny", roles=frozenset({Role.SCRUTINY}))
    frame = good_return(catalogue, "HCP", "2025-26-Q1")
    small = catalogue.localities[-1].code
    row = next(
        i
        for i, r in enumerate(frame.iter_rows(named=True))
        if r["indicator_code"] == "BH01" and r["area_code"] == small
    )
    clock = FixedClock(datetime(2025, 7, 20, 9))
    with Store(tmp_path / "s.duckdb", clock=clock) as store:

        def submit(count: str) -> None:
            data = csv_bytes(set_cell(frame, row, "numerator", count))
            checked = check_return(
                lead, store, catalogue, group="HCP", period="2025-26-Q1", data=data, file_name="r"
            )
            assert submit_return(lead, store, catalogue, checked).status == "accepted"

        submit("8")
        meeting = add_meeting(
            board,
            store,
            held_on=date(2025, 8, 1),
            kind="ordinary",
            title="Board",
            cut_off=datetime(2025, 7, 25),
        )
        clock.set(datetime(2025, 8, 10, 9))
        submit("3")
        _, then = as_at_meeting(scrutiny, store, catalogue, meeting)
        views = [
            area_values(scrutiny, store, catalogue, "BH01", "2025-26-Q1"),
            area_values(scrutiny, then, catalogue, "BH01", "2025-26-Q1"),
        ]
        truths = [
            area_values(board, source, catalogue, "BH01", "2025-26-Q1") for source in (store, then)
        ]
    truth = [
        {(r["area_code"], r["breakdown"]): float(r["numerator"]) for r in t.iter_rows(named=True)}
        for t in truths
    ]
    assert truth[0][(small, "total")] == 3 and truth[1][(small, "total")] == 8
    hidden = [
        {(r["area_code"], "total") for r in v.iter_rows(named=True) if r["numerator"] is None}
        for v in views
    ]
    assert hidden[0] == hidden[1] and (small, "total") in hidden[0]  # withheld in both
    authority = catalogue.authority.code
    codes = [a.code for a in catalogue.localities]
    assert given_away(attack_versions(truth, hidden, authority, codes), 5) == {}
    # each version audited alone: the latest withholds the 3 and one other; the meeting's
    # view shows everything (8 was not small), so the other is known and the 3 follows
    other = min(hidden[0] - {(small, "total")}, key=lambda k: truth[0][k])
    alone = [{(small, "total"), other}, set()]
    exposed = given_away(attack_versions(truth, alone, authority, codes), 5)
    assert ((small, "total"), 3.0) in exposed


def test_commentary_on_a_withheld_figure_is_withheld_from_readers_who_get_c(demo_db, catalogue):
    """The demo's youth custody commentary quoted a rate that gave 3 children back."""
    from metrics.core.disclosure import WITHHELD_COMMENTARY
    from metrics.reports.figures import suppression_marks, withheld_periods
    from metrics.services import commentary_history

    board = Actor(id="t|board", name="board", roles=frozenset({Role.BOARD}))
    scrutiny = Actor(id="t|scrutiny", name="scrutiny", roles=frozenset({Role.SCRUTINY}))
    with Store(demo_db, read_only=True) as store:
        hidden = withheld_periods(suppression_marks(store, catalogue, ["YJ03"]))
        code = "YJ03"
        assert any(c == code for c, _ in hidden)  # the demo withholds some of its quarters
        theirs = commentary_history(scrutiny, store, catalogue, code)
        ours = commentary_history(board, store, catalogue, code)
    periods = {p for c, p in hidden if c == code}
    withheld = theirs.filter(pl.col("period").is_in(periods))
    assert withheld.height and set(withheld["text"]) == {WITHHELD_COMMENTARY}
    assert WITHHELD_COMMENTARY not in ours["text"].to_list()
    shown = theirs.filter(~pl.col("period").is_in(periods))
    assert WITHHELD_COMMENTARY not in shown["text"].to_list()
