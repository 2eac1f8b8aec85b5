"""Shared fixtures: the repository's paths and the bundled engine (compiled once)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Fixture rule files are data for the tests, not rule examples for `pytest tests/` to collect.
collect_ignore_glob = ["data/*", "data/**/*", "gold/*"]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Compiled packs are cached in a temporary folder, not the user's cache."""
    import os

    os.environ["ASSAY_CACHE_DIR"] = str(tmp_path_factory.mktemp("assay-cache"))


@pytest.fixture(scope="session")
def bundled_engine():
    import engine

    return engine.load()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return ROOT / "seeds"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/, or skip the test with a clear message where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (tests that read ../shared/ need the shared folder)")
    return path
