"""The pattern language's abstract syntax: what a pattern means, independent of its spelling.

Nodes carry `offset`, the character offset of their source in the pattern string, so that
compile errors (an undefined class, a capture inside lookaround) point at the analyst's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---- token tests (inside one token) ----------------------------------------------------------


@dataclass(frozen=True)
class FieldIn:
    """`field` of the token is one of `values` (compared as written, after normalisation)."""

    field: str
    values: frozenset


@dataclass(frozen=True)
class FieldRegex:
    """`re.search(regex, field)`."""

    field: str
    regex: str
    ignore_case: bool = False


@dataclass(frozen=True)
class FieldCompare:
    """Numeric comparison of `num` or `length` with a constant; fails where there is no number."""

    field: str
    op: str
    number: float


@dataclass(frozen=True)
class Flag:
    """A boolean lexical attribute under spaCy's name, e.g. `is_digit`, `like_num`."""

    name: str


@dataclass(frozen=True)
class Not:
    test: Test


@dataclass(frozen=True)
class All:
    tests: tuple


@dataclass(frozen=True)
class Any_:
    tests: tuple


@dataclass(frozen=True)
class AnyToken:
    """`[]`: every token passes."""


Test = FieldIn | FieldRegex | FieldCompare | Flag | Not | All | Any_ | AnyToken

# ---- sequence nodes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tok:
    """Consume one token that passes `test`."""

    test: Test
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Seq:
    items: tuple
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Alt:
    """Alternatives in priority order: the first that leads to a match wins."""

    options: tuple
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Repeat:
    child: Node
    min: int
    max: int | None  # None: unbounded
    greedy: bool = True
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Capture:
    name: str
    child: Node
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SpanRef:
    """Consume a span supplied per sentence: `@class` (lexicon or fact type) or `<grammar>`."""

    kind: str  # "class" or "value"
    name: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Look:
    """Zero-width assertion that `child` matches ending here (behind) or starting here (ahead)."""

    child: Node
    ahead: bool
    negate: bool
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Anchor:
    """`^` (start of sentence) or `$` (end of sentence)."""

    end: bool
    offset: int = field(default=0, compare=False)


Node = Tok | Seq | Alt | Repeat | Capture | SpanRef | Look | Anchor


def walk(node: Node):
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, Seq):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Alt):
        for option in node.options:
            yield from walk(option)
    elif isinstance(node, Repeat | Capture | Look):
        yield from walk(node.child)


def can_be_empty(node: Node) -> bool:
    """Whether `node` can match zero tokens (ignoring zero-length spans from providers)."""
    if isinstance(node, Tok | SpanRef):
        return False
    if isinstance(node, Look | Anchor):
        return True
    if isinstance(node, Seq):
        return all(can_be_empty(i) for i in node.items)
    if isinstance(node, Alt):
        return any(can_be_empty(o) for o in node.options)
    if isinstance(node, Repeat):
        return node.min == 0 or can_be_empty(node.child)
    if isinstance(node, Capture):
        return can_be_empty(node.child)
    raise TypeError(node)


def bounded(node: Node) -> bool:
    """Whether every repetition in `node` has an upper bound (spans are finite too): a run
    of it from one position then dies within a few tokens."""
    return not any(isinstance(n, Repeat) and n.max is None for n in walk(node))



def max_tokens(node: Node) -> int | None:
    """The most tokens a match of `node` can cover; None where it is unbounded or holds a
    span (whose length only the sentence knows)."""
    if isinstance(node, Tok):
        return 1
    if isinstance(node, Look | Anchor):
        return 0
    if isinstance(node, SpanRef):
        return None
    if isinstance(node, Capture):
        return max_tokens(node.child)
    if isinstance(node, Repeat):
        child = max_tokens(node.child)
        return None if child is None or node.max is None else child * node.max
    parts = [max_tokens(n) for n in (node.items if isinstance(node, Seq) else node.options)]
    if any(p is None for p in parts):
        return None
    return sum(parts) if isinstance(node, Seq) else max(parts, default=0)
