"""The VM's two ways of finding a program's matches agree: depth-first (vm._depth_first), which
runs every program whose loops consume a token each time round, and threads in lockstep
(vm._lockstep), which runs the others and is the older reference. Same matches, same captures,
on random patterns and texts; and which programs go which way."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from test_matcher_reference import patterns, sentences
from test_vm_native import PURE

import engine
from engine.patterns import ast
from engine.patterns.compiler import backtracks, compile_pattern
from engine.patterns.parser import parse
from engine.text.tokens import get_tokenizer


def _both(program, tokens, spans) -> tuple[list, list]:
    """(depth-first, lockstep) matches of `program`, each on a context of its own."""
    runs = []
    for way in (PURE._depth_first, PURE._lockstep):
        ctx = PURE.MatchContext(tokens, spans)
        plan = PURE.search_plan(program, ctx)
        found = [] if plan is None else way(program, ctx, *plan)
        runs.append([(m.start, m.end, m.captures) for m in found])
    return runs[0], runs[1]


def _loops_over_nothing(node) -> bool:
    """Whether an unbounded loop of the pattern, outside lookarounds (whose bodies are
    programs of their own), has a body that can match nothing."""
    if isinstance(node, ast.Look):
        return False
    if isinstance(node, ast.Repeat) and node.max is None and ast.can_be_empty(node.child):
        return True
    children = (node.items if isinstance(node, ast.Seq) else node.options
                if isinstance(node, ast.Alt) else [node.child]
                if isinstance(node, ast.Repeat | ast.Capture) else [])
    return any(_loops_over_nothing(child) for child in children)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), sentences())
def test_depth_first_finds_what_threads_in_lockstep_find(pattern, sentence):
    tokens, spans = sentence
    node = parse(pattern)
    program = compile_pattern(node)
    # a program goes depth-first exactly where no unbounded loop's body can match nothing
    assert backtracks(program) == (not _loops_over_nothing(node)), pattern
    if backtracks(program):
        depth_first, lockstep = _both(program, tokens, spans)
        assert depth_first == lockstep, pattern


def test_loops_and_captures_the_two_ways():
    """Cases where a path meets a state another path entered first: a later start, a loop's
    next round, a span's shorter end, a capture repeated in a loop."""
    tokens = get_tokenizer().tokens("a b a b b c a a b")
    cases = ["(a []* b) | a", "x:(a | b)+ c", "(x:(a | b))+ c", "(x:a b)+", "(a b | a) b*",
             "[]*? b (?! a)", "(a | b){1,3}? c", "y:(@X)+ a", "(@X | a b) b"]
    spans = {("class", "X"): PURE.SpanTable()}
    for start, end in [(0, 2), (0, 1), (2, 4), (6, 8), (7, 9)]:
        spans[("class", "X")].add(start, end)
    for pattern in cases:
        program = compile_pattern(parse(pattern))
        assert backtracks(program), pattern
        depth_first, lockstep = _both(program, tokens, spans)
        assert depth_first == lockstep, pattern
    assert _both(compile_pattern(parse("(x:(a | b))+ c")), tokens, spans)[0] == [
        (0, 6, {"x": [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]})]


def test_a_loop_over_nothing_keeps_threads_in_lockstep():
    for pattern in ["(a?)* b", "((x:(a)*? | a))* c", "((?= a))+ a", "(^ | a)+"]:
        assert not backtracks(compile_pattern(parse(pattern))), pattern
    for pattern in ["(a?){0,3} b", "(a b?)* c", "@X+", "(a | (?= b) b)*"]:
        assert backtracks(compile_pattern(parse(pattern))), pattern


def test_every_program_of_the_bundled_pack_runs_depth_first():
    """The pack's loops all consume (a rule that loops over nothing would run in lockstep,
    with the same facts, more slowly: this says so if one ever does)."""
    programs = [(c.rule.id, p) for c in engine.load().rules for p in c.programs]
    assert programs
    assert [rule for rule, p in programs if not backtracks(p)] == []
