"""Plain Python modules that the build also compiles with Cython (hatch_build.py's
PYTHON_SOURCES) against their own source run by the interpreter: the same facts, on the pack
and on rule sets wider than a machine word; and an edited source runs in place of a stale
build (engine._EditedSources)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import engine
import engine.api
from engine.resources import bundled
from engine.rules.loader import load_rules
from tests.conftest import run_with_broken_module

ROOT = Path(__file__).resolve().parent.parent
PURE_PYTHON = os.environ.get("ASSAY_PURE_PYTHON") == "1"


def _source_module(name: str):
    """The module `name` run from its .py by the interpreter, as a second module."""
    path = ROOT.joinpath(*name.split(".")).with_suffix(".py")
    spec = importlib.util.spec_from_file_location("assay_source_" + name.replace(".", "_"), path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_build_and_the_package_name_the_same_modules():
    tree = ast.parse((ROOT / "hatch_build.py").read_text(encoding="utf-8"))
    listed = next(ast.literal_eval(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Assign)
                  and getattr(node.targets[0], "id", None) == "PYTHON_SOURCES")
    assert tuple(p.removesuffix(".py").replace("/", ".") for p in listed) == (
        engine.COMPILED_SOURCES)


def test_the_python_modules_were_compiled():
    if PURE_PYTHON:
        pytest.skip("ASSAY_PURE_PYTHON=1: the package was built without compiled modules")
    for name in engine.COMPILED_SOURCES:
        path = Path(importlib.import_module(name).__file__)
        assert path.suffix != ".py", (
            f"{name} runs from {path.name}: see pip's output for hatch_build.py's message, or "
            "run `pip install -e .` again if you edited it")


def test_the_declarations_beside_the_python_modules_were_applied():
    """A module's .pxd types its functions in the build (hatch_build.py copies it beside the
    source): a typed argument refuses what the plain function would take (a tuple for a
    list), which shows the types are in the compiled module."""
    if PURE_PYTHON:
        pytest.skip("ASSAY_PURE_PYTHON=1: the package was built without compiled modules")
    declared = sorted(ROOT.joinpath("engine").rglob("*.pxd"))
    assert {p.stem for p in declared} >= {"grammar", "lexicon"}
    for path in declared:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        assert name in engine.COMPILED_SOURCES, f"{path.name} declares a module not compiled"
    from engine.matching import lexicon
    from engine.values import grammar

    with pytest.raises(TypeError):
        grammar._phrases({}, None, (), [], [], "", {}, None, {})
    with pytest.raises(TypeError):
        lexicon._search((), [], 2, [])
    assert grammar._phrases({}, None, [], [], [], "", {}, None, {}) == []
    assert lexicon._search({}, [], 2, []) == []


_FROM_SOURCE = """
import json, sys, warnings
from pathlib import Path
import engine
finder = engine._EditedSources(Path(engine.__file__).parent, ())
finder.sources = {name: Path(engine.__file__).parent.parent.joinpath(*name.split(".")).with_suffix(
    ".py") for name in engine.COMPILED_SOURCES}
sys.meta_path.insert(0, finder)
warnings.simplefilter("ignore")
import engine.api
assert all(sys.modules[name].__file__.endswith(".py") for name in engine.COMPILED_SOURCES)
eng = engine.api.Engine(engine.api.load_rules([engine.api.bundled("rules")]))
texts = json.load(sys.stdin)
print(json.dumps([f.to_dict() for hidden in (False, True) for name, text in texts.items()
                  for f in eng.extract(text, name, hidden=hidden)], sort_keys=True))
"""


def test_the_pack_finds_the_same_facts_compiled_and_from_source(seeds_dir):
    """Every compiled module at once against all their sources, run in a second process."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))}
    eng = engine.api.Engine(load_rules([bundled("rules")]))
    compiled = json.dumps([f.to_dict() for hidden in (False, True) for name, text in texts.items()
                           for f in eng.extract(text, name, hidden=hidden)], sort_keys=True)
    run = subprocess.run([sys.executable, "-c", _FROM_SOURCE], input=json.dumps(texts),
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "ASSAY_CACHE": "0"})
    assert len(json.loads(compiled)) > 100
    assert run.stdout.strip() == compiled


def test_rule_masks_wider_than_a_machine_word(tmp_path):
    """Candidate rules and their condition keys are bits of Python ints: 150 rules, each with a
    condition key of its own, put both past bit 63."""
    lines = ["rules:"]
    for i in range(150):
        lines += [f"  - id: r.{i}", "    fact: t", f"    pattern: alpha{i} []{{0,2}} beta{i}"]
    path = tmp_path / "wide.yaml"
    path.write_text("\n".join(lines) + "\n")
    ruleset = load_rules([path])
    text = "Alpha120 then beta120. Alpha7 and beta100. Alpha149 beta149 alpha3 x y z beta3."
    for eng in (engine.api.Engine(ruleset), _source_module("engine.api").Engine(ruleset)):
        assert [f.rule for f in eng.extract(text, "d")] == ["r.120", "r.149"]
        assert max(eng._key_bits.values()).bit_length() == 150


def _checkout(tmp_path: Path, source_time: int, built_time: int) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    package = tmp_path / "pkg"
    package.mkdir()
    source, built = package / "mod.py", package / f"mod{EXTENSION_SUFFIXES[0]}"
    source.write_text("VALUE = 1\n")
    built.write_bytes(b"")
    os.utime(source, (source_time, source_time))
    os.utime(built, (built_time, built_time))
    return package


def test_a_source_edited_after_its_build_runs_instead_of_it(tmp_path):
    finder = engine._EditedSources(_checkout(tmp_path, 2_000_000_000, 1_000), ("pkg.mod",))
    assert finder.find_spec("pkg.other") is None
    with pytest.warns(UserWarning, match="mod.py changed after it was compiled"):
        spec = finder.find_spec("pkg.mod")
    assert spec.origin == str(tmp_path / "pkg" / "mod.py")
    with warnings.catch_warnings():  # said once; a reload finds the source again
        warnings.simplefilter("error")
        assert finder.find_spec("pkg.mod").origin == spec.origin


def test_a_build_newer_than_its_source_runs(tmp_path):
    finder = engine._EditedSources(_checkout(tmp_path, 1_000, 2_000_000_000), ("pkg.mod",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert finder.find_spec("pkg.mod") is None


def test_an_installed_wheel_always_runs_its_build(tmp_path):
    package = _checkout(tmp_path, 2_000_000_000, 1_000)
    (tmp_path / "pyproject.toml").unlink()  # site-packages: no project around the package
    assert engine._EditedSources(package, ("pkg.mod",)).find_spec("pkg.mod") is None


def test_the_chunk_table_was_built_and_is_used():
    if PURE_PYTHON:
        pytest.skip("ASSAY_PURE_PYTHON=1: the package was built without compiled modules")
    from engine.text._chunks import ChunkMap

    from engine.text import tokens

    assert tokens.native_chunks is not None, (
        "engine/text/_chunks.pyx was not built: see pip's output for hatch_build.py's message")
    assert type(tokens.Tokenizer().chunks) is ChunkMap


def test_a_chunk_table_that_cannot_load_is_said_and_a_dict_used():
    run = run_with_broken_module(
        "engine.text._chunks",
        "import engine\n"
        "from engine.text import tokens\n"
        "print(type(tokens.Tokenizer().chunks).__name__, len(engine.load().extract("
        "'Militants killed 5 people in Mosul.')))\n")
    assert run.stdout.split() == ["dict", "1"]
    assert "compiled chunk table could not be loaded (undefined symbol: simulated)" in run.stderr
