"""Compile a pattern AST into a program for the matching VM (engine/matching/vm.py).

The program is a flat list of instructions in the style of Thompson/Pike: consuming
instructions (one token, or one span from a provider) and epsilon instructions (split, jump,
capture marks, assertions). Lookaround bodies compile into programs of their own, run by the VM
as whole-sentence scans that yield one boolean per position, so they never cost backtracking.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from engine.patterns import ast
from engine.patterns.requirements import keys_of_test, span_requirements, token_requirements

# Opcodes. Instructions are tuples (op, a, b) to keep the VM's inner loop cheap.
TOK, SPLIT, JMP, OPEN, CLOSE, SPAN, ASSERT, MATCH = range(8)

# Assertion kinds
AT_START, AT_END, LOOK = range(3)

_COMPARE = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}


@dataclass
class Look:
    """A lookaround body. `program` scans the whole sentence once (forward for lookbehind,
    over reversed tokens for lookahead); a body of bounded length also has `anchored`, run
    from one position outward (reversed for lookbehind), so that a cue checked at a few
    positions costs a few steps, not a scan."""

    program: Program
    ahead: bool
    negate: bool
    anchored: Program | None = None
    key: int = -1  # what it asserts (ahead, negate, body AST), interned: equal across rules
    required: tuple = ()  # token keys the body needs (as Program.required): absent, no match
    required_spans: tuple = ()  # span keys the body needs (as Program.required_spans)
    # Where each way the body can match is a fixed run of tokens or one span (`(?! the | a)`,
    # `(?<= [norm=town|village] of)`, `(?<! @irrealis)`, most lookarounds of a pack): those
    # ways, as ("tokens", compiled tests in text order) or ("span", key). The VM then tests
    # the tokens beside the position, or reads the table there, instead of running the body.
    peek: tuple | None = None


@dataclass
class Program:
    code: list[tuple] = field(default_factory=list)
    looks: list[Look] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # capture names by slot
    reverse: bool = False  # consumes tokens right to left (lookahead bodies)
    span_keys: set = field(default_factory=set)  # (kind, name) of every span the program uses
    # per capture name: the span keys where its value comes from, in the pattern's order
    value_keys: dict[str, tuple] = field(default_factory=dict)
    # Where a match can start (see _first_filter): a token whose field is among values
    # ((field, values) pairs), or that passes one of the other tests, or a span of a key.
    first_lookups: tuple = ()
    first_others: tuple = ()
    first_spans: tuple = ()
    skips: bool = False  # whether the three say where matches can start
    # Token keys every match holds one of, per set ((field, values) pairs per set, see
    # requirements.py): no match starts after the last token holding a key of each set.
    required: tuple = ()
    # Span keys ((kind, name) pairs) every match consumes a span of one of, per set: where
    # all of a set's tables are empty, the program does not run.
    required_spans: tuple = ()
    # The compiled matcher's own form of `code` (engine/matching/_vm.pyx), made on first use.
    native: object = field(default=None, repr=False, compare=False)
    # per capture name: every span key in the order its value is looked for (api._span_value),
    # as vm.keyed pairs: the process's own, not pickled
    value_order: dict = field(default_factory=dict, repr=False, compare=False)
    # whether finditer may run it depth-first (backtracks(), made on first use)
    depth_first: object = field(default=None, repr=False, compare=False)
    # Where every match passes a token of a few words or a span at a point its pattern fixes
    # (a pivot: "killed" in "( the? @militant_group )? killed @victims"), the ways to get there
    # (see _pivots): per way, the pattern before the pivot compiled reversed, and the pivot's
    # token tests as first_lookups and first_others say them, or its span keys. A match can
    # start only where such a reversed prefix, run back from its pivot, ends.
    pivots: tuple = ()

    def __len__(self) -> int:
        return len(self.code)

    def __getstate__(self) -> dict:
        # the compiled form and the key ids are the process's: made again on first use
        return {**self.__dict__, "native": None, "value_order": {}}


def backtracks(program: Program) -> bool:
    """Whether the VM may find the program's matches depth-first, each (instruction,
    position) state visited once (vm._depth_first), rather than by threads in lockstep: where
    no loop can go round without consuming a token. Both find the same matches and captures
    there (tests/test_vm_depth_first.py), the first far more cheaply on sentences; a loop
    whose body can match nothing is where the two ways of cutting it short part."""
    if program.depth_first is None:
        program.depth_first = not _loops_over_nothing(program.code)
    return program.depth_first


def _loops_over_nothing(code: list[tuple]) -> bool:
    """Whether a path of instructions that consume nothing (splits, jumps, capture marks,
    assertions) leads from one of them back to itself."""
    state = [0] * len(code)  # 0 not seen, 1 on the path being followed, 2 done
    for root in range(len(code)):
        if state[root]:
            continue
        state[root] = 1
        path = [(root, iter(_moves(code, root)))]
        while path:
            pc, moves = path[-1]
            nxt = next(moves, None)
            if nxt is None:
                state[pc] = 2
                path.pop()
            elif state[nxt] == 1:
                return True
            elif state[nxt] == 0:
                state[nxt] = 1
                path.append((nxt, iter(_moves(code, nxt))))
    return False


def _moves(code: list[tuple], pc: int) -> tuple[int, ...]:
    """Where instruction pc goes without consuming a token."""
    op, a, b = code[pc]
    if op == SPLIT:
        return (a, b)
    if op == JMP:
        return (a,)
    if op in (OPEN, CLOSE, ASSERT):
        return (pc + 1,)
    return ()


@lru_cache(maxsize=65_536)
def compile_test(test: ast.Test) -> Callable:
    """A token predicate for a token test: one generated function, so that a test such as
    `[is_title & !is_stop & !lemma=march|may]` costs one call per token, not one per part
    (the VM runs token tests more often than anything else). Constants reach the function
    through its namespace, never through its source. Equal tests share one function; each
    knows its test, which is how a compiled pack is pickled (engine/cache.py)."""
    namespace: dict[str, object] = {}
    source = f"lambda tok: {_test_source(test, namespace)}"
    function = eval(source, namespace)  # noqa: S307 (source built from the AST's structure only)
    function.token_test = test
    return function


def _test_source(test: ast.Test, namespace: dict) -> str:
    def const(value) -> str:
        name = f"_c{len(namespace)}"
        namespace[name] = value
        return name

    if isinstance(test, ast.AnyToken):
        return "True"
    fields = (ast.FieldIn, ast.FieldRegex, ast.FieldCompare)
    if isinstance(test, fields) and not test.field.isidentifier():
        raise ValueError(f"bad field name {test.field!r}")
    if isinstance(test, ast.FieldIn):
        if len(test.values) == 1:
            (value,) = test.values
            return f"tok.{test.field} == {const(value)}"
        return f"tok.{test.field} in {const(test.values)}"
    if isinstance(test, ast.FieldRegex):
        search = re.compile(test.regex, re.IGNORECASE if test.ignore_case else 0).search
        return f"{const(search)}(tok.{test.field}) is not None"
    if isinstance(test, ast.FieldCompare):
        compare, number = const(_COMPARE[test.op]), const(test.number)
        if test.field == "length":
            return f"{compare}(len(tok.text), {number})"
        return f"(tok.num is not None and {compare}(tok.num, {number}))"
    if isinstance(test, ast.Flag):
        return f"{const(test.name)} in tok.flags"
    if isinstance(test, ast.Not):
        return f"not ({_test_source(test.test, namespace)})"
    if isinstance(test, ast.All):
        return " and ".join(f"({_test_source(t, namespace)})" for t in test.tests) or "True"
    if isinstance(test, ast.Any_):
        return " or ".join(f"({_test_source(t, namespace)})" for t in test.tests) or "False"
    raise TypeError(f"unknown token test {test!r}")


_LOOK_KEYS: dict[tuple, int] = {}  # what a lookaround asserts -> a small int naming it
_SPAN_KEYS: dict[tuple, tuple] = {}


def span_key(kind: str, name: str) -> tuple[str, str]:
    """The key of a span table, ("class", "force") or ("value", "date"), as one shared tuple
    per process: span tables are looked up by key hundreds of thousands of times a corpus,
    and a dict finds the very object it holds without comparing it element by element."""
    key = (kind, name)
    return _SPAN_KEYS.setdefault(key, key)


class _Emitter:
    def __init__(self, program: Program):
        self.p = program
        self.code = program.code

    def emit(self, op: int, a=None, b=None) -> int:
        self.code.append((op, a, b))
        return len(self.code) - 1

    def patch(self, at: int, a=None, b=None) -> None:
        op, old_a, old_b = self.code[at]
        self.code[at] = (op, old_a if a is None else a, old_b if b is None else b)

    def slot(self, name: str) -> int:
        if name not in self.p.names:
            self.p.names.append(name)
        return self.p.names.index(name)

    def node(self, node: ast.Node) -> None:
        reverse = self.p.reverse
        if isinstance(node, ast.Tok):
            self.emit(TOK, compile_test(node.test), node.test)
        elif isinstance(node, ast.Seq):
            for item in (reversed(node.items) if reverse else node.items):
                self.node(item)
        elif isinstance(node, ast.Alt):
            jumps = []
            for option in node.options[:-1]:
                split = self.emit(SPLIT)
                self.patch(split, a=split + 1)
                self.node(option)
                jumps.append(self.emit(JMP))
                self.patch(split, b=len(self.code))
            self.node(node.options[-1])
            for jump in jumps:
                self.patch(jump, a=len(self.code))
        elif isinstance(node, ast.Repeat):
            self.repeat(node)
        elif isinstance(node, ast.Capture):
            inside = [span_key(n.kind, n.name) for n in ast.walk(node.child)
                      if isinstance(n, ast.SpanRef)]
            known = self.p.value_keys.get(node.name, ())
            self.p.value_keys[node.name] = known + tuple(k for k in inside if k not in known)
            slot = self.slot(node.name)
            first, last = (CLOSE, OPEN) if reverse else (OPEN, CLOSE)
            self.emit(first, slot)
            self.node(node.child)
            self.emit(last, slot)
        elif isinstance(node, ast.SpanRef):
            key = span_key(node.kind, node.name)
            self.p.span_keys.add(key)
            self.emit(SPAN, key)
        elif isinstance(node, ast.Anchor):
            self.emit(ASSERT, AT_END if node.end else AT_START)
        elif isinstance(node, ast.Look):
            body = compile_body(node.child, reverse=node.ahead)
            anchored = None
            if ast.bounded(node.child):
                anchored = compile_body(node.child, reverse=not node.ahead)
            asserts = (node.ahead, node.negate, node.child)
            key = _LOOK_KEYS.setdefault(asserts, len(_LOOK_KEYS))
            self.p.looks.append(Look(body, node.ahead, node.negate, anchored, key,
                                     token_requirements(node.child),
                                     span_requirements(node.child), peek_options(node.child)))
            self.p.span_keys |= body.span_keys
            self.emit(ASSERT, LOOK, len(self.p.looks) - 1)
        else:
            raise TypeError(f"unknown node {node!r}")

    def repeat(self, node: ast.Repeat) -> None:
        for _ in range(node.min):
            self.node(node.child)
        if node.max is None:
            loop = self.emit(SPLIT)
            self.node(node.child)
            self.emit(JMP, loop)
            end = len(self.code)
            self.patch(loop, *((loop + 1, end) if node.greedy else (end, loop + 1)))
            return
        # (e (e (e)?)?)? — each optional copy is only tried after the previous one matched.
        splits = []
        for _ in range(node.max - node.min):
            splits.append(self.emit(SPLIT))
            self.node(node.child)
        end = len(self.code)
        for split in splits:
            self.patch(split, *((split + 1, end) if node.greedy else (end, split + 1)))


MAX_PEEK_OPTIONS = 16  # past this many ways, a lookaround's body is run, not peeked at


def _token_runs(node: ast.Node) -> list[tuple] | None:
    """Every run of token tests `node` can match, where it matches only such fixed runs
    (tokens, alternatives, short bounded repeats); None otherwise, or past MAX_PEEK_OPTIONS."""
    if isinstance(node, ast.Tok):
        return [(node.test,)]
    if isinstance(node, ast.Alt):
        runs = []
        for option in node.options:
            found = _token_runs(option)
            if found is None:
                return None
            runs += found
        return runs if len(runs) <= MAX_PEEK_OPTIONS else None
    if isinstance(node, ast.Seq):
        parts = [_token_runs(item) for item in node.items]
    elif isinstance(node, ast.Repeat) and node.max is not None and node.max <= MAX_PEEK_OPTIONS:
        child = _token_runs(node.child)  # min copies of it, then up to max - min optional ones
        parts = [child] * node.min + [None if child is None else [(), *child]] * (
            node.max - node.min)
    else:
        return None  # spans, unbounded or long repeats, lookarounds, anchors
    runs = [()]
    for part in parts:
        if part is None:
            return None
        runs = list(dict.fromkeys(run + more for run in runs for more in part))
        if len(runs) > MAX_PEEK_OPTIONS:
            return None
    return runs


def peek_options(node: ast.Node) -> tuple | None:
    """A lookaround body's ways to match, where each is a fixed run of tokens or one span
    (Look.peek); None where it has others, or can match nothing (then it is run)."""
    options = node.options if isinstance(node, ast.Alt) else (node,)
    out = []
    for option in options:
        if isinstance(option, ast.SpanRef):
            out.append(("span", span_key(option.kind, option.name)))
            continue
        runs = _token_runs(option)
        if runs is None or any(not run for run in runs):
            return None
        out += [("tokens", tuple(map(compile_test, run))) for run in runs]
    out = list(dict.fromkeys(out))
    return tuple(out) if len(out) <= MAX_PEEK_OPTIONS else None


def compile_body(node: ast.Node, reverse: bool = False) -> Program:
    """A program for `node` alone, ending in MATCH (no overall capture marks)."""
    program = Program(reverse=reverse)
    emitter = _Emitter(program)
    emitter.node(node)
    emitter.emit(MATCH)
    return program


def _first_tests(code: list[tuple]) -> tuple[list, set] | None:
    """The token tests and span keys reachable from the start of `code` without consuming: a
    non-empty match begins with a token passing one of the tests or a span of one of the
    keys (assertions consume nothing and an empty path is never a match, so both are looked
    through). None where any token can begin one."""
    stack, seen, tests, spans = [0], set(), [], set()
    while stack:
        pc = stack.pop()
        if pc in seen:
            continue
        seen.add(pc)
        op, a, b = code[pc]
        if op == TOK:
            if isinstance(b, ast.AnyToken):
                return None
            tests.append(b)
        elif op == SPAN:
            spans.add(a)
        elif op == SPLIT:
            stack += [a, b]
        elif op == JMP:
            stack.append(a)
        elif op in (OPEN, CLOSE, ASSERT):
            stack.append(pc + 1)
    return tests, spans


def _split_tests(tests: list) -> tuple[tuple, tuple]:
    """Token tests as the VM looks them up: (field, values) pairs for the field-in tests, one
    per field, and the other tests compiled."""
    by_field: dict[str, set] = {}
    others = []
    for test in tests:
        if isinstance(test, ast.FieldIn):
            by_field.setdefault(test.field, set()).update(test.values)
        else:
            others.append(compile_test(test))
    return tuple((f, frozenset(v)) for f, v in by_field.items()), tuple(others)


def _first_filter(program: Program, found: tuple[list, set] | None) -> None:
    """Set what a (non-empty) match must start with, the program's _first_tests (`found`).
    The VM then skips, when idle, to positions where a match can start."""
    if found is None:
        return  # any token can start a match: no skipping
    tests, spans = found
    program.first_lookups, program.first_others = _split_tests(tests)
    program.first_spans = tuple(sorted(spans))
    program.skips = True


# Past this many ways to reach a pivot, matches start where their first tokens say.
MAX_PIVOTS = 16


def _cuts(node: ast.Node) -> list[tuple[tuple, object]] | None:
    """How every match of `node` begins, as (items before, pivot) pairs: the items match up to
    the pivot, a token test naming a few words (its lemmas, norms or texts) or a span key,
    which every match passes next. None where some match need pass no such pivot."""
    if isinstance(node, ast.Tok):
        return [((), node.test)] if keys_of_test(node.test) else None
    if isinstance(node, ast.SpanRef):
        return [((), span_key(node.kind, node.name))]
    if isinstance(node, ast.Capture):
        return _cuts(node.child)
    if isinstance(node, ast.Repeat):
        return _cuts(node.child) if node.min >= 1 else None  # in its first copy
    if isinstance(node, ast.Alt):
        cuts: list = []
        for option in node.options:
            found = _cuts(option)
            if found is None:
                return None
            cuts += found
        return cuts if len(cuts) <= MAX_PIVOTS else None
    if isinstance(node, ast.Seq):
        for k, item in enumerate(node.items):
            found = None if ast.can_be_empty(item) else _cuts(item)
            if found is not None:  # else the item joins what comes before a later pivot
                return [(tuple(node.items[:k]) + before, pivot) for before, pivot in found]
    return None  # lookarounds and anchors consume nothing


def _consumes(node: ast.Node) -> bool:
    """Whether a match of `node` can consume a token (a lookaround's body does not count)."""
    if isinstance(node, ast.Tok | ast.SpanRef):
        return True
    if isinstance(node, ast.Seq | ast.Alt):
        return any(map(_consumes, node.items if isinstance(node, ast.Seq) else node.options))
    return isinstance(node, ast.Repeat | ast.Capture) and _consumes(node.child)


def _loops(node: ast.Node) -> bool:
    """Whether `node` holds an unbounded loop (outside lookarounds), which can carry a match
    back from its pivot over any stretch of the sentence: the walks back from one pivot and
    the next would then cover the same stretch, where a search covers it once."""
    if isinstance(node, ast.Repeat) and node.max is None:
        return True
    if isinstance(node, ast.Seq | ast.Alt):
        return any(map(_loops, node.items if isinstance(node, ast.Seq) else node.options))
    return isinstance(node, ast.Repeat | ast.Capture) and _loops(node.child)


def _pivots(program: Program, node: ast.Node, first: tuple[list, set] | None) -> None:
    """Set the program's pivots (Program.pivots) where the pattern has them (_cuts) and they
    pay. Most tokens a match could start at by its first tokens alone (a capitalised word,
    "the", an actor's name) lead to no pivot within reach: they are never tried, where each
    would cost a few dozen of the VM's steps to fail. A match starting at s consumes a prefix
    from s to where its pivot begins, so s is among the positions the reversed prefix reaches
    from there; the pivot and what follows are left to the search. They do not pay where
    nothing is consumed before a pivot (the first tokens say as much), where a prefix loops
    without bound (see _loops), or where matches start at a few words or spans anyway and a
    pivot is a span (an actor: as common as the starts it would rule out). `first`: the
    program's _first_tests."""
    cuts = _cuts(node)
    if not cuts:
        return
    prefixes = [item for before, _ in cuts for item in before]
    selective = first is not None and all(keys_of_test(test) for test in first[0])
    if (not any(map(_consumes, prefixes)) or any(map(_loops, prefixes))
            or (selective and any(isinstance(pivot, tuple) for _, pivot in cuts))):
        return
    ways: dict[tuple, tuple[list, list]] = {}
    for before, pivot in cuts:
        tests, spans = ways.setdefault(before, ([], []))
        (spans if isinstance(pivot, tuple) else tests).append(pivot)
    program.pivots = tuple(
        (compile_body(ast.Seq(before), reverse=True), *_split_tests(tests),
         tuple(dict.fromkeys(spans)))
        for before, (tests, spans) in ways.items())


def compile_pattern(node: ast.Node) -> Program:
    """The program of a whole pattern."""
    program = compile_body(node)
    first = _first_tests(program.code)
    _first_filter(program, first)
    _pivots(program, node, first)
    program.required = token_requirements(node)
    program.required_spans = span_requirements(node)
    return program
