"""Matching: the VM that runs compiled patterns (vm.py) and the lexicon tries.

_vm.pyx, vm.py's search loops in C, is compiled when the package is built (hatch_build.py). An
editable install builds it beside its source, so an edit made afterwards is not seen until the
next `pip install -e .`: this says so instead of silently running the old code."""

from __future__ import annotations

import warnings
from pathlib import Path


def _warn_if_stale(here: Path) -> None:
    for built in [*here.glob("*.so"), *here.glob("*.pyd")]:
        stem = built.name.split(".", 1)[0]
        source = here / f"{stem}.pyx"
        if source.exists() and source.stat().st_mtime > built.stat().st_mtime:
            warnings.warn(f"{built.name} was compiled before {source.name} last changed, and "
                          f"runs the old code: rebuild it with `pip install -e .`",
                          stacklevel=2)


_warn_if_stale(Path(__file__).parent)
