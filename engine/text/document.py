"""Documents and their sentences.

News text puts headlines, captions and datelines on lines of their own, without final
punctuation, so a line break always ends a sentence; inside a line, a sentence ends after
terminal punctuation (and any closing quotes or brackets) unless the period closes a title or
an initial ("Lt. Gen. Ali", "J. Smith"), or the next word starts in lower case.

Splitting works on spaCy's token arrays, visiting only line breaks and terminal punctuation,
and a sentence builds its Token objects the first time they are asked for: sentences that no
rule can match never pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as Date

import numpy as np
from spacy.attrs import IDX, IS_SPACE, ORTH

from engine.text.tokens import FORMS, Form, Token, Tokenizer, get_tokenizer

_TERMINAL = {".", "!", "?", "...", "…", "?!", "!?"}
_CLOSERS = {'"', "'", "”", "’", ")", "]", "»"}
_ABBREVIATIONS = {
    "lt", "gen", "col", "maj", "capt", "cpt", "sgt", "cpl", "pvt", "adm", "brig", "cmdr", "lieut",
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "no", "vs", "gov", "sen", "rep", "rev",
    "sheikh", "mt", "ft", "est", "approx", "jan", "feb", "aug", "sept", "oct", "nov", "dec",
}


class Sentence:
    """A run of tokens; `index` counts sentences from 0 within the document."""

    __slots__ = ("index", "start", "end", "orths", "starts", "_tokenizer", "_tokens", "_forms",
                 "_fids")

    def __init__(self, index: int, start: int, end: int, orths: list, starts: list,
                 tokenizer: Tokenizer, fids: list | None = None):
        self.index, self.start, self.end = index, start, end
        self.orths, self.starts = orths, starts  # spaCy orth ids and offsets of its tokens
        self._tokenizer = tokenizer
        self._tokens: tuple[Token, ...] | None = None
        self._forms: list[Form] | None = None
        self._fids = fids

    @property
    def tokens(self) -> tuple[Token, ...]:
        if self._tokens is None:
            self._tokens = self._tokenizer.build(self.orths, self.starts)
        return self._tokens

    @property
    def fids(self) -> list[int]:
        """The form ids of the tokens (text.tokens.FORM_IDS): what per-form tables are
        indexed by."""
        if self._fids is None:
            self._fids = self._tokenizer.form_ids(self.orths)
        return self._fids

    @property
    def forms(self) -> list[Form]:
        """The word forms of the tokens: every attribute a pattern tests, without offsets.
        Cheaper than tokens (no object per token), so the matcher runs over these."""
        if self._forms is None:
            self._forms = list(map(FORMS.__getitem__, self.fids))
        return self._forms

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets in the document of tokens start..end-1."""
        last = self.forms[end - 1] if self._forms is not None else self.tokens[end - 1]
        return self.starts[start], self.starts[end - 1] + len(last.text)

    def __len__(self) -> int:
        return len(self.orths)


@dataclass(slots=True)
class Document:
    """A document's original text, never modified, and its sentences."""

    id: str
    text: str
    date: str | None = None  # as given in metadata
    sentences: list[Sentence] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    # run once, when first needed; given the document rather than bound to it, so that a
    # document and its tokens are freed as soon as it is done with (no reference cycle)
    find_base_date: Callable[[Document], Date | None] | None = None
    _base_date: Date | None = None
    _base_known: bool = False

    @property
    def base_date(self) -> Date | None:
        """What relative dates resolve against (metadata, else a dateline): found only when a
        fact needs it, since most documents have no dated fact."""
        if not self._base_known:
            self._base_date = self.find_base_date(self) if self.find_base_date else None
            self._base_known = True
        return self._base_date

    @base_date.setter
    def base_date(self, value: Date | None) -> None:
        self._base_date, self._base_known = value, True

    def __reduce__(self) -> tuple:
        # Tokens are spaCy orth ids, hashes whose strings only this process's vocabulary
        # holds, and form ids are this process's (text.tokens.FORM_IDS): a document crosses
        # processes (spawned workers, Dask) as its text, tokenised again there alike, with
        # the base date found here.
        return _remade, (self.text, self.id, self.date, self.meta, self.base_date)


def _remade(text: str, doc_id: str, date: str | None, meta: dict, base: Date | None) -> Document:
    doc = make_document(text, doc_id, date, meta=meta)
    doc.base_date = base
    return doc


_terminal_orths: frozenset[int] | None = None


def _terminal_ids(tokenizer: Tokenizer) -> frozenset[int]:
    """spaCy orth ids of terminal punctuation (hashes of the strings, the same in every
    vocabulary and run, so found once)."""
    global _terminal_orths
    if _terminal_orths is None:
        strings = tokenizer.nlp.vocab.strings
        _terminal_orths = frozenset(strings.add(t) for t in _TERMINAL)
    return _terminal_orths


# What ends a line: those of str.splitlines (form feeds, Unicode line and paragraph
# separators, NEL), so that every line break ends a sentence alike.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _is_break(tokenizer: Tokenizer, orth: int, cache: dict) -> bool:
    """Whether a spaCy space token holds a line break."""
    found = cache.get(orth)
    if found is None:
        found = cache[orth] = not _LINE_BREAKS.isdisjoint(tokenizer.form(orth).text)
    return found


def split_sentences(orths: list, starts: list, breaks_before: list, terminals: list,
                    tokenizer: Tokenizer) -> list[tuple[int, int]]:
    """(first, last + 1) token ranges of the sentences of non-space tokens, given the tokens
    after line breaks and the positions of terminal punctuation."""
    n = len(orths)
    if n == 0:
        return []
    boundaries = {0, n}
    boundaries.update(k for k in breaks_before if 0 < k < n)
    form = tokenizer.form
    for k in terminals:
        word = form(orths[k]).text
        if word == "." and k > 0:
            before = form(orths[k - 1]).text
            if before.lower() in _ABBREVIATIONS or (len(before) == 1 and before.isupper()):
                continue  # "Gen. Ali", "J. Smith"
        m = k + 1
        end = starts[k] + len(word)
        while m < n and form(orths[m]).text in _CLOSERS and starts[m] == end:
            end = starts[m] + len(form(orths[m]).text)
            m += 1
        if m < n and not form(orths[m]).text[:1].islower():
            boundaries.add(m)
    cuts = sorted(boundaries)
    return list(zip(cuts, cuts[1:], strict=False))


def make_document(
    text: str,
    doc_id: str = "doc",
    date: str | None = None,
    tokenizer: Tokenizer | None = None,
    meta: dict | None = None,
) -> Document:
    """Tokenise and split `text`; every token keeps its offsets into `text` unchanged."""
    tokenizer = tokenizer or get_tokenizer()
    array = tokenizer.spacy_doc(text).to_array([ORTH, IDX, IS_SPACE])
    space = array[:, 2].astype(bool)
    kept = np.flatnonzero(~space)
    orth_array = array[kept, 0]
    orths = orth_array.tolist()
    starts = array[kept, 1].tolist()
    terminal_ids = _terminal_ids(tokenizer)
    terminals = [k for k, orth in enumerate(orths) if orth in terminal_ids]
    breaks_before = []
    if space.any():
        cache: dict = {}
        for position in np.flatnonzero(space).tolist():
            if _is_break(tokenizer, int(array[position, 0]), cache):
                breaks_before.append(position)  # a space token's index among all tokens…
        # …becomes the index of the first non-space token after it
        breaks_before = np.searchsorted(kept, np.array(breaks_before, dtype=kept.dtype)).tolist()
    fids = tokenizer.form_ids(orths)
    sentences = []
    for index, (first, last) in enumerate(split_sentences(orths, starts, breaks_before,
                                                          terminals, tokenizer)):
        end = starts[last - 1] + len(FORMS[fids[last - 1]].text)
        sentences.append(Sentence(index, starts[first], end, orths[first:last],
                                  starts[first:last], tokenizer, fids[first:last]))
    return Document(doc_id, text, date, sentences, dict(meta or {}))
