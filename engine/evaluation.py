"""Score rules against gold files: precision, recall and F1 by type and by rule, with a baseline.

    from engine.evaluation import evaluate
    report = evaluate(engine.load(), ["tests/gold/dev.yaml"])
    assert report.micro.f1 >= 0.8, report.misses

Scoring (what an analyst defends in a report):

- only asserted facts count; predicted facts of other modalities are ignored;
- a predicted fact matches a gold fact when their document and type are equal, the subtype is
  equal where the gold gives one, and their character spans overlap; matching is one to one,
  greedy by the largest overlap (ties: earlier gold fact, then earlier prediction);
- a gold fact with no match is a miss, a prediction with no match is spurious; a spurious fact
  that overlaps a `not_asserted` event of its type is flagged "asserted a <modality> event";
- roles are checked on matched facts the way rule examples check them (engine.examples): a
  string matches an argument's text, value or id, a number its value, a list in order;
- with no prediction precision is 1, with no gold fact recall is 1 (nothing was wrong), so F1
  stays meaningful on negative documents.

A report's `to_dict()` is also a baseline: `changes_since(baseline)` lists what became right
and what became wrong since it was saved, like GATE's corpus benchmark.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import Diagnostic
from engine.examples import role_matches, show_role
from engine.facts import Fact
from engine.gold import GoldDocument, GoldError, GoldFact, load_gold

BASELINE_FORMAT = "assay-eval/1"


@dataclass
class Score:
    """True positives, false positives, false negatives, and the ratios made of them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class RoleScore:
    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0

    def to_dict(self) -> dict:
        return {"correct": self.correct, "total": self.total,
                "accuracy": round(self.accuracy, 4)}


@dataclass
class TypeScore(Score):
    roles: dict[str, RoleScore] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {**super().to_dict(),
                "roles": {r: s.to_dict() for r, s in sorted(self.roles.items())}}


@dataclass
class RuleScore:
    """A rule's asserted facts and how many matched gold facts (its recall is not defined:
    a missed fact belongs to no rule)."""

    rule: str
    file: str
    line: int
    facts: int = 0
    matched: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.facts if self.facts else 1.0

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "facts": self.facts,
                "matched": self.matched, "precision": round(self.precision, 4)}


@dataclass
class Miss:
    """A gold fact no rule found."""

    doc: str
    type: str
    subtype: str | None
    text: str
    span: tuple[int, int]
    source: str  # gold file:line
    key: str

    def to_dict(self) -> dict:
        return {"doc": self.doc, "type": self.type, "subtype": self.subtype, "text": self.text,
                "span": list(self.span), "source": self.source}


@dataclass
class Spurious:
    """An asserted fact that matches no gold fact."""

    doc: str
    type: str
    subtype: str | None
    rule: str
    text: str
    span: tuple[int, int]
    reason: str
    key: str

    def to_dict(self) -> dict:
        return {"doc": self.doc, "type": self.type, "subtype": self.subtype, "rule": self.rule,
                "text": self.text, "span": list(self.span), "reason": self.reason}


@dataclass
class RoleError:
    """A role of a matched fact that disagrees with the gold."""

    doc: str
    type: str
    rule: str
    role: str
    expected: object
    got: object
    text: str
    key: str

    def to_dict(self) -> dict:
        return {"doc": self.doc, "type": self.type, "rule": self.rule, "role": self.role,
                "expected": self.expected, "got": self.got, "text": self.text}


@dataclass
class Change:
    """One outcome that differs from the baseline's."""

    kind: str  # found, missed, roles right, roles wrong, new spurious, no longer spurious
    doc: str
    type: str
    text: str
    detail: str = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "doc": self.doc, "type": self.type, "text": self.text,
                "detail": self.detail}


@dataclass
class Changes:
    """What changed since a baseline: newly right and newly wrong outcomes, scores before."""

    newly_right: list[Change]
    newly_wrong: list[Change]
    before: dict  # the baseline's micro scores
    before_by_type: dict

    def to_dict(self) -> dict:
        return {"newly_right": [c.to_dict() for c in self.newly_right],
                "newly_wrong": [c.to_dict() for c in self.newly_wrong],
                "before": self.before, "before_by_type": self.before_by_type}


@dataclass
class EvalReport:
    documents: int = 0
    gold: int = 0
    predicted: int = 0  # asserted facts considered
    ignored: int = 0  # facts of other modalities, not scored
    micro: Score = field(default_factory=Score)
    roles: RoleScore = field(default_factory=RoleScore)
    by_type: dict[str, TypeScore] = field(default_factory=dict)
    by_rule: dict[str, RuleScore] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    spurious: list[Spurious] = field(default_factory=list)
    role_errors: list[RoleError] = field(default_factory=list)
    found: dict[str, dict] = field(default_factory=dict)  # gold key -> outcome, for baselines

    def to_dict(self) -> dict:
        """Everything in the report as JSON-ready data; also the format of baselines."""
        return {
            "format": BASELINE_FORMAT,
            "documents": self.documents, "gold": self.gold, "predicted": self.predicted,
            "ignored": self.ignored,
            "micro": self.micro.to_dict(),
            "roles": self.roles.to_dict(),
            "by_type": {t: s.to_dict() for t, s in sorted(self.by_type.items())},
            "by_rule": {r: s.to_dict() for r, s in sorted(self.by_rule.items())},
            "misses": [m.to_dict() for m in self.misses],
            "spurious": [s.to_dict() for s in self.spurious],
            "role_errors": [e.to_dict() for e in self.role_errors],
            "outcomes": {
                "gold": self.found,
                "spurious": {s.key: {"doc": s.doc, "type": s.type, "text": s.text,
                                     "rule": s.rule} for s in self.spurious},
            },
        }

    def changes_since(self, baseline: dict) -> Changes:
        """Outcomes that differ from `baseline` (a saved `to_dict()`), right ones and wrong ones."""
        right, wrong = [], []
        old_gold = baseline["outcomes"]["gold"]
        for key, now in self.found.items():
            old = old_gold.get(key)
            if old is None:
                continue  # a gold fact added since: no change to report
            where = (now["doc"], now["type"], now["text"])
            was_found, was_wrong = bool(old.get("found")), set(old.get("wrong_roles", ()))
            if now["found"] and not was_found:
                right.append(Change("found", *where))
            elif was_found and not now["found"]:
                wrong.append(Change("missed", *where))
            elif now["found"]:
                fixed = sorted(was_wrong - set(now["wrong_roles"]))
                broken = sorted(set(now["wrong_roles"]) - was_wrong)
                if fixed:
                    right.append(Change("roles right", *where, ", ".join(fixed)))
                if broken:
                    wrong.append(Change("roles wrong", *where, ", ".join(broken)))
        old_spurious = baseline["outcomes"]["spurious"]
        now_spurious = self.to_dict()["outcomes"]["spurious"]
        for key, item in now_spurious.items():
            if key not in old_spurious:
                wrong.append(Change("new spurious", item["doc"], item["type"], item["text"],
                                    item["rule"]))
        for key, item in old_spurious.items():
            if key not in now_spurious:
                right.append(Change("no longer spurious", item.get("doc", ""),
                                    item.get("type", ""), item.get("text", ""),
                                    item.get("rule", "")))
        return Changes(right, wrong, baseline.get("micro", {}), baseline.get("by_type", {}))


def evaluate(engine, gold_paths) -> EvalReport:
    """Score `engine`'s facts against the gold files (or folders of them) in `gold_paths`.
    Raises engine.gold.GoldError for a broken gold file."""
    documents = load_gold(gold_paths)
    report = EvalReport(documents=len(documents))
    for compiled in engine.rules:
        rule = compiled.rule
        if rule.emit:
            report.by_rule[rule.id] = RuleScore(rule.id, rule.file, rule.line)
    for doc in documents:
        facts = engine.extract(doc.text, doc_id=doc.id, date=doc.date)
        _score_document(report, doc, facts)
    return report


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def _compatible(gold: GoldFact, fact: Fact) -> bool:
    return gold.type == fact.type and (gold.subtype is None or gold.subtype == fact.subtype)


def _match(gold: list[GoldFact], predicted: list[Fact]) -> dict[int, int]:
    """One-to-one pairs gold index -> predicted index, greedy by the largest overlap."""
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            size = _overlap(g.span, tuple(p.span))
            if size > 0 and _compatible(g, p):
                pairs.append((-size, gi, pi))
    pairs.sort()
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _, gi, pi in pairs:
        if gi not in matched and pi not in used:
            matched[gi] = pi
            used.add(pi)
    return matched


def _type_score(report: EvalReport, kind: str) -> TypeScore:
    return report.by_type.setdefault(kind, TypeScore())


def _score_document(report: EvalReport, doc: GoldDocument, facts: list[Fact]) -> None:
    asserted = [f for f in facts if f.modality == "asserted"]
    report.ignored += len(facts) - len(asserted)
    report.gold += len(doc.facts)
    report.predicted += len(asserted)
    matched = _match(doc.facts, asserted)
    for fact in asserted:
        score = report.by_rule.get(fact.rule)
        if score is None:  # a rule made facts but is not in the engine's list: keep count
            score = report.by_rule[fact.rule] = RuleScore(fact.rule, fact.source_file,
                                                          fact.source_line)
        score.facts += 1
    for gi, gold in enumerate(doc.facts):
        kind = _type_score(report, gold.type)
        outcome = {"doc": doc.id, "type": gold.type, "text": gold.evidence, "found": False,
                   "wrong_roles": []}
        report.found[gold.key] = outcome
        if gi not in matched:
            kind.fn += 1
            report.micro.fn += 1
            report.misses.append(Miss(doc.id, gold.type, gold.subtype, gold.evidence, gold.span,
                                      f"{gold.file}:{gold.line}", gold.key))
            continue
        fact = asserted[matched[gi]]
        kind.tp += 1
        report.micro.tp += 1
        report.by_rule[fact.rule].matched += 1
        outcome["found"] = True
        for role, expected in gold.args.items():
            ok = role_matches(expected, fact, role, fields=())
            for score in (kind.roles.setdefault(role, RoleScore()), report.roles):
                score.total += 1
                score.correct += ok
            if not ok:
                outcome["wrong_roles"].append(role)
                report.role_errors.append(RoleError(doc.id, gold.type, fact.rule, role, expected,
                                                    show_role(fact, role, ()), fact.text,
                                                    gold.key))
    used = set(matched.values())
    for pi, fact in enumerate(asserted):
        if pi in used:
            continue
        _type_score(report, fact.type).fp += 1
        report.micro.fp += 1
        reason = "matches no gold fact"
        for event in doc.not_asserted:
            if _compatible(event, fact) and _overlap(event.span, tuple(fact.span)) > 0:
                what = f"a {event.modality}" if event.modality else "a not asserted"
                reason = f"asserted {what} event ({event.file}:{event.line})"
                break
        report.spurious.append(Spurious(doc.id, fact.type, fact.subtype, fact.rule, fact.text,
                                        tuple(fact.span), reason,
                                        f"{doc.id}:{fact.type}:{fact.span[0]}-{fact.span[1]}"))


def load_baseline(path: str | Path) -> dict:
    """A baseline saved with `--save-baseline` (a report's `to_dict()`); GoldError if not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GoldError([Diagnostic(str(path), 1, 1, f"cannot read baseline: "
                                    f"{exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise GoldError([Diagnostic(str(path), 1, 1, f"baseline is not UTF-8 text "
                                    f"({exc.reason})")]) from None
    except json.JSONDecodeError as exc:
        raise GoldError([Diagnostic(str(path), exc.lineno, exc.colno,
                                    f"baseline is not valid JSON: {exc.msg}")]) from None
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT or not isinstance(
            data.get("outcomes"), dict) or not all(
            isinstance(data["outcomes"].get(k), dict) for k in ("gold", "spurious")):
        raise GoldError([Diagnostic(str(path), 1, 1, "not an assay eval baseline (save one "
                                    "with `assay eval … --save-baseline FILE`)")])
    return data


def save_baseline(report: EvalReport, path: str | Path) -> None:
    Path(path).write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
