"""A demo partnership: three years of quarterly returns and the board's last year of
business (:mod:`metrics.demo.year`), built deterministically.

Every return is generated as a file (CSV, some XLSX, one Windows-1252 with semicolons),
then validated and ingested through the same path a delivery group's upload takes. The
story: most indicators improve, some worsen, some are flat; small localities are noisy;
a few returns fail validation and are corrected; one is resubmitted; one group is late
with its latest return."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from metrics.benchmarks.neighbours import read_neighbours
from metrics.core.access import Actor, Role
from metrics.core.catalogue import Catalogue, Kind, Polarity
from metrics.core.clock import FixedClock
from metrics.core.periods import Quarter, parse_year, quarters_between, target_year
from metrics.core.quotes import giveaways
from metrics.core.values import withheld_by_indicator
from metrics.demo.profiles import load_profiles
from metrics.demo.published import (
    DEMO_PUBLISHED,
    NATIONAL_YEARS,
    NEIGHBOURS_FILE,
    write_demo_published,
)
from metrics.demo.year import Step, YearRunner, load_year, year_steps
from metrics.returns.templates import template_frame
from metrics.services import (
    add_user,
    check_return,
    grant,
    import_all_published,
    import_neighbours,
    recompute,
    submit_return,
)
from metrics.store.connection import Store
from metrics.store.writes.people import set_info

LATE_GROUP = "YJS"
DEMO_CREATED = datetime(2026, 1, 1)
SHARES = {
    "fsm:disadvantaged": 0.26,
    "fsm:other": 0.74,
    "sex:female": 0.49,
    "sex:male": 0.51,
    "send:ehcp": 0.04,
    "send:sen_support": 0.13,
    "send:none": 0.83,
}
EXPLANATIONS = {
    "W01": "Checked with the service manager: the change is real and is discussed in the "
    "commentary.",
    "W02": "Checked: the figures are unchanged because the cohort is small and stable.",
    "C20": "The authority total includes young people whose locality is not recorded.",
}


@dataclass(frozen=True)
class DemoSubmission:
    group: str
    quarter: Quarter
    file_name: str
    data: bytes
    submitted_at: datetime
    note: str


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def _years_since(start: Quarter, period: str) -> float:
    if "Q" in period:
        q = Quarter.parse(period)
        return ((q.year - start.year) * 4 + (q.quarter - start.quarter)) / 4
    return parse_year(period) - start.year + 0.5


def _breakdown_offset(breakdown: str, gap: float) -> float:
    if breakdown == "total":
        return 0.0
    dim, cat = breakdown.split(":")
    if dim == "send":
        return {"ehcp": 1.6 * gap, "sen_support": gap * 0.8, "none": -gap * 0.2}[cat]
    first = {"fsm": "disadvantaged", "sex": "male"}[dim]
    share_first = SHARES[f"{dim}:{first}"]
    # keep the weighted average near the total: first - second = gap
    return gap * (1 - share_first) if cat == first else -gap * share_first


def generate_return(
    catalogue: Catalogue, profiles: dict, group: str, quarter: Quarter
) -> pl.DataFrame:
    """Figures for one group's return, as the text cells a person would type."""
    start = catalogue.first_demo_quarter()
    frame = template_frame(catalogue, group, quarter)
    authority = catalogue.authority
    nums, dens, vals, sds = [], [], [], []
    for code, period, area_code, breakdown in frame.select(
        "indicator_code", "period", "area_code", "breakdown"
    ).iter_rows():
        ind = catalogue.indicator[code]
        prof = profiles["indicators"][code]
        rng = np.random.default_rng(_seed(code, period, area_code, breakdown))
        area = catalogue.area[area_code]
        t = _years_since(start, period)
        level = prof["level"] + prof["trend"] * t
        if prof["shape"] == "noisy":
            level += rng.normal(0, abs(prof["trend"]) + prof["level"] * 0.04)
        spread_rng = np.random.default_rng(_seed(code, area_code))
        if area_code != authority.code:
            level += spread_rng.uniform(-1, 1) * prof.get("spread", 0)
        level += _breakdown_offset(breakdown, prof.get("gap", 2.0))
        share = SHARES.get(breakdown, 1.0)
        population = area.population_0_17 * share
        num = den = val = sd = None
        if ind.kind is Kind.PROPORTION:
            den = max(1, int(rng.normal(1, 0.04) * prof["cohort"] * population / 10_000))
            p = min(max(level / 100, 0.001), 0.999)
            num = int(rng.binomial(den, p))
        elif ind.kind is Kind.RATE:
            den = int(population * prof["cohort"])
            num = int(rng.poisson(max(level, 0) / ind.multiplier * den))
        elif ind.kind is Kind.COUNT:
            num = int(rng.poisson(max(level, 0) * population / authority.population_0_17))
        else:
            den = max(2, int(prof["cohort"] * population / 10_000))
            val = round(float(rng.normal(level, 0.4)), 1)
            sd = round(float(rng.uniform(17, 22)), 1)
        nums.append(None if num is None else str(num))
        dens.append(None if den is None else str(den))
        vals.append(None if val is None else str(val))
        sds.append(None if sd is None else str(sd))
    filled = frame.with_columns(
        pl.Series("numerator", nums, dtype=pl.String),
        pl.Series("denominator", dens, dtype=pl.String),
        pl.Series("value", vals, dtype=pl.String),
        pl.Series("sd", sds, dtype=pl.String),
    )
    return _with_commentary(filled, catalogue, profiles)


def _with_commentary(frame: pl.DataFrame, catalogue: Catalogue, profiles: dict) -> pl.DataFrame:
    """One commentary per indicator (on its first row), consistent with its figures."""
    totals = (
        frame.filter(pl.col("breakdown") == "total")
        .group_by("indicator_code", "period", maintain_order=True)
        .agg(
            pl.col("numerator").cast(pl.Float64).sum(),
            pl.col("denominator").cast(pl.Float64).sum(),
            pl.col("value").cast(pl.Float64).first(),
        )
    )
    withheld = withheld_by_indicator(frame, catalogue)
    texts = {}
    for code, period, num, den, value in totals.iter_rows():
        ind = catalogue.indicator[code]
        if ind.kind in (Kind.PROPORTION, Kind.RATE):
            value = num / den * ind.multiplier if den else None
        elif ind.kind is Kind.COUNT:
            value = num
        texts[code] = _commentary(profiles, ind, period, value)
        if giveaways(texts[code], withheld.get(code, [])):  # it would give a small number back
            texts[code] = _commentary(profiles, ind, period, None)
    first = pl.col("indicator_code").is_first_distinct()
    return frame.with_columns(
        commentary=pl.when(first).then(pl.col("indicator_code").replace_strict(texts, default=None))
    )


def _commentary(profiles: dict, ind, period: str, value: float | None) -> str:
    shape = profiles["indicators"][ind.code]["shape"]
    if ind.polarity is Polarity.NO_JUDGEMENT and shape != "noisy":
        shape = "flat"
    unit = "%" if ind.unit == "%" else f" {ind.unit}"
    text = profiles["default_commentary"][shape]
    if value is None:
        return text
    figure = f"{value:,.{ind.decimals}f}{unit}"
    target = ind.targets.get(target_year(period, ind.period_type))
    if target is None or ind.polarity is Polarity.NO_JUDGEMENT:
        return f"{figure} in {period}. {text}"
    better = (
        value >= target.value if ind.polarity is Polarity.HIGH_IS_GOOD else value <= target.value
    )
    side = "meets" if better else "is short of"
    return f"{figure} in {period} {side} the target of {target.value:g}{unit}. {text}"


def _to_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    if fmt == "xlsx":
        import xlsxwriter

        buffer = io.BytesIO()
        with xlsxwriter.Workbook(buffer) as book:
            book.set_properties({"created": DEMO_CREATED})  # no build time inside the file
            frame.write_excel(book, worksheet="return")
        return buffer.getvalue()
    if fmt == "cp1252":
        return frame.write_csv(separator=";").encode("cp1252", errors="replace")
    return frame.write_csv().encode("utf-8")


def _format_for(group: str) -> str:
    return {"EYP": "xlsx", "SEN": "cp1252"}.get(group, "csv")


def _due_date(group: str, quarter: Quarter) -> datetime:
    offset = sum(map(ord, group)) % 10
    return datetime.combine(quarter.end, datetime.min.time()) + timedelta(
        days=18 + offset, hours=10
    )


SCALES = {"demo": None, "national": 10}
"""The demo's sizes: the normal demo (the quarters settings.yaml gives, five published
years), and a national-size one: ten years of quarters and of published figures for every
authority (``outcomes demo --scale national``)."""


def demo_quarters(catalogue: Catalogue, scale: str = "demo") -> list[Quarter]:
    """The quarters the demo's returns cover: the configured span, or the last ten years."""
    last = catalogue.last_demo_quarter()
    years = SCALES[scale]
    first = catalogue.first_demo_quarter() if years is None else last.shift(1 - 4 * years)
    return quarters_between(first, last)


def demo_submissions(catalogue: Catalogue, scale: str = "demo") -> list[DemoSubmission]:
    """Every return of the demo, in the order they arrive, including the faulty ones."""
    profiles = load_profiles()
    quarters = demo_quarters(catalogue, scale)
    last = quarters[-1]
    out: list[DemoSubmission] = []
    for quarter in quarters:
        for group in catalogue.group:
            if group == LATE_GROUP and quarter == last:
                continue
            if not catalogue.due_rows(group, quarter):
                continue
            frame = generate_return(catalogue, profiles, group, quarter)
            fmt = _format_for(group)
            ext = "xlsx" if fmt == "xlsx" else "csv"
            name = f"{group}_{quarter.code}.{ext}"
            when = _due_date(group, quarter)
            for bad, note in _faulty_versions(group, quarter, frame, quarters):
                out.append(
                    DemoSubmission(
                        group,
                        quarter,
                        f"{group}_{quarter.code}_draft.csv",
                        _to_bytes(bad, "csv"),
                        when - timedelta(days=2),
                        note,
                    )
                )
            out.append(DemoSubmission(group, quarter, name, _to_bytes(frame, fmt), when, "return"))
            if group == "HCP" and quarter == quarters[-2]:
                fixed = frame.with_columns(
                    commentary=pl.when(pl.col("commentary").is_not_null()).then(
                        pl.col("commentary") + " Figures revised after the provider's data refresh."
                    )
                )
                fixed = _bump_first(fixed)
                out.append(
                    DemoSubmission(
                        group,
                        quarter,
                        f"{group}_{quarter.code}_revised.csv",
                        _to_bytes(fixed, "csv"),
                        when + timedelta(days=9),
                        "resubmission",
                    )
                )
    return out


def _bump_first(frame: pl.DataFrame) -> pl.DataFrame:
    first = pl.int_range(pl.len()) == 0
    return frame.with_columns(
        numerator=pl.when(first)
        .then((pl.col("numerator").cast(pl.Int64) + 1).cast(pl.String))
        .otherwise(pl.col("numerator"))
    )


def _faulty_versions(
    group: str, quarter: Quarter, frame: pl.DataFrame, quarters: list[Quarter]
) -> list[tuple[pl.DataFrame, str]]:
    """Drafts that fail validation before the good file arrives."""
    index = pl.int_range(pl.len())
    if group == "SCP" and quarter == quarters[6]:
        bad = frame.with_columns(
            numerator=pl.when(index == 1).then(pl.lit("9999")).otherwise(pl.col("numerator")),
            area_code=pl.when(index == 3).then(pl.lit("E05099099")).otherwise(pl.col("area_code")),
        )
        return [(bad, "numerator above denominator and an unknown area")]
    if group == "EMH" and quarter == quarters[9]:
        bad = frame.with_columns(
            commentary=pl.when(index == 0)
            .then(pl.lit("Waits rose after one complex case (DOB 14/02/2011) took up clinic time."))
            .otherwise(pl.col("commentary"))
        )
        return [(bad, "child-level details in commentary")]
    if group == "EDU" and quarter == quarters[10]:
        return [(frame.drop("denominator"), "denominator column missing")]
    if group == "P19" and quarter == quarters[12]:
        bad = frame.with_columns(
            numerator=pl.when(index == 2).then(pl.lit("n/a")).otherwise(pl.col("numerator"))
        )
        return [(bad, "text in a figure column")]
    return []


def demo_lead(catalogue: Catalogue, group: str) -> Actor:
    """The demo's lead of a delivery group, who submits its returns."""
    return Actor(
        id=f"demo|{group}",
        name=f"{catalogue.group[group].lead} (demo)",
        roles=frozenset({Role.LEAD}),
        groups=frozenset({group}),
    )


def add_demo_people(actor: Actor, store: Store, catalogue: Catalogue) -> None:
    """The demo's people, with email addresses that can never be delivered (the .invalid
    domain is reserved), so that ``outcomes remind --dry-run`` has someone to remind."""
    people = [
        ("demo|board", "Chair of the partnership board (demo)", "board member", None, "chair"),
        ("demo|admin", "Demo admin", "admin", None, "admin"),
        ("demo|scrutiny", "Demo scrutiny member", "scrutiny member", None, "scrutiny"),
    ] + [
        (lead.id, lead.name, "delivery group lead", group, f"{group.lower()}.lead")
        for group in catalogue.group
        for lead in [demo_lead(catalogue, group)]
    ]
    for user_id, name, role, group, mailbox in people:
        add_user(actor, store, user_id=user_id, name=name, email=f"{mailbox}@demo.invalid")
        grant(actor, store, catalogue, user_id=user_id, role=role, group=group)


def build_demo(
    path: Path | str,
    catalogue: Catalogue,
    *,
    scale: str = "demo",
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, int]:
    """Build the demo database at ``path`` (replacing any file there only once it is
    complete), at the size ``scale`` names (:data:`SCALES`). Returns counts of submissions
    by status."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".building")
    for leftover in (partial, Path(str(partial) + ".wal")):
        leftover.unlink(missing_ok=True)
    submissions = demo_submissions(catalogue, scale)
    counts: dict[str, int] = {}
    clock = FixedClock(DEMO_CREATED)
    store = Store(partial, clock=clock)
    year = YearRunner(store, catalogue, lambda group: demo_lead(catalogue, group))
    # the year's business and the returns, each on its own day, in the order they happen
    happenings = sorted(
        [(sub.submitted_at, sub) for sub in submissions]
        + [(step.at, step) for step in year_steps(load_year())],
        key=lambda pair: pair[0],
    )
    number = 0
    try:
        for when, happening in happenings:
            if isinstance(happening, Step):
                clock.set(when)
                year.run(happening)
                continue
            sub, number = happening, number + 1
            lead = demo_lead(catalogue, sub.group)
            clock.set(sub.submitted_at)  # each return checked and stored on its own day
            checked = check_return(
                lead,
                store,
                catalogue,
                group=sub.group,
                period=sub.quarter.code,
                data=sub.data,
                file_name=sub.file_name,
            )
            result = submit_return(
                lead,
                store,
                catalogue,
                checked,
                explanations=EXPLANATIONS,
            )
            counts[result.status] = counts.get(result.status, 0) + 1
            if progress:
                progress(
                    number, len(submissions), f"{sub.group} {sub.quarter.code}: {result.status}"
                )

        builder = Actor.operator("demo")
        add_demo_people(builder, store, catalogue)
        with _published_files(catalogue, scale) as published:
            import_all_published(builder, store, catalogue, published)
            import_neighbours(
                builder,
                store,
                read_neighbours(published / NEIGHBOURS_FILE),
                source=NEIGHBOURS_FILE,
            )
        recompute(builder, store, catalogue, why="the demo was built")
        set_info(store, "demo", "true", actor="demo")
        store.record_event(actor="demo", action="demo built", detail=counts)
    finally:
        store.close()
    os.replace(partial, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    return counts


@contextmanager
def _published_files(catalogue: Catalogue, scale: str) -> Iterator[Path]:
    """The folder of published files for the demo's size: the shipped files, or (national)
    the real ones with the synthetic ones written for ten years."""
    if SCALES[scale] is None:
        yield DEMO_PUBLISHED
        return
    with tempfile.TemporaryDirectory(prefix="outcomes-national-") as folder:
        for shipped in DEMO_PUBLISHED.iterdir():
            shutil.copy2(shipped, folder)
        write_demo_published(catalogue, Path(folder), years=NATIONAL_YEARS)
        yield Path(folder)


def write_demo_returns(catalogue: Catalogue, folder: Path) -> list[Path]:
    """Write every demo return file (including the faulty drafts) to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for sub in demo_submissions(catalogue):
        target = folder / sub.file_name
        target.write_bytes(sub.data)
        paths.append(target)
    return paths
