"""`assay profile`: what each rule costs over a corpus, in the spirit of Semgrep's `--time`.

The engine runs as `assay run` runs it (helper rules on demand, rules skipped where their
trigger words are absent); each rule's matching is timed, and so are the value grammars, the
lexicon pass and fact building. Time is *exclusive*: a helper rule or a value grammar run on
demand inside another rule's run counts for itself, not for the rule that asked, so the rows
add up to the time spent matching. VM steps are counted the same way; unlike seconds they are
the same on every machine and in every run, so they say which rule is costly without noise.

Profiling wraps the engine's own methods on the instance for the run and restores them after;
an engine that is not being profiled pays nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

# Rows that are not rules: where the rest of the matching time goes.
VALUES, LEXICON, FACTS = "<value grammars>", "<lexicon>", "<building facts>"


@dataclass
class Cost:
    name: str
    kind: str  # a rule's fact type ("casualties", "place_phrase (helper)"), or "" for others
    file: str = ""
    line: int = 0
    runs: int = 0  # VM runs (rules), calls (the others)
    matches: int = 0
    seconds: float = 0.0  # exclusive
    steps: int = 0  # VM steps, exclusive

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "file": self.file, "line": self.line,
                "runs": self.runs, "matches": self.matches,
                "seconds": round(self.seconds, 6), "steps": self.steps}


@dataclass
class CostReport:
    documents: int = 0
    sentences: int = 0
    words: int = 0
    facts: int = 0
    seconds: float = 0.0  # extraction, tokenisation included
    errors: list[tuple[str, str]] = field(default_factory=list)
    rows: dict[str, Cost] = field(default_factory=dict)

    @property
    def ranked(self) -> list[Cost]:
        """Costliest first; rows that never ran are left out."""
        return sorted((c for c in self.rows.values() if c.runs),
                      key=lambda c: (-c.seconds, c.name))

    def to_dict(self) -> dict:
        return {"documents": self.documents, "sentences": self.sentences, "words": self.words,
                "facts": self.facts, "seconds": round(self.seconds, 6),
                "words_per_second": round(self.words / self.seconds) if self.seconds else None,
                "errors": [{"source": s, "error": e} for s, e in self.errors],
                "rows": [c.to_dict() for c in self.ranked]}


class _Clock:
    """Exclusive time and steps: a nested run's share is taken off the run that contains it."""

    def __init__(self):
        self.stack: list[list] = []  # per open run: [time, steps] of the runs nested in it

    def timed(self, cost: Cost, call, ctx=None):
        start, steps = time.perf_counter(), ctx.steps if ctx is not None else 0
        self.stack.append([0.0, 0])
        try:
            result = call()
        finally:
            nested_time, nested_steps = self.stack.pop()
            spent = time.perf_counter() - start
            used = (ctx.steps - steps) if ctx is not None else 0
            cost.seconds += spent - nested_time
            cost.steps += used - nested_steps
            cost.runs += 1
            if self.stack:
                self.stack[-1][0] += spent
                self.stack[-1][1] += used
        return result


def profile_rules(engine, documents: Iterable) -> CostReport:
    """Run `engine` over `documents` (engine.inputs.InputDoc records) and time every rule."""
    from engine.api import document_error

    report = CostReport()
    for compiled in engine.rules:
        rule = compiled.rule
        kind = rule.fact + ("" if rule.emit else " (helper)")
        report.rows[rule.id] = Cost(rule.id, kind, rule.file, rule.line)
    for name in (VALUES, LEXICON, FACTS):
        report.rows[name] = Cost(name, "")
    clock = _Clock()
    matches, fact, lexicon_find = engine._matches, engine._fact, engine.lexicon.find
    grammars = {name: grammar.find_words for name, grammar in engine.values.items()}

    def timed_matches(i, ctx, *rest):
        cost = report.rows[engine.rules[i].rule.id]
        found = clock.timed(cost, lambda: matches(i, ctx, *rest), ctx)
        cost.matches += len(found)
        return found

    def timed_grammar(find):
        return lambda *args: clock.timed(report.rows[VALUES], lambda: find(*args))

    engine._matches = timed_matches
    # rules run directly (Engine._direct, or vm.fill for helper rules filling their tables)
    # would bypass timed_matches
    fills, engine._fills = engine._fills, [None] * len(engine._fills)
    direct, engine._direct = engine._direct, [None] * len(engine._direct)
    # (compiled, doc, sentence, ctx, …): the runs building a fact sets off are its nested ones
    engine._fact = lambda *args: clock.timed(report.rows[FACTS], lambda: fact(*args), args[3])
    engine.lexicon.find = lambda *args: clock.timed(report.rows[LEXICON],
                                                    lambda: lexicon_find(*args))
    for name, find in grammars.items():
        engine.values[name].find_words = timed_grammar(find)
    try:
        for item in documents:
            if item.error is not None:
                report.errors.append((item.source or item.id, item.error))
                continue
            start = time.perf_counter()
            try:
                doc = engine.document(item.text, item.id, item.date)
                report.facts += len(engine.extract_document(doc))
            except Exception as exc:  # a bad document must not stop the run
                report.errors.append((item.source or item.id, document_error(exc)))
                continue
            finally:
                report.seconds += time.perf_counter() - start
            report.documents += 1
            report.sentences += len(doc.sentences)
            report.words += sum(len(s) for s in doc.sentences)
    finally:  # the engine is itself again, whatever happened
        del engine._matches, engine._fact, engine.lexicon.find
        engine._fills, engine._direct = fills, direct
        for name in grammars:
            del engine.values[name].find_words
    return report
