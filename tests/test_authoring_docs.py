"""docs/authoring.md runs as written: its files are written, its ```sh commands run in order in
a fresh folder (assay through click's runner, pytest as a process) with the exit status the
page gives them, and its Python runs too."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from click.testing import CliRunner
from conftest import ROOT

from engine.cli import main

DOC = ROOT / "docs" / "authoring.md"
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```", re.M | re.S)
EXIT = re.compile(r"#\s*exit status (\d+)")


def _steps():
    """(kind, argument, body) for every fenced block of the page, in order."""
    for lang, info, body in FENCE.findall(DOC.read_text(encoding="utf-8")):
        target = re.search(r"file=(\S+)", info)
        if lang == "yaml" and target:
            yield "file", target.group(1), body
        elif lang == "sh":
            for line in body.splitlines():
                if line.strip():
                    yield "command", line, None
        elif lang == "python":
            yield "python", None, body


def _run(line: str, cwd) -> tuple[int, str]:
    """Run one command line of the page; its exit status and output."""
    args = shlex.split(line, comments=True)
    if args[0] == "assay":
        result = CliRunner().invoke(main, args[1:])
        return result.exit_code, result.output
    assert args[0] == "pytest", f"docs/authoring.md runs assay and pytest only: {line}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", *args, "-p", "no:cacheprovider"], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)
    return done.returncode, done.stdout + done.stderr


def test_the_authoring_guide_runs_as_written(tmp_path, monkeypatch):
    for name in ("rules", "seeds"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    ran = []
    for kind, arg, body in _steps():
        if kind == "file":
            path = tmp_path / arg
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            continue
        if kind == "python":
            exec(compile(body, str(DOC), "exec"), {"__name__": "docs"})
            continue
        expected = EXIT.search(arg)
        status, output = _run(arg, tmp_path)
        want = int(expected.group(1)) if expected else 0
        assert status == want, f"{arg}\nexit status {status}, the guide says {want}\n{output}"
        assert "Traceback" not in output, output
        ran.append(arg.split()[:2])
    commands = {words[1] for words in ran if words[0] == "assay"}
    assert commands >= {"kwic", "check", "test", "explain", "stats", "eval"}
    assert ["pytest", "my_rules"] in ran
    assert (tmp_path / "report.xml").exists() and (tmp_path / "stats.html").exists()
    assert (tmp_path / "baseline.json").exists()


def test_the_guide_shows_real_output(tmp_path, monkeypatch):
    """The output excerpts of the page are what the commands print (spot checks)."""
    text = DOC.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["kwic", "were sent", str(ROOT / "seeds")])
    for line in result.stdout.splitlines():
        assert line.rstrip() in text, line
