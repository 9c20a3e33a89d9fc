"""The tests' PostgreSQL: a server started by them (:func:`deploy.postgres.cluster`, in a new
folder under /tmp, fsync off), stopped when they end; each test that asks gets a new
database on it, made from a template that has had the migrations (as a database opened once
by the app has)."""

from __future__ import annotations

import uuid

import psycopg

from deploy.postgres import cluster as cluster
from deploy.postgres import database
from metrics.store.connection import Store

TEMPLATE = "outcomes_template"


def make_template(server_url: str) -> None:
    """The template: a database with the schema's migrations applied, then closed."""
    Store(database(server_url, TEMPLATE)).close()


def new_database(server_url: str, template: str = TEMPLATE) -> str:
    """A new database on the server, a copy of ``template`` (by default: the schema and
    nothing else); its URL."""
    name = f"outcomes_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"
