"""Documents and their sentences.

News text puts headlines, captions and datelines on lines of their own, without final
punctuation, so a line break always ends a sentence; inside a line, a sentence ends after
terminal punctuation (and any closing quotes or brackets) unless the period closes a title or
an initial ("Lt. Gen. Ali", "J. Smith"), or the next word starts in lower case.

A document is made of its text chunks' tokens as the tokenizer keeps them (Tokenizer.chunk),
in one loop over its characters, where every chunk is kept; otherwise of spaCy's token arrays.
Splitting visits only line breaks and terminal punctuation, and a sentence builds its Token
objects the first time they are asked for: sentences that no rule can match never pay for
them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Any

import numpy as np
from spacy.attrs import ID, IDX

from engine.text import tokens as _tokens
from engine.text.tokens import FORMS_IN_USE, Form, Token, Tokenizer, get_tokenizer

# _from_chunks' loop in C, over the tokenizer's ChunkMap, where text/_chunks.pyx was built
_native = _tokens.native_chunks

_TERMINAL_TEXTS = {".", "!", "?", "...", "…", "?!", "!?"}
_CLOSERS = {'"', "'", "”", "’", ")", "]", "»"}
_ABBREVIATIONS = {
    "lt", "gen", "col", "maj", "capt", "cpt", "sgt", "cpl", "pvt", "adm", "brig", "cmdr", "lieut",
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "no", "vs", "gov", "sen", "rep", "rev",
    "sheikh", "mt", "ft", "est", "approx", "jan", "feb", "aug", "sept", "oct", "nov", "dec",
}


def _forms_of(forms: list, fids: list) -> list:
    """The forms with ids `fids`: a loop the build types (document.pxd), where a
    comprehension would index the list with boxed ints."""
    out = []
    for fid in fids:
        out.append(forms[fid])
    return out


class Sentence:
    """A run of tokens; `index` counts sentences from 0 within the document."""

    __slots__ = ("index", "start", "end", "fids", "starts", "table", "_tokens", "_forms")

    def __init__(self, index: int, start: int, end: int, fids: list[int], starts: list[int],
                 table: list[Form]):
        self.index, self.start, self.end = index, start, end
        # the tokens' form ids (text.tokens.FORM_IDS: what per-form tables are indexed by) and
        # offsets in the document, and the forms the ids index (text.tokens.FORMS as it was:
        # the sentence reads its own tokens even after the forms are forgotten)
        self.fids, self.starts, self.table = fids, starts, table
        self._tokens: tuple[Token, ...] | None = None
        self._forms: list[Form] | None = None

    @property
    def tokens(self) -> tuple[Token, ...]:
        if self._tokens is None:
            self._tokens = Tokenizer.build(self.fids, self.starts, self.table)
        return self._tokens

    @property
    def forms(self) -> list[Form]:
        """The word forms of the tokens: every attribute a pattern tests, without offsets.
        Cheaper than tokens (no object per token), so the matcher runs over these."""
        if self._forms is None:
            self._forms = _forms_of(self.table, self.fids)
        return self._forms

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets in the document of tokens start..end-1."""
        return self.starts[start], self.starts[end - 1] + len(self.table[self.fids[end - 1]].text)

    def __len__(self) -> int:
        return len(self.fids)


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
    generation: int = 0  # the age of its tokens' form ids (text.tokens.generation)

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

    def remade(self, tokenizer: Tokenizer | None = None) -> Document:
        """This document tokenised again, its ids of the current age (text.tokens.generation):
        the same text, sentences and base date, still found only when first needed."""
        fresh = make_document(self.text, self.id, self.date, tokenizer, self.meta)
        fresh.find_base_date = self.find_base_date
        fresh._base_date, fresh._base_known = self._base_date, self._base_known
        return fresh

    def __reduce__(self) -> tuple:
        # Tokens are form ids, which belong to this process (text.tokens.FORM_IDS), as do the
        # strings behind spaCy's orth ids: a document crosses
        # processes (spawned workers, Dask) as its text, tokenised again there alike, with
        # the base date found here.
        return _remade, (self.text, self.id, self.date, self.meta, self.base_date)


def _remade(text: str, doc_id: str, date: str | None, meta: dict, base: Date | None) -> Document:
    doc = make_document(text, doc_id, date, meta=meta)
    doc.base_date = base
    return doc


# What ends a line: those of str.splitlines (form feeds, Unicode line and paragraph
# separators, NEL), so that every line break ends a sentence alike.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


# What splitting needs to know of a word form, by form id: a byte per form, made as forms are
# met (a new array each time it grows, so that threads reading the old one are unaffected).
_WORD, _TERMINAL, _SPACE, _BREAK = range(4)
_kinds = b""


def _forget_kinds() -> None:
    global _kinds
    _kinds = b""


_tokens.on_forget(_forget_kinds)


def _kind(form: Form) -> int:
    if "is_space" in form.flags:
        return _SPACE if _LINE_BREAKS.isdisjoint(form.text) else _BREAK
    return _TERMINAL if form.text in _TERMINAL_TEXTS else _WORD


def _kinds_for(table: list[Form]) -> bytes:
    """_kinds, made for every form of `table` (those met since, added)."""
    global _kinds
    kinds = _kinds
    if len(kinds) < len(table):
        kinds = _kinds = kinds + bytes(map(_kind, table[len(kinds):]))
    return kinds


def _token_kinds(ids: np.ndarray, table: list[Form]) -> np.ndarray:
    """The kind (_WORD, _TERMINAL, _SPACE, _BREAK) of each of these form ids (of `table`)."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.uint8)
    kinds = _kinds
    if int(ids.max()) >= len(kinds):
        kinds = _kinds_for(table)
    return np.frombuffer(kinds, dtype=np.uint8)[ids]


def split_sentences(fids: list, starts: list, breaks_before: list, terminals: list,
                    forms: list) -> list[tuple[int, int]]:
    """(first, last + 1) token ranges of the sentences of non-space tokens (form ids `fids`
    of the table `forms`), given the tokens after line breaks and the positions of terminal
    punctuation."""
    n = len(fids)
    if n == 0:
        return []
    boundaries = {0, n}
    boundaries.update(k for k in breaks_before if 0 < k < n)
    for k in terminals:
        word = forms[fids[k]].text
        if word == "." and k > 0:
            before = forms[fids[k - 1]].text
            if before.lower() in _ABBREVIATIONS or (len(before) == 1 and before.isupper()):
                continue  # "Gen. Ali", "J. Smith"
        m = k + 1
        end = starts[k] + len(word)
        while m < n and forms[fids[m]].text in _CLOSERS and starts[m] == end:
            end = starts[m] + len(forms[fids[m]].text)
            m += 1
        if m < n and not forms[fids[m]].text[:1].islower():
            boundaries.add(m)
    cuts = sorted(boundaries)
    return list(zip(cuts, cuts[1:], strict=False))


def _from_chunks(text: str, chunks: Any, table: list[Form], missing: list) -> tuple | None:
    """The non-space tokens of `text` as make_document wants them (form ids, offsets, the
    positions of terminal punctuation, those of the tokens after line breaks), made of the
    tokens of its chunks kept in `chunks` (Tokenizer.chunks: a ChunkMap, or a dict); None where
    some are not kept, their (start, end) then added to `missing`.

    The chunks are found as spaCy's tokenizer finds them: runs of white space and of other
    characters, a run's first space going with the token before it. This loop is the
    reference; a ChunkMap (where text/_chunks.pyx was built) is read by its loop in C, which
    looks each chunk up where it lies in the text instead of slicing and hashing a copy."""
    if _native is not None and type(chunks) is _native.ChunkMap:
        return _native.from_chunks(text, chunks, table, missing, _kinds, _kinds_for, _SPACE,
                                   _BREAK, _TERMINAL)
    fids: list[int] = []
    starts: list[int] = []
    terminals: list[int] = []
    breaks: list[int] = []
    n = len(text)
    if n == 0:
        return fids, starts, terminals, breaks
    kinds = _kinds
    # the kinds as locals, which the build types (document.pxd): compared with the module's
    # ints, each would be a Python comparison
    space_kind, break_kind, terminal_kind = _SPACE, _BREAK, _TERMINAL
    in_space = text[0].isspace()
    start = 0
    char = " "
    for i in range(n + 1):
        if i < n:
            char = text[i]
            space = char.isspace()
            if space == in_space:
                continue
        if start < i:
            entry = chunks.get(text[start:i])
            if not entry:  # not met yet, or never kept (Tokenizer.chunks)
                missing.append((start, i))
            elif not missing:
                for k in range(0, len(entry), 2):
                    form = entry[k]
                    fid = form
                    if fid >= len(kinds):
                        kinds = _kinds_for(table)
                    kind = kinds[fid]
                    if kind >= space_kind:
                        if kind == break_kind:
                            breaks.append(len(fids))
                        continue
                    if kind == terminal_kind:
                        terminals.append(len(fids))
                    fids.append(form)
                    starts.append(start + entry[k + 1])
        if i < n:
            start = i + 1 if char == " " else i
            in_space = not in_space
    return None if missing else (fids, starts, terminals, breaks)


def _from_spacy(text: str, tokenizer: Tokenizer, table: list[Form]) -> tuple:
    """_from_chunks' tokens, of spaCy's tokenisation of the whole text."""
    # ID is the lexeme's rank, where the tokenizer writes the form id of every form it has
    # met (Tokenizer.form_id): the tokens' form ids come out of spaCy's arrays, in C
    spacy_doc = tokenizer.spacy_doc(text)
    array = spacy_doc.to_array([ID, IDX])
    ids = array[:, 0]
    # a lexeme not seen yet has spaCy's OOV_RANK, past every form id; only those tokens'
    # orth ids are read (an attribute more in to_array costs every token a call)
    new = np.flatnonzero(ids >= len(table))
    if len(new):
        form_id = tokenizer.form_id
        for k in new.tolist():
            ids[k] = form_id(spacy_doc[k].orth)
    kinds = _token_kinds(ids, table)
    space = kinds >= _SPACE
    kept = np.flatnonzero(~space)
    terminals = np.flatnonzero(kinds[kept] == _TERMINAL).tolist()
    breaks: list = []
    if space.any():
        # a line break's index among all tokens becomes that of the first non-space token
        # after it
        breaks = np.searchsorted(kept, np.flatnonzero(kinds == _BREAK)).tolist()
    return ids[kept].tolist(), array[kept, 1].tolist(), terminals, breaks


def make_document(
    text: str,
    doc_id: str = "doc",
    date: str | None = None,
    tokenizer: Tokenizer | None = None,
    meta: dict | None = None,
) -> Document:
    """Tokenise and split `text`; every token keeps its offsets into `text` unchanged."""
    tokenizer = tokenizer or get_tokenizer()
    with FORMS_IN_USE:  # the forms are not forgotten while their ids are handed out
        table, age = _tokens.FORMS, _tokens.generation()
        chunks = tokenizer.chunks
        found = None
        if chunks is not None:
            # made of its chunks' tokens, those not known yet learnt first, unless one of
            # them could have other tokens alone than here (Tokenizer.chunk)
            missing: list[tuple[int, int]] = []
            found = _from_chunks(text, chunks, table, missing)
            if found is None and tokenizer.learn([text[s:e] for s, e in missing]):
                found = _from_chunks(text, tokenizer.chunks, table, [])
        fids, starts, terminals, breaks_before = found or _from_spacy(text, tokenizer, table)
    sentences = []
    for index, (first, last) in enumerate(split_sentences(fids, starts, breaks_before,
                                                          terminals, table)):
        end = starts[last - 1] + len(table[fids[last - 1]].text)
        sentences.append(Sentence(index, starts[first], end, fids[first:last],
                                  starts[first:last], table))
    return Document(doc_id, text, date, sentences, dict(meta or {}), generation=age)
