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


def run_with_broken_module(module: str, code: str):
    """Run `code` in a fresh interpreter where importing `module` fails as a stale or foreign
    build does (ImportError, not ModuleNotFoundError), warnings always shown; its
    CompletedProcess (stdout, stderr)."""
    import subprocess

    prelude = ("import sys, warnings\n"
               "class Broken:\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               f"        if name == {module!r}:\n"
               "            raise ImportError('undefined symbol: simulated')\n"
               "sys.meta_path.insert(0, Broken())\n"
               "warnings.simplefilter('always')\n")
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True,
                          text=True, check=True)
