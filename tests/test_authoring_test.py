"""`assay test` and the pytest plugin on the real packs: every example a test, diffs that name
the rule, JUnit XML, case files, watching, and `pytest rules/` collecting each example."""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

import engine
from engine.authoring import watch as watch_module
from engine.cli import main
from engine.examples import run_examples

pytest_plugins = ["pytester"]

CASES = ROOT / "tests" / "data" / "authoring" / "cases.yaml"
CASUALTIES = ROOT / "examples" / "casualties"


def _break_an_example(pack) -> tuple[str, str, int, int]:
    """In a copy of a rule pack, change one expected number of one positive example of a rule
    whose examples pass; returns (rule id, role, expected number now, example index from 1)."""
    eng = engine.load(pack)
    failing = {r.rule.id for r in run_examples(eng) if not r.ok}
    for compiled in eng.rules:
        rule = compiled.rule
        if rule.id in failing:
            continue
        for index, example in enumerate(rule.examples, 1):
            for expected in example.expect:
                for role, value in expected.items():
                    if isinstance(value, int) and not isinstance(value, bool):
                        path = rule.path
                        with open(path, encoding="utf-8") as f:
                            lines = f.read().split("\n")
                        for i in range(example.line - 1, len(lines)):
                            new = re.sub(rf"\b{role}: {value}\b", f"{role}: {value + 1000}",
                                         lines[i], count=1)
                            if new != lines[i]:
                                lines[i] = new
                                with open(path, "w", encoding="utf-8") as f:
                                    f.write("\n".join(lines))
                                return rule.id, role, value + 1000, index
    raise AssertionError("no example with a number to break")


@pytest.fixture
def broken_pack(tmp_path):
    """A copy of the bundled pack with one more failing example (the pack's own examples may
    be failing while it is being worked on: those are counted, not assumed away)."""
    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    before = sum(not r.ok for r in run_examples(engine.load(pack)))
    return pack, _break_an_example(pack), before


def test_test_runs_every_example_of_the_bundled_pack():
    bundled_engine = engine.load()  # the pack as it is on disk now
    results = run_examples(bundled_engine)
    failed = sum(not r.ok for r in results)
    result = CliRunner().invoke(main, ["test"])
    assert result.exit_code == (1 if failed else 0), result.output
    lines = result.stdout.splitlines()
    assert f"{len(results) - failed} passed, {failed} failed" in lines
    for compiled in bundled_engine.rules:
        assert any(line.split()[1:2] == [compiled.rule.id] for line in lines), compiled.rule.id


def test_test_on_the_casualties_example_with_a_rule_filter():
    result = CliRunner().invoke(main, ["test", str(CASUALTIES), "--rule", "casualties.*"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PASS casualties.toll  2 examples  ")
    assert lines[-1] == "2 passed, 0 failed"


def test_unknown_rule_exits_2():
    result = CliRunner().invoke(main, ["test", str(CASUALTIES), "--rule", "nothing.*"])
    assert result.exit_code == 2
    assert "no rule matches 'nothing.*'" in result.stderr


def test_a_broken_example_fails_with_a_diff_naming_the_rule(broken_pack, tmp_path):
    pack, (rule_id, role, wrong, index), before = broken_pack
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(main, ["test", str(pack), "--junit", str(junit)])
    assert result.exit_code == 1
    out = result.stdout
    assert re.search(rf"^FAIL {re.escape(rule_id)} +1 of \d+ examples failed", out, re.M), out
    assert f"✗ {rule_id}[example {index}]" in out
    assert re.search(rf"expected {role}: {wrong}, got {role}: \d+ \(in '", out)
    assert re.search(rf"^\d+ passed, {before + 1} failed$", out, re.M)
    tree = ET.parse(junit).getroot()
    assert tree.get("failures") == str(before + 1)
    case = next(c for c in tree.iter("testcase") if c.get("name") == f"{rule_id}[example {index}]")
    assert f"expected {role}: {wrong}" in case.find("failure").get("message")


def test_case_files_check_the_whole_pack():
    result = CliRunner().invoke(main, ["test", "--cases", str(CASES), "--rule",
                                       "territory.regain.count"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^PASS tests/data/authoring/cases.yaml +3 cases", result.stdout, re.M)


def test_a_failing_case_shows_type_and_role_diffs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short paths: the report's lines do not depend on tmp names
    cases = Path("cases.yaml")
    cases.write_text(
        "- text: 'The car bomb left seven dead and nine wounded in Baghdad.'\n"
        "  expect:\n"
        "    - {type: casualties, modality: planned, toll: 8}\n"
        "- name: quiet\n"
        "  text: 'The car bomb left seven dead and nine wounded in Baghdad.'\n"
        "  expect: []\n"
        "- name: other types are not compared\n"
        "  text: 'The car bomb left seven dead and nine wounded in Baghdad.'\n"
        "  types: [territory]\n"
        "  expect: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["test", str(CASUALTIES), "--cases", str(cases)])
    assert result.exit_code == 1
    out = result.stdout
    assert re.search(rf"FAIL {cases}\s+2 of 3 cases failed", out)
    assert re.search(rf"✗ {re.escape(str(cases))}\[case 1\]\s+{cases}:1", out)
    assert "expected modality: 'planned', got modality: 'asserted'; expected toll: 8, got " \
           "toll: 7 (in 'bomb left seven dead and nine wounded')" in out
    assert f"✗ {cases}[quiet]" in out
    assert "unexpected fact casualties (casualties.toll) {toll: 7} from 'bomb left seven dead " \
           "and nine wounded'" in out
    assert out.splitlines()[-1] == "3 passed, 2 failed"


@pytest.mark.parametrize("text, line, col, message", [
    ("text: x\n", 1, 1, "a case file is a list of cases"),
    ("- text: x\n  expekt: []\n", 2, 3, "unknown key 'expekt'"),
    ("- text: x\n  expect:\n    - {count: 3}\n", 3, 7, "needs `type:`"),
    ("- expect: []\n", 1, 3, "a case needs `text:`"),
    ("- text: [\n", 2, 1, "invalid YAML"),
])
def test_broken_case_files_exit_2(tmp_path, monkeypatch, text, line, col, message):
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["test", str(CASUALTIES), "--cases", "c.yaml"])
    assert result.exit_code == 2
    assert f"c.yaml:{line}:{col}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.output


def test_broken_rules_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: a.b\n    fact: t\n    pattern: a (b\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["test", str(bad)])
    assert result.exit_code == 2
    assert f"{bad.name}:4:" in result.stderr and "pattern ends too early" in result.stderr


def test_watch_reruns_when_a_rule_file_changes(tmp_path, monkeypatch):
    pack = tmp_path / "casualties"
    shutil.copytree(CASUALTIES, pack)
    rules = pack / "rules.yaml"
    edits = []

    def fake_sleep(seconds):
        if not edits:  # between the first and the second poll, an analyst saves a change
            rules.write_text(rules.read_text().replace("{toll: 7}", "{toll: 8}"))
            stat = rules.stat()
            os.utime(rules, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        edits.append(seconds)

    monkeypatch.setattr(watch_module, "pause", fake_sleep)
    result = CliRunner().invoke(main, ["test", str(pack), "--watch", "--max-runs", "2",
                                       "--interval", "0"])
    assert result.exit_code == 1, result.output
    summaries = [line for line in result.stdout.splitlines() if line.endswith(" failed")]
    assert summaries == ["2 passed, 0 failed", "1 passed, 1 failed"]
    assert "expected toll: 8, got toll: 7" in result.stdout
    assert len(edits) == 1


def test_watch_polls_until_something_changes(tmp_path):
    (tmp_path / "r.yaml").write_text("rules: []\n")
    runs, sleeps = [], []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            (tmp_path / "new.yaml").write_text("rules: []\n")  # a new file counts too

    assert watch_module.watch([tmp_path], lambda: runs.append(1), 0.25, 2, sleep) == 2
    assert len(runs) == 2 and sleeps == [0.25, 0.25, 0.25]


# ---- the pytest plugin -----------------------------------------------------------------------


def _expected_items(eng) -> set[str]:
    return {f"{c.rule.id}[example {i}]" for c in eng.rules
            for i in range(1, len(c.rule.examples) + 1)}


def test_pytest_collects_every_rule_example_as_an_item(pytester):
    bundled_engine = engine.load()  # the pack as it is on disk now
    shutil.copytree(ROOT / "rules", pytester.path / "rules")
    shutil.copytree(ROOT / "tests" / "data" / "authoring", pytester.path / "data")
    result = pytester.runpytest("rules", "data", "--collect-only", "-q")
    names = {line.split("::", 1)[1] for line in result.outlines if "::" in line}
    assert names == _expected_items(bundled_engine)
    assert not any(line.startswith("data/") for line in result.outlines)  # gold, cases: no
    assert any(line.startswith("rules/conflict/territory.yaml::territory.regain.count[example 1]")
               for line in result.outlines)


def test_pytest_reports_a_broken_example_with_the_diff(pytester):
    shutil.copytree(ROOT / "rules", pytester.path / "rules")
    before = sum(not r.ok for r in run_examples(engine.load(pytester.path / "rules")))
    rule_id, role, wrong, index = _break_an_example(pytester.path / "rules")
    result = pytester.runpytest("rules")
    result.assert_outcomes(failed=before + 1, passed=len(_expected_items(engine.load(
        pytester.path / "rules"))) - before - 1)
    result.stdout.fnmatch_lines([
        f"*{rule_id}[[]example {index}[]] failed (rules/*.yaml:*)",
        "  text: *",
        f"  expected {role}: {wrong}, got {role}: *",
    ])


def test_pytest_reports_broken_rule_files_at_their_position(pytester):
    (pytester.path / "pack").mkdir()
    (pytester.path / "pack" / "bad.yaml").write_text(
        "rules:\n  - id: a.b\n    fact: t\n    pattern: a (b\n")
    result = pytester.runpytest("pack")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["pack/bad.yaml:4:*: rule a.b: pattern ends too early*"])


def test_pytest_loads_extra_rules_for_an_analysts_pack(pytester):
    shutil.copytree(CASUALTIES, pytester.path / "mine")
    (pytester.path / "mine" / "forces.yaml").write_text(
        "rules:\n  - id: forces.fled\n    fact: displacement\n"
        "    pattern: population:@force [lemma=flee]\n    examples:\n"
        "      - text: Iraqi troops fled.\n        expect:\n"
        "          - {population: Iraqi troops}\n")
    alone = pytester.runpytest("mine")
    alone.stdout.fnmatch_lines(["*class @force is not defined*", "*--assay-rules PATH*"])
    with_lexicons = pytester.runpytest("mine", "--assay-rules", str(ROOT / "rules" / "lexicons"))
    with_lexicons.assert_outcomes(passed=3)


def test_a_normal_run_of_testpaths_collects_no_yaml(pytester):
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    shutil.copytree(CASUALTIES, pytester.path / "checks")
    pytester.makepyfile(**{"checks/test_one.py": "def test_one():\n    assert True\n"})
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert pytester.runpytest("checks").parseoutcomes()["passed"] == 3
