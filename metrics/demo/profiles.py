"""How the demo partnership's figures behave (``data/demo/profiles.yaml``): each indicator's
level, trend and noise, read by the demo's returns and its synthetic published files.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from metrics.core.settings import ROOT

PROFILES = ROOT / "data" / "demo" / "profiles.yaml"


def load_profiles(path: Path = PROFILES) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
