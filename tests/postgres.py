"""A PostgreSQL server for the tests, started by them: Debian's PostgreSQL (``make test``
installs it), a cluster of its own in a new folder under /tmp, run as the postgres user
when the tests run as root (PostgreSQL refuses to run as root), listening on a free
localhost port only, stopped when the tests end. Each test gets a new database on it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg


def binaries() -> Path:
    """The folder of Debian's PostgreSQL programs (the newest, if several)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        on_path = shutil.which("initdb")
        if on_path is None:
            raise RuntimeError(
                "PostgreSQL is not installed: 'make test' installs Debian's postgresql package"
            )
        return Path(on_path).parent
    return Path(found[-1]).parent


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def cluster():
    """A running PostgreSQL server until the block ends; yields the URL of its ``postgres``
    database (the tests make their own databases beside it)."""
    folder = Path(tempfile.mkdtemp(prefix="outcomes-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port, bin_ = folder / "data", _free_port(), binaries()
    subprocess.run(
        _as_server_user(
            [
                str(bin_ / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_server_user(
            [
                str(bin_ / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(bin_ / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    name = f"outcomes_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"
