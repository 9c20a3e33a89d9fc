"""Published data for the demo: real files where we have them, synthetic ones elsewhere.

Where a real DfE file is at hand (children in need re-referrals, children looked after, NEET
and participation, key stage 2 of children in need and looked after) the demo ships it as
published, and England, the regions and every authority have their real figures. For every
other indicator with a published equivalent the catalogue marks the source
``synthetic_in_demo``, and this module writes made-up figures for England, the regions and
every real authority in the real layout: DfE's open-data (EES) format, OHID Fingertips'
CSV export, or a publisher's own table by area (the Youth Justice Board's, Ofsted's and
OHID's spreadsheets: a title and notes, a header, a row per area including areas this product
does not compare with, notes below). A deployment replaces these with the real downloads;
nothing else changes.

The fictional demo authority's statistical neighbours are stated: they are Darlington's ten
in DfE's 2025 statistical neighbour model.
"""

from __future__ import annotations

import csv
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from metrics.benchmarks.base import LAS_FILE
from metrics.core.catalogue import Catalogue
from metrics.core.formatting import round_half_up
from metrics.core.settings import ROOT
from metrics.demo.profiles import load_profiles

DEMO_PUBLISHED = ROOT / "data" / "demo" / "published"
NEIGHBOURS_FILE = "sn_model_demo.csv"
YEARS = [2021, 2022, 2023, 2024, 2025]
NATIONAL_YEARS = list(range(2016, 2026))
"""The published years of the national-size demo (``outcomes demo --scale national``)."""
# Darlington's ten statistical neighbours in DfE's 2025 model (sn_model_2025_wide.csv):
# Gateshead, Stockton-on-Tees, Dudley, Wakefield, Lancashire, Telford and Wrekin, Rotherham,
# Tameside, County Durham and Doncaster, as old (three-digit) authority codes.
DEMO_NEIGHBOURS = ["390", "808", "332", "384", "888", "894", "372", "357", "840", "371"]
FINGERTIPS_HEADER = [
    "Indicator ID",
    "Indicator Name",
    "Parent Code",
    "Parent Name",
    "Area Code",
    "Area Name",
    "Area Type",
    "Sex",
    "Age",
    "Category Type",
    "Category",
    "Time period",
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Lower CI 99.8 limit",
    "Upper CI 99.8 limit",
    "Count",
    "Denominator",
    "Value note",
    "Recent Trend",
    "Compared to England value or percentiles",
    "Compared to Region value or percentiles",
    "Time period Sortable",
    "New data",
    "Compared to goal",
    "Time period range",
]
"""The header of Fingertips' CSV export, as the site writes it."""
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


def spec(ind, profile: dict) -> dict:
    """How an indicator's made-up published series behaves: England near the demo
    authority's starting level, a gentle yearly trend, authorities spread around it."""
    level = float(profile["level"])
    kind = ind.kind.value
    per_year = {"academic_year": "Academic year"}.get(ind.period_type.value, "Reporting year")
    return {
        "time_identifier": per_year,
        "level": level * (1 + _rng(ind.code, "england").normal(0, 0.04)),
        "trend": float(profile.get("trend", 0.0)) * 0.25,
        "spread": max(float(profile.get("spread") or 0), abs(level) * 0.12, 0.5),
        "decimals": ind.decimals,
        "extra": {},
        "denominator_per_child": {"proportion": 0.05, "rate": 1.0}.get(kind),
        "multiplier": ind.multiplier or 100,
        "ceiling": 100.0 if kind == "proportion" else None,
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
    years: list[int] = YEARS,
) -> list[dict]:
    las = _live_authorities()
    rows = []
    for year in years:
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
            if spec.get("ceiling"):
                value = min(value, spec["ceiling"] - 0.1)
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


def _fingertips_rows(ind, rows: list[dict], filters: dict[str, str]) -> list[list[str]]:
    """EES-style rows (from :func:`_rows`) as rows of Fingertips' export."""
    out = []
    for r in rows:
        level = r["geographic_level"]
        if level == "National":
            code, name, kind, parent, parent_name = "E92000001", "England", "England", "", ""
        elif level == "Regional":
            code, name = r["region_code"], f"{r['region_name']} region (statistics)"
            kind, parent, parent_name = "Regions (statistics)", "E92000001", "England"
        else:
            code, name, kind = r["new_la_code"], r["la_name"], "Counties & UAs (from Apr 2023)"
            parent = r["region_code"]
            parent_name = f"{r['region_name']} region (statistics)"
        year = r["time_period"]
        period = (
            f"{int(year) - 1}/{int(year) % 100:02d}"
            if len(year) == 4
            else (f"{year[:4]}/{year[4:]}")
        )
        value = r["value"]
        suppressed = value == "c"
        out.append(
            [
                str(ind.published.fingertips_id),
                ind.published.name or ind.title,
                parent,
                parent_name,
                code,
                name,
                kind,
                filters.get("Sex", "Persons"),
                filters.get("Age", ""),
                "",
                "",
                period,
                "" if suppressed else value,
                "",
                "",
                "",
                "",
                "" if suppressed else r.get("numerator", ""),
                r.get("denominator", ""),
                "Value suppressed for disclosure control due to small count" if suppressed else "",
                "",
                "",
                "",
                period[:4] + "0000",
                "",
                "",
                "1y",
            ]
        )
    return out


OTHER_AREAS = [("W92000004", "Wales"), ("W06000015", "Cardiff"), ("K04000001", "England and Wales")]
"""Areas a publisher's table by area also lists, which the import leaves out."""


def _table_period(year: str, header: str) -> str:
    """A year of :func:`_rows` (``2025``, the year ending 31 March 2025) as a publisher's
    table writes it: a date for a snapshot, else ``2024/25`` or ``2024-25``."""
    end = int(year[-4:]) if len(year) == 4 else int(year[:4]) + 1
    if "as at" in header.lower():
        return f"31 March {end}"
    return f"{end - 1}{'/' if header == 'Year' else '-'}{end % 100:02d}"


def _table_rows(ind, rows: list[dict]) -> list[list[str]]:
    """EES-style rows (from :func:`_rows`) as a publisher's table by area: the header and a
    row per area, with the other areas such a table lists."""
    src = ind.published
    table = src.table
    header = [table.area_code, table.area_name, table.period, src.column]
    header += [c for c in (src.numerator_column, src.denominator_column) if c]
    out = [header]
    for r in rows:
        if r["new_la_code"] == "z":  # not an area a publisher's table by area lists
            continue
        level = r["geographic_level"]
        code, name = {
            "National": ("E92000001", "England"),
            "Regional": (r["region_code"], r["region_name"]),
        }.get(level, (r["new_la_code"], r["la_name"]))
        values = ["[c]" if r[c] == "c" else r[c] for c in header[3:]]  # gov.uk's mark
        out.append([code, name, _table_period(r["time_period"], table.period), *values])
    for year in sorted({r["time_period"] for r in rows}):
        for code, name in OTHER_AREAS:
            out.append(
                [code, name, _table_period(year, table.period), *["[x]"] * (len(header) - 3)]
            )
    return out


def _write_table(ind, rows: list[list[str]], path: Path) -> None:
    """A publisher's table as its file: a title and notes above the header, notes below; a
    workbook's table on its own sheet after a notes sheet."""
    table = ind.published.table
    above = [
        [f"{ind.title}: by area (made-up figures for the demo, in the publisher's layout)"],
        [f"Source: {table.publisher}. Not official statistics."],
        ["[c] suppressed to protect confidentiality; [x] not available"],
        [],
    ]
    below = [[], ["Notes: areas outside England are shown for completeness."]]
    if path.suffix == ".xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(path)
        book.set_properties({"created": datetime(2025, 1, 1)})  # the same bytes every time
        notes = book.add_worksheet("Notes")
        notes.write(0, 0, "This workbook holds made-up figures for the demo.")
        sheet = book.add_worksheet(table.sheet or "Table 1")
        for i, row in enumerate([*above, *rows, *below]):
            for j, cell in enumerate(row):
                sheet.write_string(i, j, cell)
        book.close()
        return
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows([*above, *rows, *below])


def write_demo_published(
    catalogue: Catalogue, folder: Path = DEMO_PUBLISHED, *, years: list[int] = YEARS
) -> list[Path]:
    """Write the synthetic published files (the catalogue's sources marked
    ``synthetic_in_demo``) for ``years`` and the demo authority's neighbour model. Several
    Fingertips indicators may share one export file."""

    profiles = load_profiles()["indicators"]
    folder.mkdir(parents=True, exist_ok=True)
    ees: dict[str, list[dict]] = {}
    fingertips: dict[str, list[list[str]]] = {}
    paths = []
    for ind in catalogue.indicators:
        src = ind.published
        if src is None or not src.synthetic_in_demo:
            continue
        found = spec(ind, profiles[ind.code])
        if src.fingertips_id is not None:
            rows = _rows(ind.code, found, {}, "value", "numerator", "denominator", years)
            fingertips.setdefault(src.file, []).extend(_fingertips_rows(ind, rows, src.filters))
            continue
        if src.table is not None:
            # a series near zero (custody per 1,000) spreads in proportion to its level
            found["spread"] = min(found["spread"], max(abs(found["level"]) * 0.3, 0.01))
        rows = _rows(
            ind.code,
            found,
            src.filters,
            src.column,
            src.numerator_column,
            src.denominator_column,
            years,
        )
        if src.table is None:
            ees.setdefault(src.file, []).extend(rows)
        else:
            _write_table(ind, _table_rows(ind, rows), folder / src.file)
            paths.append(folder / src.file)
    for name, rows in ees.items():
        pl.DataFrame(rows).write_csv(folder / name)
        paths.append(folder / name)
    for name, rows in fingertips.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\r\n").writerows([FINGERTIPS_HEADER, *rows])
        paths.append(folder / name)
    paths.append(_write_neighbours(catalogue, folder))
    return sorted(paths)


def _write_neighbours(catalogue: Catalogue, folder: Path) -> Path:
    row = {
        "old_la_code": catalogue.settings.home_old_la_code or "999",
        "la_name": catalogue.settings.authority,
    }
    for rank, code in enumerate(DEMO_NEIGHBOURS, start=1):
        row[f"SN_{rank}"] = code
        row[f"SN_{rank}P"] = "Very close"
    path = folder / NEIGHBOURS_FILE
    pl.DataFrame([row]).write_csv(path)
    return path
