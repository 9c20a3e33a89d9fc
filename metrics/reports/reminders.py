"""The board's rules for reminders, and their words: who is reminded of what, and when.

- a delivery group's leads: a return due within the notice period, and a return late; a
  challenge waiting for their answer or an unfinished action due within the notice period,
  and each when it is overdue;
- the board's secretary: a meeting's data cut-off has passed (its figures are fixed, so
  its pack can be made).

Each reminder has a key naming what it is about and the stage it is at (with the due date,
so a challenge carried forward to a new date is reminded of again); a person gets the
reminder with a given key once (:mod:`metrics.services.reminders`).

>>> from datetime import date
>>> due_words(date(2026, 12, 10), date(2026, 12, 3))
'is due on 10 December 2026 (in 7 days)'
>>> due_words(date(2026, 10, 30), date(2026, 12, 3))
'was due on 30 October 2026 (34 days ago)'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from metrics.core.catalogue import Catalogue
from metrics.core.formatting import counted, day
from metrics.core.periods import Quarter
from metrics.reports.board import GroupWork

NOTICE_DAYS = 7
"""By default a lead is reminded this many days before something is due."""


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Reminder:
    key: str
    """What it is about, at which stage: e.g. ``challenge overdue C-0004 2026-10-30``."""
    to: Person
    subject: str
    body: str


def due_words(due: date, on: date) -> str:
    days = (due - on).days
    if days < 0:
        return f"was due on {day(due)} ({counted(-days, 'day')} ago)"
    return f"is due on {day(due)} " + ("(today)" if days == 0 else f"(in {counted(days, 'day')})")


def _stage(due: date, on: date, notice: int) -> str | None:
    """'overdue', 'due' (within the notice period) or None (not yet worth a reminder)."""
    days = (due - on).days
    if days < 0:
        return "overdue"
    return "due" if days <= notice else None


def _letter(person: Person, lines: list[str], link: str | None) -> str:
    where = [f"Open it here: {link}", ""] if link else []
    return "\n".join(
        [
            f"Dear {person.name},",
            "",
            *lines,
            "",
            *where,
            "This reminder comes from Partnership Outcomes, the children's partnership's "
            "performance dashboard. You get each reminder once.",
        ]
    )


def _page(base: str | None, path: str) -> str | None:
    return f"{base.rstrip('/')}/{path}" if base else None


@dataclass(frozen=True)
class Due:
    """Something a delivery group is to be reminded of: the reminder's key, its subject and
    the lines of its letter."""

    key: str
    subject: str
    lines: list[str]


def group_due(
    work: GroupWork, catalogue: Catalogue, *, on: date, notice: int = NOTICE_DAYS
) -> list[Due]:
    """What a delivery group's leads are to be reminded of on ``on``."""
    group = catalogue.group[work.group]
    found: list[Due] = []
    for r in work.returns.iter_rows(named=True):
        quarter = Quarter.parse(r["quarter"])
        due = r["due_by"]
        stage = "late" if r["status"] == "late" else _stage(due, on, notice)
        if stage is None or stage == "overdue":
            continue
        found.append(
            Due(
                f"return {stage} {work.group} {quarter.code}",
                f"{group.name}: the return for {quarter.label} "
                + ("is late" if stage == "late" else f"is due on {day(due)}"),
                [
                    f"The {group.name} return for {quarter.label} {due_words(due, on)}"
                    + (" and has not been received." if stage == "late" else "."),
                    "Download the template, fill it in and submit it on the Submit a return page.",
                ],
            )
        )
    for kind, items, text in (
        ("challenge", work.challenges, "question"),
        ("action", work.actions, "title"),
    ):
        for r in items.iter_rows(named=True):
            stage = _stage(r["due_on"], on, notice)
            if stage is None:
                continue
            about = (
                f" on {r['indicator_code']} {catalogue.indicator[r['indicator_code']].title}"
                if r.get("indicator_code")
                else ""
            )
            what = "the board's challenge" if kind == "challenge" else "the action"
            verb = "needs your answer" if kind == "challenge" else "is unfinished"
            found.append(
                Due(
                    f"{kind} {stage} {r['reference']} {r['due_on']}",
                    f"{group.name}: {what} {r['reference']} is {stage}",
                    [
                        f"{what.capitalize()} {r['reference']}{about} {verb}: it "
                        f"{due_words(r['due_on'], on)}.",
                        "",
                        f"{'Question' if kind == 'challenge' else 'Action'}: {r[text]}",
                    ]
                    + (
                        [
                            "Answer it on the Challenges and actions page, or with the "
                            "commentary of your next return."
                        ]
                        if kind == "challenge"
                        else ["Say how it stands on the Challenges and actions page."]
                    ),
                )
            )
    return found


def for_leads(
    due: list[Due], group: str, leads: list[Person], *, base_url: str | None = None
) -> list[Reminder]:
    """Each of ``due`` as a letter to each of the group's leads."""
    link = _page(base_url, f"work?group={group}")
    return [
        Reminder(key=d.key, to=lead, subject=d.subject, body=_letter(lead, d.lines, link))
        for d in due
        for lead in leads
    ]


def for_secretary(
    meetings: list[dict], secretaries: list[Person], *, now: datetime, base_url: str | None = None
) -> list[Reminder]:
    """Reminders to the board's secretary: each meeting still to come whose data cut-off has
    passed (its figures are now fixed, so its pack can be made)."""
    found = []
    for m in meetings:
        if not (m["cut_off"] <= now and m["held_on"] >= now.date()):
            continue
        subject = f"The figures for the board meeting on {day(m['held_on'])} are fixed"
        lines = [
            f"The data cut-off for the board meeting on {day(m['held_on'])} ({m['title']}) "
            f"passed at {m['cut_off']:%H:%M} on {day(m['cut_off'])}: the figures its pages "
            "and pack show are fixed.",
            "Make the board pack on the Challenges and actions page, or with "
            f"'outcomes board-pack --meeting {m['id']}'.",
        ]
        found += [
            Reminder(
                key=f"cut-off passed meeting {m['id']} {m['cut_off']:%Y-%m-%dT%H:%M}",
                to=person,
                subject=subject,
                body=_letter(person, lines, _page(base_url, "accountability")),
            )
            for person in secretaries
        ]
    return found
