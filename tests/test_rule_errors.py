"""Broken rules of every kind: `file:line:col: message`, the line, exit 2, no traceback."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from engine.errors import RuleError

LEXICON = """\
classes:
  force: [forces, troops]
"""

CASES = {
    "bad_yaml": ("rules:\n  - id: a\n    fact: [unclosed\n", 4, 1, "invalid YAML"),
    "not_a_mapping": ("- just\n- a list\n", 1, 1, "a rule file is a mapping"),
    "unknown_top_key": ("rulez: []\n", 1, 1, "unknown key 'rulez'"),
    "unknown_rule_key": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: x\n    patern: y\n", 5, 5,
        "unknown key 'patern'"),
    "missing_fact": ("rules:\n  - id: a.b\n    pattern: x\n", 2, 5, "has no `fact`"),
    "bad_id": ("rules:\n  - id: 'not an id'\n    fact: t\n    pattern: x\n", 2, 9,
               "must be a dotted name"),
    "duplicate_id": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: x\n"
        "  - id: a.b\n    fact: t\n    pattern: y\n", 5, 1, "duplicate rule id 'a.b'"),
    "duplicate_key": ("rules:\n  - id: a.b\n    id: c\n    fact: t\n    pattern: x\n", 3, 5,
                      "duplicate key 'id'"),
    "pattern_syntax_plain": ("rules:\n  - id: a.b\n    fact: t\n    pattern: a (b | c\n", 4, 22,
                             "pattern ends too early"),
    "pattern_syntax_quoted": ("rules:\n  - id: a.b\n    fact: t\n    pattern: \"a ) b\"\n", 4, 17,
                              "unexpected ')'"),
    "pattern_syntax_block": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: |\n      a b\n      c {3,1}\n", 6, 9,
        "maximum is below minimum"),
    "pattern_in_list": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern:\n      - ok\n      - bad ]\n", 6, 13,
        "unexpected ']'"),
    "undefined_class": ("rules:\n  - id: a.b\n    fact: t\n    pattern: x:@forse fled\n", 4, 16,
                        "class @forse is not defined"),
    "undefined_value": ("rules:\n  - id: a.b\n    fact: t\n    pattern: n:<casualty> x\n", 4, 16,
                        "value grammar <casualty> is not defined"),
    "capture_in_lookaround": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: (?<!x:not) fled\n", 4, 18,
        "captures inside lookaround"),
    "values_of_unknown_capture": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: n:[like_num] x\n"
        "    values: {count: number}\n", 5, 14, "capture 'count' is not defined"),
    "example_unknown_role": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: n:[like_num] x\n    examples:\n"
        "      - text: 3 x\n        expect:\n          - {count: 3}\n", 8, 14,
        "no capture of the pattern defines"),
    "bad_transform": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: n:[like_num] x\n"
        "    values: {n: double}\n", 5, 17, "value transform 'double'"),
    "both_patterns": (
        "rules:\n  - id: a.b\n    fact: t\n    pattern: x\n    spacy_pattern: [{LOWER: x}]\n",
        2, 5, "exactly one of"),
    "spacy_bad_attr": (
        "rules:\n  - id: a.b\n    fact: t\n    spacy_pattern:\n      - {LOWER: x}\n"
        "      - {COLOUR: red}\n", 6, 9, "attribute 'COLOUR' is not supported"),
    "spacy_bad_op": (
        "rules:\n  - id: a.b\n    fact: t\n    spacy_pattern:\n      - {LOWER: x, OP: '%'}\n",
        5, 9, "OP '%'"),
    "bad_priority": ("rules:\n  - id: a.b\n    fact: t\n    pattern: x\n    priority: high\n",
                     5, 15, "priority must be an integer"),
    "bad_modality": ("rules:\n  - id: a.b\n    fact: t\n    pattern: x\n    modality: maybe\n",
                     5, 15, "modality must be one of"),
    "cascade_order": (
        "rules:\n  - id: a.b\n    fact: t\n    priority: 5\n    pattern: x:@u y\n"
        "  - id: c.d\n    fact: u\n    priority: 10\n    pattern: z\n", 5, 16,
        "run after this rule"),
    "bad_lexicon_entry": ("classes:\n  force:\n    - {aliases: [troops]}\n", 3, 7,
                          "needs an `id`"),
}


def _write(tmp_path, name, text):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "lexicon.yaml").write_text(LEXICON, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_position_and_message(tmp_path, name, monkeypatch):
    text, line, col, message = CASES[name]
    path = _write(tmp_path, name, text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleError) as info:
        engine.load(path.name, "lexicon.yaml")
    first = info.value.diagnostics[0]
    assert (first.file, first.line, first.col) == (path.name, line, col), first.format()
    assert message in first.message


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_reports_file_line_col_and_exits_2(tmp_path, name, monkeypatch):
    text, line, col, message = CASES[name]
    path = _write(tmp_path, name, text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", path.name, "lexicon.yaml"])
    assert result.exit_code == 2
    assert f"{path.name}:{line}:{col}: " in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_excerpt_shows_the_line_and_a_caret(tmp_path, monkeypatch):
    path = _write(tmp_path, "r", "rules:\n  - id: a.b\n    fact: t\n    pattern: x:@forse fled\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "r.yaml", "lexicon.yaml"])
    lines = result.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("r.yaml:4:16:"))
    assert lines[head + 1] == "        pattern: x:@forse fled"
    assert lines[head + 2] == "    " + " " * 15 + "^"
    assert path.exists()


def test_all_errors_are_reported_not_only_the_first(tmp_path, monkeypatch):
    text = textwrap.dedent("""\
        rules:
          - id: a.b
            fact: t
            pattern: (
          - id: c.d
            fact: t
            pattern: x:@nothing
        """)
    _write(tmp_path, "two", text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "two.yaml", "lexicon.yaml"])
    assert result.exit_code == 2
    assert "two.yaml:4:" in result.output and "two.yaml:7:" in result.output


def test_not_utf8_rule_file(tmp_path, monkeypatch):
    (tmp_path / "latin.yaml").write_bytes(b"rules: []\n# caf\xe9\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "latin.yaml"])
    assert result.exit_code == 2
    assert "latin.yaml:1:1: not UTF-8" in result.output


def test_run_with_broken_rules_exits_2(tmp_path, monkeypatch):
    _write(tmp_path, "bad", CASES["pattern_syntax_plain"][0])
    (tmp_path / "doc.txt").write_text("a b c")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "doc.txt", "--rules", "bad.yaml"])
    assert result.exit_code == 2
    assert "bad.yaml:4:22:" in result.output


def test_yaml_cannot_construct_python_objects(tmp_path, monkeypatch):
    _write(tmp_path, "evil", "rules: !!python/object/apply:os.system ['touch pwned']\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "evil.yaml"])
    assert result.exit_code == 2
    assert "evil.yaml:1:8: invalid YAML" in result.output
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("layout, line, col", [
    ("    pattern: >-\n      a b\n      c ]\n", 6, 9),
    ("    pattern: >\n      a b\n\n      c ]\n", 7, 9),
    ("    pattern: 'a b\n      c ]'\n", 5, 9),
    ("    pattern: a b\n      c ]\n", 5, 9),
    ("    pattern: \"a \\\"b\\\" ]\"\n", 4, 23),
])
def test_positions_in_folded_quoted_and_multiline_scalars(tmp_path, monkeypatch, layout, line,
                                                           col):
    _write(tmp_path, "f", "rules:\n  - id: a.b\n    fact: t\n" + layout)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleError) as info:
        engine.load("f.yaml")
    first = info.value.diagnostics[0]
    assert (first.line, first.col) == (line, col), first.format()
