"""The demo partnership's last year of business (``data/demo/year.yaml``): the board's
meetings, and at and between them the exception list decided, challenges raised, answered,
resolved and carried forward, actions agreed and updated, the groups' forecasts and a deep
dive, each done through the services by the person who would do it, on its own day.

:func:`year_steps` gives the steps with their times, so that the demo's builder can run them
in order with the returns as they arrive (a challenge on an indicator is answered by the
group's next return when that arrives first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from metrics.core.access import Actor, Role
from metrics.core.catalogue import Catalogue
from metrics.core.settings import ROOT
from metrics.services import (
    add_deep_dive,
    add_meeting,
    answer_challenge,
    carry_forward,
    decide_exception,
    indicator_series,
    make_public,
    raise_challenge,
    record_action,
    resolve_challenge,
    set_forecast,
    update_action,
)
from metrics.store.connection import Store

YEAR = ROOT / "data" / "demo" / "year.yaml"
KINDS = (
    "challenge",
    "answer",
    "resolve",
    "carry",
    "public",
    "action",
    "status",
    "exception",
    "forecast",
    "deep_dive",
)
MEETING_TIME = time(14, 0)
"""A meeting's business is done in the afternoon of its day; other steps at 10:00."""
CHAIR = Actor(
    id="demo|board",
    name="Chair of the partnership board (demo)",
    roles=frozenset({Role.BOARD}),
)


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str
    key: str | None
    args: dict[str, Any]


def load_year(path: Path = YEAR) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def year_steps(year: dict) -> list[Step]:
    """Every step of the year, meetings first, with the time it is done, in order."""
    meeting_days = {m["held_on"] for m in year["meetings"]}
    first = min(meeting_days)
    steps = [
        Step(datetime.combine(first, time(9, 0)), "meeting", None, meeting)
        for meeting in year["meetings"]
    ]
    for raw in year["steps"]:
        kind = next((k for k in raw if k != "day"), None)  # the key after the day
        if kind not in KINDS:
            raise ValueError(f"a step of the demo's year does one of {KINDS}: {raw}")
        args = {k: v for k, v in raw.items() if k not in ("day", kind)}
        when = MEETING_TIME if raw["day"] in meeting_days else time(10, 0)
        steps.append(Step(datetime.combine(raw["day"], when), kind, raw[kind], args))
    return sorted(steps, key=lambda s: s.at)


class YearRunner:
    """Runs the steps against a store, remembering the references the store gives to the
    challenges and actions the year's file names by key."""

    def __init__(self, store: Store, catalogue: Catalogue, lead_of) -> None:
        self.store, self.catalogue, self.lead_of = store, catalogue, lead_of
        self.references: dict[str, str] = {}
        self.groups: dict[str, str] = {}

    def run(self, step: Step) -> None:
        getattr(self, f"_{step.kind}")(step.key, **step.args)

    def _ref(self, key: str) -> str:
        return self.references[key]

    def _meeting(self, _key, **meeting) -> None:
        add_meeting(
            CHAIR,
            self.store,
            held_on=meeting["held_on"],
            kind=meeting["kind"],
            title=meeting["title"],
            reports_to=meeting.get("reports_to"),
        )

    def _challenge(self, key: str, *, group: str, question: str, **more) -> None:
        self.references[key] = raise_challenge(
            CHAIR, self.store, self.catalogue, group=group, question=question, **more
        )
        self.groups[key] = group

    def _answer(self, key: str, *, text: str) -> None:
        lead = self.lead_of(self.groups[key])
        answer_challenge(lead, self.store, self._ref(key), answer=text)

    def _resolve(self, key: str, *, note: str = "") -> None:
        resolve_challenge(CHAIR, self.store, self._ref(key), note=note)

    def _carry(self, key: str, *, note: str = "") -> None:
        carry_forward(CHAIR, self.store, self._ref(key), note=note)

    def _public(self, key: str) -> None:
        make_public(CHAIR, self.store, self.catalogue, self._ref(key))

    def _action(self, key: str, **action) -> None:
        if action.get("challenge"):
            action["challenge"] = self._ref(action["challenge"])
        self.references[key] = record_action(CHAIR, self.store, self.catalogue, **action)
        self.groups[key] = action["group"]

    def _status(self, key: str, *, to: str, note: str = "") -> None:
        lead = self.lead_of(self.groups[key])
        update_action(lead, self.store, self._ref(key), status=to, note=note)

    def _exception(self, _key, *, period: str, indicator: str, include: bool, reason: str):
        decide_exception(
            CHAIR,
            self.store,
            self.catalogue,
            period=period,
            indicator=indicator,
            include=include,
            reason=reason,
        )

    def _forecast(self, _key, *, group, indicator, period, change, reason) -> None:
        """The group's forecast: its latest figure for the authority moved by ``change``."""
        series = indicator_series(
            CHAIR, self.store, self.catalogue, indicator, area=self.catalogue.authority.code
        )
        latest = series.filter(pl.col("value").is_not_null())["value"][-1]
        decimals = self.catalogue.indicator[indicator].decimals
        set_forecast(
            self.lead_of(group),
            self.store,
            self.catalogue,
            indicator=indicator,
            period=period,
            value=round(float(latest) + change, decimals),
            reason=reason,
        )

    def _deep_dive(self, _key, **dive) -> None:
        add_deep_dive(CHAIR, self.store, self.catalogue, **dive)
