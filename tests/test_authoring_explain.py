"""`assay explain`: tokens and their attributes, matches with captures, and for patterns that do
not match, the furthest point reached and what failed there."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import ROOT
from hypothesis import HealthCheck, assume, given, settings
from test_matcher_reference import patterns, sentences

import engine
from engine.authoring.explain import explain
from engine.authoring.tracer import MAX_TOKENS, trace
from engine.cli import main
from engine.matching.vm import MatchContext, finditer
from engine.patterns.ast import can_be_empty
from engine.patterns.compiler import compile_pattern
from engine.patterns.parser import parse

CASUALTIES = str(ROOT / "examples" / "casualties")
LEXICONS = str(ROOT / "rules" / "lexicons")
README_FACT = "Government and PMF forces recaptured up to 45 villages."

RULES = """\
rules:
  - id: t.regain
    fact: territory
    pattern: |
      actor:@force? (?<!plan to) [lemma=recapture|retake]
      count:<quantity> place_type:[lemma=village|town]
"""


def _invoke(*args):
    return CliRunner().invoke(main, ["explain", *args])


def test_explain_shows_tokens_matches_and_captures_with_the_bundled_pack():
    result = _invoke(README_FACT)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "sentence 0" in out
    # The token table: text, norm, lemma, shape, num and flags of every token.
    row = next(line for line in out.splitlines() if " villages " in line)
    assert row.split() == ["8", "villages", "villages", "village", "xxxx", "alpha", "ascii",
                           "lower"]
    assert any(line.split()[:6] == ["7", "45", "45", "45", "dd", "45"]
               for line in out.splitlines())
    assert "@force 'PMF forces' tokens 2-3" in out
    assert "<quantity> 'up to 45' tokens 5-7" in out
    assert "territory.regain.count  rules/conflict/territory.yaml:" in out
    assert f"match {README_FACT[:-1]!r} tokens 0-8" in out
    assert "count: 'up to 45'" in out and "place_type: 'villages'" in out
    assert "fact: territory.regain (asserted)" in out


def test_explain_json_for_tools():
    bundled_engine = engine.load()  # the pack as it is on disk now
    result = _invoke(README_FACT, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    [sentence] = data["sentences"]
    token = sentence["tokens"][4]
    assert token == {"i": 4, "text": "recaptured", "norm": "recaptured", "lemma": "recapture",
                     "shape": "xxxx", "num": None, "flags": ["is_alpha", "is_ascii", "is_lower"]}
    rules = {r["rule"]: r for r in sentence["rules"]}
    count = rules["territory.regain.count"]
    assert count["triggered"] and count["patterns"][0]["matches"][0]["captures"]["count"] == [
        "up to 45"]
    assert count["facts"][0]["args"]["count"]["value"] == 45
    # Every rule shown either matches or says where it stopped.
    for rule in sentence["rules"]:
        for pattern in rule["patterns"]:
            assert pattern["matches"] or pattern["failure"]["message"]
    # Every rule that makes a fact here was triggered, so it is listed.
    made = {f.rule for f in bundled_engine.extract(README_FACT, hidden=True)}
    assert made and made <= set(rules)


def test_the_furthest_point_and_the_element_that_failed(tmp_path):
    (tmp_path / "r.yaml").write_text(RULES)
    rules = ["--rules", str(tmp_path / "r.yaml"), "--rules", LEXICONS]
    result = _invoke("PMF forces recaptured a village.", *rules)
    assert result.exit_code == 0, result.output
    assert ("matched `actor:@force [lemma=recapture|retake]` ('PMF forces recaptured'), then "
            "expected `count:<quantity>` at 'a', token 3") in result.stdout
    blocked = _invoke("PMF forces plan to recapture 45 villages.", *rules)
    assert ("the lookbehind `(?<!plan to)` failed at 'recapture', token 4; without it the "
            "pattern would match 'recapture 45 villages'") in blocked.stdout
    gap = _invoke("The car bomb left seven candidates in the race.", "--rules", CASUALTIES)
    assert ("matched `[lemma=bomb|bombing|blast|…] [lemma=leave|kill|cause]` ('bomb left'), "
            "then expected `toll:<casualty_phrase>` at 'seven', token 4") in gap.stdout
    end = _invoke("PMF forces recaptured 45", *rules, "--rule", "t.regain")
    assert "then expected `place_type:[lemma=village|town]` at the end of the sentence, token 4" \
        in end.stdout


def test_a_rule_asked_for_is_explained_even_without_its_trigger():
    result = _invoke("The weather was fine.", "--rules", CASUALTIES, "--rule", "casualties.*")
    assert result.exit_code == 0, result.output
    assert "not tried here: no trigger (lemma=" in result.stdout
    assert "no token can start a match: expected `[lemma=bomb|bombing|blast|…]` at any token" \
        in result.stdout
    quiet = _invoke("The weather was fine.", "--rules", CASUALTIES)
    assert "no rule is triggered by this sentence" in quiet.stdout


def test_unknown_rule_is_a_usage_error():
    result = _invoke("x", "--rules", CASUALTIES, "--rule", "nope")
    assert result.exit_code == 2 and "no rule matches 'nope'" in result.output


def test_long_sentences_are_not_traced():
    eng = engine.load(CASUALTIES)
    text = "The bomb left " + "many " * MAX_TOKENS + "."
    [sentence] = explain(eng, text).sentences
    [pattern] = sentence.rules[0].patterns
    assert pattern.failure is None and "not traced" in pattern.note


def test_real_seed_sentences_explain_without_error():
    bundled_engine = engine.load()  # the pack as it is on disk now
    text = (ROOT / "seeds" / "000_fb568839f1ab8394.txt").read_text(encoding="utf-8")
    explanation = explain(bundled_engine, text)
    facts = {f.text for f in bundled_engine.extract(text, doc_id="x")}
    matched = {m.text for s in explanation.sentences for r in s.rules for p in r.patterns
               for m in p.matches}
    assert facts <= matched  # every fact of the document shows up as a match
    for sentence in explanation.sentences:
        for rule in sentence.rules:
            for pattern in rule.patterns:
                assert "please report" not in pattern.note


def test_every_example_traces_as_the_matcher_matches():
    """The diagnostic walk and the real matcher agree on whether each pattern matches."""
    bundled_engine = engine.load()  # the pack as it is on disk now
    for eng in (bundled_engine, engine.load(CASUALTIES)):
        for compiled in eng.rules:
            for example in compiled.rule.examples:
                for sentence in explain(eng, example.text, [compiled.rule]).sentences:
                    for pattern in sentence.rules[0].patterns:
                        assert "please report" not in pattern.note, (compiled.rule.id, example)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), sentences())
def test_tracer_agrees_with_the_vm_on_random_patterns(pattern, sentence):
    tokens, spans = sentence
    node = parse(pattern)
    found = finditer(compile_pattern(node), MatchContext(tokens, spans))
    result = trace(node, tokens, lambda key: spans[key])
    assume(not result.gave_up)
    assert result.matched == bool(found), pattern
    if not result.matched and tokens and not can_be_empty(node):
        assert result.failure is not None
