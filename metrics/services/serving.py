"""The store a serving process shares: the app's pages (every session is a thread of one
process) and its open data API read and write through one :class:`Store` per database,
opened once, brought up to date with the catalogue, with the worker that takes what the
command line hands over."""

from __future__ import annotations

import threading
from pathlib import Path

from metrics.core.catalogue import Catalogue
from metrics.services.guard import START_UP
from metrics.services.handover import start_worker
from metrics.services.returns import recompute_if_the_catalogue_changed
from metrics.store.connection import Store, is_server

_opened: dict[Path | str, Store] = {}
_opening = threading.Lock()


def serve_store(path: Path | str, catalogue: Catalogue) -> Store:
    """The process's store for the database at ``path`` (a file, or a PostgreSQL URL): the
    first call opens it (values
    computed by an older catalogue are computed again, and the hand-over worker starts);
    every later call, from any thread, gets the same store."""
    key = path if is_server(path) else Path(path).resolve()
    with _opening:
        store = _opened.get(key)
        if store is None or getattr(store, "closed", False):
            store = Store(key)
            recompute_if_the_catalogue_changed(START_UP, store, catalogue)
            if not is_server(path):  # on PostgreSQL, commands need no app to hand over to
                # the command line hands the app what it cannot do while the app holds the file
                start_worker(store, catalogue)
            _opened[key] = store
        return store
