"""The open data API in process (Starlette's test client over the same routes the server
mounts): off unless switched on, answers keyed by the data version, many callers at once
given the same answer. The real server is tested in ``tests/browser/test_open_data.py``."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx is what is here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from metrics import services
from metrics.api import OpenData


@pytest.fixture
def open_data(demo_copy, catalogue, monkeypatch):
    monkeypatch.setenv("OUTCOMES_OPEN_DATA", "on")
    api = OpenData(demo_copy, catalogue)
    with TestClient(Starlette(routes=api.routes()), base_url="http://127.0.0.1") as client:
        yield client
    services.serve_store(demo_copy, catalogue).close()


def test_switched_off_it_says_so(open_data, monkeypatch):
    client = open_data
    monkeypatch.setenv("OUTCOMES_OPEN_DATA", "off")
    answer = client.get("/api/v1/values")
    assert answer.status_code == 404
    assert "not switched on" in answer.json()["error"]["message"]
    assert "OUTCOMES_OPEN_DATA" in answer.json()["error"]["message"]


def test_a_write_changes_the_etag_and_the_answer(open_data, demo_copy, catalogue):
    client = open_data
    before = client.get("/api/v1/indicators")
    tag = before.headers["etag"]
    assert client.get("/api/v1/indicators", headers={"If-None-Match": tag}).status_code == 304
    # anything written (here a meeting added) is a new data version: a new ETag
    store = services.serve_store(demo_copy, catalogue)
    services.add_meeting(
        services.START_UP, store, held_on=date(2027, 3, 4), kind="ordinary", title="March"
    )
    after = client.get("/api/v1/indicators", headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert after.json()["meta"]["data_version"] != before.json()["meta"]["data_version"]


def test_an_answer_is_made_once_per_version(open_data, monkeypatch):
    client = open_data
    made = []
    real = services.export_values

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "export_values", counted)
    first = client.get("/api/v1/values?indicator=BH01").content
    assert client.get("/api/v1/values?indicator=BH01").content == first
    assert client.get("/api/v1/values.csv?indicator=SS01").status_code == 200
    assert len(made) == 1  # the whole table once, then filtered; the answer kept


def test_many_callers_at_once_get_the_same_answer(open_data):
    client = open_data
    paths = ["/api/v1/values?indicator=BH01", "/api/v1/values.csv", "/api/v1/benchmarks"] * 4
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(client.get, paths))
    by_path: dict[str, set[bytes]] = {}
    for path, answer in zip(paths, answers, strict=True):
        assert answer.status_code == 200
        by_path.setdefault(path, set()).add(answer.content)
    assert all(len(bodies) == 1 for bodies in by_path.values())
