"""Lexicon lookup: every alias of every entity class found in one pass per sentence.

Aliases are tokenised like documents and compared token by token on the norm (case, accents
and quote styles ignored), or on the exact text for entries marked `match: exact`. The aliases
form a trie over their words, so a sentence costs one dict lookup per token plus a walk from
each token that begins an alias: the cost does not grow with the number of entries.
"""

from __future__ import annotations

from engine.matching.vm import flagged_learning
from engine.rules.model import LexiconEntry
from engine.text import tokens as _tokens
from engine.text.tokens import Tokenizer

# A trie node: the nodes of the words that can follow, and what an alias ending here finds
# ((class, value) per class), or None.
_Node = tuple[dict, tuple | None]


class Lexicon:
    """All aliases of all classes, in two tries: one over token norms (the default) and one
    over exact token texts (entries marked `match: exact`)."""

    def __init__(self, entries: list[LexiconEntry], tokenizer: Tokenizer):
        self.classes = sorted({e.cls for e in entries})
        self._norm = _build([e for e in entries if not e.exact], tokenizer, "norm")
        self._text = _build([e for e in entries if e.exact], tokenizer, "text")
        self._forget()

    def _forget(self) -> None:
        # Per word form (by form id, text.tokens.FORM_IDS), whether an alias begins with it
        # (vm.flagged's bytes: 0 not looked at yet, 1 no, 2 yes): most words begin none, and a
        # sentence whose forms are all known is read in C, without a dict lookup per token.
        self._begins = bytearray()
        # Per word form learnt so far, the node of each trie its word begins (None: none), so
        # that a walk starts without looking the word up: most begin one alias in the norms'
        # trie and none in the exact texts' (a handful of entries).
        self._norm_first: list = []
        self._text_first: list = []
        # and its word in each (norm, text), which a walk reads at every step: compiled, an
        # item of a word form (a tuple subclass) is fetched through a Python-level call
        self._norms: list = []
        self._texts: list = []

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for memo in ("_begins", "_norm_first", "_text_first", "_norms", "_texts"):
            del state[memo]  # memos by this process's form ids
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._forget()

    def find(self, tokens, fids: list[int] | None = None) -> list[tuple[str, int, int, dict]]:
        """(class, start token, end token, value) for every alias occurrence in `tokens`, by
        end token, then longest first. `fids`, the tokens' form ids where the caller has
        them, let most sentences be ruled out without reading a token."""
        if not tokens:
            return []
        if fids is None:
            starts = range(len(tokens))
        else:
            starts = flagged_learning(fids, self._begins, self._begins_with)
            if not starts:
                return []
        fields = type(tokens[0])._fields  # Token or Form: the tries read a field by index
        if fids is None:
            return (_search(self._norm, tokens, fields.index("norm"), starts)
                    + _search(self._text, tokens, fields.index("text"), starts))
        return (_search(self._norm, tokens, fields.index("norm"), starts, self._norm_first, fids,
                        self._norms)
                + _search(self._text, tokens, fields.index("text"), starts, self._text_first,
                          fids, self._texts))

    def _begins_with(self, fid: int) -> bool:
        """Whether an alias begins with word form `fid` (its first nodes kept by the way)."""
        form = _tokens.FORMS[fid]
        norm, text = self._norm.get(form.norm), self._text.get(form.text)
        missing = fid + 1 - len(self._norm_first)
        if missing > 0:
            for memo in (self._norm_first, self._text_first, self._norms, self._texts):
                memo.extend([None] * missing)
        self._norm_first[fid], self._text_first[fid] = norm, text
        self._norms[fid], self._texts[fid] = form.norm, form.text
        return norm is not None or text is not None


def _build(entries: list[LexiconEntry], tokenizer: Tokenizer, attr: str) -> dict[str, _Node]:
    """The trie's first level: first word -> node. The first entry of a class to give an alias
    wins it."""
    found: dict[tuple, dict] = {}
    for entry in entries:
        for alias in entry.aliases:
            words = tuple(getattr(t, attr) for t in tokenizer.tokens(alias))
            if words:
                found.setdefault(words, {}).setdefault(entry.cls, entry)
    root: dict = {}
    for words, by_class in found.items():
        level = root
        for word in words[:-1]:
            level = level.setdefault(word, [{}, None])[0]
        level.setdefault(words[-1], [{}, None])[1] = tuple(
            (cls, _value(e)) for cls, e in by_class.items())
    return _frozen(root)


def _frozen(level: dict) -> dict[str, _Node]:
    return {word: (_frozen(children), hits) for word, (children, hits) in level.items()}


def _search(root: dict[str, _Node], tokens, field: int, starts, firsts: list | None = None,
            fids: list | None = None, words: list | None = None
            ) -> list[tuple[str, int, int, dict]]:
    """The aliases of one trie beginning at the tokens `starts` (where one can begin), the
    tokens (named tuples) compared on their `field`-th item; `firsts` and `words`, where
    given, the node each form id (`fids`, the tokens') begins and its word, in place of
    reading the token and looking its word up."""
    if not root:
        return []
    found = []
    n = len(tokens)
    for start in starts:
        node = root.get(tokens[start][field]) if firsts is None else firsts[fids[start]]
        end = start + 1
        while node is not None:
            children, hits = node
            if hits:
                found.append((end, start, hits))
            if end == n or not children:
                break
            node = children.get(tokens[end][field] if words is None else words[fids[end]])
            end += 1
    found.sort()  # by end, then longest first (the same end, the earlier start)
    return [(cls, start, end, value) for end, start, hits in found for cls, value in hits]


def _value(entry: LexiconEntry) -> dict:
    value = {"id": entry.id, "class": entry.cls}
    if entry.lat is not None and entry.lon is not None:
        value["lat"], value["lon"] = entry.lat, entry.lon
    value.update(entry.extra)
    return value
