"""`assay stats`: how each rule behaves over a corpus, in the spirit of Snorkel's labelling-
function summary — coverage (documents, sentences, facts), overlaps and conflicts with other
rules, and the rules that never fire.

- a rule **fires** in a sentence when it makes a fact there (rules with `emit: false` count too:
  their facts feed cascades);
- a fact **overlaps** another rule's fact when their character spans share characters;
- two overlapping facts **conflict** when their types (or subtypes) differ, or when they give
  overlapping arguments different roles (one says `actor`, the other `location`).
Overlaps and conflicts are counted between emitted facts only: a cascade helper's fact lies
inside the facts it feeds by design.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.facts import Fact


@dataclass
class RuleStats:
    rule: str
    type: str
    file: str
    line: int
    emit: bool
    documents: set = field(default_factory=set)
    sentences: set = field(default_factory=set)
    facts: int = 0
    overlaps: int = 0  # facts of this rule overlapping another rule's fact
    conflicts: int = 0  # facts of this rule conflicting with another rule's fact
    overlap_with: Counter = field(default_factory=Counter)
    conflict_with: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {"rule": self.rule, "type": self.type, "file": self.file, "line": self.line,
                "emit": self.emit, "documents": len(self.documents),
                "sentences": len(self.sentences), "facts": self.facts,
                "overlaps": self.overlaps, "conflicts": self.conflicts,
                "overlap_with": dict(sorted(self.overlap_with.items())),
                "conflict_with": dict(sorted(self.conflict_with.items()))}


@dataclass
class CorpusStats:
    documents: int = 0
    sentences: int = 0
    covered: int = 0  # sentences with at least one emitted fact
    facts: int = 0  # emitted facts
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source, message)
    rules: dict[str, RuleStats] = field(default_factory=dict)

    @property
    def never_fired(self) -> list[str]:
        return [r.rule for r in self.rules.values() if not r.facts]

    def to_dict(self) -> dict:
        return {"documents": self.documents, "sentences": self.sentences,
                "covered_sentences": self.covered, "facts": self.facts,
                "errors": [{"source": s, "error": e} for s, e in self.errors],
                "rules": [r.to_dict() for r in self.rules.values()],
                "never_fired": self.never_fired}


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def conflicting(a: Fact, b: Fact) -> bool:
    """Whether two overlapping facts disagree: type, subtype, or the role of an argument."""
    if (a.type, a.subtype) != (b.type, b.subtype):
        return True
    spans_a = [(tuple(arg["span"]), role) for role in a.args for arg in a.arg_list(role)]
    spans_b = [(tuple(arg["span"]), role) for role in b.args for arg in b.arg_list(role)]
    return any(role_a != role_b and _overlap(sa, sb)
               for sa, role_a in spans_a for sb, role_b in spans_b)


def corpus_stats(engine, documents: Iterable) -> CorpusStats:
    """Statistics of `engine`'s rules over `documents` (engine.inputs.InputDoc records, as
    read_inputs yields them); unreadable documents are counted as errors."""
    from engine.api import document_error

    stats = CorpusStats()
    for compiled in engine.rules:
        rule = compiled.rule
        stats.rules[rule.id] = RuleStats(rule.id, rule.fact, rule.file, rule.line, rule.emit)
    for item in documents:
        if item.error is not None:
            stats.errors.append((item.source or item.id, item.error))
            continue
        try:
            doc = engine.document(item.text, item.id, item.date)
            facts = engine.extract_document(doc, hidden=True)
        except Exception as exc:  # a bad document must not stop the run
            stats.errors.append((item.source or item.id, document_error(exc)))
            continue
        stats.documents += 1
        stats.sentences += len(doc.sentences)
        _count(stats, item.id, facts)
    return stats


def _count(stats: CorpusStats, doc_id: str, facts: list[Fact]) -> None:
    emitted: dict[int, list[Fact]] = {}
    for fact in facts:
        rule = stats.rules.get(fact.rule)
        if rule is None:
            continue
        rule.facts += 1
        rule.documents.add(doc_id)
        rule.sentences.add((doc_id, fact.sentence))
        if rule.emit:
            emitted.setdefault(fact.sentence, []).append(fact)
    for sentence_facts in emitted.values():
        stats.covered += 1
        stats.facts += len(sentence_facts)
        for fact in sentence_facts:
            others = [o for o in sentence_facts if o.rule != fact.rule and
                      _overlap(tuple(fact.span), tuple(o.span))]
            rule = stats.rules[fact.rule]
            if others:
                rule.overlaps += 1
                rule.overlap_with.update({o.rule for o in others})
            disagree = {o.rule for o in others if conflicting(fact, o)}
            if disagree:
                rule.conflicts += 1
                rule.conflict_with.update(disagree)
