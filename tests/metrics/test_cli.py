"""The outcomes command line, as a user calls it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from metrics.cli import main
from tests.helpers import csv_bytes, good_return, set_cell

GROUP, PERIOD = "HCP", "2025-26-Q3"


@pytest.fixture
def files(tmp_path, catalogue):
    good = good_return(catalogue, GROUP, PERIOD)
    bad = set_cell(set_cell(good, 2, "numerator", "12x"), 4, "area_code", "E05000000")
    paths = {"good": tmp_path / "good.csv", "bad": tmp_path / "bad.csv"}
    paths["good"].write_bytes(csv_bytes(good))
    paths["bad"].write_bytes(csv_bytes(bad))
    return paths


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_json_lists_rule_row_and_column(capsys, files, tmp_path):
    db = tmp_path / "none.duckdb"
    code, out, _ = run(
        capsys, "validate", files["bad"], "--group", GROUP, "--period", PERIOD, "--json", "--db", db
    )
    assert code == 2
    findings = json.loads(out)
    assert {(f["rule"], f["row"], f["column"]) for f in findings} >= {
        ("C08", 4, "numerator"),
        ("C04", 6, "area_code"),
    }
    assert all(
        set(f) >= {"rule", "severity", "row", "column", "value", "message"} for f in findings
    )
    assert not db.exists()  # a dry run creates nothing


def test_validate_clean_and_warning_exit_codes(capsys, files, demo_copy):
    code, out, _ = run(capsys, "validate", files["good"], "--group", GROUP, "--period", PERIOD)
    assert code == 0 and "No problems found" in out


def test_ingest_with_explanations(capsys, files, tmp_path, catalogue):
    db = tmp_path / "cli.duckdb"
    code, out, _ = run(
        capsys, "ingest", files["good"], "--group", GROUP, "--period", PERIOD, "--db", db, "--json"
    )
    result = json.loads(out)
    assert code == 0 and result["status"] == "accepted" and result["version"] == 1
    code, out, _ = run(
        capsys, "ingest", files["bad"], "--group", GROUP, "--period", PERIOD, "--db", db
    )
    assert code == 2 and "rejected" in out

    # next quarter's figures with a large change: refused until explained
    nxt = good_return(catalogue, GROUP, "2025-26-Q4")
    jump = set_cell(nxt, 0, "numerator", nxt["denominator"][0])
    path = tmp_path / "q4.csv"
    path.write_bytes(csv_bytes(jump))
    code, out, _ = run(
        capsys, "ingest", path, "--group", GROUP, "--period", "2025-26-Q4", "--db", db
    )
    assert code == 2 and "--explain" in out
    path.write_bytes(csv_bytes(set_cell(jump, 1, "commentary", "explained")))
    code, out, _ = run(
        capsys,
        "ingest",
        path,
        "--group",
        GROUP,
        "--period",
        "2025-26-Q4",
        "--db",
        db,
        "--explain",
        "W01=Service expanded",
        "--json",
    )
    result = json.loads(out)
    assert code == 0 and result["status"] == "accepted"
    assert {f["explanation"] for f in result["findings"] if f["rule"] == "W01"} == {
        "Service expanded"
    }


def test_template_then_export(capsys, tmp_path, demo_copy):
    code, out, _ = run(
        capsys, "template", "--group", "EDU", "--period", "2025-26-Q3", "--out", tmp_path
    )
    assert code == 0
    csv_path, xlsx_path = (Path(p) for p in out.split())
    template = pl.read_csv(csv_path, infer_schema=False)
    assert set(template["indicator_code"]) == {"ED01", "ED02"}  # ED03 and ED04 are due in Q2
    assert template["numerator"].null_count() == template.height
    assert xlsx_path.suffix == ".xlsx" and xlsx_path.stat().st_size > 0

    code, out, _ = run(
        capsys, "template", "--group", "EDU", "--period", "2025-26-Q1", "--out", tmp_path
    )
    assert code == 3  # EDU owes nothing in Q1

    out_file = tmp_path / "values.parquet"
    code, out, _ = run(
        capsys, "export", "--format", "parquet", "--out", out_file, "--db", demo_copy
    )
    values = pl.read_parquet(out_file)
    assert code == 0 and values.height > 1000
    assert {"indicator_code", "period", "value", "lower_95", "rag"} <= set(values.columns)


def test_usage_errors_exit_3(capsys, files):
    code, _, err = run(capsys, "validate", files["good"], "--group", "NOPE", "--period", PERIOD)
    assert code == 3 and "not a delivery group" in err
    code, _, err = run(capsys, "validate", files["good"], "--group", GROUP, "--period", "Q9")
    assert code == 3 and "financial quarter" in err
    code, _, err = run(capsys, "ingest", "missing.csv", "--group", GROUP, "--period", PERIOD)
    assert code == 3 and "no such file" in err
    code, _, _ = run(
        capsys,
        "ingest",
        files["good"],
        "--group",
        GROUP,
        "--period",
        PERIOD,
        "--explain",
        "no-equals-sign",
    )
    assert code == 3


@pytest.mark.slow  # starts the installed command
def test_console_script_is_installed(files):
    exe = shutil.which("outcomes", path=str(Path(sys.executable).parent))
    proc = subprocess.run(
        [
            exe,
            "validate",
            str(files["bad"]),
            "--group",
            GROUP,
            "--period",
            PERIOD,
            "--json",
            "--db",
            str(files["bad"].parent / "x.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and json.loads(proc.stdout)


def test_a_fault_in_the_program_is_said_plainly_with_exit_4(monkeypatch, capsys):
    from metrics import cli

    def broken(args):
        raise KeyError("something internal")

    monkeypatch.delenv("OUTCOMES_DEBUG", raising=False)
    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser(), "catalogue", broken))
    assert cli.main(["catalogue"]) == cli.FAULT_EXIT
    err = capsys.readouterr().err
    assert "a fault in this program" in err and "KeyError" in err and "Traceback" not in err


def _with_func(parser, command, func):
    parser._subparsers._group_actions[0].choices[command].set_defaults(func=func)
    return parser


def test_board_pack_as_html_for_the_latest_meeting(capsys, tmp_path):
    from datetime import date

    from metrics import services
    from metrics.core.access import Actor
    from metrics.store.connection import Store

    db = tmp_path / "s.duckdb"
    out = tmp_path / "pack.html"
    Store(db).close()
    assert main(["board-pack", "--db", str(db), "--format", "html", "--output", str(out)]) == 3
    assert "no meeting has been added yet" in capsys.readouterr().err
    with Store(db) as store:
        services.add_meeting(
            Actor.operator("t"), store, held_on=date(2026, 6, 1), kind="ordinary", title="June <b>"
        )
    code = main(["board-pack", "--db", str(db), "--format", "html", "--output", str(out)])
    assert code == 0 and "Wrote the board pack for meeting 1" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in html and "June &lt;b&gt;" in html  # typed text escaped
    assert "No exceptions." in html  # no returns yet


def test_meetings_added_and_listed_then_the_latest_ones_pack(capsys, tmp_path):
    from metrics.store.connection import Store

    db = tmp_path / "s.duckdb"
    Store(db).close()
    code = main(
        [
            "meetings",
            "add",
            "--db",
            str(db),
            "--date",
            "2027-01-14",
            "--kind",
            "mid-year review",
            "--reports-to",
            "Health and Wellbeing Board",
        ]
    )
    said = capsys.readouterr().out
    assert code == 0 and "Added meeting 1: Partnership board (mid-year review)" in said
    assert "on 14 January 2027, figures as at 07 January 2027 23:59" in said
    assert main(["meetings", "add", "--db", str(db), "--date", "14/01/2027"]) == 3
    assert "give the date as YYYY-MM-DD" in capsys.readouterr().err
    assert main(["meetings", "add", "--db", str(db), "--date", "2027-01-15", "--kind", "x"]) == 3
    assert "a meeting is one of: plan agreement" in capsys.readouterr().err
    cut_off = ["--cut-off", "2027-03-02 12:00"]
    assert main(["meetings", "add", "--db", str(db), "--date", "2027-03-01", *cut_off]) == 3
    assert "the data cut-off must be on or before the meeting" in capsys.readouterr().err
    assert main(["meetings", "add", "--db", str(db), "--date", "2027-03-04", *cut_off]) == 0
    capsys.readouterr()
    assert main(["meetings", "list", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "2", "2027-03-04", "Partnership", "board", "(ordinary)", "figures", "as", "at",
        "2027-03-02", "12:00",
    ]  # fmt: skip
    assert "reports to Health and Wellbeing Board" in lines[1] and lines[-1] == "2 meetings."
    out = tmp_path / "pack.html"
    assert main(["board-pack", "--db", str(db), "--format", "html", "--output", str(out)]) == 0
    assert "Wrote the board pack for meeting 2" in capsys.readouterr().out


def test_the_latest_meetings_pack_on_the_demo_numbers_its_contents_as_its_sections(
    capsys, tmp_path, demo_copy
):
    import re

    out = tmp_path / "pack.html"
    args = ["board-pack", "--db", str(demo_copy), "--meeting", "latest", "--format", "html"]
    assert main([*args, "--output", str(out)]) == 0
    assert "Wrote the board pack for meeting 7" in capsys.readouterr().out  # the next one
    html = out.read_text(encoding="utf-8")
    contents = html.split('<nav aria-label="Contents">', 1)[1].split("</nav>", 1)[0]
    listed = re.findall(r'<li><a href="#([A-Z]{2}\d{2})">', contents)
    headed = re.findall(r"<h3>(\d+)\. ([A-Z]{2}\d{2}) ", html)
    assert len(listed) >= 5 and [code for _, code in headed] == listed
    assert [int(n) for n, _ in headed] == list(range(1, len(listed) + 1))
    # an item's place in the nested list is its section's number: 1. within its own list
    assert re.search(r'<a href="#sections">The exception indicators</a><ol><li>', contents)
    assert '<h2 id="sections">The exception indicators</h2>' in html
