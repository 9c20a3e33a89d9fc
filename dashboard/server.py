"""What `make run` serves: the app's pages (``app.py``) and, on the same port, the open data
API (:mod:`metrics.api`, answering only when ``OUTCOMES_OPEN_DATA`` is on).

``streamlit run dashboard/server.py`` finds ``app`` below and serves it with uvicorn. As the
server starts, the database is opened in the background (values computed by an older
catalogue computed again, the worker for the command line's hand-overs started), so the app
holds it from the start: a board pack or a backup from the command line is always handed to
the app, and the first visitor does not wait for the opening."""

import threading
from contextlib import asynccontextmanager

import streamlit as st

from metrics import services
from metrics.api import routes
from metrics.core.catalogue import load_catalogue

CATALOGUE = load_catalogue()
"""Read once for the API and the opening at start."""


def _hold_the_database() -> None:
    path = services.default_location()
    if services.location_exists(path):  # else the pages say how to build it
        services.serve_store(path, CATALOGUE)


@asynccontextmanager
async def _lifespan(_app):
    threading.Thread(target=_hold_the_database, name="outcomes-open", daemon=True).start()
    yield


app = st.App("app.py", routes=routes(catalogue=CATALOGUE), lifespan=_lifespan)
