"""Data access for pages: the store, the catalogue and cached queries.

Pages never open the database themselves. Cached reads are keyed by the store's data
version, so an accepted upload shows at once for every user without clearing any
global cache.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import streamlit as st

from dashboard import components
from metrics import queries, services
from metrics.access import Actor
from metrics.catalogue import Catalogue, load_catalogue
from metrics.services import CheckedReturn
from metrics.store import IngestResult, Store, StoreError, default_db_path


@st.cache_resource(show_spinner=False)
def catalogue() -> Catalogue:
    return load_catalogue()


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def store() -> Store:
    """The app's store; stops the page with instructions if there is no database."""
    path = default_db_path()
    if not path.exists():
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


def version() -> tuple:
    """Changes whenever anything is written; the key for every cached query (with the
    database it describes, so two databases in one process never share a cache entry)."""
    s = store()
    return (str(s.path), *s.data_version())


@st.cache_data(show_spinner=False)
def catalogue_table() -> pl.DataFrame:
    return queries.catalogue_table(catalogue())


# Cached reads. Each takes the data version as an argument so that a write shows at once
# (a new version is a new cache key); nothing ever clears Streamlit's shared caches.


@st.cache_data(show_spinner=False, max_entries=32)
def periods(version: tuple) -> list[str]:
    return queries.periods_available(store())


@st.cache_data(show_spinner=False, max_entries=32)
def default_period(version: tuple) -> str | None:
    return queries.default_period(store())


@st.cache_data(show_spinner=False, max_entries=64)
def indicator_table(period: str, version: tuple) -> pl.DataFrame:
    return queries.indicator_table(store(), catalogue(), period)


@st.cache_data(show_spinner=False, max_entries=64)
def indicator_table_with_benchmarks(period: str, version: tuple) -> pl.DataFrame:
    return queries.with_benchmarks(indicator_table(period, version), store(), catalogue(), period)


@st.cache_data(show_spinner=False, max_entries=64)
def benchmark_series(code: str, periods: tuple[str, ...], version: tuple) -> pl.DataFrame:
    return queries.benchmark_series(store(), catalogue(), code, list(periods))


@st.cache_data(show_spinner=False, max_entries=256)
def all_authorities(code: str, period: str | None, version: tuple) -> pl.DataFrame:
    return queries.all_authorities(store(), code, period)


@st.cache_data(show_spinner=False, max_entries=64)
def rag_summary(period: str, by: str, version: tuple) -> pl.DataFrame:
    return queries.rag_summary(indicator_table(period, version), catalogue(), by=by)


@st.cache_data(show_spinner=False, max_entries=64)
def exceptions(period: str, version: tuple) -> pl.DataFrame:
    return queries.exceptions(store(), catalogue(), period, indicator_table(period, version))


@st.cache_data(show_spinner=False, max_entries=64)
def returns_status(period: str, version: tuple) -> pl.DataFrame:
    return queries.returns_status(store(), catalogue(), period)


@st.cache_data(show_spinner=False, max_entries=256)
def indicator_series(code: str, area: str, breakdown: str, version: tuple) -> pl.DataFrame:
    return queries.indicator_series(store(), code, area=area, breakdown=breakdown)


@st.cache_data(show_spinner=False, max_entries=256)
def area_values(code: str, period: str, version: tuple) -> pl.DataFrame:
    return queries.area_values(store(), catalogue(), code, period)


@st.cache_data(show_spinner=False, max_entries=256)
def breakdown_values(code: str, version: tuple) -> pl.DataFrame:
    return queries.breakdown_values(store(), catalogue(), code)


@st.cache_data(show_spinner=False, max_entries=256)
def commentary_history(code: str, version: tuple) -> pl.DataFrame:
    return queries.commentary_history(store(), code)


@st.cache_data(show_spinner=False, max_entries=256)
def area_series(code: str, areas: tuple[str, ...], version: tuple) -> pl.DataFrame:
    return queries.area_series(store(), catalogue(), code, list(areas))


@st.cache_data(show_spinner=False, max_entries=64)
def group_submissions(group: str, version: tuple) -> pl.DataFrame:
    return queries.group_submissions(store(), group)


@st.cache_data(show_spinner=False, max_entries=64)
def submission_findings(submission_id: int, version: tuple) -> pl.DataFrame:
    return queries.submission_findings(store(), submission_id)


@st.cache_data(show_spinner=False, max_entries=16)
def quality(version: tuple) -> dict[str, pl.DataFrame]:
    s = store()
    return {
        "by_quarter": queries.submissions_by_quarter(s),
        "by_rule": queries.findings_by_rule(s),
        "by_group": queries.findings_by_group(s),
    }


def previous_explanations(group: str, period: str) -> dict[str, str]:
    """Explanations from earlier versions of a return, to pre-fill recurring warnings."""
    return store().previous_explanations(group, period)


def is_demo() -> bool:
    """Whether the database was built by ``outcomes demo`` (then the role switcher shows)."""
    return store().info("demo") == "true"


def actor_for(user_id: str) -> Actor | None:
    return services.actor_for(store(), user_id)


def record(user_id: str, action: str) -> None:
    """An audit entry for sign-in, sign-out or a refusal."""
    store().record_event(actor=user_id, action=action)


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


def add_user(actor: Actor, *, user_id: str, name: str, email: str | None) -> None:
    services.add_user(actor, store(), user_id=user_id, name=name, email=email)


def change_role(actor: Actor, *, user_id: str, role: str, group: str | None, add: bool) -> None:
    change = services.grant if add else services.revoke
    change(actor, store(), catalogue(), user_id=user_id, role=role, group=group)


def preview_return(actor: Actor, checked: CheckedReturn) -> pl.DataFrame:
    return services.preview_return(actor, store(), catalogue(), checked)
