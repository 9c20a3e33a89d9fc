"""Backups: a whole copy made while the database is open (the figures, the people and the
audit chain as they stood), put back in place of a database (the old one kept), and a
changed or foreign file refused before anything is replaced. Through the running app:
``tests/browser/test_open_data.py``."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from metrics import services
from metrics.cli import main
from metrics.core.access import Actor, NotPermitted, Role
from metrics.core.catalogue import load_catalogue
from metrics.reports import figures as report_figures
from metrics.store.connection import Store

OPERATOR = Actor.operator("Data team")
CATALOGUE = load_catalogue()


def figures(db) -> list[tuple]:
    """Every stored figure, unsuppressed (read past the services, which give them out only
    on the record)."""
    with Store(db, read_only=True) as store:
        return report_figures.export_values(store, CATALOGUE, concealed=False).rows()


def audit(db) -> list[tuple]:
    with Store(db, read_only=True) as store:
        return store.frame("SELECT id, action, actor FROM audit_log ORDER BY id").rows()


def test_a_backup_is_the_database_as_it_stood(demo_copy, tmp_path):
    target = tmp_path / "backup.duckdb"
    with Store(demo_copy) as store:
        entries = services.backup(OPERATOR, store, target)
        # the database goes on being written after the copy: the copy does not change
        services.add_meeting(
            OPERATOR, store, held_on=date(2027, 3, 4), kind="ordinary", title="After the backup"
        )
    assert figures(target) == figures(demo_copy)
    copied = audit(target)
    assert len(copied) == entries and copied[-1][1:] == ("backed up", "operator|Data team")
    assert audit(demo_copy)[: len(copied)] == copied  # the same chain, one entry on since
    assert len(audit(demo_copy)) > len(copied)
    with Store(target, read_only=True) as copy:
        assert services.verify_audit_log(OPERATOR, copy) == (entries, None)


def test_only_an_admin_backs_up(demo_copy, tmp_path):
    board = Actor(id="t|board", name="B", roles=frozenset({Role.BOARD}))
    with Store(demo_copy) as store, pytest.raises(NotPermitted):
        services.backup(board, store, tmp_path / "b.duckdb")
    assert not (tmp_path / "b.duckdb").exists()


@pytest.mark.file_only  # the DuckDB file itself
def test_restore_puts_a_backup_back_and_keeps_the_old_database(demo_copy, tmp_path, capsys):
    backup = tmp_path / "backup.duckdb"
    assert main(["backup", str(backup), "--db", str(demo_copy), "--by", "Data team"]) == 0
    before = figures(demo_copy)
    # then something goes wrong: the figures of a quarter are deleted
    con = duckdb.connect(str(demo_copy))
    con.execute("DELETE FROM indicator_values WHERE indicator_code = 'BH01'")
    con.close()
    assert figures(demo_copy) != before
    assert main(["backup", str(backup), "--db", str(demo_copy)]) == 3  # never overwritten
    assert main(["restore", str(backup), "--db", str(demo_copy), "--by", "Data team"]) == 0
    said = capsys.readouterr().out
    assert "Restored" in said and "before-restore" in said
    assert figures(demo_copy) == before
    kept = next(tmp_path.glob("demo.duckdb.before-restore-*"))
    assert figures(kept) != before  # the database it replaced, as it was
    assert audit(demo_copy)[-1][1:] == ("restored", "operator|Data team")
    assert main(["audit", "verify", "--db", str(demo_copy)]) == 0


@pytest.mark.file_only  # the DuckDB file itself
def test_a_changed_or_foreign_backup_is_refused_and_nothing_replaced(demo_copy, tmp_path, capsys):
    backup = tmp_path / "backup.duckdb"
    assert main(["backup", str(backup), "--db", str(demo_copy)]) == 0
    con = duckdb.connect(str(backup))  # someone edits the backup's audit log
    con.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 3")
    con.close()
    before = figures(demo_copy)
    capsys.readouterr()
    assert main(["restore", str(backup), "--db", str(demo_copy)]) == 3
    assert "entry 3 does not match its hash" in capsys.readouterr().err
    foreign = tmp_path / "notes.duckdb"
    foreign.write_bytes(b"not a database at all" * 100)
    assert main(["restore", str(foreign), "--db", str(demo_copy)]) == 3
    assert "not a backup this product can read" in capsys.readouterr().err
    assert figures(demo_copy) == before
    assert not list(tmp_path.glob("demo.duckdb.before-restore-*"))
