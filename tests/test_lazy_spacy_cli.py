"""spaCy's command line, left out of `import spacy` in the `assay` command's process and
imported whenever something asks for it (engine.lazy_spacy_cli). Each test runs in a process
of its own: spaCy is imported once per process, and this one has imported it already."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, path: Path | None = None, *options: str) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter (a fake `spacy` package first on its path if `path`)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(p) for p in (path, ROOT) if p is not None] + [env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, *options, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def _fake_spacy(tmp_path: Path, init: str) -> Path:
    """A package `spacy` whose __init__ is `init`, with a command line that says it is real."""
    package = tmp_path / "spacy"
    (package / "cli").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(init))
    (package / "cli" / "__init__.py").write_text(
        "app = 'the real app'\nfrom .info import info\n")
    (package / "cli" / "info.py").write_text(
        "def info(*args, **kwargs):\n    return ('the real info', args, kwargs)\n")
    return tmp_path


def test_spacy_imports_without_its_command_line_and_keeps_it_at_hand():
    out = _python("""
        import sys
        from engine.lazy_spacy_cli import defer_spacy_cli
        finders = list(sys.meta_path)
        defer_spacy_cli()
        import spacy
        assert sys.meta_path == finders, sys.meta_path
        assert "spacy.cli" not in sys.modules and "typer" not in sys.modules
        assert [t.text for t in spacy.blank("en")("U.S. forces didn't go.")] == [
            "U.S.", "forces", "did", "n't", "go", "."]
        assert spacy.info()["spacy_version"] == spacy.__version__
        assert "spacy.cli" in sys.modules
        assert callable(spacy.cli.download)
        from spacy.cli import download
        assert download is spacy.cli.download
        print("ok")
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"


def test_the_command_line_is_imported_when_first_asked_for(tmp_path):
    path = _fake_spacy(tmp_path, "from .cli.info import info\n")
    out = _python("""
        import sys
        from engine.lazy_spacy_cli import defer_spacy_cli
        defer_spacy_cli()
        import spacy
        assert "spacy.cli" not in sys.modules
        assert spacy.__spec__.loader is spacy.__loader__
        assert type(spacy.__loader__).__module__ != "engine.lazy_spacy_cli"
        print(spacy.cli.app)
        print(spacy.info(1, silent=True))
    """, path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["the real app", "('the real info', (1,), {'silent': True})"]


def test_a_spacy_that_asks_its_command_line_for_more_gets_the_real_one(tmp_path):
    path = _fake_spacy(tmp_path, "from .cli.info import info\nfrom .cli import app\n")
    out = _python("""
        import sys
        from engine.lazy_spacy_cli import defer_spacy_cli
        defer_spacy_cli()
        import spacy
        print(spacy.app, type(sys.modules["spacy.cli"]).__name__, spacy.cli.app)
        print(spacy.info()[0])
    """, path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["the real app module the real app", "the real info"]


def test_nothing_changes_where_spacy_is_imported_already():
    out = _python("""
        import sys
        import spacy
        from engine.lazy_spacy_cli import defer_spacy_cli
        finders = list(sys.meta_path)
        defer_spacy_cli()
        assert sys.meta_path == finders and "spacy.cli" in sys.modules
        print("ok")
    """)
    assert out.returncode == 0, out.stderr


def test_the_assay_command_runs_without_spacys_command_line(tmp_path):
    """What `assay` imports (python -X importtime lists each module on standard error): not
    spaCy's command line, which is 0.13 s of its start."""
    (tmp_path / "a.txt").write_text("ISIS fighters killed 12 civilians in Mosul on Monday.")
    out = _python(f"""
        import sys
        sys.argv = ["assay", "run", {str(tmp_path / "a.txt")!r}]
        from engine.cli import entry
        entry()
    """, None, "-X", "importtime")
    assert out.returncode == 0, out.stderr
    assert '"rule"' in out.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()
                if line.startswith("import time:")}
    assert "spacy" in imported and "spacy.attrs" in imported
    assert "spacy.cli" not in imported and "typer" not in imported
