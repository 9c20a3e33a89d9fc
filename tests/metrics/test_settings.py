"""Every setting is declared once, documented in the README, and read with its default."""

from __future__ import annotations

import re

import pytest

from metrics.core.settings import SETTINGS, SettingError, setting
from tests.conftest import ROOT


def readme_settings() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `(OUTCOMES_\w+)` \| `([^`]*)` \|", section, flags=re.M))


def test_readme_lists_every_setting_with_its_default():
    documented = readme_settings()
    assert set(documented) == set(SETTINGS)
    for name, shown in documented.items():
        default = SETTINGS[name].default
        if isinstance(default, bool):
            default = str(default).lower()
        elif isinstance(default, float) and default.is_integer():
            default = int(default)
        inside = hasattr(default, "relative_to") and default.is_relative_to(ROOT)
        expected = str(default.relative_to(ROOT)) if inside else str(default)
        assert shown == expected, name


def test_a_setting_from_the_environment(monkeypatch):
    monkeypatch.setenv("OUTCOMES_MAX_ROWS", "12")
    assert setting("OUTCOMES_MAX_ROWS") == 12
    monkeypatch.setenv("OUTCOMES_MAX_ROWS", "lots")
    with pytest.raises(SettingError, match="must be a number"):
        setting("OUTCOMES_MAX_ROWS")
    monkeypatch.setenv("OUTCOMES_MAX_ROWS", "0")
    with pytest.raises(SettingError, match="more than 0"):
        setting("OUTCOMES_MAX_ROWS")


def test_a_yes_or_no_setting(monkeypatch):
    assert setting("OUTCOMES_PUBLIC_VIEW") is False  # off unless asked for
    monkeypatch.setenv("OUTCOMES_PUBLIC_VIEW", "Yes")
    assert setting("OUTCOMES_PUBLIC_VIEW") is True
    monkeypatch.setenv("OUTCOMES_PUBLIC_VIEW", "maybe")
    with pytest.raises(SettingError, match="true or false"):
        setting("OUTCOMES_PUBLIC_VIEW")


def test_streamlit_is_configured_to_call_out_to_nothing_and_hide_tracebacks():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["address"] == "127.0.0.1"
