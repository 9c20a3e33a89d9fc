"""The suite on PostgreSQL: with ``OUTCOMES_TEST_BACKEND=postgresql`` (the clock-back tier of
``make test``), every store a test opens on a database file is a PostgreSQL database
instead, one per file, on a server this process starts: made the first time the file is
opened, holding what the file held if it was there (the demo a test copied, say). So the
services, reports and pages run over PostgreSQL exactly as they run over a file. Tests
about the file itself (its lock, a damaged block, a full disk) are marked ``file_only``."""

from __future__ import annotations

import atexit
import contextlib
import threading
from pathlib import Path

from metrics.store.backup import load_into_server
from metrics.store.connection import Store, default_location, is_server
from metrics.store.postgres import PostgresStore
from tests.postgres import cluster, make_template, new_database

_lock = threading.RLock()
_urls: dict[Path, str] = {}
_server: list[str] = []


def server() -> str:
    """The server for this test process, started the first time it is needed."""
    with _lock:
        if not _server:
            stack = contextlib.ExitStack()
            url = stack.enter_context(cluster())
            atexit.register(stack.close)
            make_template(url)
            _server.append(url)
        return _server[0]


def url_for(path: Path | str) -> str:
    """The database that stands for the file at ``path``."""
    key = Path(path).resolve()
    with _lock:
        if key not in _urls:
            url = new_database(server())
            if key.is_file() and key.stat().st_size:
                store = object.__new__(PostgresStore)
                _ORIGINAL_INIT(store, url)
                try:
                    load_into_server(store, key)
                finally:
                    store.close()
            elif key.parent.is_dir():
                key.touch()  # the file is there, as it would be once opened
            _urls[key] = url
        return _urls[key]


_ORIGINAL_NEW = Store.__new__
_ORIGINAL_INIT = PostgresStore.__init__


def _new(cls, path=None, **options):
    location = default_location() if path is None else path
    if cls is Store and not is_server(location):
        return object.__new__(PostgresStore)
    return _ORIGINAL_NEW(cls, path, **options)


def _init(self, path=None, **options):
    location = default_location() if path is None else path
    _ORIGINAL_INIT(self, location if is_server(location) else url_for(location), **options)


def install() -> None:
    Store.__new__ = staticmethod(_new)
    PostgresStore.__init__ = _init
