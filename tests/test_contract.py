"""Every fact `assay run seeds/` prints satisfies the public contract of the brief."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

FIELDS = {"id", "type", "subtype", "modality", "doc", "sentence", "span", "text", "args", "date",
          "rule", "source", "rule_hash", "pack", "engine"}
MODALITIES = {"asserted", "negated", "planned", "hypothetical"}


@pytest.fixture(scope="module")
def seed_facts(seeds_dir):
    result = CliRunner().invoke(main, ["run", str(seeds_dir)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def _check_span(obj, text):
    start, end = obj["span"]
    assert isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    assert text[start:end] == obj["text"]


def test_seeds_yield_facts_of_both_first_types(seed_facts):
    types = {f["type"] for f in seed_facts}
    assert {"territory", "displacement"} <= types
    assert len(seed_facts) >= 8


def test_every_fact_meets_the_contract(seed_facts, seeds_dir):
    texts = {p.stem: p.read_text(encoding="utf-8") for p in Path(seeds_dir).glob("*.txt")}
    ids = set()
    for fact in seed_facts:
        assert set(fact) >= FIELDS, FIELDS - set(fact)
        assert re.fullmatch(r"[0-9a-f]{16}", fact["id"])
        ids.add(fact["id"])
        assert fact["modality"] in MODALITIES
        assert fact["doc"] in texts
        text = texts[fact["doc"]]
        _check_span(fact, text)
        assert isinstance(fact["sentence"], int) and fact["sentence"] >= 0
        assert fact["date"] is None or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", fact["date"])
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", fact["rule"])
        source = fact["source"]
        assert source["file"].startswith("rules/conflict/") and source["line"] >= 1
        rule_line = Path(__file__).resolve().parent.parent.joinpath(source["file"]).read_text(
            encoding="utf-8").splitlines()[source["line"] - 1]
        assert f"id: {fact['rule']}" in rule_line
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", fact["rule_hash"])
        assert fact["pack"] == "conflict@0.1.0"
        assert fact["engine"] == "assay 0.1.0"
        assert fact["args"], fact
        for arg in fact["args"].values():
            for one in arg if isinstance(arg, list) else [arg]:
                _check_span(one, text)
                assert fact["span"][0] <= one["span"][0] and one["span"][1] <= fact["span"][1]
    assert len(ids) == len(seed_facts), "fact ids must be unique"


def test_known_fact_of_the_hawija_article(seed_facts):
    fact = next(f for f in seed_facts if f["rule"] == "territory.regain.count")
    assert fact["doc"] == "000_fb568839f1ab8394"
    assert fact["text"] == "government and PMF forces recaptured up to 45 villages"
    assert fact["args"]["actor"]["text"] == "government and PMF forces"
    assert fact["args"]["count"]["value"] == 45
    assert fact["args"]["place_type"]["value"] == "village"


def test_repeated_roles_are_lists(seed_facts):
    fact = next(f for f in seed_facts if "Tal Afar" in f["text"] and f["type"] == "territory")
    assert [a["text"] for a in fact["args"]["location"]] == ["Mosul", "Tal Afar"]
    assert [a["id"] for a in fact["args"]["location"]] == ["Mosul", "Tal Afar"]


def test_runs_are_deterministic(seeds_dir, seed_facts):
    again = CliRunner().invoke(main, ["run", str(seeds_dir)])
    assert [json.loads(x) for x in again.stdout.splitlines() if x.startswith("{")] == seed_facts
