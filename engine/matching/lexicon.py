"""Lexicon lookup: every alias of every entity class found in one pass per sentence.

Aliases are tokenised like documents and compared on the token norm (case, accents and quote
styles ignored). The sentence's norms are joined with single spaces and searched with an
Aho-Corasick automaton (pyahocorasick), so the cost does not grow with the number of entries.
"""

from __future__ import annotations

import ahocorasick

from engine.rules.model import LexiconEntry
from engine.text.tokens import Tokenizer


def _joined(norms) -> str:
    return " " + " ".join(n.replace(" ", "_") for n in norms) + " "


class Lexicon:
    def __init__(self, entries: list[LexiconEntry], tokenizer: Tokenizer):
        self.classes = sorted({e.cls for e in entries})
        self._automaton = ahocorasick.Automaton()
        found: dict[str, list] = {}
        for entry in entries:
            for alias in entry.aliases:
                norms = [t.norm for t in tokenizer.tokens(alias)]
                if not norms:
                    continue
                key = _joined(norms)
                hits = found.setdefault(key, [len(norms), {}])
                hits[1].setdefault(entry.cls, entry)  # the first entry of a class wins
        for key, (length, by_class) in found.items():
            payload = (length, tuple((cls, _value(e)) for cls, e in by_class.items()))
            self._automaton.add_word(key, payload)
        self._empty = not found
        if found:
            self._automaton.make_automaton()

    def find(self, tokens) -> list[tuple[str, int, int, dict]]:
        """(class, start token, end token, value) for every alias occurrence in `tokens`."""
        if self._empty or not tokens:
            return []
        text = _joined(t.norm for t in tokens)
        last_token_at: dict[int, int] = {}  # offset of the space after token i -> i
        offset = 0
        for i, tok in enumerate(tokens):
            offset += len(tok.norm) + 1
            last_token_at[offset] = i
        out = []
        for end_char, (length, classes) in self._automaton.iter(text):
            end = last_token_at[end_char] + 1
            for cls, value in classes:
                out.append((cls, end - length, end, value))
        return out


def _value(entry: LexiconEntry) -> dict:
    value = {"id": entry.id, "class": entry.cls}
    if entry.lat is not None and entry.lon is not None:
        value["lat"], value["lon"] = entry.lat, entry.lon
    return value
