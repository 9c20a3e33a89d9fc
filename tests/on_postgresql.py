"""The suite on PostgreSQL: with ``OUTCOMES_TEST_BACKEND=postgresql`` (the clock-back tier of
``make test``), every store a test opens on a database file is a PostgreSQL database
instead, one per file, on a server this process starts: made the first time the file is
opened, holding what the file held if it was there (the demo a test copied, say). So the
services, reports and pages run over PostgreSQL exactly as they run over a file. Tests
about the file itself (its lock, a damaged block, a full disk) are marked ``file_only``."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import threading
from pathlib import Path

from metrics.store.backup import load_into_server
from metrics.store.connection import Store, default_location, is_server
from metrics.store.postgres import PostgresStore
from tests.postgres import cluster, database, make_template, new_database

_lock = threading.RLock()
_urls: dict[Path, str] = {}
_templates: set[str] = set()
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
            if key.is_file() and key.stat().st_size:
                _urls[key] = new_database(server(), template=_loaded(key))
            else:
                _urls[key] = new_database(server())
                if key.parent.is_dir():
                    key.touch()  # the file is there, as it would be once opened
        return _urls[key]


def _loaded(file: Path) -> str:
    """A database holding what ``file`` holds, loaded once per content (tests copy the
    demo again and again) and copied from then on: the name of that template."""
    template = f"file_{hashlib.sha256(file.read_bytes()).hexdigest()[:16]}"
    if template not in _templates:
        store = object.__new__(PostgresStore)
        _ORIGINAL_INIT(store, database(server(), template))
        try:
            load_into_server(store, file)
        finally:
            store.close()
        _templates.add(template)
    return template


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


@contextlib.contextmanager
def paused():
    """Stores on files again for the block (the demo database is built as a file, then
    copied into PostgreSQL by the tests that open it)."""
    installed = Store.__dict__["__new__"]
    Store.__new__ = staticmethod(_ORIGINAL_NEW)
    PostgresStore.__init__ = _ORIGINAL_INIT
    try:
        yield
    finally:
        Store.__new__ = installed
        PostgresStore.__init__ = _init
