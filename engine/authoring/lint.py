"""`assay check` warnings: rules that compile but are likely wrong or untested.

Each warning is a Diagnostic with severity "warning", printed as
`file:line:col: warning: message`:

- a rule with no examples, or no negative example (`expect: []`);
- a capture that is no role of the rule's fact type (types declared in a `types:` section;
  captures starting with `_` and rules with `emit: false` are exempt), a fact type that is not
  declared (an undeclared subtype is the loader's own warning);
- a pattern that can match an empty span; an alternative that can never be chosen (an earlier
  one matches everything it does); a token test no token can pass; a `lemma=` value that is
  no word's lemma;
- the same pattern twice (in one rule or in two);
- two rules that produce the same fact (type, subtype and span) on one example.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.authoring import analysis
from engine.errors import Diagnostic
from engine.patterns import ast
from engine.rules.yamlsource import MarkedDict, MarkedList, YamlError, load_yaml


class _Marks:
    """Positions of rules and examples in their files (the loader keeps only lines)."""

    def __init__(self):
        self._files: dict[str, dict[str, MarkedDict]] = {}

    def rule(self, rule) -> MarkedDict | None:
        if rule.path not in self._files:
            found: dict[str, MarkedDict] = {}
            try:
                data = load_yaml(Path(rule.path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, YamlError):
                data = None
            rules = data.get("rules") if isinstance(data, MarkedDict) else None
            for item in rules if isinstance(rules, MarkedList) else ():
                if isinstance(item, MarkedDict) and isinstance(item.get("id"), str):
                    found.setdefault(item["id"], item)
            self._files[rule.path] = found
        return self._files[rule.path].get(rule.id)

    def at_rule(self, rule) -> tuple[int, int]:
        item = self.rule(rule)
        return (item.mark.line, item.mark.col) if item is not None else (rule.line, 1)

    def at_key(self, rule, key: str) -> tuple[int, int]:
        item = self.rule(rule)
        if item is not None and key in item.key_marks:
            mark = item.key_marks[key]
            return mark.line, mark.col
        return self.at_rule(rule)

    def at_example(self, rule, example) -> tuple[int, int]:
        item = self.rule(rule)
        examples = item.get("examples") if item is not None else None
        if isinstance(examples, MarkedList):
            for mark in examples.marks:
                if mark.line == example.line:
                    return mark.line, mark.col
        return example.line, 1


class _Linter:
    def __init__(self, engine):
        self.engine = engine
        self.marks = _Marks()
        self.out: list[Diagnostic] = []

    def warn(self, rule, where: tuple[int, int], message: str) -> None:
        self.out.append(Diagnostic(rule.file, where[0], where[1], message, "warning", rule.path))

    def at_offset(self, source, offset: int) -> tuple[int, int]:
        return source.mark.locate(source.text, offset)

    def run(self) -> list[Diagnostic]:
        rules = [c.rule for c in self.engine.rules]
        for rule in rules:
            self.examples(rule)
            self.roles(rule)
            self.patterns(rule)
        self.duplicate_patterns(rules)
        self.duplicate_facts(rules)
        return sorted(self.out, key=lambda d: (d.file, d.line, d.col, d.message))

    # ---- tests ----
    def examples(self, rule) -> None:
        if not rule.examples:
            self.warn(rule, self.marks.at_rule(rule), f"rule {rule.id} has no examples: add "
                      "one it must match and one it must not (`expect: []`)")
        elif all(example.expect for example in rule.examples):
            self.warn(rule, self.marks.at_key(rule, "examples"), f"rule {rule.id} has no "
                      "negative example (one with `expect: []`, a text it must not match)")

    # ---- roles ----
    def roles(self, rule) -> None:
        types = self.engine.ruleset.types
        if not rule.emit or not types:
            return
        declared = types.get(rule.fact)
        if declared is None:
            self.warn(rule, self.marks.at_key(rule, "fact"), f"rule {rule.id}: fact type "
                      f"{rule.fact!r} is not declared in any `types:` section (known: "
                      f"{', '.join(sorted(types))})")
            return
        seen: set[str] = set()
        for source, node in zip(rule.patterns, rule.asts, strict=True):
            for sub in ast.walk(node):
                if not isinstance(sub, ast.Capture) or sub.name.startswith("_"):
                    continue
                if sub.name not in declared.roles and sub.name not in seen:
                    seen.add(sub.name)
                    self.warn(rule, self.at_offset(source, sub.offset), f"rule {rule.id}: "
                              f"capture {sub.name!r} is no role of {rule.fact} (roles: "
                              f"{', '.join(declared.roles)}); name helpers `_{sub.name}`")

    # ---- patterns ----
    def patterns(self, rule) -> None:
        if rule.spacy_pattern is not None:
            from engine.patterns.spacy_patterns import spacy_to_ast

            if ast.can_be_empty(spacy_to_ast(rule.spacy_pattern)):
                self.warn(rule, self.marks.at_key(rule, "spacy_pattern"), f"rule {rule.id}: "
                          "the pattern can match an empty span (every token is optional)")
            return
        for source, node in zip(rule.patterns, rule.asts, strict=True):
            if ast.can_be_empty(node):
                self.warn(rule, self.at_offset(source, 0), f"rule {rule.id}: the pattern can "
                          "match an empty span (every element is optional), so it is tried "
                          "on every sentence; make one element required")
            for sub in ast.walk(node):
                if isinstance(sub, ast.Alt):
                    for later, earlier in analysis.shadowed_options(sub):
                        option = sub.options[later]
                        self.warn(rule, self.at_offset(source, option.offset),
                                  f"rule {rule.id}: this alternative can never match: "
                                  f"alternative {earlier + 1} before it matches everything it "
                                  "does, and alternatives are tried in order")
                elif isinstance(sub, ast.Tok):
                    reason = analysis.unsatisfiable(sub.test)
                    if reason:
                        self.warn(rule, self.at_offset(source, sub.offset),
                                  f"rule {rule.id}: no token can pass this test: {reason}")
                    values = _lemma_values(sub.test)
                    for value in values:
                        lemma = analysis.not_a_lemma(value)
                        if not lemma:
                            continue
                        advice = (f"{lemma!r} is already listed" if lemma in values else
                                  f"write lemma={lemma}")
                        self.warn(rule, self.at_offset(source, sub.offset),
                                  f"rule {rule.id}: lemma={value} matches no token: {value!r} "
                                  f"is not a lemma ({advice})")

    def duplicate_patterns(self, rules) -> None:
        first: dict = {}
        for rule in rules:
            if rule.spacy_pattern is not None:
                key = json.dumps(rule.spacy_pattern, sort_keys=True, default=str)
                items = [(key, None)]
            else:
                items = list(zip(rule.asts, rule.patterns, strict=True))
            for key, source in items:
                where = self.at_offset(source, 0) if source else self.marks.at_key(
                    rule, "spacy_pattern")
                if key in first:
                    other = first[key]
                    same = "this rule" if other.id == rule.id else f"rule {other.id}"
                    self.warn(rule, where, f"rule {rule.id}: duplicate pattern: {same} "
                              f"({other.file}:{other.line}) has the same one")
                else:
                    first[key] = rule

    def duplicate_facts(self, rules) -> None:
        reported: set[frozenset] = set()
        for rule in rules:
            for example in rule.examples:
                facts = self.engine.extract(example.text, doc_id="example", hidden=True)
                by_fact: dict[tuple, list[str]] = {}
                for fact in facts:
                    by_fact.setdefault((fact.type, fact.subtype, tuple(fact.span)), []).append(
                        fact.rule)
                for (kind, subtype, span), ids in by_fact.items():
                    pair = frozenset(ids)
                    if rule.id not in pair or len(pair) < 2 or pair in reported:
                        continue
                    reported.add(pair)
                    others = ", ".join(sorted(pair - {rule.id}))
                    name = kind + (f".{subtype}" if subtype else "")
                    self.warn(rule, self.marks.at_example(rule, example),
                              f"rule {rule.id} and {others} produce the same {name} fact on "
                              f"this example ({example.text[span[0]:span[1]]!r})")


def _lemma_values(test) -> list[str]:
    if isinstance(test, ast.FieldIn) and test.field == "lemma":
        return sorted(test.values)
    if isinstance(test, ast.Not):
        return []
    if isinstance(test, ast.All | ast.Any_):
        return [v for t in test.tests for v in _lemma_values(t)]
    return []


def lint(engine) -> list[Diagnostic]:
    """Warnings about the engine's (enabled) rules, sorted by file and position."""
    return _Linter(engine).run()
