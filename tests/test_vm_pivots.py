"""Where a match can start, by a pattern's pivots (compiler._pivots): a token of a few words or
a span that every match passes at a point its pattern fixes, reached back from by the pattern
before it. The starts the pivots leave are all those with a match: the same matches and
captures with them as without, on random patterns and texts, in the reference and in the
compiled matcher; fewer steps where most tokens lead to no pivot; and which patterns have
them."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from test_matcher_reference import patterns, sentences
from test_vm_native import PURE

import engine
from engine.matching import vm
from engine.patterns.compiler import compile_pattern
from engine.patterns.parser import parse
from engine.text.tokens import get_tokenizer


def _matches(module, finditer, program, tokens, spans) -> tuple[list, int]:
    ctx = module.MatchContext(tokens, spans)
    found = [(m.start, m.end, m.captures) for m in finditer(program, ctx)]
    return found, ctx.steps


def _without_pivots(program):
    return dataclasses.replace(program, pivots=(), native=None)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), sentences())
def test_pivots_leave_every_match(pattern, sentence):
    tokens, spans = sentence
    program = compile_pattern(parse(pattern))
    plain = _without_pivots(program)
    for module, finditer in ((PURE, PURE.python_finditer), (vm, vm.finditer)):
        assert (_matches(module, finditer, program, tokens, spans)[0]
                == _matches(module, finditer, plain, tokens, spans)[0]), pattern


def test_which_patterns_have_pivots():
    with_pivots = [
        "[]? a b",  # any token can start a match: the walk back from "a" says which
        "([] | b){0,3} [lemma=c|d] a",
        "x:([!a] c)? d",
        "(@X | [!b]) (a | @Y) c",  # a span is a pivot too, where tokens of any kind start
        "([]{0,2} a | [] b) c",  # each option's own
    ]
    without = [
        "a b",  # the pivot is where matches start: their first tokens say as much
        "(?<! c) a b",  # only an assertion before it
        "[]* [!a]",  # no pivot: any token can end the prefix
        "(a | [] b?)? c?",  # every item may be skipped
        "(the)? @X b",  # starts at a few words or spans, and a pivot as common as a span
        "([] a)* b",  # a prefix that loops without bound: each walk back could cover it all
    ]
    for pattern in with_pivots:
        assert compile_pattern(parse(pattern)).pivots, pattern
    for pattern in without:
        assert not compile_pattern(parse(pattern)).pivots, pattern


def test_the_walk_back_saves_the_starts_that_lead_nowhere():
    """Every token can start "[]{0,2} d" by its first tokens; only those within two of a "d"
    can start a match. Here the one "d" is last: most runs of the search are never made."""
    tokens = get_tokenizer().tokens(" ".join(["a", "b", "c"] * 100 + ["d"]))
    program = compile_pattern(parse("[]{0,2} d"))
    for module, finditer in ((PURE, PURE.python_finditer), (vm, vm.finditer)):
        found, steps = _matches(module, finditer, program, tokens, {})
        plain, plain_steps = _matches(module, finditer, _without_pivots(program), tokens, {})
        assert found == plain == [(298, 301, {})]
        assert steps * 20 < plain_steps, (steps, plain_steps)


def test_the_bundled_pack_uses_them():
    """The pack's rules that start at any capitalised word or actor and pass a verb later
    (casualties.kill: "Islamic State gunmen killed …") are searched from where the verb can be
    reached back to."""
    programs = {c.rule.id: c.programs for c in engine.load().rules}
    assert all(p.pivots for p in programs["casualties.kill"])
    assert sum(1 for ps in programs.values() for p in ps if p.pivots) >= 20
