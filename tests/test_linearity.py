"""Matching work grows linearly with sentence length, for every pattern shape.

Counts the VM's steps (not time: these machines are noisy) for nested-quantifier patterns that
make backtracking engines without a memo explode, on sentences of 100 to 5,000 tokens: run
depth-first, each (instruction, position) state entered once, or in lockstep where a loop's
body can match nothing (engine/matching/vm.py).
"""

from __future__ import annotations

import pytest

from engine.matching.vm import MatchContext, SpanTable, finditer
from engine.patterns.compiler import compile_pattern
from engine.patterns.parser import parse
from engine.text.tokens import get_tokenizer

PATHOLOGICAL = [
    "(a+)+ b",
    "([]*)* b",
    "(a | a)* b",
    "(a* a*)* b",
    "((a | [])+)+ b",
    "(a{1,5}){1,5} b",
    "(a []* b) | a",  # a higher-priority branch that scans past each short match
    "[]*? a (?![]* b)",
    "(?<=(a | [])*) a+? (?=a* $)",
    "x:(@A+)+ b",
    "(@A | a)* [] b",
    # where a match can start is found by walking back from the "b" (compiler._pivots)
    "(@A | []{1,2}){0,4} b",
    "[]{0,3} (a | c)+ b",
]
LENGTHS = [100, 500, 1000, 5000]


# Two sentences of n tokens "a" and a "b": one where the "b" every match of most of these
# patterns needs is out of reach behind a "c" (the search, or the walk back from the "b" that
# says where matches can start, must give up), one where it is in reach (the search runs).
ENDINGS = {"out of reach": ["c", "b"], "in reach": ["b", "c"]}


def steps(pattern: str, n: int, ending: list[str]) -> int:
    """The VM's steps over n tokens "a", then `ending`."""
    tokens = get_tokenizer().tokens(" ".join(["a"] * n + ending))
    spans = SpanTable()
    for i in range(0, n - 1, 2):
        spans.add(i, i + 1)
        spans.add(i, i + 2)
    ctx = MatchContext(tokens, {("class", "A"): spans})
    finditer(compile_pattern(parse(pattern)), ctx)
    return ctx.steps


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_steps_grow_linearly(pattern, ending):
    counts = {n: steps(pattern, n, ENDINGS[ending]) for n in LENGTHS}
    assert counts[100] > 0, pattern  # searched, not ruled out by the tokens alone
    per_token = [counts[n] / n for n in LENGTHS]
    # At most linear: the work per token does not grow (it may fall, where a few steps rule
    # the sentence out), where a quadratic matcher's would grow 50-fold from 100 to 5,000.
    assert max(per_token[1:]) <= 1.5 * per_token[0], (pattern, counts)
    assert counts[5000] <= 60 * counts[100], (pattern, counts)


def test_steps_when_in_reach_are_those_of_a_search():
    """Where the "b" is in reach, the search runs over the whole sentence: work in proportion
    to its length, not a constant."""
    counts = {n: steps("(a+)+ b", n, ENDINGS["in reach"]) for n in LENGTHS}
    assert counts[5000] >= 40 * counts[100], counts


def test_searches_start_only_where_a_match_can():
    """While a match is being followed, the next search is not seeded at tokens no match can
    start at ("w" below): each seed costs its pattern's opening closure (here the optional
    article), so seeding every token cost 8 steps per token for nothing."""
    tokens = get_tokenizer().tokens("x " + "w " * 1000 + "x ,")

    def run(pattern: str) -> int:
        ctx = MatchContext(tokens)
        assert len(finditer(compile_pattern(parse(pattern)), ctx)) == 1
        return ctx.steps

    assert run('(the | a)? x []* ","') - run('x []* ","') < 100
