"""Documents and their sentences.

News text puts headlines, captions and datelines on lines of their own, without final
punctuation, so a line break always ends a sentence; inside a line, a sentence ends after
terminal punctuation (and any closing quotes or brackets) unless the period closes a title or
an initial ("Lt. Gen. Ali", "J. Smith").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as Date

from engine.text.tokens import Token, Tokenizer, get_tokenizer

_TERMINAL = {".", "!", "?", "...", "…", "?!", "!?"}
_CLOSERS = {'"', "'", "”", "’", ")", "]", "»"}
_ABBREVIATIONS = {
    "lt", "gen", "col", "maj", "capt", "cpt", "sgt", "cpl", "pvt", "adm", "brig", "cmdr", "lieut",
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "no", "vs", "gov", "sen", "rep", "rev",
    "sheikh", "mt", "ft", "est", "approx", "jan", "feb", "aug", "sept", "oct", "nov", "dec",
}


@dataclass(frozen=True, slots=True)
class Sentence:
    """A run of tokens; `index` counts sentences from 0 within the document."""

    index: int
    start: int
    end: int
    tokens: tuple[Token, ...]


@dataclass(slots=True)
class Document:
    """A document's original text, never modified, and its sentences."""

    id: str
    text: str
    date: str | None = None  # as given in metadata
    sentences: list[Sentence] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    base_date: Date | None = None  # what relative dates resolve against (metadata or dateline)


def _ends_sentence(prev: list, tok) -> bool:
    """Whether `tok` (a spaCy token) closes a sentence, given the tokens before it."""
    if tok.text not in _TERMINAL:
        return False
    if tok.text == "." and prev:
        before = prev[-1].text
        if before.lower() in _ABBREVIATIONS or (len(before) == 1 and before.isupper()):
            return before.isupper() and len(before) > 1  # an acronym like "US." still ends one
    return True


def split_sentences(text: str, spacy_doc) -> list[list]:
    """Group the non-space spaCy tokens of `spacy_doc` into sentences."""
    sentences: list[list] = []
    current: list = []
    closing = False  # after terminal punctuation: closers may follow, then a new sentence
    prev_end = 0
    for tok in spacy_doc:
        if tok.is_space:
            continue
        gap = text[prev_end:tok.idx]
        starts_new = "\n" in gap or "\r" in gap
        if closing and not starts_new:
            if tok.text in _CLOSERS and not gap:
                current.append(tok)
                prev_end = tok.idx + len(tok.text)
                continue
            starts_new = not tok.text[:1].islower()
        if starts_new and current:
            sentences.append(current)
            current = []
        closing = _ends_sentence(current, tok)
        current.append(tok)
        prev_end = tok.idx + len(tok.text)
    if current:
        sentences.append(current)
    return sentences


def make_document(
    text: str,
    doc_id: str = "doc",
    date: str | None = None,
    tokenizer: Tokenizer | None = None,
    meta: dict | None = None,
) -> Document:
    """Tokenise and split `text`; every token keeps its offsets into `text` unchanged."""
    tokenizer = tokenizer or get_tokenizer()
    spacy_doc = tokenizer.spacy_doc(text)
    sentences = []
    for index, group in enumerate(split_sentences(text, spacy_doc)):
        tokens = tuple(tokenizer.from_spacy(group))
        sentences.append(Sentence(index, tokens[0].start, tokens[-1].end, tokens))
    return Document(doc_id, text, date, sentences, dict(meta or {}))
