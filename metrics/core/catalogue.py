"""The catalogue: outcomes, plan priorities, delivery groups, areas, breakdowns and indicators.

Everything the product knows about what is measured is data under ``data/catalogue/``
(one YAML file per kind of entry). :func:`load_catalogue` reads the files, checks each
entry against a typed model and checks the references between them; any problem raises
:class:`CatalogueError` naming the file, the entry and the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from metrics.core.periods import PeriodError, PeriodType, Quarter, normalise, period_for_return
from metrics.core.settings import SETTINGS, setting

DEFAULT_CATALOGUE_DIR = SETTINGS["OUTCOMES_CATALOGUE"].default

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$", min_length=1, max_length=40)]


class CatalogueError(ValueError):
    """The catalogue files are missing, malformed or inconsistent."""


class Kind(StrEnum):
    PROPORTION = "proportion"
    RATE = "rate"
    COUNT = "count"
    MEAN = "mean"


class Polarity(StrEnum):
    HIGH_IS_GOOD = "high_is_good"
    LOW_IS_GOOD = "low_is_good"
    NO_JUDGEMENT = "no_judgement"


class Measure(StrEnum):
    """Results-based accountability's two kinds: a population indicator (a condition of
    well-being the whole partnership answers for) or a performance measure (of one group's
    service)."""

    POPULATION = "population"
    PERFORMANCE = "performance"


class RBA(StrEnum):
    """The question a performance measure answers."""

    HOW_MUCH = "how much"
    HOW_WELL = "how well"
    BETTER_OFF = "better off"

    @property
    def question(self) -> str:
        return {
            "how much": "How much did we do?",
            "how well": "How well did we do it?",
            "better off": "Is anyone better off?",
        }[self.value]


COMMENTARY_PARTS = {
    "commentary": "What the figures show",
    "story": "The story behind the curve",
    "partners": "Partners with a role",
    "what_works": "What works",
    "actions": "Actions planned",
}
"""A group's commentary on an indicator, in results-based accountability's form: the return
column for each part, and its heading. ``commentary`` alone is fine; the others are
optional."""


class AreaLevel(StrEnum):
    AUTHORITY = "authority"
    LOCALITY = "locality"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outcome(_Entry):
    code: Code
    number: int = Field(ge=1, le=5)
    title: str
    description: str


class Priority(_Entry):
    code: Code
    title: str
    description: str


class Group(_Entry):
    code: Code
    name: str
    lead: str
    description: str


class Area(_Entry):
    code: Annotated[str, Field(pattern=r"^[EWSN]\d{8}$")]
    name: str
    level: AreaLevel
    population_0_17: int = Field(gt=0)


class BreakdownCategory(_Entry):
    code: Code
    label: str


class Breakdown(_Entry):
    code: Code
    label: str
    categories: list[BreakdownCategory] = Field(min_length=2)
    gap: tuple[Code, Code] | None = Field(
        default=None, description="(group of interest, comparison group) for the gap"
    )

    @model_validator(mode="after")
    def _gap_names_categories(self) -> Breakdown:
        known = {c.code for c in self.categories}
        if self.gap and not set(self.gap) <= known:
            raise ValueError(f"gap {list(self.gap)} names categories not in {sorted(known)}")
        return self


class Target(_Entry):
    value: float
    amber_tolerance: float = Field(ge=0)


class AreaTable(_Entry):
    """A publisher's own table with one row per area (the Youth Justice Board's, Ofsted's and
    OHID's spreadsheets by authority): the columns its header names. The header may sit below
    a title and notes; each row's level is told from its ONS area code."""

    publisher: str = Field(min_length=2)
    area_code: str
    """The column holding each area's ONS code (E92…, E12…, E06/E08/E09/E10…)."""
    period: str
    """The column holding the period (2024-25, 2024/25, or a date such as 31 March 2025)."""
    area_name: str | None = None
    sheet: str | None = None
    """The sheet of a workbook (the first where not given)."""


class PublishedSource(_Entry):
    """Where the published (England, region, every authority) series comes from."""

    file: str
    column: str | None = None
    """The column holding the value, in a DfE open-data (EES) file or a publisher's table."""
    table: AreaTable | None = None
    """A publisher's own table by area, read with ``column`` as its value column."""
    fingertips_id: int | None = None
    """The Fingertips indicator id, in an OHID Fingertips export."""
    name: str | None = None
    """The publisher's name for the indicator, checked against the export's (a Fingertips
    export names each indicator): a mismatch means the id may be the wrong one."""
    filters: dict[str, str] = Field(default_factory=dict)
    numerator_column: str | None = None
    denominator_column: str | None = None
    decimals: int | None = Field(default=None, ge=0, le=6)
    """The decimal places the publisher rounds the value to, where not the indicator's."""
    synthetic_in_demo: bool = False
    """The demo ships a made-up file in the real layout (no real one is at hand)."""

    @model_validator(mode="after")
    def _one_layout(self) -> PublishedSource:
        if (self.column is None) == (self.fingertips_id is None):
            raise ValueError(
                "give column (a DfE open-data file or a publisher's table) or fingertips_id "
                "(a Fingertips export), not both"
            )
        if self.table is not None and self.column is None:
            raise ValueError("a publisher's table needs column: the column holding the value")
        return self


class NoPublishedSource(_Entry):
    """Why an indicator has no published series to compare with: a local measure with no
    national equivalent, or a national series this product does not import (and why)."""

    reason: str = Field(min_length=20)
    published_elsewhere: bool = False
    """A national series exists (named in the reason) but is not imported."""

    @property
    def label(self) -> str:
        """What a reader sees where the England comparison would be."""
        if self.published_elsewhere:
            return "national figures not imported"
        return "local measure, no national equivalent"


class Indicator(_Entry):
    code: Code
    title: str
    definition: str
    outcome: Code
    priorities: list[Code] = Field(default_factory=list)
    group: Code
    measure: Measure
    rba: RBA | None = None
    kind: Kind
    multiplier: float = Field(default=1, gt=0)
    polarity: Polarity
    period_type: PeriodType
    due_quarter: int | None = Field(default=None, ge=1, le=4)
    unit: str
    decimals: int = Field(ge=0, le=4)
    source: str
    area_levels: list[AreaLevel] = Field(min_length=1)
    breakdowns: list[Code] = Field(default_factory=list)
    targets: dict[str, Target] = Field(default_factory=dict)
    change_threshold: float = Field(gt=0)
    suppression_threshold: int = Field(ge=0)
    published: PublishedSource | None = None
    no_published_source: NoPublishedSource | None = None
    """Why there is no published source (every indicator has one or the other)."""

    @field_validator("targets", mode="before")
    @classmethod
    def _target_years(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for year, target in value.items():
            try:
                out[normalise(str(year), PeriodType.FINANCIAL_YEAR)] = target
            except PeriodError as exc:
                raise ValueError(f"target year {exc}") from None
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.kind is Kind.RATE and self.multiplier not in (100, 1_000, 10_000, 100_000):
            raise ValueError("a rate needs a multiplier of 100, 1000, 10000 or 100000")
        if self.kind is Kind.PROPORTION and self.multiplier != 100:
            raise ValueError("a proportion is shown as a percentage: multiplier must be 100")
        if self.kind in (Kind.COUNT, Kind.MEAN) and self.multiplier != 1:
            raise ValueError(f"a {self.kind.value} takes no multiplier")
        annual = self.period_type is not PeriodType.FINANCIAL_QUARTER
        if annual and self.due_quarter is None:
            raise ValueError("an annual indicator needs due_quarter: the return that carries it")
        if not annual and self.due_quarter is not None:
            raise ValueError("a quarterly indicator is due every quarter: remove due_quarter")
        if self.measure is Measure.PERFORMANCE and self.rba is None:
            raise ValueError("a performance measure says which question it answers: rba")
        if self.measure is Measure.POPULATION and self.rba is not None:
            raise ValueError("rba is for performance measures, not population indicators")
        if (self.published is None) == (self.no_published_source is None):
            raise ValueError(
                "name the published source England's and other authorities' figures come "
                "from (published:) or say why there is none (no_published_source: reason), "
                "one of the two"
            )
        by_locality_only = AreaLevel.AUTHORITY not in self.area_levels
        if self.kind is Kind.MEAN and by_locality_only:
            raise ValueError("a mean cannot be summed: list the authority level too")
        return self

    @property
    def additive(self) -> bool:
        """Whether locality figures add up to the authority's (numerators and denominators)."""
        return self.kind is not Kind.MEAN

    def is_due(self, quarter: Quarter) -> bool:
        return self.due_quarter is None or self.due_quarter == quarter.quarter

    def period_in(self, quarter: Quarter) -> str:
        """The period this indicator reports in the return for ``quarter``."""
        return period_for_return(self.period_type, quarter)


class AccessibilityContact(_Entry):
    """Who answers for the app's accessibility, and the statement's dates (the Public Sector
    Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018)."""

    email: str
    phone: str | None = None
    reply_within_days: int = Field(default=5, ge=1, le=30)
    prepared: date
    reviewed: date

    @model_validator(mode="after")
    def _in_order(self) -> AccessibilityContact:
        if self.reviewed < self.prepared:
            raise ValueError("the statement cannot be reviewed before it was prepared")
        return self


class Settings(_Entry):
    partnership: str
    authority: str
    home_old_la_code: str | None = None
    home_region_code: str | None = None
    demo_first_quarter: str
    demo_last_quarter: str
    neighbour_average: Literal["median", "mean"] = "median"
    plausible_maximum: dict[Kind, float] = Field(
        default_factory=lambda: dict.fromkeys(Kind, 10_000_000.0)
    )
    """The largest figure a return may carry, by indicator kind (rule C19)."""
    accessibility: AccessibilityContact

    @field_validator("plausible_maximum")
    @classmethod
    def _every_kind(cls, value: dict[Kind, float]) -> dict[Kind, float]:
        missing = [k.value for k in Kind if k not in value]
        if missing:
            raise ValueError(f"give a maximum for every kind (missing: {', '.join(missing)})")
        if any(v <= 0 for v in value.values()):
            raise ValueError("every maximum must be more than 0")
        return value


class Catalogue(BaseModel):
    """All catalogue entries, cross-checked."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    def fingerprint(self) -> str:
        """A hash of everything the catalogue says (targets, tolerances, polarity,
        thresholds, definitions, ...): stored values were computed by the catalogue whose
        fingerprint the database records, and are computed again when it changes."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    settings: Settings
    outcomes: list[Outcome]
    priorities: list[Priority]
    groups: list[Group]
    areas: list[Area]
    breakdowns: list[Breakdown]
    indicators: list[Indicator]

    @cached_property
    def indicator(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    @cached_property
    def group(self) -> dict[str, Group]:
        return {g.code: g for g in self.groups}

    @cached_property
    def outcome(self) -> dict[str, Outcome]:
        return {o.code: o for o in self.outcomes}

    @cached_property
    def priority(self) -> dict[str, Priority]:
        return {p.code: p for p in self.priorities}

    @cached_property
    def area(self) -> dict[str, Area]:
        return {a.code: a for a in self.areas}

    @cached_property
    def breakdown(self) -> dict[str, Breakdown]:
        return {b.code: b for b in self.breakdowns}

    @cached_property
    def authority(self) -> Area:
        return next(a for a in self.areas if a.level is AreaLevel.AUTHORITY)

    @cached_property
    def localities(self) -> list[Area]:
        return [a for a in self.areas if a.level is AreaLevel.LOCALITY]

    def indicators_of(self, group: str) -> list[Indicator]:
        return [i for i in self.indicators if i.group == group]

    def breakdown_codes(self) -> list[str]:
        """Every breakdown code a return may use: ``total`` and ``dimension:category``."""
        codes = ["total"]
        for b in self.breakdowns:
            codes.extend(f"{b.code}:{c.code}" for c in b.categories)
        return codes

    def due_rows(self, group: str, quarter: Quarter) -> list[tuple[str, str, str, str]]:
        """(indicator, period, area, breakdown) rows a group's return for ``quarter`` must hold.

        Additive indicators reported by locality list each locality (the authority total
        is derived); breakdowns are reported for the authority as a whole.
        """
        rows = []
        for ind in self.indicators_of(group):
            if not ind.is_due(quarter):
                continue
            period = ind.period_in(quarter)
            by_locality = AreaLevel.LOCALITY in ind.area_levels
            if by_locality:
                rows.extend((ind.code, period, a.code, "total") for a in self.localities)
            if not by_locality or not ind.additive:
                rows.append((ind.code, period, self.authority.code, "total"))
            for dim in ind.breakdowns:
                rows.extend(
                    (ind.code, period, self.authority.code, f"{dim}:{c.code}")
                    for c in self.breakdown[dim].categories
                )
        return rows

    def permitted_rows(self, group: str, quarter: Quarter) -> set[tuple[str, str, str, str]]:
        """Due rows plus the optional authority total of additive locality indicators."""
        rows = set(self.due_rows(group, quarter))
        for ind in self.indicators_of(group):
            if ind.is_due(quarter):
                rows.add((ind.code, ind.period_in(quarter), self.authority.code, "total"))
        return rows

    def permitted_combinations(self, group: str, quarter: Quarter) -> set[str]:
        """``indicator|area level|breakdown`` combinations a return may hold."""
        return {
            f"{code}|{self.area[area].level.value}|{breakdown}"
            for code, _, area, breakdown in self.permitted_rows(group, quarter)
        }

    def first_demo_quarter(self) -> Quarter:
        return Quarter.parse(self.settings.demo_first_quarter)

    def last_demo_quarter(self) -> Quarter:
        return Quarter.parse(self.settings.demo_last_quarter)


_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "outcomes": ("outcomes.yaml", Outcome),
    "priorities": ("priorities.yaml", Priority),
    "groups": ("groups.yaml", Group),
    "areas": ("areas.yaml", Area),
    "breakdowns": ("breakdowns.yaml", Breakdown),
    "indicators": ("indicators.yaml", Indicator),
}


def catalogue_dir() -> Path:
    return setting("OUTCOMES_CATALOGUE")


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise CatalogueError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _describe(errors: Iterable[dict[str, Any]]) -> str:
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err["loc"]) or "(entry)"
        parts.append(f"field '{where}': {err['msg']}")
    return "; ".join(parts)


def _load_entries(path: Path, model: type[BaseModel]) -> list[Any]:
    data = _read_yaml(path)
    if not isinstance(data, list):
        raise CatalogueError(f"{path}: expected a list of entries, found {type(data).__name__}")
    entries, seen = [], set()
    for number, raw in enumerate(data, start=1):
        name = raw.get("code", f"#{number}") if isinstance(raw, dict) else f"#{number}"
        try:
            entry = model.model_validate(raw)
        except ValidationError as exc:
            raise CatalogueError(
                f"{path}: entry {number} ('{name}'): {_describe(exc.errors())}"
            ) from None
        code = getattr(entry, "code", None)
        if code in seen:
            raise CatalogueError(f"{path}: entry {number} ('{code}'): code used twice")
        seen.add(code)
        entries.append(entry)
    return entries


def _check_references(cat: Catalogue, folder: Path) -> None:
    path = folder / "indicators.yaml"
    for number, ind in enumerate(cat.indicators, start=1):
        where = f"{path}: entry {number} ('{ind.code}')"
        if ind.outcome not in cat.outcome:
            raise CatalogueError(f"{where}: field 'outcome': unknown outcome '{ind.outcome}'")
        if ind.group not in cat.group:
            raise CatalogueError(f"{where}: field 'group': unknown group '{ind.group}'")
        for p in ind.priorities:
            if p not in cat.priority:
                raise CatalogueError(f"{where}: field 'priorities': unknown priority '{p}'")
        for b in ind.breakdowns:
            if b not in cat.breakdown:
                raise CatalogueError(f"{where}: field 'breakdowns': unknown breakdown '{b}'")
    authorities = [a for a in cat.areas if a.level is AreaLevel.AUTHORITY]
    if len(authorities) != 1:
        raise CatalogueError(
            f"{folder / 'areas.yaml'}: exactly one area of level 'authority' is needed, "
            f"found {len(authorities)}"
        )
    numbers = sorted(o.number for o in cat.outcomes)
    if numbers != list(range(1, len(numbers) + 1)):
        raise CatalogueError(f"{folder / 'outcomes.yaml'}: outcomes must be numbered 1..n")


def load_catalogue(folder: Path | str | None = None) -> Catalogue:
    """Read and check the catalogue in ``folder`` (default: ``OUTCOMES_CATALOGUE`` or
    ``data/catalogue``)."""
    folder = Path(folder) if folder else catalogue_dir()
    parts: dict[str, Any] = {}
    for key, (name, model) in _FILES.items():
        parts[key] = _load_entries(folder / name, model)
    settings_path = folder / "settings.yaml"
    try:
        parts["settings"] = Settings.model_validate(_read_yaml(settings_path))
    except ValidationError as exc:
        raise CatalogueError(f"{settings_path}: {_describe(exc.errors())}") from None
    cat = Catalogue(**parts)
    _check_references(cat, folder)
    return cat
