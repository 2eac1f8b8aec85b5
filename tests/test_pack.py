"""The bundled conflict pack against fixed gold: a regression guard for rules/conflict/.

- On the seed articles (tests/gold/seeds.yaml) and on the development set
  (tests/gold/dev.yaml), every fact type scores F1 >= 0.85.
- On the negative set (tests/gold/negative.yaml) the pack asserts no fact at all.

A failure prints the per-type scores and every miss and spurious fact (with the rule, file
and line that made it), so whoever broke the pack sees what changed. The held-out set
(tests/gold/test.yaml) is deliberately not used here: it is measured once, by hand, and
reported in docs/conflict-pack.md.
"""

from __future__ import annotations

import pytest
from conftest import ROOT

from engine.evaluation import evaluate

GOLD = ROOT / "tests" / "gold"
TYPES = ("territory", "displacement", "attack", "casualties", "deployment", "destruction")
MIN_F1 = 0.85


def _explain(report, types=None) -> str:
    """The scores, the misses and the spurious facts of a report, as text for a failure."""
    lines = ["per type:"]
    for kind, score in sorted(report.by_type.items()):
        lines.append(f"  {kind:13s} tp={score.tp:3d} fp={score.fp:3d} fn={score.fn:3d} "
                     f"P={score.precision:.2f} R={score.recall:.2f} F1={score.f1:.2f}")
    misses = [m for m in report.misses if types is None or m.type in types]
    spurious = [s for s in report.spurious if types is None or s.type in types]
    lines.append(f"misses ({len(misses)}):")
    for miss in misses:
        kind = miss.type + (f".{miss.subtype}" if miss.subtype else "")
        lines.append(f"  {miss.doc} {kind}: {miss.text!r} ({miss.source})")
    lines.append(f"spurious ({len(spurious)}):")
    for item in spurious:
        kind = item.type + (f".{item.subtype}" if item.subtype else "")
        rule = report.by_rule.get(item.rule)
        where = f"{rule.file}:{rule.line}" if rule else "?"
        lines.append(f"  {item.doc} {kind} by {item.rule} ({where}): {item.text!r} "
                     f"— {item.reason}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def reports(bundled_engine):
    return {name: evaluate(bundled_engine, [GOLD / f"{name}.yaml"])
            for name in ("seeds", "dev", "negative")}


@pytest.mark.parametrize("gold", ["seeds", "dev"])
@pytest.mark.parametrize("kind", TYPES)
def test_every_fact_type_scores_f1_of_at_least_0_85(reports, gold, kind):
    report = reports[gold]
    score = report.by_type.get(kind)
    assert score is not None and score.tp + score.fn > 0, (
        f"tests/gold/{gold}.yaml has no gold {kind} fact: the guard would be empty")
    assert score.f1 >= MIN_F1, (
        f"{kind} on tests/gold/{gold}.yaml: F1 {score.f1:.3f} < {MIN_F1}\n"
        + _explain(report, {kind}))


def test_the_negative_set_yields_no_asserted_fact(reports):
    report = reports["negative"]
    assert report.predicted == 0 and not report.spurious, (
        "asserted facts on tests/gold/negative.yaml (sentences that must yield nothing):\n"
        + _explain(report))


def test_modality_cues_keep_planned_and_negated_events_out(reports):
    # Events the gold lists as not asserted ("launched to retake Hawija", "failed to
    # recapture", "could flee") must not come out as asserted facts.
    for gold in ("seeds", "dev"):
        asserted_not_asserted = [s for s in reports[gold].spurious
                                 if s.reason.startswith("asserted a")]
        assert not asserted_not_asserted, (
            f"tests/gold/{gold}.yaml: events the gold marks planned, negated or hypothetical "
            "were asserted:\n" + "\n".join(
                f"  {s.doc} {s.type} by {s.rule}: {s.text!r} — {s.reason}"
                for s in asserted_not_asserted))
