"""Shared fixtures: paths to the reference data, a catalogue, temporary stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("OUTCOMES_REFERENCE_DIR", ROOT.parent / "shared" / "reference"))


def reference_file(*parts: str) -> Path:
    """A file of ../shared/reference, or skip the test where it is absent."""
    path = REFERENCE.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"reference file {path} not present")
    return path


@pytest.fixture(scope="session")
def catalogue():
    from metrics.catalogue import load_catalogue

    return load_catalogue()
