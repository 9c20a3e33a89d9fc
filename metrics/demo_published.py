"""Synthetic published data for the demo, in DfE's open-data (EES) format.

The demo authority is fictional, so England, the regions and every real authority get
made-up figures, written with the same file names, columns, filters and period
conventions as the real DfE files named in the catalogue. A deployment replaces these
with the real downloads; nothing else changes.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import polars as pl

from metrics.catalogue import Catalogue
from metrics.formatting import round_half_up
from metrics.published import LAS_FILE

DEMO_PUBLISHED = Path(__file__).resolve().parent.parent / "data" / "demo" / "published"
NEIGHBOURS_FILE = "sn_model_demo.csv"
YEARS = [2021, 2022, 2023, 2024, 2025]
SUPPRESSED_LAS = {"201", "420"}  # City of London and the Isles of Scilly: small numbers
REGION_NAMES = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
# How each published series behaves: England's level in the first year, its yearly change,
# how far authorities spread, decimals, and how the counts are built.
SPECS = {
    "SS01": {
        "time_identifier": "Reporting year",
        "level": 22.0,
        "trend": -0.3,
        "spread": 4.0,
        "decimals": 1,
        "extra": {"category": "Referrals and Re-referrals"},
        "denominator_per_child": 0.05,
        "multiplier": 100,
    },
    "CC01": {
        "time_identifier": "Reporting year",
        "level": 70.0,
        "trend": -0.6,
        "spread": 22.0,
        "decimals": 0,
        "extra": {},
        "denominator_per_child": 1.0,
        "multiplier": 10_000,
    },
    "PA01": {
        "time_identifier": "Calendar year",
        "level": 5.2,
        "trend": 0.1,
        "spread": 1.4,
        "decimals": 1,
        "extra": {},
        "denominator_per_child": None,
        "multiplier": 100,
    },
}


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, parts)).encode()))


def _live_authorities() -> pl.DataFrame:
    las = pl.read_csv(LAS_FILE, infer_schema=False, encoding="utf8-lossy")
    return las.filter(pl.col("status") == "live").select(
        "new_la_code", "old_la_code", "la_name", pl.col("parent_geography_code").alias("region")
    )


def _rows(
    code: str,
    spec: dict,
    filters: dict[str, str],
    column: str,
    num_col: str | None,
    den_col: str | None,
) -> list[dict]:
    las = _live_authorities()
    rows = []
    for year in YEARS:
        england = spec["level"] + spec["trend"] * (year - YEARS[0])
        period = (
            str(year)
            if spec["time_identifier"] != "Academic year"
            else f"{year - 1}{year % 100:02d}"
        )
        base = {
            "time_period": period,
            "time_identifier": spec["time_identifier"],
            "country_code": "E92000001",
            "country_name": "England",
            **spec["extra"],
            **filters,
        }
        geos = [
            (
                {
                    "geographic_level": "National",
                    "region_code": "",
                    "region_name": "",
                    "old_la_code": "",
                    "new_la_code": "",
                    "la_name": "",
                },
                england,
                12_000_000,
            )
        ]
        for region, name in REGION_NAMES.items():
            value = england + _rng(code, region).normal(0, spec["spread"] / 3)
            geos.append(
                (
                    {
                        "geographic_level": "Regional",
                        "region_code": region,
                        "region_name": name,
                        "old_la_code": "",
                        "new_la_code": "",
                        "la_name": "",
                    },
                    value,
                    1_300_000,
                )
            )
        for la in las.iter_rows(named=True):
            rng = _rng(code, la["old_la_code"], year)
            offset = _rng(code, la["old_la_code"]).normal(0, spec["spread"])
            value = max(england + offset + rng.normal(0, spec["spread"] / 8), 0.1)
            children = int(_rng("children", la["old_la_code"]).uniform(15_000, 260_000))
            geos.append(
                (
                    {
                        "geographic_level": "Local authority",
                        "region_code": la["region"],
                        "region_name": REGION_NAMES.get(la["region"], ""),
                        "old_la_code": la["old_la_code"],
                        "new_la_code": la["new_la_code"],
                        "la_name": la["la_name"],
                    },
                    value,
                    children,
                )
            )
        for geo, value, children in geos:
            row = {**base, **geo}
            small = geo.get("old_la_code") in SUPPRESSED_LAS
            if spec["denominator_per_child"]:
                den = int(children * spec["denominator_per_child"])
                num = round(value / spec["multiplier"] * den)
                shown = round_half_up(num / den * spec["multiplier"], spec["decimals"])
                row[den_col] = str(den)
                row[num_col] = "c" if small else str(num)
                row[column] = "c" if small else _text(shown, spec["decimals"])
            else:
                row[column] = (
                    "c"
                    if small
                    else _text(round_half_up(value, spec["decimals"]), spec["decimals"])
                )
            rows.append(row)
    return rows


def _text(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def write_demo_published(catalogue: Catalogue, folder: Path = DEMO_PUBLISHED) -> list[Path]:
    """Write the synthetic published files named in the catalogue, and a neighbour model
    for the demo authority."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ind in catalogue.indicators:
        if ind.published is None or ind.code not in SPECS:
            continue
        src = ind.published
        rows = _rows(
            ind.code,
            SPECS[ind.code],
            src.filters,
            src.column,
            src.numerator_column,
            src.denominator_column,
        )
        path = folder / src.file
        pl.DataFrame(rows).write_csv(path)
        paths.append(path)
    paths.append(_write_neighbours(catalogue, folder))
    return paths


def _write_neighbours(catalogue: Catalogue, folder: Path) -> Path:
    las = _live_authorities().filter(pl.col("new_la_code").str.starts_with("E06")).head(40)
    picks = _rng("neighbours").choice(las.height, size=10, replace=False)
    row = {
        "old_la_code": catalogue.settings.home_old_la_code or "999",
        "la_name": catalogue.settings.authority,
    }
    for rank, index in enumerate(sorted(picks), start=1):
        row[f"SN_{rank}"] = las["old_la_code"][int(index)]
        row[f"SN_{rank}P"] = "Close"
    path = folder / NEIGHBOURS_FILE
    pl.DataFrame([row]).write_csv(path)
    return path
