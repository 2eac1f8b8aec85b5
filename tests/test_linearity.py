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
]
LENGTHS = [100, 500, 1000, 5000]


def steps(pattern: str, n: int) -> int:
    """The VM's steps over n tokens "a", then "c b": the "b" every match of most of these
    needs is there (with none, no search would run at all), but mostly out of reach."""
    tokens = get_tokenizer().tokens(" ".join(["a"] * n + ["c", "b"]))
    spans = SpanTable()
    for i in range(0, n - 1, 2):
        spans.add(i, i + 1)
        spans.add(i, i + 2)
    ctx = MatchContext(tokens, {("class", "A"): spans})
    finditer(compile_pattern(parse(pattern)), ctx)
    return ctx.steps


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_steps_grow_linearly(pattern):
    counts = {n: steps(pattern, n) for n in LENGTHS}
    assert counts[100] > 0, pattern  # searched, not ruled out
    per_token = [counts[n] / n for n in LENGTHS]
    # Linear: the work per token stays flat (within a small factor for fixed per-sentence costs),
    # where a quadratic matcher's would grow 50-fold from 100 to 5,000 tokens.
    assert max(per_token) <= 1.5 * min(per_token), (pattern, counts)
    assert counts[5000] <= 60 * counts[100], (pattern, counts)


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
