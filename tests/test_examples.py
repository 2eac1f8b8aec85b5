"""Every rule's inline examples pass: rules say what they find; the suite holds them to it."""

from __future__ import annotations

import pytest

import engine
from engine.examples import compare, run_examples

_ENGINE = engine.load()
_RESULTS = run_examples(_ENGINE)


def test_every_rule_has_positive_and_negative_examples():
    for compiled in _ENGINE.rules:
        examples = compiled.rule.examples
        assert any(e.expect for e in examples), compiled.rule.id
        assert any(not e.expect for e in examples), compiled.rule.id


@pytest.mark.parametrize("result", _RESULTS,
                         ids=[f"{r.rule.id}:{r.example.line}" for r in _RESULTS])
def test_rule_example(result):
    assert result.ok, "\n".join(result.problems)


def test_a_wrong_expectation_fails_with_a_role_diff():
    facts = _ENGINE.extract("Government and PMF forces recaptured up to 45 villages.")
    problems = compare([{"count": 4, "place_type": "village"}], facts)
    assert problems == ["expected count: 4, got count: 45 (in 'Government and PMF forces "
                        "recaptured up to 45 villages')"]
    assert compare([], facts)[0].startswith("unexpected fact {actor: 'Government and PMF")
