"""The open data API: the partnership's figures for other programs, read-only, served by the
app itself under ``/api/v1`` (``dashboard/server.py`` hands these routes to Streamlit's
``st.App``) when ``OUTCOMES_OPEN_DATA`` is on.

It serves exactly what the public view may see, asked of the services as the public
reader: the catalogue's definitions, the authority's figures as published (small numbers
withheld with secondary suppression, rounded half up as each indicator is shown, a
footnote where withheld: the layout of ``outcomes export --public``) and the published
England, region and authority figures they are compared with. Each table comes as JSON
(``{"meta": ..., "data": [rows]}``) or CSV, chosen by the path's suffix (``values.csv``) or
``format=``. Every answer carries an ETag made from the data version and the request, so
a client that sends it back gets ``304 Not Modified`` until something is written; answers
are kept per data version, so a second caller costs a dictionary lookup. A parameter this
API does not know, an indicator, area or breakdown the catalogue does not have, or a
period that is not a period, is refused with ``400`` and a message saying what to send.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from metrics import services
from metrics.core.catalogue import Catalogue, load_catalogue
from metrics.core.disclosure import PUBLIC_COLUMNS
from metrics.core.formatting import csv_bytes
from metrics.core.periods import is_period, period_label
from metrics.core.settings import setting

logger = logging.getLogger(__name__)

PREFIX = "/api/v1"
REVISION = "1"
"""Changes whenever what the same request answers changes for another reason than the data
(a new column): part of every ETag."""

PUBLIC = services.READERS["public"]
LEVELS = ("national", "regional", "local authority")
FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8"}
AREA_CODE = re.compile(r"^[EWSN]\d{8}$")


class ApiError(Exception):
    """A request refused, with its status and a message saying what to send instead."""

    def __init__(self, status: int, message: str, **detail: Any):
        super().__init__(message)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    example: str
    many: bool = True
    """Several values, comma-separated or the parameter repeated."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...] = ()
    columns: dict[str, Any] = field(default_factory=dict)
    """Each column's Polars type, for the OpenAPI document's schema of a row."""


def _columns(**types: Any) -> dict[str, Any]:
    return types


S, INT, F = pl.String, pl.Int64, pl.Float64
INDICATOR_COLUMNS = _columns(
    code=S,
    title=S,
    outcome_number=INT,
    outcome=S,
    group=S,
    group_code=S,
    priorities=S,
    kind=S,
    measure=S,
    unit=S,
    polarity=S,
    frequency=S,
    definition=S,
    source=S,
    decimals=INT,
    multiplier=F,
    breakdowns=S,
    suppression_threshold=INT,
    published_comparison=S,
)
BENCHMARK_COLUMNS = _columns(
    indicator_code=S,
    period=S,
    time_period=S,
    level=S,
    area_code=S,
    old_la_code=S,
    area_name=S,
    value=F,
    numerator=F,
    denominator=F,
    symbol=S,
    source=S,
)

INDICATOR = Parameter("indicator", "indicator codes, as /api/v1/indicators lists them", "BH01")
PERIOD = Parameter("period", "periods: a quarter (2025-26-Q2) or a year (2024-25)", "2025-26-Q2")
ENDPOINTS = {
    e.name: e
    for e in (
        Endpoint(
            "indicators",
            "The indicators and their definitions",
            "Every indicator the partnership measures: its outcome, delivery group, kind, "
            "unit, polarity, how often it is reported, its definition and source, how its "
            "figures are rounded and withheld, and what it is compared with nationally.",
            columns=INDICATOR_COLUMNS,
        ),
        Endpoint(
            "values",
            "The partnership's figures as published",
            "The authority's figures (and each breakdown's) as the public may see them, in "
            "the layout of `outcomes export --public`: numbers rounded half up as each "
            "indicator shows them; a figure withheld to protect small numbers is empty, "
            "with `c` in `suppressed` and a footnote.",
            parameters=(
                INDICATOR,
                PERIOD,
                Parameter("area", "area codes (the authority as a whole)", "E08000025"),
                Parameter(
                    "breakdown",
                    "`total`, or a breakdown category as `dimension:category`",
                    "total",
                ),
            ),
            columns=dict(PUBLIC_COLUMNS),
        ),
        Endpoint(
            "benchmarks",
            "Published figures for England, regions and authorities",
            "The published figures the partnership's are compared with, as imported from "
            "their publishers' files (DfE open data, OHID Fingertips), with the publisher's "
            "own symbol where a figure is withheld or not available.",
            parameters=(
                INDICATOR,
                Parameter("period", "published years (2024-25)", "2024-25"),
                Parameter("level", "national, regional or local authority", "national"),
                Parameter("area", "area codes (ONS, nine characters)", "E92000001"),
            ),
            columns=BENCHMARK_COLUMNS,
        ),
        Endpoint(
            "periods",
            "The periods with figures",
            "Every quarter and year the partnership has figures for, oldest first.",
            columns=_columns(period=S, label=S),
        ),
    )
}


# --- answers kept per data version ---------------------------------------------------------


class Answers:
    """Bodies already made, by ETag (which names the data version): the most recent
    ``size``, shared by every request thread."""

    def __init__(self, size: int = 256):
        self.size = size
        self._kept: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tag: str) -> tuple[bytes, str] | None:
        with self._lock:
            body = self._kept.get(tag)
            if body is not None:
                self._kept.move_to_end(tag)
            return body

    def put(self, tag: str, answer: tuple[bytes, str]) -> None:
        with self._lock:
            self._kept[tag] = answer
            self._kept.move_to_end(tag)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


class OpenData:
    """The API over one database: the routes, and what they have already answered."""

    def __init__(self, db: Path | None = None, catalogue: Catalogue | None = None):
        self._db = db
        self._catalogue = catalogue
        self.answers = Answers()
        self._tables: dict[tuple, pl.DataFrame] = {}
        self._tables_lock = threading.Lock()

    # what the routes read

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = load_catalogue()
        return self._catalogue

    def store(self):
        path = self._db or services.default_location()
        if not services.location_exists(path):
            raise ApiError(503, "There is no database on this server yet.")
        return services.serve_store(path, self.catalogue)

    def _table(self, version: tuple, name: str, make: Callable[[], pl.DataFrame]):
        """A whole table as of ``version`` (made once per version, then filtered)."""
        key = (version, name)
        with self._tables_lock:
            found = self._tables.get(key)
        if found is None:
            found = make()
            with self._tables_lock:
                for old in [k for k in self._tables if k[0] != version]:
                    del self._tables[old]
                self._tables[key] = found
        return found

    # the endpoints

    def indicators(self, query: dict[str, list[str]], version: tuple) -> pl.DataFrame:
        return services.catalogue_table(PUBLIC, self.catalogue)

    def values(self, query: dict[str, list[str]], version: tuple) -> pl.DataFrame:
        cat = self.catalogue
        store = self.store()
        table = self._table(
            version, "values", lambda: services.export_values(PUBLIC, store, cat, public=True)
        )
        indicators = self._indicators(query)
        periods = self._periods(query)
        areas = query.get("area", [])
        for area in areas:
            if area not in cat.area:
                raise ApiError(
                    400,
                    f"There is no area {area!r} in this partnership. The figures are for "
                    f"{cat.authority.name} ({cat.authority.code}).",
                    parameter="area",
                )
            if area != cat.authority.code:
                raise ApiError(
                    400,
                    f"{cat.area[area].name} ({area}) is a locality: the open data gives the "
                    f"figures for {cat.authority.name} ({cat.authority.code}) as a whole.",
                    parameter="area",
                )
        known = {"total"} | {f"{b.code}:{c.code}" for b in cat.breakdowns for c in b.categories}
        breakdowns = query.get("breakdown", [])
        for breakdown in breakdowns:
            if breakdown not in known:
                raise ApiError(
                    400,
                    f"There is no breakdown {breakdown!r}: give 'total' or one of "
                    + ", ".join(sorted(known - {"total"})),
                    parameter="breakdown",
                )
        return _filtered(
            table,
            indicator_code=indicators,
            period=periods,
            area_code=areas,
            breakdown=breakdowns,
        )

    def benchmarks(self, query: dict[str, list[str]], version: tuple) -> pl.DataFrame:
        indicators = self._indicators(query)
        periods = self._periods(query)
        levels = query.get("level", [])
        for level in levels:
            if level not in LEVELS:
                raise ApiError(
                    400,
                    f"There is no level {level!r}: give one of " + ", ".join(LEVELS),
                    parameter="level",
                )
        areas = query.get("area", [])
        for area in areas:
            if not AREA_CODE.match(area):
                raise ApiError(
                    400,
                    f"{area!r} is not an area code: give an ONS code of a letter and eight "
                    "digits (E92000001 for England)",
                    parameter="area",
                )
        return services.published_figures(
            PUBLIC,
            self.store(),
            indicators=indicators,
            periods=periods,
            levels=levels,
            areas=areas,
        ).cast(BENCHMARK_COLUMNS)

    def periods(self, query: dict[str, list[str]], version: tuple) -> pl.DataFrame:
        found = services.periods(PUBLIC, self.store())
        return pl.DataFrame(
            {"period": found, "label": [period_label(p) for p in found]},
            schema={"period": S, "label": S},
        )

    def indicator(self, code: str) -> dict[str, Any]:
        rows = self.indicators({}, ()).filter(pl.col("code") == code)
        if rows.is_empty():
            raise ApiError(
                404,
                f"There is no indicator {code!r}: the indicators are listed at {PREFIX}/indicators",
            )
        found = rows.row(0, named=True)
        ind = self.catalogue.indicator[code]
        found["targets"] = {
            year: {"value": t.value, "amber_tolerance": t.amber_tolerance}
            for year, t in sorted(ind.targets.items())
        }
        found["links"] = {
            "values": f"{PREFIX}/values?indicator={code}",
            "benchmarks": f"{PREFIX}/benchmarks?indicator={code}",
        }
        return found

    def _indicators(self, query: dict[str, list[str]]) -> list[str]:
        wanted = query.get("indicator", [])
        unknown = [c for c in wanted if c not in self.catalogue.indicator]
        if unknown:
            raise ApiError(
                400,
                f"There is no indicator {unknown[0]!r}: the indicators are listed at "
                f"{PREFIX}/indicators",
                parameter="indicator",
            )
        return wanted

    @staticmethod
    def _periods(query: dict[str, list[str]]) -> list[str]:
        wanted = query.get("period", [])
        for period in wanted:
            if not is_period(period):
                raise ApiError(
                    400,
                    f"{period!r} is not a period: give a quarter as 2025-26-Q2 or a year "
                    "as 2024-25 (the periods with figures are listed at "
                    f"{PREFIX}/periods)",
                    parameter="period",
                )
        return wanted

    # HTTP

    def routes(self) -> list[Route]:
        return [
            Route(PREFIX, self._index, methods=["GET", "HEAD"]),
            Route(PREFIX + "/", self._index, methods=["GET", "HEAD"]),
            Route(PREFIX + "/openapi.json", self._openapi, methods=["GET", "HEAD"]),
            Route(PREFIX + "/indicators/{code}", self._one_indicator, methods=["GET", "HEAD"]),
            Route(PREFIX + "/{name}", self._endpoint, methods=["GET", "HEAD"]),
        ]

    def _answer(self, request: Request, make: Callable[[tuple], tuple[bytes, str]]) -> Response:
        """Switched on? An unchanged ETag? Kept already? Else made, kept and sent."""
        try:
            if not setting("OUTCOMES_OPEN_DATA"):
                raise ApiError(
                    404,
                    "The open data API is not switched on for this server (OUTCOMES_OPEN_DATA).",
                )
            version = self.store().data_version()
            query = sorted(request.query_params.multi_items())
            tag = _etag(version, request.url.path, query)
            headers = {"ETag": tag, "Cache-Control": "public, no-cache"}
            if tag in _tags(request.headers.get("if-none-match", "")):
                return Response(status_code=304, headers=headers)
            answer = self.answers.get(tag)
            if answer is None:
                answer = make(version)
                self.answers.put(tag, answer)
            body, media = answer
            return Response(body, media_type=media, headers=headers)
        except ApiError as refused:
            return _error(refused)
        except Exception:
            logger.exception("the open data API failed on %s", request.url.path)
            return _error(ApiError(500, "Something went wrong on the server: try again later."))

    def _endpoint(self, request: Request) -> Response:
        name, suffix = _name_and_suffix(request.path_params["name"])
        endpoint = ENDPOINTS.get(name)

        def make(version: tuple) -> tuple[bytes, str]:
            if endpoint is None:
                raise ApiError(
                    404,
                    f"There is nothing at {request.url.path}: the endpoints are "
                    + ", ".join(f"{PREFIX}/{n}" for n in ENDPOINTS)
                    + f", described at {PREFIX}/openapi.json",
                )
            query = _query(request, endpoint)
            table = getattr(self, name)(query, version)
            return _table_body(table, _format(suffix, query), endpoint, version)

        return self._answer(request, make)

    def _one_indicator(self, request: Request) -> Response:
        code, suffix = _name_and_suffix(request.path_params["code"])

        def make(version: tuple) -> tuple[bytes, str]:
            query = _query(request, Endpoint("indicator", "", ""))
            found = self.indicator(code)
            if _format(suffix, query) == "csv":
                flat = {k: v for k, v in found.items() if k not in ("targets", "links")}
                return csv_bytes(pl.DataFrame([flat])), FORMATS["csv"]
            return _json({"data": found}), FORMATS["json"]

        return self._answer(request, make)

    def _openapi(self, request: Request) -> Response:
        return self._answer(request, lambda version: (_json(openapi()), FORMATS["json"]))

    def _index(self, request: Request) -> Response:
        def make(version: tuple) -> tuple[bytes, str]:
            return _json(
                {
                    "partnership": self.catalogue.settings.partnership,
                    "openapi": f"{PREFIX}/openapi.json",
                    "endpoints": {
                        n: {"url": f"{PREFIX}/{n}", "summary": e.summary}
                        for n, e in ENDPOINTS.items()
                    },
                }
            ), FORMATS["json"]

        return self._answer(request, make)


# --- requests and answers ------------------------------------------------------------------


def _name_and_suffix(name: str) -> tuple[str, str | None]:
    """A name in the path without its format's suffix (``values.csv``), and the suffix."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in FORMATS:
        return stem, suffix
    return name, None


def _format(suffix: str | None, query: dict[str, list[str]]) -> str:
    """The format asked for: the path's suffix, else ``format=``, else JSON."""
    return suffix or (query.get("format") or ["json"])[0]


def _query(request: Request, endpoint: Endpoint) -> dict[str, list[str]]:
    """The query's parameters as lists, each checked to be one the endpoint takes."""
    allowed = {p.name for p in endpoint.parameters} | {"format"}
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key not in allowed:
            takes = sorted(allowed)
            raise ApiError(
                400,
                f"{key!r} is not a parameter of {request.url.path}: it takes " + ", ".join(takes),
                parameter=key,
            )
        parts = [v.strip() for v in value.split(",") if v.strip()]
        if not parts:
            raise ApiError(400, f"{key!r} is given without a value", parameter=key)
        query.setdefault(key, []).extend(parts)
    chosen = query.get("format", [])
    if len(chosen) > 1 or (chosen and chosen[0] not in FORMATS):
        raise ApiError(
            400, "format is json or csv (or end the path in .json or .csv)", parameter="format"
        )
    return query


def _filtered(table: pl.DataFrame, **wanted: list[str]) -> pl.DataFrame:
    for column, values in wanted.items():
        if values:
            table = table.filter(pl.col(column).is_in(values))
    return table


def _table_body(
    table: pl.DataFrame, fmt: str, endpoint: Endpoint, version: tuple
) -> tuple[bytes, str]:
    if fmt == "csv":
        return csv_bytes(table), FORMATS["csv"]
    meta = {
        "endpoint": endpoint.name,
        "rows": table.height,
        "columns": table.columns,
        "data_version": ".".join(str(v) for v in version),
    }
    return _json({"meta": meta, "data": table.to_dicts()}), FORMATS["json"]


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _etag(version: tuple, path: str, query: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(json.dumps([REVISION, list(version), path, query]).encode())
    return f'"{digest.hexdigest()[:32]}"'


def _tags(header: str) -> set[str]:
    """The entity tags an If-None-Match header lists (weak ones compared as strong)."""
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def _error(refused: ApiError) -> Response:
    body = {"error": {"status": refused.status, "message": str(refused), **refused.detail}}
    return Response(_json(body), status_code=refused.status, media_type=FORMATS["json"])


# --- the OpenAPI document ------------------------------------------------------------------


def _schema_of(dtype: Any) -> dict[str, Any]:
    kind = {pl.String: "string", pl.Int64: "integer", pl.Float64: "number"}[dtype]
    return {"type": [kind, "null"]}


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document describing every endpoint, parameter and row."""
    error = {
        "description": "Refused: the message says what to send instead",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    fmt = {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "json (the default) or csv; or end the path in .json or .csv",
        "schema": {"type": "string", "enum": list(FORMATS)},
    }
    etag = {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "the ETag of an earlier answer: 304 while the data is unchanged",
        "schema": {"type": "string"},
    }
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "message": {"type": "string"},
                        "parameter": {"type": "string"},
                    },
                }
            },
        }
    }
    paths: dict[str, Any] = {}
    for name, endpoint in ENDPOINTS.items():
        row = name.capitalize() + "Row"
        schemas[row] = {
            "type": "object",
            "required": list(endpoint.columns),
            "properties": {c: _schema_of(t) for c, t in endpoint.columns.items()},
        }
        schemas[name.capitalize()] = {
            "type": "object",
            "required": ["meta", "data"],
            "properties": {
                "meta": {
                    "type": "object",
                    "required": ["endpoint", "rows", "columns", "data_version"],
                    "properties": {
                        "endpoint": {"type": "string"},
                        "rows": {"type": "integer"},
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "data_version": {"type": "string"},
                    },
                },
                "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{row}"}},
            },
        }
        parameters = [
            {
                "name": p.name,
                "in": "query",
                "required": False,
                "description": p.description
                + (" (several: comma-separated, or the parameter repeated)" if p.many else ""),
                "schema": {"type": "string"},
                "example": p.example,
            }
            for p in endpoint.parameters
        ]
        paths[f"{PREFIX}/{name}"] = {
            "get": {
                "operationId": name,
                "summary": endpoint.summary,
                "description": endpoint.description,
                "parameters": [*parameters, fmt, etag],
                "responses": {
                    "200": {
                        "description": endpoint.summary,
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{name.capitalize()}"}
                            },
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "304": {"description": "Not modified: the data is as it was"},
                    "400": error,
                    "404": error,
                },
            }
        }
    paths[f"{PREFIX}/indicators/{{code}}"] = {
        "get": {
            "operationId": "indicator",
            "summary": "One indicator's definition, with its targets",
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "description": "the indicator's code (BH01)",
                    "schema": {"type": "string"},
                },
                fmt,
                etag,
            ],
            "responses": {
                "200": {
                    "description": "The indicator",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["data"],
                                "properties": {
                                    "data": {"$ref": "#/components/schemas/IndicatorsRow"}
                                },
                            }
                        },
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "304": {"description": "Not modified"},
                "404": error,
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Partnership Outcomes open data",
            "version": REVISION,
            "description": (
                "The partnership's indicators, its figures as the public may see them "
                "(small numbers withheld, marked c with a footnote) and the published "
                "figures they are compared with. Read-only."
            ),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


def routes(db: Path | None = None, catalogue: Catalogue | None = None) -> list[Route]:
    """The API's routes, for ``st.App(..., routes=routes())``."""
    return OpenData(db, catalogue).routes()
