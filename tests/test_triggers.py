"""Rules are only tried on sentences that hold a token they require (the trigger index)."""

from __future__ import annotations

import engine
import engine.api
from engine.matching.triggers import required_keys
from engine.patterns.parser import parse


def test_required_keys_of_patterns():
    assert required_keys(parse("actor:@force [lemma=recapture|retake] []")) == {
        ("lemma", "recapture"), ("lemma", "retake")}
    # a stop word is a poor trigger: the rarer alternatives are chosen
    assert required_keys(parse("(fled | escaped) to")) == {("norm", "fled"), ("norm", "escaped")}
    assert required_keys(parse("[] villages @force")) == {("norm", "villages")}
    assert required_keys(parse("a? b*")) is None
    assert required_keys(parse("@force")) == {("span", "class", "force")}
    assert required_keys(parse("[!fled]")) is None
    assert required_keys(parse("(?<=not) []")) is None


def test_rules_without_their_trigger_are_not_tried(tmp_path, monkeypatch):
    lines = ["rules:"]
    for i in range(300):
        lines += [f"  - id: r.w{i}", "    fact: t", f"    pattern: zzword{i} []"]
    lines += ["  - id: r.fled", "    fact: flight", "    pattern: who:[] [lemma=flee]"]
    path = tmp_path / "many.yaml"
    path.write_text("\n".join(lines) + "\n")
    eng = engine.load(path)

    tried = []
    real = engine.api.finditer

    def counting(program, ctx):
        tried.append(program)
        return real(program, ctx)

    monkeypatch.setattr(engine.api, "finditer", counting)
    facts = eng.extract("Families fled. Nothing to see here. Zzword7 appears.")
    assert [f.rule for f in facts] == ["r.fled", "r.w7"]
    assert len(tried) == 2  # of 301 rules, one per sentence that has its trigger
