"""pytest plugin: `pytest rules/` runs every rule example as its own test item.

Registered as the `assay` pytest11 entry point. A YAML file is collected when it is a rule file
(it has a top-level `rules:` key); lexicons, type declarations, gold and case files are not.
Each example becomes an item named `rule.id[example N]` whose failure shows the same
role-by-role diff as `assay test`.

A rule file is loaded together with the rest of its pack, because its patterns use lexicon
classes and facts defined in other files: the pack is the folder given on the command line
that holds the file, else the file's top-level folder under pytest's rootdir. Folders added
with `--assay-rules PATH` (or the `assay_rules` ini option) are loaded with every pack, for
analysts whose own rules use the bundled lexicons (`--assay-rules rules/lexicons`).

A plain `pytest` run that collects its `testpaths` never collects YAML, so the plugin cannot
change a project's normal test run; disable it entirely with `-p no:assay`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

_RULE_FILE = re.compile(r"^rules\s*:", re.MULTILINE)
_ENGINES = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("assay", "assay rule examples")
    group.addoption("--assay-rules", action="append", default=[], metavar="PATH",
                    help="Rule files or folders to load with every collected rule pack "
                         "(e.g. the bundled lexicons: rules/lexicons).")
    parser.addini("assay_rules", type="paths", default=[],
                  help="Rule files or folders loaded with every collected rule pack.")


def is_rule_file(path: Path) -> bool:
    """Whether a YAML file holds rules (a top-level `rules:` key), readable or not."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        return _RULE_FILE.search(path.read_text(encoding="utf-8", errors="replace")) is not None
    except OSError:
        return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    config = parent.config
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return None  # the project's normal run: leave it as it is
    if is_rule_file(file_path):
        return RuleFile.from_parent(parent, path=file_path)
    return None


def _pack_root(config: pytest.Config, path: Path) -> Path:
    """The folder whose rules are loaded with `path` (see the module docstring)."""
    path = path.resolve()
    given = []
    for arg in config.args:
        candidate = Path(arg.split("::")[0])
        candidate = (candidate if candidate.is_absolute() else
                     Path(config.invocation_params.dir) / candidate).resolve()
        if candidate.is_dir() and path.is_relative_to(candidate):
            given.append(candidate)
    if given:
        return min(given, key=lambda p: len(p.parts))
    root = Path(config.rootpath).resolve()
    if path.is_relative_to(root) and len(path.relative_to(root).parts) > 1:
        return root / path.relative_to(root).parts[0]
    return path.parent


def _extra_paths(config: pytest.Config) -> list[Path]:
    base = Path(config.invocation_params.dir)
    extra = [(base / p).resolve() for p in config.getoption("assay_rules") or []]
    return extra + [Path(p) for p in config.getini("assay_rules")]


def _engine(config: pytest.Config, root: Path):
    """The engine of a pack, loaded once per session (or the RuleError it raised)."""
    from engine.api import load
    from engine.errors import RuleError

    cache = config.stash.setdefault(_ENGINES, {})
    if root not in cache:
        try:
            cache[root] = load(root, *_extra_paths(config))
        except RuleError as exc:
            cache[root] = exc
    return cache[root]


class RulePackError(Exception):
    """The pack of a collected rule file does not load."""


class RuleFile(pytest.File):
    """A YAML rule file: one item per example of each of its (enabled) rules."""

    def collect(self):
        from engine.errors import RuleError

        root = _pack_root(self.config, self.path)
        engine = _engine(self.config, root)
        if isinstance(engine, RuleError):
            mine = [d for d in engine.diagnostics if Path(d.path or d.file).resolve() ==
                    self.path.resolve()]
            if mine:
                raise RulePackError("\n".join(d.format() for d in mine))
            raise RulePackError(f"the rules loaded with this file ({root}) have errors (load "
                                f"more rules with --assay-rules PATH):\n" + engine.format())
        for compiled in engine.rules:
            rule = compiled.rule
            if Path(rule.path).resolve() != self.path.resolve():
                continue
            for index, example in enumerate(rule.examples, 1):
                yield RuleExample.from_parent(self, name=f"{rule.id}[example {index}]",
                                              engine=engine, rule=rule, example=example)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, RulePackError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class ExampleFailure(Exception):
    """A rule example whose facts differ from its expectation."""


class RuleExample(pytest.Item):
    """One inline example of one rule."""

    def __init__(self, *, engine, rule, example, **kwargs):
        super().__init__(**kwargs)
        self.engine, self.rule, self.example = engine, rule, example

    def runtest(self) -> None:
        from engine.authoring.testing import Outcome, failure_text
        from engine.examples import run_example

        result = run_example(self.engine, self.rule, self.example)
        if not result.ok:
            raise ExampleFailure(failure_text(Outcome(
                self.name, self.rule.file, self.example.line, self.example.text,
                result.problems)))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExampleFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.example.line - 1, self.name
