"""Board packs and deep dives, as services: the pack for a meeting made from the figures as
they stood at its data cut-off, and deep dives saved and made from the figures as they
stand, as PDF or HTML, with small numbers withheld from a reader who may not see them.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.core.access import Actor, can, require
from metrics.core.catalogue import Catalogue
from metrics.core.settings import setting
from metrics.reports import deep_dive
from metrics.reports import html as pack_html
from metrics.reports.pack import build_pack
from metrics.reports.pdf import html_to_pdf
from metrics.services.board import CannotChange, NotFound, as_at_meeting, required_text
from metrics.services.guard import audited, conceals, disclosed, refuse_identifying
from metrics.store.connection import Store
from metrics.store.reads import board as board_reads
from metrics.store.writes import board as board_writes


@audited
def board_pack(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    meeting_id: int,
    *,
    format: str = "pdf",
    made_on: date | None = None,
) -> bytes:
    """The board pack for a meeting, as PDF or HTML: the figures as they stood at its data
    cut-off, with small numbers withheld from a reader who may not see them."""
    meeting, as_at = as_at_meeting(actor, store, catalogue, meeting_id)
    if format not in ("pdf", "html"):
        raise CannotChange("a board pack is made as pdf or html")
    pack = build_pack(
        as_at,
        store,
        catalogue,
        meeting,
        concealed=conceals(actor),
        marking=setting("OUTCOMES_PROTECTIVE_MARKING"),
        made_on=made_on,
    )
    html = pack_html.render(pack)
    footer = (
        f"{pack.partnership} · {meeting['title']} · data to {pack.cut_off:%d %b %Y} · "
        f"made {pack.made_on:%d %b %Y}"
    )
    made = (
        html.encode("utf-8")
        if format == "html"
        else html_to_pdf(html, header=pack.marking, footer=footer)
    )
    if not conceals(actor):
        disclosed(actor, store, "board pack", meeting=meeting_id, format=format)
    return made


# --- deep dives -----------------------------------------------------------------------------


@audited
def add_deep_dive(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    title: str,
    audience: str,
    narrative: str,
    indicators: list[str] | None = None,
    priority: str | None = None,
    areas: list[str] | None = None,
    breakdowns: list[str] | None = None,
) -> int:
    """Save a deep dive: its topic (indicators, or a plan priority's), the areas and
    breakdowns to look at, the narrative and its audience."""
    require(actor, "write-deep-dive")
    if audience not in deep_dive.AUDIENCES:
        raise CannotChange(f"a deep dive is for one of: {', '.join(deep_dive.AUDIENCES)}")
    indicators = list(indicators or [])
    unknown = [c for c in indicators if c not in catalogue.indicator]
    unknown += [a for a in areas or [] if a not in catalogue.area]
    unknown += [b for b in breakdowns or [] if b not in catalogue.breakdown]
    if unknown or (priority is not None and priority not in catalogue.priority):
        raise CannotChange(f"not in the catalogue: {', '.join(unknown) or priority}")
    if not indicators and priority is None:
        raise CannotChange("a deep dive looks at some indicators, or at a plan priority")
    title, narrative = required_text(title, "title"), required_text(narrative, "narrative")
    refuse_identifying({"title": title, "narrative": narrative})
    return board_writes.add_deep_dive(
        store,
        {
            "title": title,
            "audience": audience,
            "indicators": indicators,
            "priority": priority,
            "areas": list(areas or []),
            "breakdowns": list(breakdowns or []),
            "narrative": narrative,
            "created_by": actor.name,
        },
        actor=actor.id,
    )


@audited
def deep_dives(actor: Actor, store: Store) -> pl.DataFrame:
    """Every saved deep dive, newest first."""
    require(actor, "view-board-business")
    return board_reads.deep_dives(store)


@audited
def deep_dive_report(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    dive_id: int,
    *,
    format: str = "pdf",
    made_on: date | None = None,
) -> bytes:
    """A saved deep dive, made from the figures as they stand, as PDF or HTML."""
    hide = conceals(actor)
    record = board_reads.deep_dive(store, dive_id)
    if record is None:
        raise NotFound(f"there is no deep dive {dive_id}")
    if not can(actor, "view-localities"):
        record = {**record, "areas": []}
    dive = deep_dive.build_deep_dive(
        store,
        catalogue,
        record,
        concealed=hide,
        marking=setting("OUTCOMES_PROTECTIVE_MARKING"),
        made_on=made_on,
    )
    html = deep_dive.render(dive)
    footer = f"{dive.partnership} · deep dive for the {record['audience']}"
    footer = f"{footer} · made {dive.made_on:%d %b %Y}"
    made = (
        html.encode("utf-8")
        if format == "html"
        else html_to_pdf(html, header=dive.marking, footer=footer)
    )
    if not hide:
        disclosed(actor, store, "deep dive", deep_dive=dive_id, format=format)
    return made
