"""Static analysis of patterns: token tests that no token can pass, alternatives that can never
be chosen, words that are not lemmas. Used by `assay check` to warn before a rule silently finds
nothing.

Everything here is conservative: a warning means the problem is certain (by the semantics of
docs/patterns.md), so analysts can afford `--strict`. Cases that cannot be decided without
knowing the vocabulary (does `[lemma=retake]` cover `retook`?) are not reported.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

from engine.patterns import ast

MAX_CONJUNCTIONS = 256  # bigger token tests are not analysed
# Flags no token has together (str.isupper/islower/istitle, isalpha/isdigit).
EXCLUSIVE_FLAGS = ({"is_upper", "is_lower"}, {"is_title", "is_lower"}, {"is_alpha", "is_digit"})


# ---- token tests: satisfiability --------------------------------------------------------------


def _dnf(test, negate: bool = False) -> list[list[tuple[object, bool]]] | None:
    """`test` as a disjunction of conjunctions of (atom, positive); None if too big."""
    if isinstance(test, ast.Not):
        return _dnf(test.test, not negate)
    if isinstance(test, ast.All | ast.Any_):
        parts = [_dnf(t, negate) for t in test.tests]
        if any(p is None for p in parts):
            return None
        conjunctive = isinstance(test, ast.All) != negate
        if not conjunctive:
            out = [c for p in parts for c in p]
        else:
            if math.prod(len(p) for p in parts) > MAX_CONJUNCTIONS:
                return None
            out = [[lit for c in combo for lit in c] for combo in itertools.product(*parts)]
        return out if len(out) <= MAX_CONJUNCTIONS else None
    return [[(test, not negate)]]


def _interval_ok(literals: list[ast.FieldCompare]) -> bool:
    """Whether some number passes every (positive) comparison."""
    low, low_open, high, high_open = -math.inf, False, math.inf, False
    equal: set[float] = set()
    for c in literals:
        if c.op == "=":
            equal.add(c.number)
        elif c.op in (">", ">=") and (c.number > low or (c.number == low and c.op == ">")):
            low, low_open = c.number, c.op == ">"
        elif c.op in ("<", "<=") and (c.number < high or (c.number == high and c.op == "<")):
            high, high_open = c.number, c.op == "<"
    if len(equal) > 1:
        return False

    def inside(x: float) -> bool:
        return (x > low or (x == low and not low_open)) and (x < high or (x == high and
                                                                         not high_open))
    if equal:
        return inside(next(iter(equal)))
    return low < high or (low == high and not low_open and not high_open)


def _contradiction(conjunction: list[tuple[object, bool]]) -> str | None:
    """Why no token passes all of these literals, or None if one might."""
    allowed: dict[str, frozenset] = {}
    excluded: dict[str, set] = {}
    flags_on, flags_off = set(), set()
    compares: dict[str, list] = {}
    for atom, positive in conjunction:
        if isinstance(atom, ast.AnyToken):
            if not positive:
                return "`![]` excludes every token"
        elif isinstance(atom, ast.FieldIn):
            if positive:
                before = allowed.get(atom.field)
                now = atom.values if before is None else before & atom.values
                if not now:
                    a = "|".join(sorted(before))
                    b = "|".join(sorted(atom.values))
                    return f"{atom.field} cannot be both {a} and {b}"
                allowed[atom.field] = now
            else:
                excluded.setdefault(atom.field, set()).update(atom.values)
        elif isinstance(atom, ast.Flag):
            (flags_on if positive else flags_off).add(atom.name)
        elif isinstance(atom, ast.FieldCompare) and positive:
            compares.setdefault(atom.field, []).append(atom)
    for name, values in allowed.items():
        if values <= excluded.get(name, set()):
            return f"{name} must be {'|'.join(sorted(values))} and must not be"
    both = flags_on & flags_off
    if both:
        return f"{sorted(both)[0]} must be set and unset"
    for pair in EXCLUSIVE_FLAGS:
        if pair <= flags_on:
            a, b = sorted(pair)
            return f"no token is both {a} and {b}"
    for name, literals in compares.items():
        if not _interval_ok(literals):
            return f"no {name} passes all of " + " & ".join(
                f"{name}{c.op}{c.number:g}" for c in literals)
    return None


def unsatisfiable(test) -> str | None:
    """Why no token can pass `test`, or None if some token might."""
    conjunctions = _dnf(test)
    if not conjunctions:
        return None
    reasons = [_contradiction(c) for c in conjunctions]
    return reasons[0] if all(reasons) else None


# ---- alternatives: shadowing ------------------------------------------------------------------


def implies(x, y) -> bool:
    """Whether every token that passes test `x` passes test `y` (True only when certain)."""
    if isinstance(y, ast.AnyToken) or x == y:
        return True
    if isinstance(x, ast.AnyToken):
        return False
    if isinstance(x, ast.Any_):
        return all(implies(t, y) for t in x.tests)
    if isinstance(y, ast.All):
        return all(implies(x, t) for t in y.tests)
    if isinstance(x, ast.All):
        return any(implies(t, y) for t in x.tests)
    if isinstance(y, ast.Any_):
        return any(implies(x, t) for t in y.tests)
    if isinstance(x, ast.FieldIn) and isinstance(y, ast.FieldIn):
        return x.field == y.field and x.values <= y.values
    if isinstance(x, ast.FieldIn) and isinstance(y, ast.Not) and isinstance(y.test, ast.FieldIn):
        return x.field == y.test.field and x.values.isdisjoint(y.test.values)
    return False


def _strip(node):
    while isinstance(node, ast.Capture):
        node = node.child
    return node


def subsumes(a, b) -> bool:
    """Whether every token sequence `b` matches, `a` matches too (True only when certain)."""
    a, b = _strip(a), _strip(b)
    if a == b:
        return True
    if isinstance(b, ast.Alt):
        return all(subsumes(a, o) for o in b.options)
    if isinstance(a, ast.Alt):
        return any(subsumes(o, b) for o in a.options)
    if isinstance(a, ast.Tok) and isinstance(b, ast.Tok):
        return implies(b.test, a.test)
    if isinstance(a, ast.Repeat) and isinstance(b, ast.Repeat):
        return subsumes(a.child, b.child) and a.min <= b.min and (
            a.max is None or (b.max is not None and b.max <= a.max))
    if isinstance(a, ast.Repeat):  # b as one iteration of a
        return a.min <= 1 and (a.max is None or a.max >= 1) and subsumes(a.child, b)
    if isinstance(a, ast.Seq) and isinstance(b, ast.Seq) and len(a.items) == len(b.items):
        return all(subsumes(x, y) for x, y in zip(a.items, b.items, strict=True))
    return False


def shadowed_options(alt: ast.Alt) -> list[tuple[int, int]]:
    """(later, earlier) option indices where the earlier option matches everything the later
    one does: leftmost-first tries the earlier first, so the later is never chosen."""
    out = []
    for j in range(1, len(alt.options)):
        for i in range(j):
            if subsumes(alt.options[i], alt.options[j]):
                out.append((j, i))
                break
    return out


# ---- lemma values that are not lemmas ---------------------------------------------------------


@lru_cache(maxsize=1)
def _lemma_table():
    from engine.text.tokens import lemma_table

    table = lemma_table()
    return table, frozenset(str(v).lower() for v in table.values())


def not_a_lemma(value: str) -> str | None:
    """The lemma of `value` if `value` is a word form whose lemma differs and that is no word's
    lemma, so `lemma=value` matches no token ("recaptured" → "recapture"); else None."""
    table, lemmas = _lemma_table()
    lemma = table.get(value)
    if lemma is None or lemma.lower() == value or value in lemmas:
        return None
    return lemma.lower()
