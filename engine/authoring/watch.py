"""Rerun a command when files change, by polling modification times (no OS-specific watcher).

Polling a rule pack's few dozen files twice a second costs nothing, works the same on every
system and inside containers, and is easy to test: `sleep` and `max_runs` are injectable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

WATCHED_SUFFIXES = (".yaml", ".yml", ".lark")
pause = time.sleep


def snapshot(paths) -> dict[str, tuple[int, int]]:
    """(mtime in ns, size) of every watched file under `paths` (files or folders)."""
    out: dict[str, tuple[int, int]] = {}
    for raw in paths:
        path = Path(raw)
        files = sorted(p for p in path.rglob("*") if p.suffix in WATCHED_SUFFIXES) \
            if path.is_dir() else [path]
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue  # deleted between listing and stat: the next poll sees it gone
            out[str(file)] = (stat.st_mtime_ns, stat.st_size)
    return out


def watch(paths, run: Callable[[], object], interval: float = 0.5, max_runs: int | None = None,
          sleep: Callable[[float], object] | None = None) -> int:
    """Call `run` now and again after every change under `paths`; returns the number of runs
    (only reached with `max_runs`; otherwise it runs until interrupted). `sleep` defaults to
    the module's `pause` (time.sleep), which tests replace to edit files between polls."""
    sleep = sleep or pause
    last = snapshot(paths)
    run()
    runs = 1
    while max_runs is None or runs < max_runs:
        sleep(interval)
        now = snapshot(paths)
        if now != last:
            last = now
            run()
            runs += 1
    return runs
