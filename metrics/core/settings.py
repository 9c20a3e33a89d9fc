"""Settings read from the environment, each declared once here with its default and help.

The README's configuration table lists every setting; a test fails when the two disagree.

>>> setting("OUTCOMES_MAX_ROWS")
50000
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
"""The project folder (the one holding data/, expectations/ and metrics/)."""


class SettingError(ValueError):
    """A setting in the environment is not valid."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    def read(self) -> Any:
        raw = os.environ.get(self.name)
        if raw is None or raw.strip() == "":
            return self.default
        if isinstance(self.default, Path):
            return Path(raw)
        if isinstance(self.default, bool):
            answer = {"true": True, "yes": True, "on": True, "1": True}
            answer |= {"false": False, "no": False, "off": False, "0": False}
            if raw.strip().lower() not in answer:
                raise SettingError(f"{self.name} must be true or false (on or off), not {raw!r}")
            return answer[raw.strip().lower()]
        if isinstance(self.default, int | float):
            try:
                value = (
                    type(self.default)(float(raw)) if isinstance(self.default, float) else int(raw)
                )
            except ValueError:
                raise SettingError(f"{self.name} must be a number, not {raw!r}") from None
            if value <= 0:
                raise SettingError(f"{self.name} must be more than 0, not {raw!r}")
            return value
        return raw


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("OUTCOMES_DB", ROOT / "data" / "outcomes.duckdb", "the database file"),
        Setting(
            "OUTCOMES_DATABASE_URL",
            "",
            "a PostgreSQL database (postgresql://user:password@host:port/name) to keep the "
            "record in, in place of the file, for several app processes or machines; empty: "
            "the file",
        ),
        Setting("OUTCOMES_CATALOGUE", ROOT / "data" / "catalogue", "the catalogue folder"),
        Setting("OUTCOMES_EXPECTATIONS", ROOT / "expectations", "the rules and GX suites"),
        Setting("OUTCOMES_MAX_UPLOAD_MB", 20.0, "largest return file accepted, in MB"),
        Setting("OUTCOMES_MAX_ROWS", 50_000, "most rows of figures a return may have"),
        Setting("OUTCOMES_MAX_COLUMNS", 50, "most columns a return may have"),
        Setting("OUTCOMES_MAX_CELL_CHARS", 10_000, "longest cell, in characters (commentary)"),
        Setting(
            "OUTCOMES_MAX_XLSX_UNPACKED_MB",
            200.0,
            "largest size an XLSX workbook may unpack to, in MB (checked from the zip and "
            "the sheet's XML before any reader allocates)",
        ),
        Setting(
            "OUTCOMES_READER_MEMORY_MB",
            1024,
            "memory limit of the child process that opens an XLSX workbook, in MB",
        ),
        Setting(
            "OUTCOMES_READER_SECONDS",
            60,
            "time limit of the child process that opens an XLSX workbook, in seconds",
        ),
        Setting(
            "OUTCOMES_PUBLIC_VIEW",
            False,
            "with sign-in configured, show visitors who have not signed in a public view: "
            "suppressed figures for the authority as a whole, read-only",
        ),
        Setting(
            "OUTCOMES_OPEN_DATA",
            False,
            "serve the open data API at /api/v1 on the app's own port: the figures the "
            "public view shows (suppressed, the authority as a whole), as CSV and JSON",
        ),
        Setting(
            "OUTCOMES_CHROMIUM",
            Path("/usr/bin/chromium"),
            "the Chromium that prints board packs to PDF (Debian's, installed by make run)",
        ),
        Setting(
            "OUTCOMES_PROTECTIVE_MARKING",
            "OFFICIAL",
            "the protective marking printed at the head of every page of a board pack",
        ),
        Setting(
            "OUTCOMES_CLOCK",
            "",
            "fix the time the app and the CLI run at (an ISO date or date-time, e.g. "
            "2026-11-20T10:00), for demonstrations and tests; empty: the wall clock",
        ),
        Setting(
            "OUTCOMES_WRITE_WAIT_SECONDS",
            30,
            "how long a write waits for another write in progress before giving up, in seconds",
        ),
        Setting(
            "OUTCOMES_SECRETS",
            ROOT / ".streamlit" / "secrets.toml",
            "the secrets file: sign-in for the app ([auth]), and the mail server and "
            "settings of 'outcomes remind' ([smtp], [reminders])",
        ),
        Setting(
            "OUTCOMES_VERDICTS_DIR",
            "",
            "a folder where each check's findings are kept by a digest of everything they "
            "depend on, shared by every process that uses it (the tiers of a test run); "
            "empty: each process remembers its own",
        ),
    )
}


def setting(name: str) -> Any:
    """The value of one setting (from the environment, else its default)."""
    return SETTINGS[name].read()
