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


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, catalogue) -> Path:
    """The demo database, built once per test run through the real pipeline."""
    from metrics.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    prebuilt = os.environ.get("OUTCOMES_TEST_DEMO_DB")  # a developer's shortcut; CI builds it
    if prebuilt and Path(prebuilt).is_file():
        import shutil

        shutil.copy(prebuilt, path)
        return path
    build_demo(path, catalogue)
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo database, for tests that write."""
    import shutil

    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, target)
    return target
