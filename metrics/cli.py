"""The ``outcomes`` command line: demo, validate, ingest, template, meetings, board-pack,
export, import-published, import-neighbours, neighbour-averages, users, audit, recompute,
remind, catalogue. Every command
reads and writes through :mod:`metrics.services`; each imports what it needs when it runs,
so that quick commands start quickly.

Exit codes: ``validate`` 0 clean, 1 warnings only, 2 errors; ``ingest`` 0 accepted (or
already received), 2 rejected; every command 3 when the command itself is wrong (an
unknown group, a malformed period, a missing file, a database held by the app, a full
disk, a damaged database); ``remind`` 1 when a reminder could not be sent; ``audit
verify`` 1 when an entry does not match its hash chain; 4 for a fault in the program
itself (never a traceback, unless ``OUTCOMES_DEBUG`` is set).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from metrics.core.access import Actor
from metrics.core.catalogue import CatalogueError, load_catalogue
from metrics.core.findings import Finding

USAGE_EXIT = 3
FAULT_EXIT = 4


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit code 2 means "errors" here
        self.print_usage(sys.stderr)
        self.exit(USAGE_EXIT, f"{self.prog}: {message}\n")


class CommandError(Exception):
    """A problem with how the command was called."""


class HeldByTheApp(Exception):
    """The app holds the database (a command that can hand its work to the app does)."""


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _location(text: str) -> Path | str:
    """A database file, or a PostgreSQL database's URL."""
    from metrics.services import is_server

    return text if is_server(text) else Path(text)


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=_location,
        default=None,
        help="DuckDB file or postgresql:// URL (default: $OUTCOMES_DATABASE_URL, else "
        "$OUTCOMES_DB or data/outcomes.duckdb)",
    )


def _explanations(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not text.strip():
            raise CommandError(f"--explain takes RULE=TEXT or RULE:SUBJECT=TEXT, not {item!r}")
        rule, _, subject = key.partition(":")
        out[f"{rule}|{subject}|" if subject else rule] = text.strip()
    return out


def _explain_by_subject(explanations: dict[str, str], findings: list[Finding]) -> dict[str, str]:
    """Turn RULE|SUBJECT| keys into each matching finding's full key."""
    out = {}
    for key, text in explanations.items():
        if "|" not in key:
            out[key] = text
            continue
        rule, subject, _ = key.split("|", 2)
        for f in findings:
            if f.rule == rule and f.subject == subject:
                out[f.key] = text
    return out


def _print_findings(findings: list[Finding]) -> None:
    if not findings:
        print("No problems found.")
        return
    for f in findings:
        where = f"row {f.row}" if f.row is not None else "file"
        if f.column:
            where += f", column {f.column}"
        print(f"{f.severity.value.upper():8} {f.rule}  {where}: {f.message}")
        if f.explanation:
            print(f"         explained: {f.explanation}")


def _open_store(
    db: Path | None,
    *,
    read_only: bool = False,
    recompute: bool = True,
    must_exist: bool = False,
    hand_over: bool = False,
):
    """Open the store. Held by another command, it is tried again for a bounded time;
    held by the app (which keeps it open), the command says so at once. Opened to write,
    values computed by an older catalogue are computed again first."""
    from metrics.core.settings import setting
    from metrics.services import (
        START_UP,
        Store,
        StoreError,
        StoreInUse,
        default_location,
        location_exists,
        recompute_if_the_catalogue_changed,
    )

    path = db or default_location()
    if (read_only or must_exist) and not location_exists(path):
        return None
    deadline = time.monotonic() + setting("OUTCOMES_WRITE_WAIT_SECONDS")
    told = False
    while True:
        try:
            store = Store(path, read_only=read_only)
            if recompute and not read_only:
                recompute_if_the_catalogue_changed(START_UP, store, load_catalogue())
            return store
        except StoreInUse as exc:
            if exc.by_app and hand_over:
                raise HeldByTheApp(str(exc)) from None
            if exc.by_app or time.monotonic() > deadline:
                raise CommandError(str(exc)) from None
            if not told:
                _progress("The database is in use by another command; waiting for it ...")
                told = True
            time.sleep(0.5)
        except StoreError as exc:
            raise CommandError(str(exc)) from None


def cmd_validate(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    path = _existing(args.file)
    store = _open_store(args.db, read_only=True)
    try:
        checked = _check(Actor.operator(args.by), store, catalogue, args, path)
    finally:
        if store:
            store.close()
    report = checked.report
    if args.json:
        print(json.dumps([_finding_json(f) for f in report.findings], indent=2))
    else:
        _print_findings(report.findings)
        print(
            f"{report.rows} rows: {len(report.errors)} error(s), {len(report.warnings)} warning(s)."
        )
    return report.exit_code


def _check(actor, store, catalogue, args: argparse.Namespace, path: Path):
    """``outcomes validate`` and ``ingest`` check the file the same way."""
    from metrics.services import check_return

    _progress(f"Checking {path.name} for {args.group} {args.period} ...")
    return check_return(
        actor,
        store,
        catalogue,
        group=args.group,
        period=args.period,
        data=path.read_bytes(),
        file_name=path.name,
    )


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        k: v
        for k, v in f.as_dict().items()
        if k in ("rule", "severity", "row", "column", "value", "message", "explanation", "subject")
    }


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    return path


def cmd_ingest(args: argparse.Namespace) -> int:
    from metrics import services
    from metrics.services import submit_return

    catalogue = load_catalogue()
    path = _existing(args.file)
    explanations = _explanations(args.explain or [])
    operator = Actor.operator(args.by)
    store = _open_store(args.db)
    try:
        checked = _check(operator, store, catalogue, args, path)
        report = checked.report
        _progress("Storing ...")
        result = submit_return(
            operator,
            store,
            catalogue,
            checked,
            explanations=_explain_by_subject(explanations, report.findings),
            on_wait=_progress,
        )
        findings = (
            services.submission_findings(operator, store, result.submission_id)
            .select(
                "rule", "severity", "row", "column", "value", "message", "explanation", "subject"
            )
            .to_dicts()
        )
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "status": result.status,
                    "submission_id": result.submission_id,
                    "version": result.version,
                    "message": result.message,
                    "findings": findings,
                },
                indent=2,
                default=str,
            )
        )
    else:
        _print_findings(report.findings)
        print(result.message)
        if result.status == "rejected" and not report.errors:
            print(
                "Explain each warning with --explain RULE=TEXT (all warnings of a rule) or "
                "--explain 'RULE:SUBJECT=TEXT' (one), then ingest again."
            )
    return 2 if result.status in ("rejected", "conflict") else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from metrics.demo.build import build_demo, write_demo_returns
    from metrics.services import default_location, is_server

    if args.unmark:
        from metrics.services import unmark_demo

        store = _open_store(args.db)
        try:
            unmark_demo(Actor.operator(args.by), store)
        finally:
            store.close()
        print("The database is no longer marked as the demo: the app needs sign-in for it.")
        return 0
    catalogue = load_catalogue()
    if args.write_returns:
        paths = write_demo_returns(catalogue, args.write_returns)
        print(f"Wrote {len(paths)} return files to {args.write_returns}")
        return 0
    path = args.db or default_location()
    if is_server(path):
        return _demo_on_the_server(args, path)
    if args.if_missing and path.exists():
        print(f"Demo database already present: {path}")
        return 0
    started = time.monotonic()
    _progress(f"Building the demo database at {path} (about a minute) ...")

    def progress(done: int, total: int, what: str) -> None:
        if done == 1 or done == total or done % 10 == 0 or "rejected" in what:
            _progress(f"  [{done:3}/{total}] {what}")

    counts = build_demo(path, catalogue, scale=args.scale, progress=progress)
    print(
        f"Demo database ready: {path} ({counts.get('accepted', 0)} accepted, "
        f"{counts.get('rejected', 0)} rejected returns; {time.monotonic() - started:.0f} s)"
    )
    return 0


def _demo_on_the_server(args: argparse.Namespace, url: str) -> int:
    """The demo built in a file, then loaded into an empty PostgreSQL database."""
    import tempfile

    from metrics import services

    store = _open_store(url, recompute=False)
    try:  # the system's own entries (the schema, the catalogue) are not a record
        where, holds = (
            store.path,
            store.scalar("SELECT count(*) FROM audit_log WHERE actor NOT LIKE 'system%'"),
        )
    finally:
        store.close()
    if holds and args.if_missing:
        print(f"The database {where} holds a record already: the demo is not built")
        return 0
    if holds:
        raise CommandError(
            f"the database {where} holds a record already: the demo is built only into an "
            "empty one ('outcomes restore FILE' replaces what it holds with a backup)"
        )
    with tempfile.TemporaryDirectory() as folder:
        built = Path(folder) / "demo.duckdb"
        args.db, args.if_missing = built, False
        cmd_demo(args)
        _progress(f"Loading the demo into {where} ...")
        services.restore(Actor.operator(args.by), built, url, aside=Path(folder) / "unused")
    print(f"Demo database ready: {where}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from metrics.returns.templates import write_templates
    from metrics.returns.validation import check_context

    catalogue = load_catalogue()
    quarter = check_context(catalogue, args.group, args.period)
    if not catalogue.due_rows(args.group, quarter):
        raise CommandError(f"nothing is due from {args.group} for {quarter.code}")
    formats = ("csv", "xlsx") if args.format == "both" else (args.format,)
    for path in write_templates(catalogue, args.group, quarter, args.out, formats):
        print(path)
    return 0


def cmd_board_pack(args: argparse.Namespace) -> int:
    from metrics import services
    from metrics.reports.pdf import PrintError
    from metrics.services import handover

    started = time.monotonic()
    try:
        # a pack with small numbers shown is given out on the record: opened to write
        store = _open_store(args.db, read_only=args.suppressed, must_exist=True, hand_over=True)
    except HeldByTheApp:
        return _board_pack_through_the_app(args, started)
    if store is None:
        raise CommandError("no database yet: run 'outcomes demo' or ingest a return first")
    try:
        meeting, pack = handover.pack_for(
            store,
            load_catalogue(),
            meeting=args.meeting,
            format=args.format,
            suppressed=args.suppressed,
            who="command line",
        )
    except (services.NotFound, PrintError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    return _wrote_pack(args, meeting, pack, started)


def _wrote_pack(args: argparse.Namespace, meeting: int, pack: bytes, started: float) -> int:
    args.output.write_bytes(pack)
    print(
        f"Wrote the board pack for meeting {meeting} to {args.output} "
        f"({len(pack) / 1e6:.1f} MB, {time.monotonic() - started:.0f} s)"
    )
    return 0


def _board_pack_through_the_app(args: argparse.Namespace, started: float) -> int:
    """The app holds the database: ask it to make the pack, and write what it makes."""
    from metrics.services import default_db_path, handover

    db = args.db or default_db_path()
    _progress("The app holds the database: it is making the pack ...")
    job = handover.request(
        db,
        {
            "kind": "board-pack",
            "meeting": args.meeting,
            "format": args.format,
            "suppressed": args.suppressed,
            "by": "command line",
        },
    )
    result, pack = handover.wait(db, job)
    if not result.get("ok") or pack is None:
        raise CommandError(
            f"the app could not make the pack: {result.get('error', 'no pack came back')}"
        )
    return _wrote_pack(args, result["meeting"], pack, started)


def cmd_backup(args: argparse.Namespace) -> int:
    from metrics import services
    from metrics.services import handover

    target = args.file.resolve()
    if target.exists():
        raise CommandError(f"{target} exists already: give a new file for the backup")
    operator = Actor.operator(args.by)
    try:
        store = _open_store(args.db, must_exist=True, hand_over=True)
    except HeldByTheApp:
        db = args.db or services.default_db_path()
        _progress("The app holds the database: it is making the backup ...")
        job = handover.request(db, {"kind": "backup", "by": args.by})
        result, _ = handover.wait(db, job, into=target)
        if not result.get("ok"):
            raise CommandError(
                f"the app could not make the backup: {result.get('error')}"
            ) from None
        entries = result["entries"]
    else:
        if store is None:
            raise CommandError("no database yet: run 'outcomes demo' or ingest a return first")
        try:
            entries = services.backup(operator, store, target)
        except services.BackupRefused as exc:
            raise CommandError(str(exc)) from None
        finally:
            store.close()
    print(f"Backed up the database to {target} ({entries} audit entries)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from metrics import services
    from metrics.core.clock import clock_from_environment

    location = args.db or services.default_location()
    source = args.file.resolve()
    if not source.is_file():
        raise CommandError(f"there is no backup at {source}")
    now = clock_from_environment().now()
    if services.is_server(location):  # what it holds is kept beside the default file
        db: Path | str = location
        folder = services.default_db_path().parent
        folder.mkdir(parents=True, exist_ok=True)
        aside = folder / f"postgresql.before-restore-{now:%Y%m%d-%H%M%S}.duckdb"
    else:
        db = Path(location).resolve()
        if db.exists():
            store = _open_store(db, recompute=False)  # refused at once if the app holds it
            store.close()
        aside = db.with_name(f"{db.name}.before-restore-{now:%Y%m%d-%H%M%S}")
    try:
        entries = services.restore(Actor.operator(args.by), source, db, aside=aside)
    except services.BackupRefused as exc:
        raise CommandError(str(exc)) from None
    kept = f"; the database it replaces is kept as {aside}" if aside.exists() else ""
    print(f"Restored {db} from {source} ({entries} audit entries){kept}")
    return 0


def cmd_meetings(args: argparse.Namespace) -> int:
    from datetime import datetime as moment

    from metrics import services

    operator = Actor.operator(args.by)
    store = _open_store(args.db)
    try:
        if args.meetings_command == "add":
            try:
                held_on = moment.strptime(args.date, "%Y-%m-%d").date()
                cut_off = moment.strptime(args.cut_off, "%Y-%m-%d %H:%M") if args.cut_off else None
            except ValueError:
                raise CommandError(
                    "give the date as YYYY-MM-DD and the cut-off as 'YYYY-MM-DD HH:MM'"
                ) from None
            try:
                number = services.add_meeting(
                    operator,
                    store,
                    held_on=held_on,
                    kind=args.kind,
                    title=args.title,
                    reports_to=args.reports_to,
                    cut_off=cut_off,
                )
            except services.CannotChange as exc:
                raise CommandError(str(exc)) from None
            added = services.meeting(operator, store, number)
            print(
                f"Added meeting {number}: {added['title']} ({added['kind']}) on "
                f"{added['held_on']:%d %B %Y}, figures as at {added['cut_off']:%d %B %Y %H:%M}."
            )
            return 0
        listed = services.meetings(operator, store)
        for row in listed.iter_rows(named=True):
            bodies = f", reports to {', '.join(row['reports_to'])}" if row["reports_to"] else ""
            print(
                f"{row['id']:>3}  {row['held_on']:%Y-%m-%d}  {row['title']} ({row['kind']}{bodies})"
                f"  figures as at {row['cut_off']:%Y-%m-%d %H:%M}"
            )
        print(f"{listed.height} meetings.")
        return 0
    finally:
        store.close()


def cmd_export(args: argparse.Namespace) -> int:
    from metrics.core.formatting import csv_bytes
    from metrics.services import export_values

    # figures with small numbers shown are given out on the record: the store opened to write
    store = _open_store(args.db, read_only=args.public, must_exist=True)
    if store is None:
        raise CommandError("no database yet: run 'outcomes demo' or ingest a return first")
    catalogue = load_catalogue()
    try:
        frame = export_values(Actor.operator("command line"), store, catalogue, public=args.public)
    finally:
        store.close()
    out = args.out or Path(f"indicator_values.{args.format}")
    if args.format == "csv":
        out.write_bytes(csv_bytes(frame))
    else:
        frame.write_parquet(out)
    print(f"Wrote {frame.height} indicator values to {out}")
    return 0


def _filters(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--filter takes COLUMN=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


def cmd_import_published(args: argparse.Namespace) -> int:
    from metrics.benchmarks import read_source
    from metrics.benchmarks.base import PublishedDataError
    from metrics.core.catalogue import PublishedSource
    from metrics.services import import_all_published, import_published

    operator = Actor.operator("command line")
    catalogue = load_catalogue()
    if args.all:
        if not args.file or not args.file.is_dir():
            raise CommandError("--all takes the folder holding the published files")
        store = _open_store(args.db)
        try:
            counts = import_all_published(operator, store, catalogue, args.file)
        except PublishedDataError as exc:
            raise CommandError(str(exc)) from None
        finally:
            store.close()
        for code, (rows, read) in counts.items():
            print(
                f"{code}: {rows} published values from {catalogue.indicator[code].published.file}"
            )
            _print_read(read, indent="  ")
        return 0
    if not args.file or not args.indicator or not (args.column or args.fingertips_id):
        raise CommandError(
            "give FILE --indicator CODE with --column NAME (a DfE open-data file) or "
            "--fingertips-id N (a Fingertips export), or --all FOLDER"
        )
    if args.indicator not in catalogue.indicator:
        raise CommandError(f"'{args.indicator}' is not an indicator in the catalogue")
    known = catalogue.indicator[args.indicator].published
    source = PublishedSource(
        file=args.file.name,
        column=args.column,
        fingertips_id=args.fingertips_id,
        name=known.name if known and known.fingertips_id == args.fingertips_id else None,
        table=known.table
        if known and args.column and not _is_ees_or_fingertips(args.file)
        else None,
        filters=_filters(args.filter or []),
        numerator_column=args.numerator,
        denominator_column=args.denominator,
    )
    try:
        read = read_source(
            _existing(args.file), source, how_to_filter="--filter {column}={value!r}"
        )
    except PublishedDataError as exc:
        raise CommandError(str(exc)) from None
    if known and args.fingertips_id and known.fingertips_id not in (None, args.fingertips_id):
        print(
            f"warning: the catalogue's source for {args.indicator} is Fingertips indicator "
            f"{known.fingertips_id}, not {args.fingertips_id}: check the id",
            file=sys.stderr,
        )
    frame = read.frame
    store = _open_store(args.db)
    try:
        rows = import_published(
            operator, store, catalogue, args.indicator, frame, source=args.file.name
        )
    finally:
        store.close()
    levels = frame.group_by("level").len().sort("level").rows()
    print(
        f"Imported {rows} published values for {args.indicator} from {args.file.name} ("
        + ", ".join(f"{n} {level}" for level, n in levels)
        + ")."
    )
    _print_read(read)
    return 0


def _is_ees_or_fingertips(path: Path) -> bool:
    """Whether a published file is in one of the layouts told from a header (a DfE open-data
    file, a Fingertips export); a publisher's table is read as the catalogue describes it."""
    from metrics.benchmarks import layout
    from metrics.benchmarks.base import PublishedDataError

    try:
        layout(_existing(path))
    except PublishedDataError:
        return False
    return True


def _print_read(read, indent: str = "") -> None:
    """What a published file's reader took and left out at each level, then its warnings
    (on standard error)."""
    for line in read.summary():
        print(f"{indent}{line}")
    for warning in read.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_import_neighbours(args: argparse.Namespace) -> int:
    from metrics.benchmarks.base import PublishedDataError
    from metrics.benchmarks.neighbours import read_neighbours
    from metrics.services import import_neighbours

    try:
        frame = read_neighbours(_existing(args.file))
    except PublishedDataError as exc:
        raise CommandError(str(exc)) from None
    store = _open_store(args.db)
    try:
        rows = import_neighbours(
            Actor.operator("command line"), store, frame, source=args.file.name
        )
    finally:
        store.close()
    print(f"Imported {rows} neighbour links for {frame['old_la_code'].n_unique()} authorities.")
    return 0


def cmd_neighbour_averages(args: argparse.Namespace) -> int:
    from metrics.services import neighbour_averages

    store = _open_store(args.db, read_only=True)
    if store is None:
        raise CommandError("no database yet")
    try:
        frame = neighbour_averages(
            Actor.operator("command line"), store, args.indicator, args.period, method=args.method
        )
    finally:
        store.close()
    if frame.is_empty():
        raise CommandError("no neighbour model imported: run 'outcomes import-neighbours'")
    if args.out:
        frame.write_csv(args.out)
        print(f"Wrote {frame.height} authorities to {args.out}")
    else:
        print(frame.write_csv(), end="")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from metrics import services

    operator = Actor.operator(args.by)
    store = _open_store(args.db)
    try:
        if args.users_command == "list":
            people = services.list_users(operator, store)
            for row in people.iter_rows(named=True):
                roles = ", ".join(row["roles"]) or "no role yet"
                groups = f" ({', '.join(row['groups'])})" if row["groups"] else ""
                print(f"{row['id']}  {row['name']}  {row['email'] or ''}  {roles}{groups}")
            print(f"{people.height} people.")
            return 0
        try:
            if args.users_command == "add":
                services.add_user(
                    operator, store, user_id=args.id, name=args.name, email=args.email
                )
                print(f"Added {args.name} ({args.id}).")
            else:
                change = services.grant if args.users_command == "grant" else services.revoke
                change(
                    operator,
                    store,
                    load_catalogue(),
                    user_id=args.id,
                    role=args.role,
                    group=args.group,
                )
                done = "Granted" if args.users_command == "grant" else "Revoked"
                print(f"{done} {args.role}" + (f" for {args.group}" if args.group else "") + ".")
        except (ValueError, LookupError) as exc:
            raise CommandError(str(exc)) from None
    finally:
        store.close()
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from metrics.services import verify_audit_log

    store = _open_store(args.db, recompute=False)
    try:
        count, broken = verify_audit_log(Actor.operator(args.by), store)
    finally:
        store.close()
    if broken is not None:
        print(
            f"The audit log does not match its hash chain from entry {broken} on: that entry, "
            "or the one before it, was edited, inserted or deleted after it was written.",
            file=sys.stderr,
        )
        return 1
    print(f"The audit log's {count} entries match their hash chain.")
    return 0


def cmd_recompute(args: argparse.Namespace) -> int:
    from metrics.services import recompute

    catalogue = load_catalogue()
    store = _open_store(args.db, recompute=False)
    try:
        count = recompute(
            Actor.operator(args.by), store, catalogue, why="asked for on the command line"
        )
    finally:
        store.close()
    print(f"Recomputed {count} indicator values by the catalogue as it stands.")
    return 0


def cmd_remind(args: argparse.Namespace) -> int:
    from metrics import services
    from metrics.core.clock import clock_from_environment

    settings = services.mail_settings()
    if settings is None and not args.dry_run:
        raise CommandError(
            "no mail server is set: add an [smtp] section to the secrets file "
            "(see README: Reminders), or look with --dry-run"
        )
    catalogue = load_catalogue()
    operator = Actor.operator(args.by)
    now = clock_from_environment().now()
    store = _open_store(args.db, must_exist=True)
    if store is None:
        raise CommandError("there is no database yet: build one with 'outcomes demo'")
    try:
        if args.dry_run:
            due, unaddressed = services.due_reminders(
                operator, store, catalogue, now=now, settings=settings
            )
            sent = set(services.reminders_sent(operator, store))
            for r in due:
                mark = "sent before" if (r.key, r.to.email) in sent else "to send"
                print(f"{mark:12} {r.to.email:40} {r.subject}")
            waiting = sum((r.key, r.to.email) not in sent for r in due)
            print(f"{waiting} of {len(due)} reminders due would be sent now.")
            _unaddressed(unaddressed, catalogue)
            return 0
        mailer = services.SmtpMailer(settings)
        try:
            run = services.send_reminders(
                operator, store, catalogue, now=now, settings=settings, mailer=mailer
            )
        finally:
            mailer.close()
    finally:
        store.close()
    for r in run.sent:
        print(f"sent         {r.to.email:40} {r.subject}")
    for r, why in run.failed:
        print(f"NOT SENT     {r.to.email:40} {r.subject}: {why}", file=sys.stderr)
    print(
        f"Sent {len(run.sent)} reminders; {len(run.already)} had been sent before; "
        f"{len(run.failed)} not sent (tried again next time)."
    )
    _unaddressed(run.unaddressed, catalogue)
    return 1 if run.failed else 0


def _unaddressed(groups: list[str], catalogue) -> None:
    if groups:
        names = ", ".join(catalogue.group[g].name for g in groups)
        _progress(
            f"No lead with an email address for: {names}. Add their email "
            "(outcomes users add ID --name NAME --email ADDRESS) and grant them the lead's role."
        )


def cmd_catalogue(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    print(
        f"{catalogue.settings.partnership}: {len(catalogue.outcomes)} outcomes, "
        f"{len(catalogue.priorities)} priorities, {len(catalogue.groups)} groups, "
        f"{len(catalogue.areas)} areas, {len(catalogue.indicators)} indicators."
    )
    for ind in catalogue.indicators:
        print(
            f"  {ind.code:5} {ind.group:4} {ind.kind.value:10} {ind.polarity.value:13} {ind.title}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="outcomes",
        description="Partnership Outcomes: returns, validation, "
        "indicators for a children's partnership.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="build the demo database")
    _db_arg(p)
    p.add_argument(
        "--scale",
        choices=["demo", "national"],
        default="demo",
        help="national: ten years of quarterly returns and of published figures for every "
        "authority (for measuring how the app holds up as history grows)",
    )
    p.add_argument("--if-missing", action="store_true", help="do nothing if the database exists")
    p.add_argument(
        "--write-returns",
        type=Path,
        metavar="DIR",
        help="write the demo's return files to DIR instead of building a database",
    )
    p.add_argument(
        "--unmark",
        action="store_true",
        help="take the demo's mark off a database adopted for real use (it then needs sign-in)",
    )
    p.add_argument("--by", default="command line", help="who is acting (audit log)")
    p.set_defaults(func=cmd_demo)

    for name, func, text in (
        ("validate", cmd_validate, "check a return without storing it"),
        ("ingest", cmd_ingest, "check a return and store it"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("file", type=Path)
        p.add_argument("--group", required=True, help="delivery group code, e.g. HCP")
        p.add_argument("--period", required=True, help="financial quarter, e.g. 2025-26-Q2")
        p.add_argument("--json", action="store_true", help="print findings as JSON")
        p.add_argument(
            "--by", default="command line", help="who is acting (recorded in the audit log)"
        )
        _db_arg(p)
        if name == "ingest":
            p.add_argument(
                "--explain",
                action="append",
                metavar="RULE=TEXT",
                help="explain warnings of RULE (or RULE:SUBJECT=TEXT for one)",
            )
        p.set_defaults(func=func)

    p = sub.add_parser("template", help="write a pre-filled return template")
    p.add_argument("--group", required=True)
    p.add_argument("--period", required=True)
    p.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    p.add_argument("--out", type=Path, default=Path("."), help="folder to write to")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser(
        "board-pack", help="make the board pack for a meeting (figures as at its data cut-off)"
    )
    p.add_argument("--meeting", default="latest", help="the meeting's number, or latest")
    p.add_argument("--format", choices=["pdf", "html"], default="pdf")
    p.add_argument("--output", type=Path, required=True, help="the file to write")
    p.add_argument(
        "--suppressed",
        action="store_true",
        help="withhold small numbers (c), as for readers without view-unsuppressed",
    )
    _db_arg(p)
    p.set_defaults(func=cmd_board_pack)

    p = sub.add_parser(
        "backup",
        help="copy the whole database to a new file (while the app runs too: it makes the copy)",
    )
    p.add_argument("file", type=Path, help="the new backup file")
    p.add_argument("--by", default="command line", help="your name, for the audit log")
    _db_arg(p)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="put a backup in place of the database (the app stopped; the old one is kept)",
    )
    p.add_argument("file", type=Path, help="the backup file")
    p.add_argument("--by", default="command line", help="your name, for the audit log")
    _db_arg(p)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("meetings", help="the board's meetings: add one, or list them")
    meetings = p.add_subparsers(dest="meetings_command", required=True, parser_class=_Parser)
    q = meetings.add_parser("add", help="add a board meeting")
    q.add_argument("--date", required=True, help="the day it is held, YYYY-MM-DD")
    q.add_argument(
        "--kind",
        default="ordinary",
        help="plan agreement, mid-year review, year-end sign-off or ordinary (the default)",
    )
    q.add_argument("--title", default="Partnership board")
    q.add_argument(
        "--reports-to",
        action="append",
        metavar="BODY",
        help="a body the meeting reports to, e.g. 'Health and Wellbeing Board' (repeatable)",
    )
    q.add_argument(
        "--cut-off",
        metavar="'YYYY-MM-DD HH:MM'",
        help="the data cut-off: the pack shows figures as they stood then "
        "(default: the end of the day a week before the meeting)",
    )
    meetings.add_parser("list", help="list the meetings, latest first")
    for q in meetings.choices.values():
        q.add_argument("--by", default="command line", help="who is acting (audit log)")
        _db_arg(q)
    p.set_defaults(func=cmd_meetings)

    p = sub.add_parser("export", help="export indicator values")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--out", type=Path)
    p.add_argument(
        "--public",
        action="store_true",
        help="for publication: figures as numbers rounded half up as each indicator shows "
        "them, small numbers withheld (with secondary suppression), marked c in 'suppressed' "
        "and footnoted",
    )
    _db_arg(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import-published",
        help="import a DfE open-data (EES) file or an OHID Fingertips export as benchmark "
        "values for an indicator",
    )
    p.add_argument(
        "file",
        type=Path,
        help="the EES-format CSV or Fingertips export (with --all: the folder)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="import every indicator's source named in the catalogue from FILE",
    )
    p.add_argument("--indicator")
    p.add_argument("--column", help="the column holding the indicator's value (DfE files)")
    p.add_argument(
        "--fingertips-id",
        type=int,
        help="the Fingertips indicator id to read from a Fingertips export",
    )
    p.add_argument(
        "--filter",
        action="append",
        metavar="COLUMN=VALUE",
        help="keep only rows where COLUMN is VALUE (repeatable)",
    )
    p.add_argument("--numerator", help="column holding the numerator (optional)")
    p.add_argument("--denominator", help="column holding the denominator (optional)")
    _db_arg(p)
    p.set_defaults(func=cmd_import_published)

    p = sub.add_parser("import-neighbours", help="import the DfE statistical neighbour model")
    p.add_argument("file", type=Path)
    _db_arg(p)
    p.set_defaults(func=cmd_import_neighbours)

    p = sub.add_parser(
        "neighbour-averages",
        help="every authority's statistical neighbour average for a published indicator",
    )
    p.add_argument("--indicator", required=True)
    p.add_argument("--period", required=True, help="published period, e.g. 2024-25")
    p.add_argument("--method", choices=["median", "mean"], default="median")
    p.add_argument("--out", type=Path, help="write CSV here instead of printing it")
    _db_arg(p)
    p.set_defaults(func=cmd_neighbour_averages)

    p = sub.add_parser("users", help="people who may sign in, and their roles")
    people = p.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    q = people.add_parser("add", help="add a person (the first admin is added this way)")
    q.add_argument("id", help="identity provider issuer and subject: ISSUER|SUBJECT")
    q.add_argument("--name", required=True)
    q.add_argument("--email")
    for verb in ("grant", "revoke"):
        q = people.add_parser(verb, help=f"{verb} a role")
        q.add_argument("id", help="ISSUER|SUBJECT")
        q.add_argument("role", help="admin, 'board member', 'delivery group lead', ...")
        q.add_argument("--group", help="for a delivery group lead: the group's code")
    people.add_parser("list", help="list people and their roles")
    for q in people.choices.values():
        q.add_argument("--by", default="command line", help="who is acting (audit log)")
        _db_arg(q)
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("audit", help="check the audit log")
    audit = p.add_subparsers(dest="audit_command", required=True)
    q = audit.add_parser(
        "verify", help="check every entry against its hash chain; exit 1 at the first mismatch"
    )
    q.add_argument("--by", default="command line", help="who is acting (audit log)")
    _db_arg(q)
    q.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "recompute",
        help="compute every stored indicator value again by the catalogue as it stands "
        "(targets, tolerances, polarity); done on start when the catalogue changed",
    )
    p.add_argument("--by", default="command line", help="who is acting (audit log)")
    _db_arg(p)
    p.set_defaults(func=cmd_recompute)

    p = sub.add_parser(
        "remind",
        help="email each delivery group's leads what is due or overdue (returns, challenges, "
        "actions) and the board's secretary when a meeting's data cut-off passes; run it "
        "daily: nobody gets the same reminder twice",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="list the reminders due, and send nothing"
    )
    p.add_argument("--by", default="command line", help="who is acting (audit log)")
    _db_arg(p)
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("catalogue", help="check the catalogue and list its indicators")
    p.set_defaults(func=cmd_catalogue)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from metrics.core.access import NotPermitted
    from metrics.core.settings import SettingError
    from metrics.returns.validation import ReturnContextError
    from metrics.services import StoreError, TextRefused

    try:
        return args.func(args)
    except (
        CommandError,
        CatalogueError,
        ReturnContextError,
        StoreError,
        SettingError,
        NotPermitted,
        TextRefused,
    ) as exc:
        print(f"outcomes {args.command}: {exc}", file=sys.stderr)
        return USAGE_EXIT
    except Exception as exc:  # a fault in this program: said plainly, traceback on request
        if os.environ.get("OUTCOMES_DEBUG"):
            raise
        print(
            f"outcomes {args.command}: a fault in this program stopped the command "
            f"({type(exc).__name__}); nothing was half-written. Run it again with "
            "OUTCOMES_DEBUG=1 to see the details, and report them.",
            file=sys.stderr,
        )
        return FAULT_EXIT


if __name__ == "__main__":
    sys.exit(main())
