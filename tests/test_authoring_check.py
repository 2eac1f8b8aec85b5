"""`assay check` warnings: `file:line:col: warning: message`, and `--strict` makes them fail."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

import engine
from engine.authoring.analysis import not_a_lemma, shadowed_options, unsatisfiable
from engine.authoring.lint import lint
from engine.cli import main
from engine.patterns.parser import parse

LEXICONS = str(ROOT / "rules" / "lexicons")
TYPES = str(ROOT / "rules" / "conflict" / "types.yaml")

RULES = """\
pack: t
version: 1
rules:
  - id: t.untested
    fact: territory
    pattern: forces [lemma=retake] location:@place
  - id: t.positive
    fact: territory
    subtype: regain
    pattern: _who:troops [lemma=recapture] where:@place
    examples:
      - text: Troops recaptured Mosul.
        expect:
          - {where: Mosul}
  - id: t.empty
    fact: displacement
    pattern: "[lemma=flee]? [lemma=escape]?"
    examples:
      - text: They fled.
        expect: [{}]
      - text: Nothing.
        expect: []
  - id: t.dead
    fact: territory
    subtype: conquer
    pattern: ([] | forces) [lemma=a & lemma=b] (fled | [lemma=fled])
    examples:
      - {text: a, expect: [{}]}
      - {text: b, expect: []}
  - id: t.copy
    fact: displacement
    pattern: forces [lemma=retake] location:@place
    examples:
      - {text: Forces retook Mosul., expect: [{}]}
      - {text: b, expect: []}
  - id: t.twin
    fact: territory
    subtype: regain
    pattern: "troops [lemma=recapture|recaptured] location:@place"
    examples:
      - text: Troops recaptured Mosul.
        expect: [{location: Mosul}]
      - {text: b, expect: []}
  - id: t.helper
    fact: helper
    emit: false
    pattern: x:forces
    examples:
      - {text: forces, expect: [{}]}
      - {text: b, expect: []}
  - id: t.weather
    fact: weather
    pattern: rain
    examples:
      - {text: rain, expect: [{}]}
      - {text: b, expect: []}
"""


def _at(text: str, needle: str, nth: int = 1) -> str:
    """`line:col` of the nth occurrence of `needle` in `text`."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return f"{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


@pytest.fixture
def rule_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(RULES, encoding="utf-8")
    return "t.yaml"


def test_every_kind_of_warning_at_its_position(rule_file):
    result = CliRunner().invoke(main, ["check", rule_file, LEXICONS, TYPES])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    expected = [
        (_at(RULES, "id: t.untested"), "rule t.untested has no examples"),
        (_at(RULES, "examples", 1), "rule t.positive has no negative example"),
        (_at(RULES, "where:@place"), "capture 'where' is no role of territory"),
        (_at(RULES, '[lemma=flee]?'), "can match an empty span"),
        (_at(RULES, "- id: t.dead")[:-1] + "1", "subtype 'conquer' is not one of territory's"),
        (_at(RULES, "forces) [lemma=a"), "this alternative can never match: alternative 1"),
        (_at(RULES, "[lemma=a & lemma=b]"), "no token can pass this test: lemma cannot be both a "
                                            "and b"),
        (_at(RULES, "[lemma=fled]"), "lemma=fled matches no token: 'fled' is not a lemma "
                                     "(write lemma=flee)"),
        (_at(RULES, "forces [lemma=retake]", 2), "duplicate pattern: rule t.untested"),
        (_at(RULES, "location:@place", 2), "capture 'location' is no role of displacement"),
        (_at(RULES, "[lemma=recapture|recaptured]"), "lemma=recaptured matches no token: "
                                                     "'recaptured' is not a lemma ('recapture' "
                                                     "is already listed)"),
        (_at(RULES, "text: Troops recaptured Mosul.", 1),
         "rule t.positive and t.twin produce the same territory.regain fact on this example"),
        (_at(RULES, "fact: weather"), "fact type 'weather' is not declared"),
    ]
    for where, message in expected:
        assert any(line.startswith(f"t.yaml:{where}: warning: ") and message in line
                   for line in warnings), (where, message, warnings)
    assert len(warnings) == len(expected), warnings
    assert not any("t.helper" in line for line in warnings)  # emit: false is exempt
    assert not any("'_who'" in line for line in warnings)  # helper captures are exempt
    assert result.stdout.strip().endswith(f"{len(expected)} warnings")
    # The excerpt under a warning shows the line and a caret at the column.
    lines = result.stderr.splitlines()
    i = next(i for i, line in enumerate(lines) if "no token can pass" in line)
    col = int(lines[i].split(":")[2])
    assert lines[i + 2] == "    " + " " * (col - 1) + "^"


def test_strict_fails_on_warnings(rule_file):
    result = CliRunner().invoke(main, ["check", "--strict", rule_file, LEXICONS, TYPES])
    assert result.exit_code == 1
    assert "warning:" in result.stderr


def test_check_on_the_bundled_pack():
    bundled_engine = engine.load()  # the pack as it is on disk now
    warnings = lint(bundled_engine) + bundled_engine.ruleset.warnings
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    n = len(warnings)
    assert re.search(rf"^ok: \d+ rules, \d+ lexicon entries in \d+ files, {n} warnings?$",
                     result.stdout, re.M)
    for warning in warnings:
        assert f"{warning.file}:{warning.line}:{warning.col}: warning: {warning.message}" in \
            result.stderr
    strict = CliRunner().invoke(main, ["check", "--strict"])
    assert strict.exit_code == (1 if warnings else 0)


def test_check_on_the_casualties_example_with_the_pack_types():
    rules = str(ROOT / "examples" / "casualties")
    result = CliRunner().invoke(main, ["check", rules, TYPES])
    assert result.exit_code == 0
    assert re.search(r"examples/casualties/rules.yaml:\d+:\d+: warning: rule casualties.toll: "
                     r"capture 'toll' is no role of casualties", result.stderr)
    alone = CliRunner().invoke(main, ["check", rules])  # no types declared: no role warnings
    assert "is no role" not in alone.stderr


def test_errors_still_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: a.b\n    fact: t\n    pattern: x:@nothing\n")
    result = CliRunner().invoke(main, ["check", "--strict", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:4:16: rule a.b: class @nothing is not defined" in result.stderr


@pytest.mark.parametrize("test, reason", [
    ("[lemma=a & lemma=b]", "lemma cannot be both a and b"),
    ("[lemma=a & !lemma=a]", "lemma must be a and must not be"),
    ("[is_upper & is_lower]", "no token is both is_lower and is_upper"),
    ("[num>5 & num<3]", "no num passes all of num>5 & num<3"),
    ("[lemma=a & (lemma=b | lemma=c)]", "lemma cannot be both a and b"),
    ("[is_title & !is_title]", "is_title must be set and unset"),
    ("[lemma=a|b & lemma=b]", None),
    ("[num>=5 & num<=5]", None),
    ("[!lemma=a | lemma=a]", None),
    ("[/x/ & !/x/]", None),  # regexes are not analysed: no false alarm
])
def test_unsatisfiable_token_tests(test, reason):
    assert unsatisfiable(parse(test).test) == reason


@pytest.mark.parametrize("pattern, shadowed", [
    ("(a | a)", [(1, 0)]),
    ("([] | a b | a)", [(2, 0)]),
    ("([lemma=x|y] | [lemma=x])", [(1, 0)]),
    ("([]+ | a)", [(1, 0)]),
    ("(x:@force | y:@force)", [(1, 0)]),
    ("(a []{1,3} | a []{2})", [(1, 0)]),
    ("(a b | a)", []),  # `a` is chosen when `a b` is not followed by what comes next
    ("(a | [lemma=a])", []),  # a lemma test may cover other words
    ("(a? | b)", []),
])
def test_shadowed_alternatives(pattern, shadowed):
    assert shadowed_options(parse(pattern)) == shadowed


def test_lemma_values_that_are_not_lemmas():
    assert not_a_lemma("recaptured") == "recapture"
    assert not_a_lemma("recapture") is None
    assert not_a_lemma("found") is None  # the lemma of "founded"
    eng = engine.load(str(ROOT / "examples" / "casualties"))
    assert all("is not a lemma" not in w.message or "shelling" in w.message for w in lint(eng))
