"""Run the inline examples of rules: each example's text must yield exactly the expected facts.

An expected fact maps roles to values: a string matches an argument's text (or its `value` or
lexicon `id`), a number matches its `value`, a list matches a repeated role in order, null means
the role is absent. `subtype` and `modality` compare with the fact's own fields. Roles an
expectation does not name are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.facts import Fact
from engine.rules.model import Example, Rule

FACT_FIELDS = ("subtype", "modality")
# Case files and gold files may also name the fact's type and the rule that made it.
CASE_FIELDS = ("type", "subtype", "modality", "rule")


@dataclass
class ExampleResult:
    rule: Rule
    example: Example
    facts: list[Fact]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _arg_matches(expected, arg: dict) -> bool:
    if isinstance(expected, bool):
        return arg.get("value") is expected
    if isinstance(expected, int | float):
        value = arg.get("value")
        return isinstance(value, int | float) and not isinstance(value, bool) and (
            abs(value - expected) < 1e-9)
    if isinstance(expected, str):
        return expected in (arg.get("text"), arg.get("value"), arg.get("id"))
    return False


def role_matches(expected, fact: Fact, role: str, fields=FACT_FIELDS) -> bool:
    """Whether `fact` agrees with an expected value for `role` (or fact-level `fields`)."""
    if role in fields:
        return getattr(fact, role) == expected
    args = fact.arg_list(role)
    if expected is None:
        return not args
    if isinstance(expected, list):
        return len(expected) == len(args) and all(
            _arg_matches(e, a) for e, a in zip(expected, args, strict=True))
    return len(args) == 1 and _arg_matches(expected, args[0])


def show_role(fact: Fact, role: str, fields=FACT_FIELDS):
    """What `fact` has for `role`, in the form an expectation would write it."""
    if role in fields:
        return getattr(fact, role)
    args = fact.arg_list(role)
    shown = [a["value"] if isinstance(a.get("value"), int | float) else a["text"] for a in args]
    return None if not shown else shown[0] if len(shown) == 1 else shown


def describe(fact: Fact, fields=FACT_FIELDS) -> str:
    """A fact as an expectation would write it; with the type and rule when those are fields."""
    roles = ", ".join(f"{role}: {show_role(fact, role)!r}" for role in fact.args)
    head = ""
    if "type" in fields:
        head = f"{fact.type}{'.' + fact.subtype if fact.subtype else ''} ({fact.rule}) "
    return f"{head}{{{roles}}} from {fact.text!r}"


def compare(expect: list[dict], facts: list[Fact], fields=FACT_FIELDS) -> list[str]:
    """Role-by-role differences between expected facts and produced ones; [] if they agree.
    `fields` are the keys compared with the fact's own attributes rather than its roles."""

    def _role_matches(v, f, r) -> bool:
        return role_matches(v, f, r, fields)

    remaining = list(facts)
    unmatched = []
    for wanted in expect:
        hit = next((f for f in remaining if all(_role_matches(v, f, r) for r, v in
                                                wanted.items())), None)
        if hit is None:
            unmatched.append(wanted)
        else:
            remaining.remove(hit)
    problems = []
    for wanted in unmatched:
        if not remaining:
            who = "the rules" if "type" in fields else "the rule"  # a case file: the whole pack
            problems.append(f"missing fact {dict(wanted)!r}: {who} produced nothing for it")
            continue
        best = max(remaining, key=lambda f: sum(_role_matches(v, f, r) for r, v in wanted.items()))
        remaining.remove(best)
        diffs = [f"expected {r}: {v!r}, got {r}: {show_role(best, r, fields)!r}"
                 for r, v in wanted.items()
                 if not _role_matches(v, best, r)]
        problems.append("; ".join(diffs) + f" (in {best.text!r})")
    for extra in remaining:
        problems.append(f"unexpected fact {describe(extra, fields)}")
    return problems


def run_example(engine, rule: Rule, example: Example) -> ExampleResult:
    """Check one example of one rule (hidden facts included: cascade rules have examples too)."""
    facts = [f for f in engine.extract(example.text, doc_id="example", hidden=True)
             if f.rule == rule.id]
    return ExampleResult(rule, example, facts, compare(example.expect, facts))


def run_examples(engine, rules: list[Rule] | None = None) -> list[ExampleResult]:
    """Check every example of `rules` (default: all enabled rules of the engine)."""
    rules = rules if rules is not None else [c.rule for c in engine.rules]
    return [run_example(engine, rule, example) for rule in rules for example in rule.examples]
