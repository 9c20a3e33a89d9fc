"""Data access for pages: the store, the catalogue and cached queries.

Pages never open the database themselves. Cached reads are keyed by the store's data
version, so an accepted upload shows at once for every user without clearing any
global cache.
"""

from __future__ import annotations

import streamlit as st

from metrics import queries
from metrics.catalogue import Catalogue, load_catalogue
from metrics.store import Store, StoreError, default_db_path


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
        st.error(f"The database could not be opened: {exc}")
        st.stop()


def version() -> tuple[int, int]:
    """Changes whenever anything is written; the key for every cached query."""
    return store().data_version()


@st.cache_data(show_spinner=False)
def catalogue_table() -> object:
    return queries.catalogue_table(catalogue())
