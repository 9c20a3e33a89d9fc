"""A PostgreSQL server on this machine, in a folder of its own: Debian's PostgreSQL (``make
replicas`` and ``make test`` install it), run as the postgres user when started by root
(PostgreSQL refuses to run as root), listening on localhost only."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def binaries() -> Path:
    """The folder of Debian's PostgreSQL programs (the newest, if several)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path is None:
        raise RuntimeError(
            "PostgreSQL is not installed: 'make replicas' and 'make test' install Debian's "
            "postgresql package"
        )
    return Path(on_path).parent


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def cluster(folder: Path | None = None, *, durable: bool = False) -> Iterator[str]:
    """A running PostgreSQL server until the block ends; yields the URL of its ``postgres``
    database. Its data lives in ``folder`` (made and initialised if new; kept afterwards) or,
    with none given, in a new folder under /tmp removed at the end. ``durable``: written to
    disk as PostgreSQL normally does (tests turn fsync off, for speed)."""
    temporary = folder is None
    folder = Path(tempfile.mkdtemp(prefix="outcomes-pg-")) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port, bin_ = folder / "data", free_port(), binaries()
    if not (data / "PG_VERSION").exists():
        initdb = [str(bin_ / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        subprocess.run(
            _as_server_user([*initdb, "-E", "UTF8", *([] if durable else ["--no-sync"])]),
            check=True,
            capture_output=True,
        )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    if not durable:
        options += " -c fsync=off"
    pg_ctl = [str(bin_ / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        _as_server_user([*pg_ctl, "-o", options, "-l", str(folder / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = "fast" if durable else "immediate"
        subprocess.run(_as_server_user([*pg_ctl, "-m", stop, "stop"]), capture_output=True)
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def database(server_url: str, name: str) -> str:
    """The URL of the database ``name`` on the server, created if it is not there."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
