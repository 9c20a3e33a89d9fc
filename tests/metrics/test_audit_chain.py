"""The audit log's hash chain: ``outcomes audit verify`` finds an edited, inserted or deleted
entry in a copy of the database, and entries written before the chain existed are chained."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from metrics.cli import main
from metrics.core.access import Actor
from metrics.core.chain import first_broken, link
from metrics.services import add_user, verify_audit_log
from metrics.store.connection import Store

OPERATOR = Actor.operator("test")


@pytest.fixture
def logged(tmp_path):
    """A database with a few audit entries."""
    path = tmp_path / "log.duckdb"
    with Store(path) as store:
        for n in range(3):
            add_user(OPERATOR, store, user_id=f"iss|{n}", name=f"Person {n}")
        store.record_event(actor="test", action="something", detail={"n": 1})
    return path


def verify(capsys, path) -> tuple[int, str, str]:
    code = main(["audit", "verify", "--db", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_untouched_log_matches(logged, capsys):
    code, out, _ = verify(capsys, logged)
    assert code == 0 and "match their hash chain" in out


@pytest.mark.file_only  # the DuckDB file itself
@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        ("UPDATE audit_log SET detail = '[]' WHERE id = {id}", "id"),
        ("UPDATE audit_log SET actor = 'someone else' WHERE id = {id}", "id"),
        ("DELETE FROM audit_log WHERE id = {id}", "next"),
    ],
)
def test_one_changed_entry_is_found(logged, tmp_path, capsys, tamper, broken):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(logged, copy)
    con = duckdb.connect(str(copy))
    ids = [r[0] for r in con.execute("SELECT id FROM audit_log ORDER BY id").fetchall()]
    target = ids[len(ids) // 2]
    con.execute(tamper.format(id=target))
    con.close()
    code, _, err = verify(capsys, copy)
    expected = target if broken == "id" else ids[ids.index(target) + 1]
    assert code == 1 and f"from entry {expected} on" in err
    assert verify(capsys, logged)[0] == 0  # the original is untouched


@pytest.mark.file_only  # the DuckDB file itself
def test_entries_written_before_the_chain_are_chained_by_the_next_write(logged):
    con = duckdb.connect(str(logged))
    con.execute("UPDATE audit_log SET chain = NULL")  # as a database from before the chain
    con.close()
    with Store(logged) as store:
        count, broken = verify_audit_log(OPERATOR, store)
        assert broken is not None  # unchained entries do not verify
        store.record_event(actor="test", action="after")
        count, broken = verify_audit_log(OPERATOR, store)
    assert broken is None and count >= 5


def test_the_chain_links_each_entry_to_the_one_before():
    first = link(None, (1, "a"))
    rows = [(1, ("a",), first), (2, ("b",), link(first, (2, "b")))]
    assert first_broken(rows) is None
    assert first_broken([rows[1]]) == 2  # the first entry missing
    assert first_broken([(1, ("a",), first), (2, ("c",), rows[1][2])]) == 2


@pytest.mark.file_only  # the DuckDB file itself
def test_a_return_is_audited_under_the_submitters_stable_id(tmp_path, catalogue):
    """Two people may share a name; the audit log names who, by issuer and subject."""
    import json

    from metrics.core.access import Role
    from metrics.services import check_return, submit_return
    from tests.helpers import csv_bytes, good_return

    lead = Actor(
        id="https://idp.example|sub-7",
        name="Sam Jones",
        roles=frozenset({Role.LEAD}),
        groups=frozenset({"HCP"}),
    )
    data = csv_bytes(good_return(catalogue, "HCP", "2025-26-Q1"))
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        checked = check_return(
            lead, store, catalogue, group="HCP", period="2025-26-Q1", data=data, file_name="r.csv"
        )
        assert submit_return(lead, store, catalogue, checked).status == "accepted"
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(
        "SELECT actor, detail FROM audit_log WHERE action = 'return accepted'"
    ).fetchall()
    con.close()
    assert [(actor, json.loads(detail)["name"]) for actor, detail in rows] == [
        ("https://idp.example|sub-7", "Sam Jones")
    ]
