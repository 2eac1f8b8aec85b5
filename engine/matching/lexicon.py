"""Lexicon lookup: every alias of every entity class found in one pass per sentence.

Aliases are tokenised like documents and compared on the token norm (case, accents and quote
styles ignored). The sentence's norms are joined with single spaces and searched with an
Aho-Corasick automaton (pyahocorasick), so the cost does not grow with the number of entries.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate, count
from operator import add, attrgetter

import ahocorasick

from engine.rules.model import LexiconEntry
from engine.text.tokens import Tokenizer


def _joined(norms) -> str:
    """The words between single spaces (a space inside a word becomes "_"). Words never hold
    NUL (documents with it are refused), so it stands for the joins while spaces are replaced."""
    return " " + "\x00".join(norms).replace(" ", "_").replace("\x00", " ") + " "


class Lexicon:
    """All aliases of all classes, in two automata: one over token norms (the default) and
    one over exact token texts (entries marked `match: exact`)."""

    def __init__(self, entries: list[LexiconEntry], tokenizer: Tokenizer):
        self.classes = sorted({e.cls for e in entries})
        self._norm = _build([e for e in entries if not e.exact], tokenizer, "norm")
        self._text = _build([e for e in entries if e.exact], tokenizer, "text")

    def find(self, tokens) -> list[tuple[str, int, int, dict]]:
        """(class, start token, end token, value) for every alias occurrence in `tokens`."""
        if not tokens:
            return []
        return _search(self._norm, tokens, "norm") + _search(self._text, tokens, "text")


def _build(entries: list[LexiconEntry], tokenizer: Tokenizer, attr: str):
    """The automaton over the aliases' joined forms, and the set of their first words (a
    sentence holding none of them has no alias: most sentences, for a small lexicon)."""
    found: dict[str, list] = {}
    first: set[str] = set()
    for entry in entries:
        for alias in entry.aliases:
            forms = [getattr(t, attr) for t in tokenizer.tokens(alias)]
            if not forms:
                continue
            first.add(forms[0].replace(" ", "_"))
            hits = found.setdefault(_joined(forms), [len(forms), {}])
            hits[1].setdefault(entry.cls, entry)  # the first entry of a class wins
    if not found:
        return None
    automaton = ahocorasick.Automaton()
    for key, (length, by_class) in found.items():
        automaton.add_word(key, (length, tuple((cls, _value(e)) for cls, e in by_class.items())))
    automaton.make_automaton()
    return automaton, frozenset(first)


def _search(built, tokens, attr: str) -> list[tuple[str, int, int, dict]]:
    if built is None:
        return []
    automaton, first = built
    forms = list(map(attrgetter(attr), tokens))
    # a word with a space inside is joined with "_" (_joined): then look at every word
    if first.isdisjoint(forms) and " " not in "".join(forms):
        return []
    out = []
    spaces = None  # where the space after each token is in the joined text
    for end_char, (length, classes) in automaton.iter(_joined(forms)):
        if spaces is None:
            spaces = list(map(add, accumulate(map(len, forms)), count(1)))
        end = bisect_left(spaces, end_char) + 1
        for cls, value in classes:
            out.append((cls, end - length, end, value))
    return out


def _value(entry: LexiconEntry) -> dict:
    value = {"id": entry.id, "class": entry.cls}
    if entry.lat is not None and entry.lon is not None:
        value["lat"], value["lon"] = entry.lat, entry.lon
    value.update(entry.extra)
    return value
