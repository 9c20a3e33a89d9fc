"""Reminders by email: the board's rules of who is reminded of what and when, and
``outcomes remind`` delivering them to a real SMTP server (aiosmtpd, started here on
localhost), each once, on the demo's year."""

from __future__ import annotations

import socket
import threading
from datetime import date, datetime
from email import message_from_bytes
from email.message import Message

import duckdb
import polars as pl
import pytest
from aiosmtpd.controller import Controller

from metrics.cli import main
from metrics.core.access import Actor
from metrics.core.settings import SettingError
from metrics.reports.board import GroupWork
from metrics.reports.reminders import group_due
from metrics.services import MailSettings, mail_settings, send_reminders
from metrics.store.connection import Store

ON = date(2026, 11, 23)


def work(**frames: pl.DataFrame) -> GroupWork:
    empty = {
        "returns": pl.DataFrame(
            schema={"quarter": pl.String, "status": pl.String, "due_by": pl.Date}
        ),
        "challenges": pl.DataFrame(
            schema={
                "reference": pl.String,
                "indicator_code": pl.String,
                "question": pl.String,
                "due_on": pl.Date,
            }
        ),
        "actions": pl.DataFrame(
            schema={"reference": pl.String, "title": pl.String, "due_on": pl.Date}
        ),
    }
    return GroupWork(group="HCP", commentary=[], next_meeting=None, **(empty | frames))


def test_each_thing_is_reminded_of_within_the_notice_period_and_when_overdue(catalogue):
    due = group_due(
        work(
            returns=pl.DataFrame(
                {
                    "quarter": ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3"],
                    "status": ["late", "not yet due", "not yet due"],
                    "due_by": [date(2026, 7, 30), date(2026, 11, 30), date(2027, 1, 30)],
                }
            ),
            challenges=pl.DataFrame(
                {
                    "reference": ["C-0001", "C-0002", "C-0003"],
                    "indicator_code": ["BH01", None, "BH01"],
                    "question": ["Why?", "How?", "When?"],
                    "due_on": [date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1)],
                }
            ),
            actions=pl.DataFrame(
                {
                    "reference": ["A-0001", "A-0002"],
                    "title": ["Recruit", "Train"],
                    "due_on": [date(2026, 11, 23), date(2026, 11, 22)],
                }
            ),
        ),
        catalogue,
        on=ON,
        notice=7,
    )
    assert [d.key for d in due] == [
        "return late HCP 2026-27-Q1",
        "return due HCP 2026-27-Q2",  # in 7 days; Q3's, in 68 days, is not yet reminded of
        "challenge overdue C-0001 2026-11-01",
        "challenge due C-0002 2026-11-30",  # C-0003 is due in 8 days
        "action due A-0001 2026-11-23",  # due today
        "action overdue A-0002 2026-11-22",
    ]
    late = "\n".join(due[0].lines)
    assert "was due on 30 July 2026 (116 days ago) and has not been received" in late
    overdue = "\n".join(due[2].lines)
    assert "BH01" in overdue and "was due on 1 November 2026 (22 days ago)" in overdue
    assert "Question: Why?" in overdue
    assert "is due on 23 November 2026 (today)" in "\n".join(due[4].lines)


def test_mail_settings_are_read_from_the_secrets_and_said_to_be_wrong_plainly(tmp_path):
    secrets = tmp_path / "secrets.toml"
    assert mail_settings(tmp_path / "absent.toml") is None
    secrets.write_text('[auth]\nredirect_uri = "x"\n')
    assert mail_settings(secrets) is None  # no [smtp]: no reminders by email
    secrets.write_text("[smtp]\nport = 587\n")
    with pytest.raises(SettingError, match="give host and sender under \\[smtp\\]"):
        mail_settings(secrets)
    secrets.write_text('[smtp]\nhost = "h"\nsender = "s"\nport = "x"\n')
    with pytest.raises(SettingError, match="must be numbers"):
        mail_settings(secrets)
    secrets.write_text('[smtp\nhost = "h"')
    with pytest.raises(SettingError, match="not a valid TOML file"):
        mail_settings(secrets)
    secrets.write_text(
        '[smtp]\nhost = "mail"\nsender = "o@x"\nssl = true\n'
        '[reminders]\nsecretary = "sec@x"\nnotice_days = 3\n'
    )
    assert mail_settings(secrets) == MailSettings(
        host="mail", sender="o@x", port=465, ssl=True, notice_days=3, secretary=("sec@x",)
    )


class Inbox:
    """What a real SMTP server on localhost received; it refuses recipients in ``refuse``."""

    def __init__(self):
        self.messages: list[Message] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def received(self) -> list[tuple[str, str]]:
        """(recipient, reminder key) of each message, in the order received."""
        return [
            (m["To"].split("<")[-1].rstrip(">"), m["X-Outcomes-Reminder"]) for m in self.messages
        ]


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Inbox()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        'sender = "Partnership Outcomes <outcomes@council.example>"\n'
        '[reminders]\nsecretary = "secretary@council.example"\n'
        'app_url = "https://outcomes.council.example"\n'
    )
    monkeypatch.setenv("OUTCOMES_SECRETS", str(secrets))
    box.settings = mail_settings(secrets)
    yield box
    server.stop()


def remind(capsys, monkeypatch, db, at: str, *more: str) -> tuple[int, str, str]:
    monkeypatch.setenv("OUTCOMES_CLOCK", at)
    code = main(["remind", "--db", str(db), *more])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_outcomes_remind_delivers_each_reminder_once(
    capsys, monkeypatch, demo_copy, inbox, catalogue
):
    with duckdb.connect(str(demo_copy), read_only=True) as con:  # what the demo's year left
        (edu_challenge,) = con.execute(
            "SELECT reference FROM challenges WHERE group_code = 'EDU' AND status = 'open' "
            "AND due_on = DATE '2026-10-30'"
        ).fetchone()
        (fam_action,) = con.execute(
            "SELECT reference FROM actions WHERE group_code = 'FAM' AND due_on = "
            "DATE '2026-10-31' AND status NOT IN ('done', 'dropped')"
        ).fetchone()
        groups_late = [
            code
            for (code,) in con.execute(
                "SELECT DISTINCT code FROM (SELECT unnest(?) AS code) g WHERE NOT EXISTS ("
                "SELECT 1 FROM submissions s WHERE s.group_code = g.code AND "
                "s.period = '2026-27-Q2' AND s.status = 'accepted')",
                [list(catalogue.group)],
            ).fetchall()
        ]

    code, out, _ = remind(capsys, monkeypatch, demo_copy, "2026-11-23T10:00", "--dry-run")
    assert code == 0 and inbox.messages == []  # a dry run sends nothing
    assert "reminders due would be sent now" in out

    code, out, err = remind(capsys, monkeypatch, demo_copy, "2026-11-23T10:00")
    assert code == 0, err
    got = inbox.received()
    assert len(got) == len(set(got)), "a person got the same reminder twice"
    assert ("edu.lead@demo.invalid", f"challenge overdue {edu_challenge} 2026-10-30") in got
    assert ("fam.lead@demo.invalid", f"action overdue {fam_action} 2026-10-31") in got
    for group in groups_late:
        assert (f"{group.lower()}.lead@demo.invalid", f"return late {group} 2026-27-Q2") in got
    assert groups_late, "the demo's year has a group late with its Q2 return"
    assert f"Sent {len(got)} reminders; 0 had been sent before" in out
    letter = next(m for m in inbox.messages if m["X-Outcomes-Reminder"].startswith("action"))
    body = letter.get_payload(decode=True).decode()
    assert "was due on 31 October 2026 (23 days ago)" in body
    assert "https://outcomes.council.example/work?group=FAM" in body

    # run again the same day, and the next: nothing is sent twice
    code, out, _ = remind(capsys, monkeypatch, demo_copy, "2026-11-23T16:00")
    assert code == 0 and len(inbox.messages) == len(got)
    assert f"Sent 0 reminders; {len(got)} had been sent before" in out
    remind(capsys, monkeypatch, demo_copy, "2026-11-24T10:00")
    assert len(inbox.received()) == len(set(inbox.received()))

    # the January meeting's cut-off passes: its secretary is told, once
    remind(capsys, monkeypatch, demo_copy, "2027-01-08T09:00")
    remind(capsys, monkeypatch, demo_copy, "2027-01-09T09:00")
    to_secretary = [key for who, key in inbox.received() if who == "secretary@council.example"]
    assert len(to_secretary) == 1 and to_secretary[0].startswith("cut-off passed meeting")
    assert len(inbox.received()) == len(set(inbox.received()))


def test_a_refused_reminder_is_sent_on_the_next_run(capsys, monkeypatch, demo_copy, inbox):
    inbox.refuse = {"edu.lead@demo.invalid"}
    code, _, err = remind(capsys, monkeypatch, demo_copy, "2026-11-23T10:00")
    assert code == 1
    assert "NOT SENT     edu.lead@demo.invalid" in err and "550" in err
    assert not any(who == "edu.lead@demo.invalid" for who, _ in inbox.received())
    first = len(inbox.messages)
    inbox.refuse = set()
    code, _, _ = remind(capsys, monkeypatch, demo_copy, "2026-11-23T11:00")
    assert code == 0
    sent_now = inbox.received()[first:]
    assert sent_now and {who for who, _ in sent_now} == {"edu.lead@demo.invalid"}


def test_two_runs_at_once_send_each_reminder_once(demo_copy, inbox, catalogue):
    store = Store(demo_copy)
    try:

        class Mailer:
            def __init__(self):
                import smtplib

                self.smtp = smtplib.SMTP("127.0.0.1", inbox.settings.port, timeout=30)

            def send(self, message):
                self.smtp.send_message(message)

        runs = []

        def run():
            mailer = Mailer()
            runs.append(
                send_reminders(
                    Actor.operator("cron"),
                    store,
                    catalogue,
                    now=datetime(2026, 11, 23, 10),
                    settings=inbox.settings,
                    mailer=mailer,
                )
            )
            mailer.smtp.quit()

        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        store.close()
    got = inbox.received()
    assert got and len(got) == len(set(got))
    assert sum(len(r.sent) for r in runs) == len(got)
    assert all(
        len(r.sent) + len(r.already) == len(runs[0].sent) + len(runs[0].already) for r in runs
    )


def test_remind_without_a_mail_server_says_how_to_set_one(capsys, demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCOMES_SECRETS", str(tmp_path / "none.toml"))
    code, _, err = remind(capsys, monkeypatch, demo_copy, "2026-11-23T10:00")
    assert code == 3 and "no mail server is set: add an [smtp] section" in err
