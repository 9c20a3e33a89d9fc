"""Reminders by email, sent by ``outcomes remind`` once a day (from cron or a timer).

Who is reminded of what is the board's rule (:mod:`metrics.reports.reminders`); this module
finds who to write to, and sends each reminder once to each person: a reminder is claimed in
the database before it is sent, so a second run (the same day, or at the same time) sends
nothing again; a message the mail server refuses is released and tried again next run.

The mail server and the reminders' settings are in the secrets file (``OUTCOMES_SECRETS``,
by default ``.streamlit/secrets.toml``), beside sign-in's::

    [smtp]
    host = "smtp.example.gov.uk"
    port = 587
    starttls = true                   # or ssl = true for port 465
    username = "outcomes"             # optional
    password = "..."                  # optional
    sender = "Partnership Outcomes <outcomes@example.gov.uk>"

    [reminders]
    notice_days = 7                   # how long before a due date a lead is reminded
    secretary = ["board.secretary@example.gov.uk"]  # else the admins with an email
    app_url = "https://outcomes.example.gov.uk"     # for a link in each reminder
"""

from __future__ import annotations

import smtplib
import ssl
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from metrics.core.access import Actor, Role, require
from metrics.core.catalogue import Catalogue
from metrics.core.settings import SettingError, setting
from metrics.reports import reminders as rules
from metrics.reports.reminders import Person, Reminder
from metrics.services.board import group_work
from metrics.services.guard import audited
from metrics.store.connection import Store
from metrics.store.reads import board as board_reads
from metrics.store.reads import reminders as reminder_reads
from metrics.store.writes import reminders as reminder_writes


@dataclass(frozen=True)
class MailSettings:
    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    notice_days: int = rules.NOTICE_DAYS
    secretary: tuple[str, ...] = ()
    app_url: str | None = None


def mail_settings(path: Path | None = None) -> MailSettings | None:
    """The mail server and reminders' settings from the secrets file; None if it has no
    ``[smtp]`` section. A section that is not right raises :class:`SettingError` saying
    what to change."""
    path = path or setting("OUTCOMES_SECRETS")
    if not path.is_file():
        return None
    try:
        secrets = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingError(f"{path} is not a valid TOML file: {exc}") from None
    smtp, reminders = secrets.get("smtp"), secrets.get("reminders", {})
    if smtp is None:
        return None
    missing = [key for key in ("host", "sender") if not str(smtp.get(key, "")).strip()]
    if missing:
        raise SettingError(f"give {' and '.join(missing)} under [smtp] in {path}")
    secretary = reminders.get("secretary", [])
    secretary = [secretary] if isinstance(secretary, str) else list(secretary)
    try:
        port = int(smtp.get("port", 465 if smtp.get("ssl") else 25))
        notice = int(reminders.get("notice_days", rules.NOTICE_DAYS))
    except (TypeError, ValueError):
        raise SettingError(
            f"port under [smtp] and notice_days under [reminders] in {path} must be numbers"
        ) from None
    if smtp.get("ssl") and smtp.get("starttls"):
        raise SettingError(f"choose ssl or starttls under [smtp] in {path}, not both")
    return MailSettings(
        host=str(smtp["host"]),
        sender=str(smtp["sender"]),
        port=port,
        starttls=bool(smtp.get("starttls", False)),
        ssl=bool(smtp.get("ssl", False)),
        username=smtp.get("username"),
        password=smtp.get("password"),
        notice_days=notice,
        secretary=tuple(secretary),
        app_url=reminders.get("app_url"),
    )


class SmtpMailer:
    """Sends messages through the configured mail server, connecting at the first one (a
    run with nothing to send never connects)."""

    def __init__(self, settings: MailSettings, *, timeout: float = 30):
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            s = self.settings
            if s.ssl:
                self._smtp = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
                if s.starttls:
                    self._smtp.starttls(context=ssl.create_default_context())
            if s.username:
                self._smtp.login(s.username, s.password or "")
        self._smtp.send_message(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


@dataclass
class RemindRun:
    """What one run did: reminders sent, already sent before (not sent again), not sent
    (with the mail server's reason; tried again next run), and the delivery groups with
    something to be reminded of but no lead with an email address."""

    sent: list[Reminder] = field(default_factory=list)
    already: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder, str]] = field(default_factory=list)
    unaddressed: list[str] = field(default_factory=list)


@audited
def due_reminders(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    now: datetime,
    settings: MailSettings | None = None,
) -> tuple[list[Reminder], list[str]]:
    """Every reminder due at ``now`` (whether or not sent before), and the groups with
    something due but no lead with an email address to send it to (``settings``: the
    notice period, the secretary and the app's address; by default, none set)."""
    require(actor, "send-reminders")
    settings = settings or MailSettings(host="", sender="")
    notice_days, app_url = settings.notice_days, settings.app_url
    people = reminder_reads.addresses(store).to_dicts()
    found, unaddressed = [], []
    for group in catalogue.group:
        leads = [
            Person(p["name"], p["email"])
            for p in people
            if Role.LEAD.value in p["roles"] and group in p["groups"]
        ]
        work = group_work(actor, store, catalogue, group, on=now.date())
        due = rules.group_due(work, catalogue, on=now.date(), notice=notice_days)
        if due and not leads:
            unaddressed.append(group)
        found += rules.for_leads(due, group, leads, base_url=app_url)
    secretaries = [Person("board secretary", email) for email in settings.secretary] or [
        Person(p["name"], p["email"]) for p in people if Role.ADMIN.value in p["roles"]
    ]
    found += rules.for_secretary(
        board_reads.meetings(store).to_dicts(), secretaries, now=now, base_url=app_url
    )
    return found, unaddressed


@audited
def reminders_sent(actor: Actor, store: Store) -> list[tuple[str, str]]:
    """The (key, recipient) of every reminder sent or being sent."""
    require(actor, "send-reminders")
    return reminder_reads.sent(store).select("key", "recipient").rows()


def message(reminder: Reminder, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = formataddr((reminder.to.name, reminder.to.email))
    mail["Subject"] = reminder.subject
    mail["Message-ID"] = make_msgid(domain="partnership-outcomes.invalid")
    mail["X-Outcomes-Reminder"] = reminder.key
    mail.set_content(reminder.body)
    return mail


@audited
def send_reminders(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    *,
    now: datetime,
    settings: MailSettings,
    mailer,
) -> RemindRun:
    """Send every reminder due at ``now`` that its person has not had (``mailer.send``
    takes an :class:`~email.message.EmailMessage`)."""
    due, unaddressed = due_reminders(actor, store, catalogue, now=now, settings=settings)
    run = RemindRun(unaddressed=unaddressed)
    for reminder in due:
        email = reminder.to.email
        if not reminder_writes.claim(store, reminder.key, email, reminder.subject, actor=actor.id):
            run.already.append(reminder)
            continue
        try:
            mailer.send(message(reminder, settings.sender))
        except (smtplib.SMTPException, OSError) as exc:
            reminder_writes.release(store, reminder.key, email, actor=actor.id, why=str(exc))
            run.failed.append((reminder, str(exc) or type(exc).__name__))
        else:
            reminder_writes.mark_sent(store, reminder.key, email, actor=actor.id)
            run.sent.append(reminder)
    return run
