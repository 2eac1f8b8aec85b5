"""`assay kwic`: keyword-in-context lines over a corpus, to see how texts say what no rule
covers yet. Lines come from textacy's `keyword_in_context`, run sentence by sentence, so each
line names its document and sentence and `--uncovered` can keep only sentences where no rule
emitted a fact (helper rules with `emit: false` do not count)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class KwicLine:
    doc: str
    sentence: int
    left: str
    keyword: str
    right: str


@dataclass
class KwicSummary:
    documents: int = 0
    lines: int = 0
    skipped: int = 0  # sentences with facts, left out by `uncovered`
    errors: list = field(default_factory=list)  # (source, message) of unreadable documents


def keyword_pattern(term: str, regex: bool = False, ignore_case: bool = True) -> re.Pattern:
    """The term as a whole-word pattern (or as written, with `regex`). Raises re.error."""
    source = term if regex else rf"(?<!\w){re.escape(term)}(?!\w)"
    return re.compile(source, re.IGNORECASE if ignore_case else 0)


def kwic(documents: Iterable, pattern: re.Pattern, window: int = 50, engine=None,
         uncovered: bool = False, summary: KwicSummary | None = None) -> Iterator[KwicLine]:
    """Lines for every match of `pattern` in `documents` (InputDoc records). `engine` splits
    sentences (and, with `uncovered`, finds the facts); without one, the plain tokenizer does."""
    from textacy.extract.kwic import keyword_in_context

    from engine.text.document import make_document

    summary = summary if summary is not None else KwicSummary()
    for item in documents:
        if item.error is not None:
            summary.errors.append((item.source or item.id, item.error))
            continue
        if engine is not None:
            doc = engine.document(item.text, item.id, item.date)
        else:
            doc = make_document(item.text, item.id, item.date)
        covered = set()
        if uncovered and engine is not None:
            covered = {f.sentence for f in engine.extract_document(doc)}
        summary.documents += 1
        for sentence in doc.sentences:
            if sentence.index in covered:
                summary.skipped += 1
                continue
            text = " ".join(doc.text[sentence.start:sentence.end].split())
            for left, keyword, right in keyword_in_context(text, pattern, window_width=window,
                                                           pad_context=True):
                summary.lines += 1
                yield KwicLine(item.id, sentence.index, left, keyword, right)
