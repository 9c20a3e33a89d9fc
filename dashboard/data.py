"""Data access for pages: the store, the catalogue, and the services pages call, cached.

Pages never open the database, read it or compute a statistic themselves: they call these
functions with the actor, and these call :mod:`metrics.services` (which checks what the
actor may do and withholds small numbers) or :mod:`metrics.reports`. Cached reads are keyed
by the store's data version, so an accepted upload shows at once for every user without
clearing any global cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from dashboard import components
from metrics import services
from metrics.core.access import Actor
from metrics.core.catalogue import Catalogue, load_catalogue
from metrics.reports.overview import Overview
from metrics.services import CheckedReturn, IngestResult, Store, StoreError

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def catalogue() -> Catalogue:
    return load_catalogue()


def _store(path: str) -> Store:
    """The app's store, shared by every session and the open data API: opened once per
    process (values computed by an older catalogue are computed again first)."""
    return services.serve_store(path, catalogue())


def store() -> Store:
    """The app's store; stops the page with instructions if there is no database."""
    path = services.default_location()
    if not services.location_exists(path):
        st.error(
            f"There is no database at `{path}` yet. Build the demo with `make run` "
            "(or `outcomes demo`), or set `OUTCOMES_DB` to your database file."
        )
        st.stop()
    try:
        return _store(str(path))
    except StoreError as exc:
        st.error(f"The database could not be opened: {components.plain(exc)}")
        st.stop()


def today() -> date:
    """Today, by the store's clock (the one clock the services use too)."""
    return store().clock.today()


_this_run = threading.local()
"""What one run of the script (one session's thread) remembers until its next run."""


def begin_run() -> None:
    """Called first in every run of the app: the data version is read at most once a run,
    and again after a write made through the app's store."""
    _this_run.versions = {}


def version() -> tuple:
    """Changes whenever anything is written; the key for every cached query (with the
    database it describes, so two databases in one process never share a cache entry).
    Read once per run of the page (a page makes a dozen cached reads), and again as soon as
    anything has been committed through the store since."""
    s = store()
    key = (str(s.path), s.commits)
    remembered = getattr(_this_run, "versions", None)
    if remembered is not None and key in remembered:
        return remembered[key]
    found = (str(s.path), *s.data_version())
    if remembered is not None:
        remembered.clear()
        remembered[key] = found
    return found


_made: OrderedDict[tuple, Any] = OrderedDict()
_made_lock = threading.Lock()


def made_once(actor: Actor, key: tuple, make: Callable[[], T]) -> T:
    """A chart (or a table of display rows) made once per data version, level of disclosure
    and ``key`` (what it shows: the period, the meeting, ...), then shared by every session
    that asks. Shared, so read only: pages draw it (``st.plotly_chart`` reads a figure, a
    Polars frame is never changed in place) and never change it. The 64 most recent are
    kept."""
    full = (*_as(actor), *key)
    with _made_lock:
        found = _made.get(full)
        if found is not None:
            _made.move_to_end(full)
            return found
    made = make()
    with _made_lock:
        _made[full] = made
        while len(_made) > 64:
            _made.popitem(last=False)
    return made


def catalogue_table() -> pl.DataFrame:
    """The catalogue as a table (definitions only: no figures)."""
    return _catalogue_table()


@st.cache_data(show_spinner=False)
def _catalogue_table() -> pl.DataFrame:
    return services.catalogue_table(services.READERS["public"], catalogue())


# Reads of figures. Each public function takes the actor; the cached function beneath it
# takes, instead, the stand-in reader for what that actor may see (services.reader) and the
# data version. So a write shows at once (a new version is a new cache key), nothing ever
# clears Streamlit's shared caches, and an entry read for one level of disclosure is never
# served to another: a scrutiny member can never be handed the board's cached figures.


def _as(actor: Actor) -> tuple[str, tuple]:
    return services.reader(actor).id, version()


@st.cache_resource(show_spinner=False, max_entries=8)
def _as_at(meeting: int, version: tuple):
    """The store as it stood at a meeting's data cut-off (reconstructed once per version)."""
    reader = services.READERS["unsuppressed"]
    return services.as_at_meeting(reader, store(), catalogue(), meeting)[1]


def _source(meeting: int | None, version: tuple):
    """What to read: the store now, or as it stood at a meeting's data cut-off."""
    return store() if meeting is None else _as_at(meeting, version)


def meeting(actor: Actor, meeting_id: int) -> dict:
    """A meeting's record (date, kind, data cut-off), without reconstructing its figures."""
    return services.meeting(actor, store(), meeting_id)


def _reader(reader_id: str) -> Actor:
    return services.READERS[reader_id.split("|", 1)[1]]


def disclosure_level(actor: Actor) -> str:
    """What ``actor`` may see, as a download's file name says it: ``unsuppressed``,
    ``suppressed`` (small numbers withheld) or ``public`` (withheld, the authority only)."""
    return services.reader(actor).id.split("|", 1)[1]


def conceals(actor: Actor) -> bool:
    """Whether small numbers are withheld from ``actor``."""
    return services.conceals(actor)


def cached_read(
    service: Callable[..., T],
    *,
    with_catalogue: bool = True,
    as_at_meeting: bool = False,
    max_entries: int = 64,
) -> Callable[..., T]:
    """A service's read for a page, cached: ``read(actor, *args)`` (and ``meeting=`` where
    the figures can be read as they stood at a meeting) calls ``service(reader, source,
    [catalogue,] *args)`` as the stand-in reader of the actor's level of disclosure, keyed by
    that level, the data version, the meeting and the arguments."""

    def cached(reader: str, version: tuple, meeting: int | None, args: tuple) -> T:
        leading = (_reader(reader), _source(meeting, version))
        return service(*leading, *((catalogue(),) if with_catalogue else ()), *args)

    # Streamlit keys a cache by the function's qualified name and code: give each its own
    cached.__qualname__ = cached.__name__ = f"cached_{service.__name__}"
    stored = st.cache_data(show_spinner=False, max_entries=max_entries)(cached)

    def read(actor: Actor, *args: Any, meeting: int | None = None) -> T:
        if meeting is not None and not as_at_meeting:
            raise TypeError(f"{service.__name__} is read as the figures stand now")
        return stored(*_as(actor), meeting, args)

    read.__name__ = read.__qualname__ = service.__name__
    read.__doc__ = service.__doc__
    return read


periods = cached_read(services.periods, with_catalogue=False, as_at_meeting=True, max_entries=32)
trend = cached_read(services.indicator_trend, as_at_meeting=True, max_entries=128)
similar_authorities = cached_read(services.similar_authorities)
neighbour_list = cached_read(services.neighbour_list, max_entries=8)
all_authorities = cached_read(services.all_authorities, with_catalogue=False, max_entries=256)
area_values = cached_read(services.area_values, as_at_meeting=True, max_entries=256)
breakdown_values = cached_read(services.breakdown_values, as_at_meeting=True, max_entries=256)
commentary_history = cached_read(services.commentary_history, as_at_meeting=True, max_entries=256)
data_quality = cached_read(services.data_quality, with_catalogue=False, max_entries=16)


def _default_period_on(reader: Actor, source, on: date) -> str | None:
    return services.default_period(reader, source)


def _overview_on(reader: Actor, source, catalogue: Catalogue, period: str, on: date) -> Overview:
    return services.overview(reader, source, catalogue, period, on=on)


def _indicator_series_of(
    reader: Actor, source, catalogue: Catalogue, code: str, area: str, breakdown: str
) -> pl.DataFrame:
    return services.indicator_series(
        reader, source, catalogue, code, area=area, breakdown=breakdown
    )


def _area_series_of(
    reader: Actor, source, catalogue: Catalogue, code: str, areas: tuple[str, ...]
) -> pl.DataFrame:
    return services.area_series(reader, source, catalogue, code, list(areas))


area_series = cached_read(_area_series_of, max_entries=256)
_default_period = cached_read(
    _default_period_on, with_catalogue=False, as_at_meeting=True, max_entries=32
)
_overview = cached_read(_overview_on, as_at_meeting=True)
_indicator_series = cached_read(_indicator_series_of, as_at_meeting=True, max_entries=256)


def default_period(actor: Actor, *, meeting: int | None = None) -> str | None:
    """The latest complete quarter with returns, by the store's clock (today is part of the
    key: the default moves on when a quarter ends)."""
    return _default_period(actor, today(), meeting=meeting)


def overview(actor: Actor, period: str, *, meeting: int | None = None) -> Overview:
    """The board overview for a quarter (figures, summaries, exceptions, returns), as the
    person may see it: now, or as it stood at a meeting's data cut-off (late returns and
    overdue actions judged on the meeting's day)."""
    on = services.meeting(actor, store(), meeting)["held_on"] if meeting else today()
    return _overview(actor, period, on, meeting=meeting)


def indicator_series(
    actor: Actor, code: str, area: str, breakdown: str, *, meeting: int | None = None
) -> pl.DataFrame:
    return _indicator_series(actor, code, area, breakdown, meeting=meeting)


# A group's returns are read as the person (leads, the board and admins only): not cached
# per level of disclosure, and cheap.


def group_submissions(actor: Actor, group: str) -> pl.DataFrame:
    return services.group_submissions(actor, store(), group)


def submission_findings(actor: Actor, submission_id: int) -> pl.DataFrame:
    return services.submission_findings(actor, store(), submission_id)


def previous_explanations(actor: Actor, group: str, period: str) -> dict[str, str]:
    """Explanations from earlier versions of a return, to pre-fill recurring warnings."""
    return services.previous_explanations(actor, store(), group, period)


def is_demo() -> bool:
    """Whether the database was built by ``outcomes demo`` (then the role switcher shows,
    unless :func:`demo_refused` says why not)."""
    return _demo_state(version())[0]


def demo_refused() -> str | None:
    return _demo_state(version())[1]


@st.cache_data(show_spinner=False, max_entries=4)
def _demo_state(version: tuple) -> tuple[bool, str | None]:
    """Whether the database is the demo, and why demo mode is refused if it is, read once
    per data version (every run of every page asks)."""
    demo = store().info("demo") == "true"
    return demo, services.demo_mode_refused(store()) if demo else None


def actor_for(
    user_id: str, *, claimed: list[str], mapping: dict, name: str | None, email: str | None
) -> Actor | None:
    return services.actor_for(
        store(), user_id, claimed=claimed, mapping=mapping, name=name, email=email
    )


def role_map(mapping: dict[str, str]) -> dict:
    """The configured claim-to-role mapping, checked (ValueError says what is wrong)."""
    return services.role_map(mapping, catalogue())


def sign_in_problem(auth: dict) -> str | None:
    return services.sign_in_problem(auth)


def claims_to_map(section: dict, issuer: str | None) -> bool:
    return services.claims_to_map(section, issuer)


def record(user_id: str, action: str, **detail: str) -> None:
    """An audit entry for sign-in, sign-out or a refusal."""
    store().record_event(actor=user_id, action=action, detail=detail or None)


def check_return(
    actor: Actor, *, group: str, period: str, content: bytes, file_name: str | None
) -> CheckedReturn:
    return services.check_return(
        actor, store(), catalogue(), group=group, period=period, data=content, file_name=file_name
    )


def submit_return(
    actor: Actor,
    checked: CheckedReturn,
    *,
    explanations: dict[str, str],
    on_wait: Callable[[str], None],
) -> IngestResult:
    return services.submit_return(
        actor, store(), catalogue(), checked, explanations=explanations, on_wait=on_wait
    )


def users(actor: Actor) -> pl.DataFrame:
    return services.list_users(actor, store())


def invite(actor: Actor, *, email: str, name: str, role: str, group: str | None) -> str:
    return services.invite(
        actor, store(), catalogue(), email=email, name=name, role=role, group=group
    )


def ask_for_access(user_id: str, *, name: str | None, email: str | None) -> None:
    services.ask_for_access(store(), user_id=user_id, name=name, email=email)


def access_asked(actor: Actor) -> pl.DataFrame:
    return services.access_asked(actor, store())


def invitations(actor: Actor) -> pl.DataFrame:
    return services.invitations(actor, store())


def take_up_invitation(
    user_id: str, *, email: str | None, verified: bool, name: str | None
) -> bool:
    return services.take_up_invitation(
        store(), user_id=user_id, email=email, verified=verified, name=name
    )


def add_user(actor: Actor, *, user_id: str, name: str, email: str | None) -> None:
    services.add_user(actor, store(), user_id=user_id, name=name, email=email)


def change_role(actor: Actor, *, user_id: str, role: str, group: str | None, add: bool) -> None:
    change = services.grant if add else services.revoke
    change(actor, store(), catalogue(), user_id=user_id, role=role, group=group)


def preview_return(actor: Actor, checked: CheckedReturn) -> pl.DataFrame:
    return services.preview_return(actor, store(), catalogue(), checked)


def replacing(actor: Actor, group: str, period: str) -> dict | None:
    return services.replacing(actor, store(), group, period)


# --- the accountability cycle (read and written as the person: not cached) -------------------


def meetings(actor: Actor) -> pl.DataFrame:
    """Every meeting, latest first: read as the person once per data version (every page
    that can show a meeting's figures asks)."""
    return _meetings(actor, version())


@st.cache_data(show_spinner=False, max_entries=32)
def _meetings(actor: Actor, version: tuple) -> pl.DataFrame:
    return services.meetings(actor, store())


def add_meeting(actor: Actor, **fields) -> int:
    return services.add_meeting(actor, store(), **fields)


def challenges(actor: Actor, group: str | None = None) -> pl.DataFrame:
    """The board's challenges (a group's, where given), read as the person once per data
    version."""
    return _challenges(actor, version(), group)


@st.cache_data(show_spinner=False, max_entries=64)
def _challenges(actor: Actor, version: tuple, group: str | None) -> pl.DataFrame:
    return services.challenges(actor, store(), group=group)


def raise_challenge(actor: Actor, **fields) -> str:
    return services.raise_challenge(actor, store(), catalogue(), **fields)


def answer_challenge(actor: Actor, reference: str, answer: str) -> None:
    services.answer_challenge(actor, store(), reference, answer=answer)


def resolve_challenge(actor: Actor, reference: str, note: str) -> None:
    services.resolve_challenge(actor, store(), reference, note=note)


def carry_forward(actor: Actor, reference: str, note: str) -> object:
    return services.carry_forward(actor, store(), reference, note=note)


def actions(actor: Actor, group: str | None = None) -> pl.DataFrame:
    return services.actions(actor, store(), group=group)


def record_action(actor: Actor, **fields) -> str:
    return services.record_action(actor, store(), catalogue(), **fields)


def update_action(actor: Actor, reference: str, status: str, note: str) -> None:
    services.update_action(actor, store(), reference, status=status, note=note)


def item_log(actor: Actor, reference: str) -> pl.DataFrame:
    return services.item_log(actor, store(), reference)


def make_public(actor: Actor, reference: str, public: bool) -> None:
    services.make_public(actor, store(), catalogue(), reference, public=public)


def public_items(actor: Actor, indicator: str | None = None) -> pl.DataFrame:
    return services.public_items(actor, store(), catalogue(), indicator)


def next_meeting_date(actor: Actor, after) -> object:
    coming = services.next_meeting(actor, store(), after)
    return coming["held_on"] if coming else None


def board_pack(actor: Actor, meeting: int, *, format: str = "pdf") -> bytes:
    """The board pack for a meeting, as the person may see it (made on request: not cached)."""
    return services.board_pack(actor, store(), catalogue(), meeting, format=format)


def decide_exception(actor: Actor, period: str, indicator: str, *, include: bool, reason: str):
    services.decide_exception(
        actor,
        store(),
        catalogue(),
        period=period,
        indicator=indicator,
        include=include,
        reason=reason,
    )


def accountability_health(actor: Actor, *, on) -> pl.DataFrame:
    """Each group's record for the board (it reads the whole indicator table: cached, like
    the other reads, per level of disclosure and data version)."""
    return _accountability_health(*_as(actor), on)


@st.cache_data(show_spinner=False, max_entries=16)
def _accountability_health(reader: str, version: tuple, on) -> pl.DataFrame:
    return services.health(_reader(reader), store(), catalogue(), on=on)


def board_agenda(actor: Actor) -> dict:
    """What the board decides at its next meeting, read as the person (it is board business,
    not a level of disclosure) once per data version and day."""
    return _board_agenda(actor, version(), today())


@st.cache_data(show_spinner=False, max_entries=32)
def _board_agenda(actor: Actor, version: tuple, on: date) -> dict:
    return services.board_agenda(actor, store(), on=on)


def group_work(actor: Actor, group: str):
    """What a delivery group has to do today (cached per level of disclosure, data
    version and day)."""
    return _group_work(*_as(actor), group, today())


@st.cache_data(show_spinner=False, max_entries=32)
def _group_work(reader: str, version: tuple, group: str, on):
    return services.group_work(_reader(reader), store(), catalogue(), group, on=on)


def deep_dives(actor: Actor) -> pl.DataFrame:
    return services.deep_dives(actor, store())


def add_deep_dive(actor: Actor, **fields) -> int:
    return services.add_deep_dive(actor, store(), catalogue(), **fields)


def deep_dive_report(actor: Actor, dive: int) -> bytes:
    return services.deep_dive_report(actor, store(), catalogue(), dive)


def group_forecasts(actor: Actor, indicator: str) -> pl.DataFrame:
    """The groups' forecasts for an indicator, read as the person once per data version."""
    return _group_forecasts(actor, version(), indicator)


@st.cache_data(show_spinner=False, max_entries=64)
def _group_forecasts(actor: Actor, version: tuple, indicator: str) -> pl.DataFrame:
    return services.group_forecasts(actor, store(), indicator)


def set_forecast(actor: Actor, **fields) -> None:
    services.set_forecast(actor, store(), catalogue(), **fields)
