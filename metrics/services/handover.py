"""Work the command line hands to the app while the app holds the database.

DuckDB lets one process hold a database file, and the app keeps it open, so a command that
only reads (a board pack, a backup) asks the app to do it instead of being refused: it leaves a
request in a folder beside the database (``<database>.jobs/``), the app's worker picks it
up within a second or two, makes the pack through the same service as the command would,
and leaves the result beside the request; the command copies it to where it was asked to
write it (so the app never writes anywhere but that folder) and removes both.

Each request is a JSON file written whole (written under another name, then renamed); a
worker claims it by renaming it, so two app processes never both do it. The folder has
the database's own permissions: whoever may write there may read the database itself.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from metrics.core.access import Actor, Role
from metrics.core.catalogue import Catalogue
from metrics.reports.pdf import PrintError
from metrics.services.backup import backup
from metrics.services.board import NotFound, latest_meeting
from metrics.services.packs import board_pack
from metrics.store.connection import Store, StoreError

logger = logging.getLogger(__name__)

WAIT_SECONDS = 300
"""How long a command waits for the app to make what it asked for."""


def folder(db: Path) -> Path:
    return db.with_name(db.name + ".jobs")


def pack_reader(suppressed: bool, who: str = "command line") -> Actor:
    """Who a board pack from the command line is made for: the board (every figure, the
    giving out audited), or with ``suppressed`` a reader who sees ``c`` for small numbers."""
    if suppressed:
        return Actor(id=f"operator|{who}", name=who, roles=frozenset({Role.SCRUTINY}))
    return Actor.operator(who)


def pack_for(
    store: Store, catalogue: Catalogue, *, meeting: str, format: str, suppressed: bool, who: str
) -> tuple[int, bytes]:
    """A board pack for ``meeting`` (a number, or ``latest``): the meeting and the bytes."""
    reader = pack_reader(suppressed, who)
    if meeting == "latest":
        number = latest_meeting(reader, store)
    elif str(meeting).isdigit():
        number = int(meeting)
    else:
        raise NotFound(f"--meeting takes a meeting's number or latest, not {meeting!r}")
    return number, board_pack(reader, store, catalogue, number, format=format)


def request(db: Path, job: dict[str, Any]) -> str:
    """Leave a request for the app; returns its id."""
    jobs = folder(db)
    jobs.mkdir(exist_ok=True)
    job_id = uuid.uuid4().hex
    partial = jobs / f"{job_id}.writing"
    partial.write_text(json.dumps(job), encoding="utf-8")
    os.replace(partial, jobs / f"{job_id}.json")
    return job_id


def wait(
    db: Path, job_id: str, *, seconds: float = WAIT_SECONDS, into: Path | None = None
) -> tuple[dict, bytes | None]:
    """Wait for the app's answer to a request: (its result, the bytes made; or, with
    ``into``, nothing: what was made is moved there whole). A request the app has not taken
    up in time is withdrawn, and the answer says so."""
    jobs = folder(db)
    done, made = jobs / f"{job_id}.done", jobs / f"{job_id}.out"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done.exists():
            result = json.loads(done.read_text(encoding="utf-8"))
            data = None
            if into is not None and made.exists():
                shutil.move(made, into)
            elif made.exists():
                data = made.read_bytes()
            done.unlink(missing_ok=True)
            made.unlink(missing_ok=True)
            return result, data
        time.sleep(0.25)
    try:  # withdrawn, unless the app has just claimed it
        (jobs / f"{job_id}.json").unlink()
        taken = "the app did not take the request up"
    except FileNotFoundError:
        taken = "the app took the request up but did not finish it"
    return {"ok": False, "error": f"{taken} within {seconds:.0f} seconds"}, None


def _do(job: dict[str, Any], store: Store, catalogue: Catalogue, out: Path) -> dict[str, Any]:
    """Do one request, leaving what it makes at ``out``; its result."""
    who = f"{job.get('by', 'command line')} (through the app)"
    if job.get("kind") == "backup":
        return {"ok": True, "entries": backup(Actor.operator(who), store, out)}
    if job.get("kind") == "board-pack":
        number, made = pack_for(
            store,
            catalogue,
            meeting=str(job.get("meeting", "latest")),
            format=job.get("format", "pdf"),
            suppressed=bool(job.get("suppressed")),
            who=who,
        )
        out.write_bytes(made)
        return {"ok": True, "meeting": number}
    raise ValueError(f"unknown request {job.get('kind')!r}")


def run_waiting(store: Store, catalogue: Catalogue) -> int:
    """Do every request waiting beside the app's database (the app's worker calls this every
    second or so); returns how many were done."""
    jobs = folder(Path(store.path))
    if not jobs.is_dir():
        return 0
    count = 0
    for waiting in sorted(jobs.glob("*.json")):
        job_id = waiting.stem
        claimed = jobs / f"{job_id}.running"
        try:
            os.replace(waiting, claimed)  # one worker claims it
        except FileNotFoundError:
            continue
        result: dict[str, Any]
        try:
            job = json.loads(claimed.read_text(encoding="utf-8"))
            result = _do(job, store, catalogue, jobs / f"{job_id}.out")
        except (NotFound, PrintError, ValueError, LookupError, StoreError) as exc:
            result = {"ok": False, "error": str(exc)}
        except Exception as exc:  # a fault: said, logged, and the worker goes on
            logger.exception("a request handed to the app failed")
            result = {"ok": False, "error": f"a fault in the app ({type(exc).__name__})"}
        finally:
            claimed.unlink(missing_ok=True)
        partial = jobs / f"{job_id}.answering"
        partial.write_text(json.dumps(result), encoding="utf-8")
        os.replace(partial, jobs / f"{job_id}.done")
        count += 1
    return count


def start_worker(store: Store, catalogue: Catalogue, *, every: float = 1.0) -> threading.Thread:
    """The app's worker: does the requests left beside its database, every ``every``
    seconds, until the store is closed."""

    def work() -> None:
        while not getattr(store, "closed", False):
            try:
                run_waiting(store, catalogue)
            except Exception:
                if getattr(store, "closed", False):
                    break
                logger.exception("the worker for requests from the command line failed")
            time.sleep(every)

    thread = threading.Thread(target=work, name="outcomes-handover", daemon=True)
    thread.start()
    return thread
