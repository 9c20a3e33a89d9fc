"""The board pack as one self-contained HTML document: headings, real tables with captions
and header cells, each chart with its alternative text and its table. Nothing is fetched:
Plotly's script is inlined, and the charts are turned into SVG images when the document is
opened (or printed), so they stay vector in the PDF.

Every text a person typed (commentary, questions, answers) is escaped: it is shown exactly
as typed, never as markup.
"""

from __future__ import annotations

import json
from html import escape

import polars as pl
from plotly.offline import get_plotlyjs

from metrics.core.formatting import figure
from metrics.reports.charts import trend_figure
from metrics.reports.pack import BoardPack, Section, period_label
from metrics.reports.tables import table

RAG = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "no target": "Not rated: no target",
    "not judged": "Not rated: context",
    "no figures": "Not rated: no figures",
    "suppressed": "c (suppressed)",
}

STYLE = """
@page { size: A4; margin: 22mm 16mm 20mm 16mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #0b0c0c;
       line-height: 1.4; }
h1 { font-size: 24pt; margin: 0 0 8pt; }
h2 { font-size: 16pt; border-bottom: 2px solid #0b0c0c; padding-bottom: 3pt;
     break-before: page; margin-top: 0; }
h3 { font-size: 13pt; margin: 14pt 0 4pt; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0 10pt; font-size: 9pt;
        break-inside: auto; }
caption { text-align: left; font-weight: bold; padding-bottom: 3pt; }
th, td { border: 1px solid #b1b4b6; padding: 3pt 5pt; text-align: left; vertical-align: top; }
th { background: #f3f2f1; }
td.number { text-align: right; }
tr { break-inside: avoid; }
.cover { height: 230mm; display: flex; flex-direction: column; justify-content: center; }
.cover p { font-size: 12pt; margin: 3pt 0; }
.marking { font-weight: bold; letter-spacing: 0.05em; }
.section + .section { break-before: page; }
.chart { break-inside: avoid; }
.chart img { display: block; margin: 6pt 0; }
.note { color: #505a5f; font-size: 9pt; }
.commentary { white-space: pre-wrap; border-left: 4px solid #b1b4b6; padding-left: 8pt; }
nav ol { font-size: 11pt; }
"""


def _summary(frame: pl.DataFrame, heading: str) -> str:
    if frame.is_empty():
        return "<p>No figures for the period.</p>"
    columns = ["heading", "indicators", "green", "amber", "red", "no_target"]
    rows = [
        [r[c] for c in [*columns, "improving", "worsening"]] for r in frame.iter_rows(named=True)
    ]
    headers = [heading, "Indicators", "Green", "Amber", "Red", "Not rated"]
    return table(
        f"Indicators by RAG rating and direction, by {heading.lower()}",
        [*headers, "Improving", "Worsening"],
        rows,
        numbers={1, 2, 3, 4, 5, 6, 7},
    )


def section_html(n: int, section: Section, authority: str, chart_id: str) -> tuple[str, dict]:
    """An indicator's section, and the chart it draws (by ``chart_id``)."""
    d, unit = section.decimals, section.unit
    facts = table(
        f"{section.code} at a glance",
        ["Figure", "Target", "RAG", "Since the period before", "Direction", "Owner"],
        [
            [
                f"{section.value} ({period_label(section.period)})",
                section.target,
                RAG.get(section.rag, section.rag),
                section.since_last,
                section.direction,
                section.group,
            ]
        ],
    )
    published = {r["period"]: r for r in section.report.published.iter_rows(named=True)}
    average = section.report.neighbour_average
    rows = [
        [
            period_label(r["period"]),
            "c" if r["suppression"] else figure(r["value"], d, unit),
            "c"
            if r["suppression"]
            else (
                f"{figure(r['lower_95'], d)} to {figure(r['upper_95'], d)}"
                if r["lower_95"] is not None
                else "–"
            ),
            "c" if r["suppression"] else figure(r["numerator"], 0),
            figure(r["denominator"], 0),
            figure(r["target"], d, unit),
            figure(published.get(r["period"], {}).get("england"), d, unit),
            figure(published.get(r["period"], {}).get("neighbours"), d, unit),
        ]
        for r in section.trend.iter_rows(named=True)
    ]
    trend_table = table(
        f"{section.code} {section.title}: the figures in the chart",
        [
            "Period",
            "Value",
            "95% interval",
            "Numerator",
            "Denominator",
            "Target",
            "England",
            f"Neighbours ({average})",
        ],
        rows,
        numbers={1, 3, 4, 5, 6, 7},
    )
    curve = (
        table(
            f"{section.code}: the baseline forecast (where the figure is heading if nothing "
            "changes; a straight line through the last eight figures, 95% prediction interval)",
            ["Period", "Baseline forecast", "95% prediction interval", "Target"],
            [
                [
                    period_label(r["period"]),
                    figure(r["forecast"], d, unit),
                    f"{figure(r['lower'], d)} to {figure(r['upper'], d)}",
                    figure(r["target"], d, unit),
                ]
                for r in section.curve.iter_rows(named=True)
            ],
            numbers={1, 3},
        )
        if section.curve.height
        else ""
    )
    note = section.commentary_note or (
        "" if section.commentary else "No commentary was given for this period."
    )
    commentary = (
        f'<div class="commentary">{escape(section.commentary)}</div>' if section.commentary else ""
    ) + (f'<p class="note">{escape(note)}</p>' if note else "")
    figure_spec = json.loads(trend_figure(section.report).to_json())
    html = f"""
<section class="section" id="{escape(section.code)}">
<h3>{n}. {escape(section.code)} {escape(section.title)}</h3>
<p>{escape(section.definition)} Polarity: {escape(section.polarity)}. Outcome:
{escape(section.outcome)}.</p>
{facts}
<p>On the exception list because: {escape(section.why)}.</p>
<div class="chart"><div data-chart="{chart_id}" data-alt="{escape(section.summary)}"></div>
<p class="note">Chart: {escape(section.summary)} The shaded band is the 95% confidence
interval.</p></div>
{trend_table}
{curve}
<h4>The group's commentary</h4>
{commentary}
</section>"""
    return html, figure_spec


def suppression_note(concealed: bool) -> str:
    if concealed:
        return "Small numbers are shown as c: this report is for readers who may not see them."
    return (
        "This report includes small numbers (below each indicator's suppression threshold): "
        "not for publication."
    )


def document(*, title: str, body: str, charts: dict[str, dict]) -> str:
    """A whole report: the document's title and language, the house style, the body, and
    the script that draws its charts as SVG images with their alternative text."""
    script = (
        "<script>"
        + get_plotlyjs()
        + "</script><script>const charts = "
        + json.dumps(charts).replace("</", "<\\/")
        + ";"
        + DRAW
        + "</script>"
    )
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{STYLE}</style></head>
<body>
{body}
{script}
</body></html>"""


def render(pack: BoardPack) -> str:
    """The pack as an HTML document (UTF-8 text)."""
    meeting = pack.meeting
    overview = pack.overview
    title = f"Board pack: {meeting['title']}, {meeting['held_on']:%d %B %Y}"
    reports_to = ", ".join(meeting["reports_to"] or []) or "–"
    suppression = suppression_note(pack.concealed)
    charts: dict[str, dict] = {}
    parts = []
    for n, section in enumerate(pack.sections, start=1):
        chart_id = f"chart{n}"
        html, spec = section_html(n, section, pack.authority, chart_id)
        charts[chart_id] = spec
        parts.append(html)
    exceptions = table(
        "The board's exception list",
        ["Indicator", "Figure", "Target", "RAG", "Why it is on the list", "Owner"],
        [
            [
                f"{s.code} {s.title}",
                f"{s.value} ({period_label(s.period)})",
                s.target,
                RAG.get(s.rag, s.rag),
                s.why,
                s.group,
            ]
            for s in pack.sections
        ],
    )
    challenges = (
        table(
            "Challenges open at the meeting, and those due at it",
            ["Reference", "Group", "Question", "Owner", "Due", "Status", "Answer"],
            [
                [
                    r["reference"],
                    r["group_code"],
                    r["question"],
                    r["owner"],
                    f"{r['due_on']:%d %b %Y}",
                    r["status"],
                    r["answer"] or "",
                ]
                for r in pack.challenges.iter_rows(named=True)
            ],
        )
        if pack.challenges.height
        else "<p>No challenges are open.</p>"
    )
    actions = (
        table(
            "Actions not yet finished (overdue first by due date)",
            ["Reference", "Action", "Owner", "Group", "Due", "Status", "Overdue"],
            [
                [
                    r["reference"],
                    r["title"],
                    r["owner"],
                    r["group_code"],
                    f"{r['due_on']:%d %b %Y}",
                    r["status"],
                    "overdue" if r["overdue"] else "",
                ]
                for r in pack.actions.iter_rows(named=True)
            ],
        )
        if pack.actions.height
        else "<p>No actions are open.</p>"
    )
    returns = (
        table(
            f"Returns for {pack.period_label}",
            ["Group", "Status", "Version", "Accepted", "Corrected", "Rejected attempts", "Due by"],
            [
                [
                    r["group"],
                    r["status"],
                    r["version"],
                    f"{r['accepted_at']:%d %b %Y}" if r["accepted_at"] else "",
                    f"{r['corrected_at']:%d %b %Y}" if r["corrected_at"] else "",
                    r["rejected_attempts"],
                    str(r["due_by"]),
                ]
                for r in overview.returns.iter_rows(named=True)
            ],
            numbers={2, 5},
        )
        if overview is not None and overview.returns.height
        else "<p>No returns for the period.</p>"
    )
    summaries = (
        _summary(overview.by_outcome, "Outcome") + _summary(overview.by_priority, "Plan priority")
        if overview is not None
        else "<p>No figures had been reported by the data cut-off.</p>"
    )
    definitions = "".join(
        f"<h3>{escape(d['code'])} {escape(d['title'])}</h3><p>{escape(d['definition'])} "
        f"Source: {escape(d['source'])}. Polarity: {escape(d['polarity'])}.</p>"
        for d in pack.definitions
    )
    entries = (
        ("summary", "Summary by outcome and plan priority", ""),
        ("exceptions", "Exceptions, with the groups' commentary", ""),
        ("accountability", "Challenges and actions", ""),
        (
            "sections",
            "The exception indicators",
            # numbered from 1 as the sections are: "1. BH05 ..."
            "<ol>"
            + "".join(
                f'<li><a href="#{escape(s.code)}">{escape(s.code)} {escape(s.title)}</a></li>'
                for s in pack.sections
            )
            + "</ol>"
            if pack.sections
            else "",
        ),
        ("returns", "Returns for the quarter", ""),
        ("definitions", "Appendix: definitions", ""),
    )
    contents = "".join(
        f'<li><a href="#{anchor}">{escape(name)}</a>{inner}</li>' for anchor, name, inner in entries
    )
    body = f"""
<div class="cover">
<p class="marking">{escape(pack.marking)}</p>
<p>{escape(pack.partnership)}</p>
<h1>Board pack</h1>
<p><strong>{escape(meeting["title"])}</strong>, {meeting["held_on"]:%A %d %B %Y}
({escape(meeting["kind"])})</p>
<p>Reports to: {escape(reports_to)}</p>
<p>Figures for {escape(pack.authority)} as reported by the end of
{escape(pack.period_label or "–")}, as they stood at the data cut-off,
{pack.cut_off:%d %B %Y %H:%M}.</p>
<p>Made on {pack.made_on:%d %B %Y}. {escape(suppression)}</p>
</div>
<nav aria-label="Contents"><h2 id="contents">Contents</h2><ol>{contents}</ol></nav>
<h2 id="summary">Summary by outcome and plan priority</h2>
{summaries}
<h2 id="exceptions">Exceptions</h2>
<p>{len(pack.sections)} indicators are on the board's exception list: by rule (red,
significantly worse than England or the neighbours, a significantly worsening trend, a late
return or an overdue action) or by the board's decision. Each has a section below with its
trend, its figures and the owning group's commentary.</p>
{exceptions}
<h2 id="accountability">Challenges and actions</h2>
{challenges}
{actions}
<h2 id="sections">The exception indicators</h2>
{"".join(parts) or "<p>No exceptions.</p>"}
<h2 id="returns">Returns for the quarter</h2>
{returns}
<h2 id="definitions">Appendix: definitions</h2>
{definitions or "<p>No exception indicators.</p>"}
"""
    return document(title=title, body=body, charts=charts)


DRAW = """
Promise.all(Object.entries(charts).map(([id, spec]) => {
  const holder = document.querySelector(`[data-chart="${id}"]`);
  const scratch = document.createElement('div');
  document.body.appendChild(scratch);
  const size = {width: spec.layout.width, height: spec.layout.height};
  return Plotly.newPlot(scratch, spec.data, spec.layout, {staticPlot: true})
    .then(plot => Plotly.toImage(plot, Object.assign({format: 'svg'}, size)))
    .then(url => {
      const img = document.createElement('img');
      img.alt = holder.dataset.alt;
      img.width = size.width;
      img.height = size.height;
      img.src = url;
      holder.replaceWith(img);
      Plotly.purge(scratch);
      scratch.remove();
      return img.decode();
    });
})).then(() => { window.chartsDrawn = true; });
"""
