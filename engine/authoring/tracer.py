"""Why a pattern did not match: the furthest token it reached and the elements that failed there.

The matcher (engine/matching/vm.py) runs every thread in lockstep and keeps no history, which is
what makes it linear; it cannot say where a failed attempt got stuck. So `assay explain` runs a
second, separate interpreter: a small backtracking walk over the pattern's AST that records,
for every element that fails, the token position and the path of elements matched before it.
Which failure explains best:

1. a lookaround that stopped a match: if the pattern would match with one failing lookaround
   ignored, that lookaround is the reason ("Forces plan to recapture 45 villages": the
   lookbehind for "plan … to" failed at "recapture");
2. otherwise the attempt that got furthest through the pattern's specific elements (words,
   token tests, spans — not `[]` gaps, which can always stretch further), then furthest
   through the sentence;
3. if no attempt matched anything, the first element a match must start with.

Backtracking can be exponential, so the walk is only run on short sentences and stops after a
fixed number of steps; it is never on the extraction path.

Its semantics are those of docs/patterns.md for *whether* a pattern matches (captures and
priorities only matter for which match wins, which the real matcher reports).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.patterns import ast
from engine.patterns.compiler import compile_test

MAX_TOKENS = 120  # longer sentences are not traced
MAX_STEPS = 200_000


class _GiveUp(Exception):
    """The step budget is spent."""


@dataclass(frozen=True)
class Step:
    """One element of the path that consumed tokens [start, end)."""

    node: object
    start: int
    end: int
    capture: str | None


@dataclass
class Failure:
    """Where an attempt got stuck: the position, what was expected there, and the path
    (elements matched before it) of the first attempt that got that far. `blocked` is the
    match the pattern would have found there without the failing lookaround."""

    pos: int
    expected: list[tuple[object, str | None]] = field(default_factory=list)  # (node, capture)
    path: tuple[Step, ...] = ()
    start: int = 0
    blocked: tuple[int, int] | None = None  # (start, end) of the match a lookaround stopped


@dataclass
class Trace:
    matched: bool
    failure: Failure | None
    gave_up: bool = False  # the step budget ran out; the failure is the furthest seen so far
    too_long: bool = False


class _Tracer:
    def __init__(self, root: ast.Node, tokens, span_table: Callable):
        self.root, self.tokens, self.n = root, tokens, len(tokens)
        self.span_table = span_table  # key -> SpanTable
        self.steps = 0
        self.quiet = 0  # inside lookaround bodies failures are not the pattern's failures
        self.best: Failure | None = None
        self.rank: tuple = ()
        self.fallback: Failure | None = None  # the first failure at a match's first element
        self.bypass = False  # second pass: may one failing lookaround be ignored?
        self.start = 0
        self.tests: dict[int, Callable] = {}
        self.looks: dict[tuple[int, int], bool] = {}

    def fail(self, pos: int, node, path: tuple, capture: str | None) -> bool:
        """Record a failed element. Only attempts that got somewhere count: those that had
        consumed tokens, or were stopped by a lookaround (the usual reason a rule "should have"
        matched). An attempt that fails at its first token says only that the match does not
        start there; the first of those is kept in case nothing better turns up."""
        if self.quiet or self.bypass:
            return False
        if not path and not isinstance(node, ast.Look):
            if self.fallback is None:
                self.fallback = Failure(pos, [(node, capture)], path, self.start)
            elif self.fallback.start == self.start and self.fallback.pos == pos and not any(
                    n is node for n, _ in self.fallback.expected):
                self.fallback.expected.append((node, capture))
            return False
        rank = (sum(_specific(step.node) for step in path), pos)
        best = self.best
        if best is None or rank > self.rank:
            self.best, self.rank = Failure(pos, [(node, capture)], path, self.start), rank
        elif rank == self.rank and not any(n is node for n, _ in best.expected):
            best.expected.append((node, capture))
        return False

    def test(self, node: ast.Tok) -> Callable:
        key = id(node)
        if key not in self.tests:
            self.tests[key] = compile_test(node.test)
        return self.tests[key]

    def match(self, node, pos: int, path: tuple, cap: str | None, k: Callable) -> bool:
        """Try `node` at `pos`; on success call `k(end, path)`; True once `k` accepts."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _GiveUp
        if isinstance(node, ast.Tok):
            if pos < self.n and self.test(node)(self.tokens[pos]):
                return k(pos + 1, path + (Step(node, pos, pos + 1, cap),))
            return self.fail(pos, node, path, cap)
        if isinstance(node, ast.SpanRef):
            ends = self.span_table((node.kind, node.name)).ends_from(pos)
            if not ends:
                return self.fail(pos, node, path, cap)
            return any(k(end, path + (Step(node, pos, end, cap),)) for end in ends)
        if isinstance(node, ast.Seq):
            return self.seq(node.items, 0, pos, path, cap, k)
        if isinstance(node, ast.Alt):
            return any(self.match(option, pos, path, cap, k) for option in node.options)
        if isinstance(node, ast.Capture):
            return self.match(node.child, pos, path, node.name, k)
        if isinstance(node, ast.Repeat):
            return self.repeat(node, 0, pos, path, cap, k)
        if isinstance(node, ast.Anchor):
            if pos == (self.n if node.end else 0):
                return k(pos, path)
            return self.fail(pos, node, path, cap)
        if isinstance(node, ast.Look):
            if self.look(node, pos) != node.negate:
                return k(pos, path)
            if self.bypass and not self.quiet and not any(isinstance(step.node, ast.Look)
                                                          for step in path):
                return k(pos, path + (Step(node, pos, pos, cap),))  # go on as if it held
            return self.fail(pos, node, path, cap)
        raise TypeError(node)

    def seq(self, items, i, pos, path, cap, k) -> bool:
        if i == len(items):
            return k(pos, path)
        return self.match(items[i], pos, path, cap,
                          lambda p, pa: self.seq(items, i + 1, p, pa, cap, k))

    def repeat(self, node: ast.Repeat, count: int, pos: int, path, cap, k) -> bool:
        if count < node.min:
            return self.match(node.child, pos, path, cap,
                              lambda p, pa: self.repeat(node, count + 1, p, pa, cap, k))
        bounded = node.max is not None
        if bounded and count >= node.max:
            return k(pos, path)

        def more() -> bool:
            # An iteration of an unbounded loop that consumes nothing ends the loop.
            return self.match(node.child, pos, path, cap, lambda p, pa: (
                (bounded or p > pos) and self.repeat(node, count + 1, p, pa, cap, k)))

        if node.greedy:
            return more() or k(pos, path)
        return k(pos, path) or more()

    def look(self, node: ast.Look, pos: int) -> bool:
        """Whether the lookaround body matches starting (ahead) or ending (behind) at `pos`."""
        key = (id(node), pos)
        if key not in self.looks:
            self.quiet += 1
            try:
                if node.ahead:
                    found = self.match(node.child, pos, (), None, lambda p, pa: True)
                else:
                    found = any(self.match(node.child, s, (), None, lambda p, pa: p == pos)
                                for s in range(pos, -1, -1))
            finally:
                self.quiet -= 1
            self.looks[key] = found
        return self.looks[key]

    def run(self) -> bool:
        for start in range(self.n):
            self.start = start
            if self.match(self.root, start, (), None, lambda p, pa, s=start: p > s):
                return True
        return False

    def blocked(self) -> Failure | None:
        """The leftmost match that only a single failing lookaround prevented."""
        self.bypass = True
        found: list = []

        def accept(end: int, path: tuple, start: int) -> bool:
            if end > start:
                found.append((start, end, path))
                return True
            return False

        for start in range(self.n):
            if self.match(self.root, start, (), None,
                          lambda p, pa, s=start: accept(p, pa, s)):
                break
        self.bypass = False
        if not found:
            return None
        start, end, path = found[0]
        i = next(i for i, step in enumerate(path) if isinstance(step.node, ast.Look))
        look = path[i]
        return Failure(look.start, [(look.node, look.capture)], path[:i], start, (start, end))


def trace(root: ast.Node, tokens, span_table: Callable) -> Trace:
    """Whether `root` matches the sentence `tokens`, and if not, the furthest failure.
    `span_table(key)` gives the SpanTable of ("class", name) or ("value", name)."""
    if len(tokens) > MAX_TOKENS:
        return Trace(False, None, too_long=True)
    tracer = _Tracer(root, tokens, span_table)
    try:
        if tracer.run():
            return Trace(True, None)
        blocked = tracer.blocked()
    except (_GiveUp, RecursionError):
        return Trace(False, tracer.best or tracer.fallback, gave_up=True)
    return Trace(False, blocked or tracer.best or tracer.fallback)


def _specific(node) -> bool:
    """Whether an element pins the match down: not a `[]` gap (nor a bypassed lookaround)."""
    if isinstance(node, ast.Tok):
        return not isinstance(node.test, ast.AnyToken)
    return isinstance(node, ast.SpanRef)


# ---- how elements are named: the analyst's own pattern text where we have it ------------------

_NAME = re.compile(r"[@<]?[A-Za-z_][\w.-]*>?")
_LIST = re.compile(r"((?:[\w'.-]+\|){3})[\w'.|-]+")


def element_text(node, pattern: str | None, limit: int = 60) -> str:
    """The source of one pattern element (from its offset in `pattern`), or a rendering of its
    AST where there is no source (spaCy patterns); long texts are shortened in the middle."""
    text = _source(node, pattern) if pattern else None
    if text is None:
        text = ast_text(node)
    text = " ".join(text.split())
    if len(text) > limit:  # long value lists first: [lemma=plan|aim|fail|…]
        text = _LIST.sub(r"\1…", text)
    if len(text) > limit:
        text = text[:limit - 6] + "…" + text[-5:]
    return text


def _source(node, pattern: str) -> str | None:
    start = getattr(node, "offset", None)
    if start is None or not 0 <= start < len(pattern):
        return None
    end = _scan(pattern, start)
    return pattern[start:end] if end > start else None


def _scan(text: str, i: int) -> int:
    """End of the element starting at text[i]: a bracketed test, a group or lookaround, a
    quoted string, a name, or a bare word."""
    opener = text[i]
    if opener in "[(":
        depth, quote, regex = 0, None, False
        j = i
        while j < len(text):
            c = text[j]
            if quote:
                if c == "\\":
                    j += 1
                elif c == quote:
                    quote = None
            elif regex:
                if c == "\\":
                    j += 1
                elif c == "/":
                    regex = False
            elif c in "\"'":
                quote = c
            elif c == "/" and text[:j].rstrip()[-1:] in ("[", "=", "|", "&", "!", "("):
                regex = True
            elif c in "[(":
                depth += 1
            elif c in "])":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        return len(text)
    if opener in "\"'":
        j = i + 1
        while j < len(text) and text[j] != opener:
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, len(text))
    if opener in "^$":
        return i + 1
    m = _NAME.match(text, i)
    if m and opener in "@<":
        return m.end()
    j = i
    while j < len(text) and not text[j].isspace() and text[j] not in "()|[]{}?*+\"":
        j += 1
    return j


def _test_text(test) -> str:
    if isinstance(test, ast.AnyToken):
        return ""
    if isinstance(test, ast.FieldIn):
        return f"{test.field}={'|'.join(sorted(map(str, test.values)))}"
    if isinstance(test, ast.FieldRegex):
        return f"{test.field}=/{test.regex}/{'i' if test.ignore_case else ''}"
    if isinstance(test, ast.FieldCompare):
        number = int(test.number) if float(test.number).is_integer() else test.number
        return f"{test.field}{test.op}{number}"
    if isinstance(test, ast.Flag):
        return test.name
    if isinstance(test, ast.Not):
        return f"!{_test_text(test.test)}"
    if isinstance(test, ast.All):
        return " & ".join(_test_text(t) for t in test.tests)
    if isinstance(test, ast.Any_):
        return " | ".join(_test_text(t) for t in test.tests)
    return "?"


def ast_text(node) -> str:
    """A pattern element written back in the pattern language (for patterns with no source)."""
    if isinstance(node, ast.Tok):
        return f"[{_test_text(node.test)}]"
    if isinstance(node, ast.SpanRef):
        return f"@{node.name}" if node.kind == "class" else f"<{node.name}>"
    if isinstance(node, ast.Anchor):
        return "$" if node.end else "^"
    if isinstance(node, ast.Look):
        kind = ("?=" if not node.negate else "?!") if node.ahead else (
            "?<=" if not node.negate else "?<!")
        return f"({kind} {ast_text(node.child)})"
    if isinstance(node, ast.Seq):
        return " ".join(ast_text(i) for i in node.items)
    if isinstance(node, ast.Alt):
        return "(" + " | ".join(ast_text(o) for o in node.options) + ")"
    if isinstance(node, ast.Capture):
        return f"{node.name}:{ast_text(node.child)}"
    if isinstance(node, ast.Repeat):
        quant = {(0, 1): "?", (0, None): "*", (1, None): "+"}.get((node.min, node.max))
        if quant is None:
            quant = f"{{{node.min},{'' if node.max is None else node.max}}}"
        inner = ast_text(node.child)
        if isinstance(node.child, ast.Seq | ast.Capture):
            inner = f"({inner})"
        return inner + quant + ("" if node.greedy else "?")
    return "?"
