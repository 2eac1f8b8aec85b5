"""Run rule examples and case files as tests: what `assay test` and the pytest plugin share.

Every inline example of a rule is one test, named `rule.id[example N]` (N from 1, in file
order); every case of a case file is one test, named `file[case name]`. A failure carries the
role-by-role diff of engine.examples.compare, so the message is the same wherever it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from engine.authoring.cases import Case, CaseFile
from engine.examples import CASE_FIELDS, compare, run_example


@dataclass
class Outcome:
    name: str  # territory.regain.count[example 2]
    file: str
    line: int
    text: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ResultGroup:
    """The tests of one rule or one case file: one line of `assay test` output."""

    name: str
    kind: str  # "rule" or "cases"
    file: str
    line: int
    results: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [r for r in self.results if not r.ok]


@dataclass
class RunReport:
    groups: list[ResultGroup] = field(default_factory=list)

    @property
    def results(self) -> list[Outcome]:
        return [r for g in self.groups for r in g.results]

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)

    @property
    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"


def example_name(rule_id: str, index: int) -> str:
    """The test name of a rule's `index`-th example (from 1)."""
    return f"{rule_id}[example {index}]"


def select_rules(engine, patterns) -> list:
    """The engine's rules whose ids match any of `patterns` (wildcards allowed); all if none.
    Raises ValueError naming a pattern that matches no rule."""
    rules = [c.rule for c in engine.rules]
    if not patterns:
        return rules
    for pattern in patterns:
        if not any(fnmatchcase(r.id, pattern) for r in rules):
            raise ValueError(f"no rule matches {pattern!r}")
    return [r for r in rules if any(fnmatchcase(r.id, p) for p in patterns)]


def run_rule(engine, rule) -> ResultGroup:
    """Every example of one rule."""
    group = ResultGroup(rule.id, "rule", rule.file, rule.line)
    for index, example in enumerate(rule.examples, 1):
        result = run_example(engine, rule, example)
        group.results.append(Outcome(example_name(rule.id, index), rule.file, example.line,
                                        example.text, list(result.problems)))
    return group


def run_case(engine, case: Case) -> Outcome:
    """One case: the whole pack's facts (of the case's types) against its expectations."""
    facts = engine.extract(case.text, doc_id="case", date=case.date)
    if case.types is not None:
        facts = [f for f in facts if f.type in case.types]
    return Outcome(f"{case.file}[{case.name}]", case.file, case.line, case.text,
                      compare(case.expect, facts, fields=CASE_FIELDS))


def run_tests(engine, rules=None, case_files: list[CaseFile] = ()) -> RunReport:
    """Examples of `rules` (default: every rule of the engine), then every case of `case_files`."""
    report = RunReport()
    for rule in rules if rules is not None else [c.rule for c in engine.rules]:
        report.groups.append(run_rule(engine, rule))
    for case_file in case_files:
        group = ResultGroup(case_file.file, "cases", case_file.file, 1)
        group.results = [run_case(engine, case) for case in case_file.cases]
        report.groups.append(group)
    return report


def failure_text(result: Outcome) -> str:
    """A failed test as plain text: where it is, its text, and the role-by-role diff."""
    lines = [f"{result.name} failed ({result.file}:{result.line})", f"  text: {result.text!r}"]
    lines += [f"  {problem}" for problem in result.problems]
    return "\n".join(lines)
