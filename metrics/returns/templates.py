"""Pre-filled return templates: the rows a group owes for a quarter, figures left blank."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from metrics.core.catalogue import COMMENTARY_PARTS, Catalogue, Kind
from metrics.core.periods import Quarter

TEMPLATE_COLUMNS = [
    "indicator_code",
    "indicator_title",
    "period",
    "area_code",
    "area_name",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "sd",
    *COMMENTARY_PARTS,
]

COLUMN_GUIDE = [
    ("indicator_code", "required", "Indicator code from the catalogue. Do not change."),
    ("indicator_title", "information", "The indicator's title, for reading. Ignored on upload."),
    (
        "period",
        "required",
        "The period the figure describes: 2025-26-Q2 for a quarter, "
        "2024-25 for a financial or academic year. Do not change.",
    ),
    ("area_code", "required", "The authority or locality code. Do not change."),
    ("area_name", "information", "The area's name, for reading. Ignored on upload."),
    (
        "breakdown",
        "required",
        "'total' for all children, or dimension:category such as fsm:disadvantaged. Do not change.",
    ),
    (
        "numerator",
        "required for proportions, rates and counts",
        "The number of children (or events) counted. Whole figures; 0 if none.",
    ),
    (
        "denominator",
        "required for proportions, rates and means",
        "What the numerator is out of (children in the cohort, or the population); for a mean, "
        "the number of children.",
    ),
    (
        "value",
        "required for means; optional otherwise",
        "For a mean, the average. For other kinds leave blank: it is calculated. If you fill it "
        "in, it must match numerator / denominator to the indicator's decimals.",
    ),
    ("sd", "optional, means only", "Standard deviation, for the confidence interval of a mean."),
    (
        "commentary",
        "optional",
        "What the figures show: what changed and what it means. One text per indicator (on "
        "any of its rows). No names or details of children, in any text column.",
    ),
    ("story", "optional", "The story behind the curve: the causes, what is driving it."),
    ("partners", "optional", "Partners with a role in turning the curve."),
    ("what_works", "optional", "What works: the evidence of what would help."),
    ("actions", "optional", "Actions planned, with who and by when."),
]


def template_frame(catalogue: Catalogue, group: str, quarter: Quarter) -> pl.DataFrame:
    rows = []
    for code, period, area, breakdown in catalogue.due_rows(group, quarter):
        ind = catalogue.indicator[code]
        rows.append(
            {
                "indicator_code": code,
                "indicator_title": ind.title,
                "period": period,
                "area_code": area,
                "area_name": catalogue.area[area].name,
                "breakdown": breakdown,
                "numerator": None,
                "denominator": None,
                "value": None,
                "sd": None,
                **dict.fromkeys(COMMENTARY_PARTS),
            }
        )
    schema = {c: pl.String for c in TEMPLATE_COLUMNS}
    return pl.DataFrame(rows, schema=schema)


def guidance_frame(catalogue: Catalogue, group: str, quarter: Quarter) -> pl.DataFrame:
    indicators = [i for i in catalogue.indicators_of(group) if i.is_due(quarter)]
    lines = [
        {"item": "Return", "detail": f"{catalogue.group[group].name}, {quarter.label}"},
        *(
            {"item": f"column {name}", "detail": f"({need}) {text}"}
            for name, need, text in COLUMN_GUIDE
        ),
        *(
            {
                "item": f"indicator {i.code}",
                "detail": f"{i.title}. {i.definition} Kind: {i.kind.value}"
                + (f" per {i.multiplier:,.0f}" if i.kind is Kind.RATE else "")
                + f". Reports {i.period_in(quarter)}.",
            }
            for i in indicators
        ),
    ]
    return pl.DataFrame(lines, schema={"item": pl.String, "detail": pl.String})


def template_bytes(catalogue: Catalogue, group: str, quarter: Quarter, fmt: str) -> bytes:
    """The template as CSV (UTF-8 with BOM, so Excel reads it right) or XLSX bytes."""
    frame = template_frame(catalogue, group, quarter)
    if fmt == "csv":
        return b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        import xlsxwriter

        with xlsxwriter.Workbook(buffer) as book:
            frame.write_excel(
                book,
                worksheet="return",
                autofit=True,
                table_style=None,
                header_format={"bold": True},
            )
            guidance_frame(catalogue, group, quarter).write_excel(
                book, worksheet="guidance", autofit=True, header_format={"bold": True}
            )
        return buffer.getvalue()
    raise ValueError(f"unknown template format {fmt!r}: use csv or xlsx")


def template_name(group: str, quarter: Quarter, fmt: str) -> str:
    return f"return_{group}_{quarter.code}.{fmt}"


def write_templates(
    catalogue: Catalogue,
    group: str,
    quarter: Quarter,
    folder: Path,
    formats: tuple[str, ...] = ("csv", "xlsx"),
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = folder / template_name(group, quarter, fmt)
        path.write_bytes(template_bytes(catalogue, group, quarter, fmt))
        paths.append(path)
    return paths
