"""A finding: one problem a check found in a return, located for the person who fixes it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem.

    ``row`` is the row number as the submitter sees it in their file or spreadsheet
    (the header is row 1), or ``None`` for a problem with the file as a whole.
    """

    rule: str
    severity: Severity
    row: int | None
    column: str | None
    value: str | None
    message: str
    explanation: str | None = None
    subject: str | None = None
    """What the finding is about (indicator, area, breakdown); carries explanations forward."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        return out

    @property
    def key(self) -> str:
        """What identifies "the same warning" across versions of a return."""
        return f"{self.rule}|{self.subject or ''}|{self.column or ''}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then by row and rule."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    return sorted(
        findings,
        key=lambda f: (
            order[f.severity],
            f.row if f.row is not None else 0,
            f.rule,
            f.column or "",
        ),
    )
