"""The open data API against the real server: ``streamlit run dashboard/server.py`` over a
copy of the demo with ``OUTCOMES_OPEN_DATA=on``, called over HTTP with httpx, every answer
checked against the OpenAPI document the server itself gives, and the figures against
what ``outcomes export --public`` writes from the same database."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import httpx
import polars as pl
import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from polars.testing import assert_frame_equal

from tests.browser.conftest import serve

pytestmark = pytest.mark.browser

AUTHORITY = "E06099001"


@pytest.fixture(scope="module")
def api(demo_db, tmp_path_factory):
    """The served API, and the public export of the same figures written beforehand by the
    command line (which cannot open the file while the app holds it)."""
    folder = tmp_path_factory.mktemp("open-data")
    db = folder / "demo.duckdb"
    shutil.copy(demo_db, db)
    exported = folder / "public.csv"
    command = ["export", "--public", "--db", str(db), "--out", str(exported)]
    done = subprocess.run(
        [sys.executable, "-m", "metrics.cli", *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with (
        serve(db, folder, env={"OUTCOMES_OPEN_DATA": "on"}) as served,
        httpx.Client(base_url=served["url"] + "/api/v1", timeout=60) as client,
    ):
        yield {"client": client, "exported": exported.read_bytes()}


@pytest.fixture(scope="module")
def spec(api):
    found = api["client"].get("/openapi.json")
    assert found.status_code == 200
    return found.json()


def test_the_openapi_document_validates(spec):
    validate_spec(spec)  # raises on an invalid document
    assert {"/api/v1/indicators", "/api/v1/values", "/api/v1/benchmarks"} <= set(spec["paths"])


def _schema(spec, name: str) -> OAS31Validator:
    return OAS31Validator({"$ref": f"#/components/schemas/{name}", **spec})


@pytest.mark.parametrize(
    ("path", "schema", "least"),
    [
        ("/indicators", "Indicators", 41),
        ("/values?indicator=BH01", "Values", 10),
        ("/benchmarks?indicator=BH01", "Benchmarks", 5),
        ("/periods", "Periods", 8),
    ],
)
def test_every_endpoint_answers_in_json_and_csv_as_documented(api, spec, path, schema, least):
    client = api["client"]
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    _schema(spec, schema).validate(document)
    assert document["meta"]["rows"] == len(document["data"]) >= least

    stem, _, query = path.partition("?")
    as_csv = client.get(f"{stem}.csv" + (f"?{query}" if query else ""))
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = pl.read_csv(io.BytesIO(as_csv.content), infer_schema_length=None)
    assert table.columns == document["meta"]["columns"]
    assert table.height == document["meta"]["rows"]
    # format= says the same as the suffix
    same = client.get(
        stem, params=dict(p.split("=") for p in query.split("&") if p) | {"format": "csv"}
    )
    assert same.content == as_csv.content


def test_one_indicator_with_its_targets(api, spec):
    answer = api["client"].get("/indicators/BH01")
    assert answer.status_code == 200
    found = answer.json()["data"]
    _schema(spec, "IndicatorsRow").validate(found)
    assert found["code"] == "BH01" and found["unit"] == "%"
    assert found["targets"] and all("value" in t for t in found["targets"].values())
    assert found["links"]["values"] == "/api/v1/values?indicator=BH01"


def test_values_are_exactly_the_public_export(api):
    """Every figure, withheld cell and footnote as ``outcomes export --public`` writes them
    for the authority as a whole (the export for publication has the localities too; the
    public view does not): one suppression step, one rounding, one layout."""
    answer = api["client"].get("/values.csv")
    table = pl.read_csv(io.BytesIO(answer.content), infer_schema_length=None)
    exported = pl.read_csv(io.BytesIO(api["exported"]), infer_schema_length=None)
    assert table["area_code"].unique().to_list() == [AUTHORITY]  # no locality
    assert_frame_equal(table, exported.filter(pl.col("area_code") == AUTHORITY))
    assert exported["area_code"].n_unique() > 1
    withheld = table.filter(pl.col("suppressed") == "c")
    assert withheld.height > 0
    assert (
        withheld.select("numerator", "value", "lower_95", "upper_95").null_count().row(0)
        == (withheld.height,) * 4
    )
    assert withheld["footnote"].str.starts_with("c: withheld").all()
    shown = table.filter(pl.col("suppressed").is_null())
    assert shown["value"].null_count() < shown.height
    assert table.schema["numerator"] == pl.Int64 and table.schema["value"] == pl.Float64


def test_filters_pick_rows_and_take_several_values(api):
    client = api["client"]
    periods = [p["period"] for p in client.get("/periods").json()["data"]]
    latest = periods[-1]
    one = client.get("/values", params={"indicator": "BH01", "period": latest}).json()["data"]
    assert one and {(r["indicator_code"], r["period"]) for r in one} == {("BH01", latest)}
    both = client.get("/values?indicator=BH01,SS01&breakdown=total").json()["data"]
    assert {r["indicator_code"] for r in both} == {"BH01", "SS01"}
    assert {r["breakdown"] for r in both} == {"total"}
    repeated = client.get("/values?indicator=BH01&indicator=SS01&breakdown=total").json()
    assert repeated["data"] == both
    england = client.get("/benchmarks?level=national&area=E92000001&indicator=BH01").json()
    assert england["data"] and {r["level"] for r in england["data"]} == {"national"}


def test_an_unchanged_etag_is_answered_not_modified(api):
    client = api["client"]
    first = client.get("/values?indicator=BH01")
    tag = first.headers["etag"]
    again = client.get("/values?indicator=BH01", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    listed = client.get("/values?indicator=BH01", headers={"If-None-Match": f'"x", W/{tag}'})
    assert listed.status_code == 304
    other = client.get("/values?indicator=SS01", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    assert client.get("/values.csv?indicator=BH01").headers["etag"] != tag


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/values?colour=red", 400, "'colour' is not a parameter"),
        ("/values?indicator=ZZ99", 400, "no indicator 'ZZ99'"),
        ("/values?period=2025Q3", 400, "not a period"),
        ("/values?area=E05099001", 400, "is a locality"),
        ("/values?area=E09999999", 400, "no area"),
        ("/values?breakdown=sex:unknown", 400, "no breakdown"),
        ("/values?indicator=", 400, "without a value"),
        ("/values?format=xml", 400, "format is json or csv"),
        ("/benchmarks?level=county", 400, "no level 'county'"),
        ("/benchmarks?area=England", 400, "not an area code"),
        ("/indicators/ZZ99", 404, "no indicator 'ZZ99'"),
        ("/nowhere", 404, "There is nothing at /api/v1/nowhere"),
    ],
)
def test_bad_requests_are_refused_with_a_message(api, spec, path, status, says):
    answer = api["client"].get(path)
    assert answer.status_code == status
    _schema(spec, "Error").validate(answer.json())
    assert says in answer.json()["error"]["message"]


def test_the_pages_are_served_beside_the_api(api):
    """The same port serves the app: its health check and its page."""
    root = str(api["client"].base_url).removesuffix("/api/v1/").removesuffix("/api/v1")
    assert httpx.get(root + "/_stcore/health", timeout=30).text == "ok"
    assert httpx.get(root + "/", timeout=30).status_code == 200
