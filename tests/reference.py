"""A brute-force backtracking matcher over the pattern AST: the executable specification the
VM is tested against. Exponential in the worst case, so only for small tests.

Semantics (docs/patterns.md): alternatives and quantifiers are tried in priority order (greedy
more first, lazy fewer first, alternatives left to right); the first path to succeed wins;
an iteration of an unbounded loop that consumes nothing is abandoned; empty matches are not
reported; the search resumes where the previous match ended.
"""

from __future__ import annotations

from engine.patterns import ast
from engine.patterns.compiler import compile_test


class Reference:
    def __init__(self, node: ast.Node, tokens, spans: dict):
        self.node = node
        self.tokens = tokens
        self.n = len(tokens)
        self.spans = spans
        self._tests: dict = {}

    def _test(self, test):
        fn = self._tests.get(id(test))
        if fn is None:
            fn = self._tests[id(test)] = compile_test(test)
        return fn

    def _ends(self, key, pos):
        table = self.spans.get(key)
        return table.by_start.get(pos, []) if table else []

    def look_true(self, node: ast.Look, pos: int) -> bool:
        if node.ahead:
            found = any(True for _ in self.match(node.child, pos, ()))
        else:
            found = any(end == pos for k in range(pos + 1)
                        for end, _ in self.match(node.child, k, ()))
        return found != node.negate

    def match(self, node, pos, caps):
        """Yield (end, captures) for every way `node` matches at `pos`, in priority order."""
        if isinstance(node, ast.Tok):
            if pos < self.n and self._test(node.test)(self.tokens[pos]):
                yield pos + 1, caps
        elif isinstance(node, ast.SpanRef):
            for end in self._ends((node.kind, node.name), pos):
                yield end, caps
        elif isinstance(node, ast.Seq):
            yield from self._seq(node.items, 0, pos, caps)
        elif isinstance(node, ast.Alt):
            for option in node.options:
                yield from self.match(option, pos, caps)
        elif isinstance(node, ast.Capture):
            for end, inner in self.match(node.child, pos, caps):
                yield end, inner + ((node.name, pos, end),)
        elif isinstance(node, ast.Anchor):
            if pos == (self.n if node.end else 0):
                yield pos, caps
        elif isinstance(node, ast.Look):
            if self.look_true(node, pos):
                yield pos, caps
        elif isinstance(node, ast.Repeat):
            yield from self._rep(node, 0, pos, caps)
        else:
            raise TypeError(node)

    def _seq(self, items, i, pos, caps):
        if i == len(items):
            yield pos, caps
            return
        for end, inner in self.match(items[i], pos, caps):
            yield from self._seq(items, i + 1, end, inner)

    def _rep(self, node, count, pos, caps):
        if count < node.min:
            for end, inner in self.match(node.child, pos, caps):
                yield from self._rep(node, count + 1, end, inner)
            return
        bounded = node.max is not None
        more = not bounded or count < node.max

        def iterations():
            if not more:
                return
            for end, inner in self.match(node.child, pos, caps):
                if not bounded and end == pos:
                    continue  # an empty iteration of an unbounded loop goes nowhere
                yield from self._rep(node, count + 1, end, inner)

        if node.greedy:
            yield from iterations()
            yield pos, caps
        else:
            yield pos, caps
            yield from iterations()

    def finditer(self):
        """[(start, end, {name: [(s, e), …]})] — leftmost-first, non-overlapping."""
        out = []
        pos = 0
        while pos <= self.n:
            found = None
            for start in range(pos, self.n + 1):
                for end, caps in self.match(self.node, start, ()):
                    if end > start:
                        found = (start, end, caps)
                        break
                if found:
                    break
            if not found:
                break
            start, end, caps = found
            captures: dict = {}
            for name, s, e in caps:
                captures.setdefault(name, []).append((s, e))
            out.append((start, end, captures))
            pos = end
        return out
