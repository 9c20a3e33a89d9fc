"""Submit a return: template, upload, findings, explanations, confirmation, history."""

from __future__ import annotations

import hashlib

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import data, people, state
from metrics.core.access import can
from metrics.core.findings import by_cause
from metrics.core.formatting import change, figure
from metrics.core.periods import Quarter, latest_complete_quarter, period_label, quarters_between
from metrics.returns.templates import template_bytes, template_name
from metrics.services import StoreError, TextRefused

catalogue = data.catalogue()
TABLE_LIMIT = 200

me = people.actor()
led = [g for g in catalogue.group if me.leads(g)]


def show_history(group: str) -> None:
    """The group's returns and each one's findings."""

    st.header(f"{catalogue.group[group].name}: returns received", divider="gray")
    history = data.group_submissions(me, group)
    if history.is_empty():
        st.write("No returns yet.")
    else:
        shown = history.select(
            pl.col("id").alias("Submission"),
            pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Quarter"),
            pl.col("version").alias("Version"),
            ui.sentence_case(pl.col("status")).alias("Status"),
            pl.col("submitted_at").dt.strftime("%d %b %Y %H:%M").alias("Received"),
            pl.col("submitted_by").alias("By"),
            pl.col("file_name").alias("File"),
            pl.col("errors").alias("Errors"),
            pl.col("warnings").alias("Warnings"),
        )
        ui.table(shown, "Your group's submissions")
        chosen = st.selectbox(
            "Show the findings of submission",
            history["id"].to_list(),
            key="history_pick",
            format_func=lambda i: (
                f"{i}: "
                + " ".join(
                    str(v)
                    for v in history.filter(pl.col("id") == i).select("period", "status").row(0)
                )
            ),
        )
        found = data.submission_findings(me, chosen)
        if found.is_empty():
            st.write("No findings.")
        else:
            ui.table(found, "Findings of the submission")


st.title("Submit a return")
if not led and not can(me, "view-submissions"):
    st.info(
        "Returns are checked and submitted by each delivery group's lead; their figures "
        "appear on the other pages once accepted."
    )
    st.stop()
st.write(
    "Download your group's template for the quarter, fill in the figures and "
    "commentary, upload it, fix any errors, explain any warnings, then submit."
)

col_group, col_period = st.columns(2)
with col_group:
    group = state.choice(
        "group",
        led or list(catalogue.group),
        label="Delivery group",
        format_func=lambda g: catalogue.group[g].name,
    )
last = latest_complete_quarter(data.today())
# only quarters that have ended: a return describes a whole quarter
quarters = [q.code for q in quarters_between(catalogue.first_demo_quarter(), last)]
with col_period:
    period = state.choice(
        "quarter",
        quarters[::-1],
        label="Quarter",
        default=last.code,
        format_func=lambda p: Quarter.parse(p).label,
    )
quarter = Quarter.parse(period)
due = catalogue.due_rows(group, quarter)
if not me.leads(group):
    st.info(
        f"Only the lead of {catalogue.group[group].name} can submit its returns; you can "
        "see them below."
    )
    show_history(group)
    st.stop()

# --- template --------------------------------------------------------------------------------

st.header("1. Get the template", divider="gray")
if not due:
    st.info(
        f"Nothing is due from {catalogue.group[group].name} for {quarter.label}: its "
        "annual indicators are reported in other quarters."
    )
    show_history(group)
    st.stop()
codes = sorted({r[0] for r in due})
st.write(
    f"{len(due)} rows are due, for {len(codes)} indicators: "
    + ", ".join(f"{c} {catalogue.indicator[c].title}" for c in codes)
    + "."
)
c1, c2 = st.columns(2)
for column, fmt, label in (
    (c1, "xlsx", "Excel template (.xlsx)"),
    (c2, "csv", "CSV template (.csv)"),
):
    with column:
        st.download_button(
            label,
            data=template_bytes(catalogue, group, quarter, fmt),
            file_name=template_name(group, quarter, fmt),
            icon=":material/download:",
            key=f"template_{fmt}",
            on_click="ignore",
        )

# --- upload and check ------------------------------------------------------------------------

st.header("2. Upload and check", divider="gray")
upload = st.file_uploader(
    "Your completed return (CSV or XLSX)",
    type=["csv", "xlsx", "txt"],
    key=f"upload_{group}_{period}",
)
if upload is None:
    st.caption(
        "Nothing is stored until you submit. Files must not contain any child's "
        "details (names, dates of birth, UPNs, NHS numbers, postcodes)."
    )
else:
    content = upload.getvalue()
    check_key = (group, period, hashlib.sha256(content).hexdigest())
    if st.session_state.get("checked_key") != check_key:
        with st.status("Checking your return ...", expanded=True) as status:
            st.write("Reading the file and checking its columns and rows ...")
            checked = data.check_return(
                me,
                group=group,
                period=period,
                content=content,
                file_name=upload.name,
            )
            report = checked.report
            st.write("Compared with your previous return.")
            status.update(
                label=f"Checked: {ui.counted(len(report.errors), 'error')}, "
                f"{ui.counted(len(report.warnings), 'warning')}",
                state="complete",
                expanded=False,
            )
        st.session_state["checked_key"] = check_key
        st.session_state["checked"] = checked
        st.session_state.pop("result", None)
    checked = st.session_state["checked"]
    report = checked.report

    # a wrong code comes first, with the rows it left "missing" under it
    columns = ("Severity", "Rule", "Row", "Column", "Value", "Message", "Because of")
    findings = pl.DataFrame(
        [
            {
                "Severity": ui.sentence_case(f.severity.value),
                "Rule": f.rule,
                "Row": "whole file" if f.row is None else str(f.row),
                "Column": f.column or "",
                "Value": f.value or "",
                "Message": f.message,
                "Because of": f"the {cause.rule} on row {cause.row}" if cause else "",
            }
            for f, cause in by_cause(report.findings)
        ],
        schema=dict.fromkeys(columns, pl.String),
    )
    if report.errors:
        st.error(
            f"{ui.counted(len(report.errors), 'error')} must be fixed before this return can be "
            "accepted. Correct them in your file and upload it again.",
            icon=":material/error:",
        )
    elif report.warnings:
        st.warning(
            f"No errors. {ui.counted(len(report.warnings), 'warning')} to explain below.",
            icon=":material/warning:",
        )
    else:
        st.success(f"No problems found in {report.rows} rows.", icon=":material/check_circle:")
    if report.contains_identifiers:
        st.error(
            "This file looks like it holds details of individual children. Remove them: "
            "nothing from this file will be stored."
        )
    if findings.height:
        # a plain table (not a canvas grid) so screen readers read every finding
        # st.table reads cells as Markdown: what came from the file is escaped
        shown = findings.head(TABLE_LIMIT).with_columns(
            pl.col(c).map_elements(ui.plain, return_dtype=pl.String)
            for c in ("Column", "Value", "Message")
        )
        st.table(shown.to_pandas().set_index("Severity"))
        if findings.height > TABLE_LIMIT:
            st.caption(
                f"The first {TABLE_LIMIT} of {findings.height} findings; download them all below."
            )
        ui.download(findings, file_name=f"findings_{group}_{period}.csv", key="findings_csv")

    # --- explain and submit ------------------------------------------------------------------

    if not report.errors:
        st.header("3. Explain and submit", divider="gray")
        replaced = data.replacing(me, group, period)
        if replaced:
            st.warning(
                f"This return replaces version {replaced['version']}, submitted on "
                f"{replaced['submitted_at']:%d %B %Y} by {ui.plain(replaced['submitted_by'])}. "
                "Its figures are shown below beside this return's. A correction keeps the "
                "return's place as on time or late: that is judged by the first version.",
                icon=":material/published_with_changes:",
            )
        preview = data.preview_return(me, checked)
        if not preview.is_empty():
            st.subheader("What this return will show", anchor=False)
            rows = []
            for r in preview.iter_rows(named=True):
                ind = catalogue.indicator[r["indicator_code"]]
                d, unit = ind.decimals, ind.unit
                replacing = (
                    {
                        f"Version {replaced['version']}": figure(r["replaced_value"], d, unit),
                        "Corrected by": change(
                            None
                            if r["value"] is None or r["replaced_value"] is None
                            else r["value"] - r["replaced_value"],
                            d,
                            unit,
                        ),
                    }
                    if replaced
                    else {}
                )
                rows.append(
                    {
                        "Indicator": f"{ind.code} {ind.title}",
                        "Period": period_label(r["period"]),
                        **replacing,
                        "Figure": figure(r["value"], d, unit),
                        "Target": figure(r["target"], d, unit),
                        "RAG": ui.rag_label(r["rag"]),
                        "Before": figure(r["previous_value"], d, unit),
                        "Change": change(r["change_previous"], d, unit),
                    }
                )
            st.table(pl.DataFrame(rows).to_pandas().set_index("Indicator"))
            st.caption(
                f"{catalogue.authority.name} as a whole, as the board will see it once this "
                "return is accepted."
            )
        carried = data.previous_explanations(me, group, period)
        by_rule: dict[str, list] = {}
        for f in report.warnings:
            by_rule.setdefault(f.rule, []).append(f)
        # several warnings of one rule can share one explanation, or be explained one by one
        each = {
            rule: st.toggle(
                f"Explain each {rule} warning separately ({len(items)} rows)",
                key=f"each_{rule}",
            )
            for rule, items in by_rule.items()
            if len(items) > 1
        }
        with st.form("submit_form"):
            explanations = {}
            for rule, items in by_rule.items():
                if len(items) > 1 and not each[rule]:
                    rows = ", ".join(str(f.row) for f in items if f.row)
                    texts = {carried.get(f.key, "") for f in items}
                    explanations[rule] = st.text_area(
                        ui.plain(
                            f"{rule} on {len(items)} rows ({rows}): {items[0].message} "
                            f"(and {len(items) - 1} more like it)"
                        ),
                        value=texts.pop() if len(texts) == 1 else "",
                        key=f"explain_{rule}",
                        height=68,
                        help="One explanation for every row listed. This is kept with the data.",
                    )
                    continue
                for f in items:
                    where = f"row {f.row}" if f.row else "file"
                    explanations[f.key] = st.text_area(
                        ui.plain(f"{f.rule} ({where}): {f.message}"),
                        value=carried.get(f.key, ""),
                        key=f"explain_{f.key}",
                        height=68,
                        help="Say why the figure is right. This is kept with the data.",
                    )
            st.caption(f"Submitted as {ui.plain(me.name)}; recorded with the return.")
            sent = st.form_submit_button("Submit return", type="primary")
        if sent:
            missing = [k for k, text in explanations.items() if not text.strip()]
            if missing:
                st.error(
                    "Explain every warning before submitting "
                    f"({ui.counted(len(missing), 'explanation')} missing)."
                )
            else:
                waiting = st.empty()
                try:
                    with st.spinner("Storing your return ..."):
                        result = data.submit_return(
                            me,
                            checked,
                            explanations=explanations,
                            on_wait=lambda message: waiting.info(message),
                        )
                except (StoreError, TextRefused) as exc:
                    waiting.empty()
                    st.error(ui.plain(exc))
                else:
                    waiting.empty()
                    st.session_state["result"] = result
                    if result.status == "conflict":
                        # check the file again against the version accepted meanwhile
                        st.session_state["notice"] = result.message
                        st.session_state.pop("checked_key", None)
                        st.rerun()
        notice = st.session_state.get("notice")
        if notice and st.session_state.get("result") is None:
            st.warning(ui.plain(notice), icon=":material/update:")
        result = st.session_state.get("result")
        if result is not None:
            st.session_state.pop("notice", None)
            if result.status == "accepted":
                st.success(
                    f"{ui.plain(result.message)} The figures now show on the board overview.",
                    icon=":material/check_circle:",
                )
            elif result.status == "duplicate":
                st.info(ui.plain(result.message))
            else:
                st.error(ui.plain(result.message))

show_history(group)
