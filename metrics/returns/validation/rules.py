"""The rules a return is checked against, read from ``expectations/``.

``rules.yaml`` gives each rule its code, stage, severity, title and message; the GX
suites (``header.json``, ``content.json``, ``coverage.json``, ``history.json``) say how
each is checked.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from metrics.core.findings import Severity
from metrics.core.settings import setting

SUITES = ("header", "content", "coverage", "history")


class RulesError(ValueError):
    """The rule files are missing or inconsistent."""


@dataclass(frozen=True)
class Rule:
    code: str
    stage: str
    severity: Severity
    title: str
    message: str

    def render(self, fields: dict[str, Any]) -> str:
        """The message with ``{names}`` filled from ``fields`` (missing names left blank)."""
        return string.Formatter().vformat(self.message, (), _Fields(fields))


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "?"

    def __getitem__(self, key: str) -> str:
        value = super().get(key)
        if value is None:
            return self.__missing__(key)
        return format_value(value)


def format_value(value: Any) -> str:
    """A cell or figure as a person would write it (no trailing .0, at most 3 decimals)."""
    if isinstance(value, float):
        if value != value:  # NaN
            return "?"
        text = f"{value:,.3f}".rstrip("0").rstrip(".")
        return text.replace(",", "") if abs(value) < 10000 else text
    return str(value)


def expectations_dir() -> Path:
    return setting("OUTCOMES_EXPECTATIONS")


@cache
def load_rules(folder: Path | None = None) -> dict[str, Rule]:
    folder = folder or expectations_dir()
    path = folder / "rules.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: {exc}") from None
    rules = {}
    for code, entry in raw.items():
        try:
            rules[code] = Rule(
                code=code,
                stage=entry["stage"],
                severity=Severity(entry["severity"]),
                title=entry["title"],
                message=entry["message"],
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise RulesError(f"{path}: rule {code}: {exc}") from None
    return rules


@cache
def load_suite(name: str, folder: Path | None = None) -> dict[str, Any]:
    """A GX suite as a plain dict; every expectation must name a known rule."""
    folder = folder or expectations_dir()
    path = folder / f"{name}.json"
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RulesError(f"{path}: {exc}") from None
    rules = load_rules(folder)
    for number, exp in enumerate(suite.get("expectations", []), start=1):
        code = exp.get("meta", {}).get("rule")
        if code not in rules:
            raise RulesError(f"{path}: expectation {number} names unknown rule {code!r}")
    return suite
