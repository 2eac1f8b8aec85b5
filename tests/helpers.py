"""Shared helpers for tests: match a pattern over a sentence and show results as text."""

from __future__ import annotations

from engine.matching.lexicon import Lexicon
from engine.matching.vm import MatchContext, SpanTable, finditer
from engine.patterns.compiler import compile_pattern
from engine.patterns.parser import parse
from engine.rules.model import LexiconEntry
from engine.text.tokens import get_tokenizer

LEXICON = [
    LexiconEntry("force", "iraqi_army", ("Iraqi army", "Iraqi troops", "troops", "forces"), "t", 1),
    LexiconEntry("force", "pmf", ("PMF", "PMF forces", "Popular Mobilization Forces"), "t", 1),
    LexiconEntry("place", "Mosul", ("Mosul",), "t", 1),
    LexiconEntry("place", "Tal Afar", ("Tal Afar",), "t", 1),
]


def matches(pattern: str, text: str) -> list[tuple]:
    """[(matched text, {capture: [texts]})] for every match of `pattern` in `text`."""
    tokens = get_tokenizer().tokens(text)
    spans: dict = {}
    for cls, s, e, value in Lexicon(LEXICON, get_tokenizer()).find(tokens):
        spans.setdefault(("class", cls), SpanTable()).add(s, e, value)
    ctx = MatchContext(tokens, spans)
    out = []
    for m in finditer(compile_pattern(parse(pattern)), ctx):
        def show(s, e):
            return text[tokens[s].start:tokens[e - 1].end] if e > s else ""

        caps = {name: [show(s, e) for s, e in spans_] for name, spans_ in m.captures.items()}
        out.append((show(m.start, m.end), caps))
    return out


def texts(pattern: str, text: str) -> list[str]:
    return [m[0] for m in matches(pattern, text)]
