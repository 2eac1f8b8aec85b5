"""`assay eval` and engine.evaluation: scoring against gold files, baselines, broken gold.

The exact scores are checked with a small rule file written here (the bundled pack changes as
the conflict rules grow); the bundled pack and examples/casualties are run through the CLI and
must agree with the Python API.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner
from conftest import ROOT

import engine
from engine.cli import main
from engine.evaluation import evaluate, load_baseline
from engine.gold import GoldError, load_gold

GOLD = ROOT / "tests" / "data" / "authoring" / "gold.yaml"
CASUALTY_GOLD = ROOT / "tests" / "data" / "authoring" / "gold_casualties.yaml"

RULES = """\
pack: t
version: 1
rules:
  - id: t.count
    fact: territory
    subtype: regain
    pattern: actor:(forces | troops) [lemma=recapture|regain|retake] count:<quantity>
      place_type:[lemma=village|town]
    values: {place_type: lemma}
  - id: t.place
    fact: territory
    subtype: regain
    pattern: "[lemma=recapture|retake] location:[is_title] (and location:[is_title])*"
  - id: t.seize
    fact: territory
    subtype: seize
    pattern: militants [lemma=seize] location:[is_title]
  - id: t.flee
    fact: displacement
    pattern: population:[lemma=family|resident] [lemma=flee]
  - id: t.plan
    fact: territory
    modality: planned
    pattern: plan to [lemma=retake] location:[is_title]
"""

TEXT = ("Troops recaptured 12 villages. Forces retook Mosul and Hawija. Families fled. "
        "Militants seized Hit. They plan to retake Kirkuk. Officials expect to retake Anbar.")


def _gold(tmp_path, body: str, name: str = "gold.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def small_engine(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return engine.load(path)


def test_scores_matching_roles_and_not_asserted_events(tmp_path, small_engine):
    gold = _gold(tmp_path, f"""\
        documents:
          - id: d1
            text: {json.dumps(TEXT)}
            date: "2024-03-28"
            facts:
              - {{type: territory, subtype: regain, evidence: "recaptured 12 villages",
                 args: {{actor: Troops, count: 12, place_type: town}}}}
              - {{type: territory, evidence: "retook Mosul and Hawija",
                 args: {{location: [Mosul, Hawija]}}}}
              - {{type: territory, subtype: regain, evidence: "Militants seized Hit"}}
              - {{type: displacement, evidence: "Families fled", args: {{population: Families}}}}
              - {{type: casualties, evidence: "They plan"}}
            not_asserted:
              - {{type: territory, modality: planned, evidence: "expect to retake Anbar"}}
        """)
    report = evaluate(small_engine, [gold])
    # "plan to retake Kirkuk": t.plan's planned fact is not scored, t.place's "retake Kirkuk"
    # is asserted and spurious.
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (3, 3, 2)
    assert report.predicted == 6 and report.ignored == 1
    territory = report.by_type["territory"]
    assert (territory.tp, territory.fp, territory.fn) == (2, 3, 1)
    assert territory.roles["place_type"].correct == 0 and territory.roles["count"].correct == 1
    assert territory.roles["location"].correct == 1  # a list matches in order
    assert report.by_type["casualties"].recall == 0.0
    assert report.by_rule["t.count"].matched == 1 and report.by_rule["t.place"].facts == 3
    assert report.by_rule["t.place"].precision == pytest.approx(1 / 3)
    assert report.by_rule["t.seize"].matched == 0  # the gold says regain: subtypes differ
    assert {m.text for m in report.misses} == {"Militants seized Hit", "They plan"}
    reasons = {s.text: s.reason for s in report.spurious}
    assert reasons["Militants seized Hit"] == "matches no gold fact"
    assert reasons["retake Anbar"].startswith("asserted a planned event")
    assert reasons["retake Kirkuk"] == "matches no gold fact"
    [error] = report.role_errors
    assert (error.role, error.expected, error.got) == ("place_type", "town", "villages")
    assert report.micro.precision == pytest.approx(3 / 6)
    assert report.micro.recall == pytest.approx(3 / 5)
    data = report.to_dict()
    assert data["micro"]["f1"] == pytest.approx(0.5455)
    assert json.loads(json.dumps(data)) == data


def test_matching_is_one_to_one_by_largest_overlap(tmp_path, small_engine):
    gold = _gold(tmp_path, """\
        documents:
          - id: d
            text: "Forces retook Mosul. Forces retook Mosul."
            facts:
              - {type: territory, evidence: "Forces retook Mosul", occurrence: 2}
              - {type: territory, evidence: "Mosul. Forces retook Mosul"}
        """)
    report = evaluate(small_engine, [gold])
    # Two predictions ("retook Mosul" twice); the second gold fact overlaps both, the first only
    # the second prediction, which it overlaps more: one-to-one, greedy by overlap.
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (2, 0, 0)


def test_negative_documents_score_one_when_nothing_is_asserted(tmp_path, small_engine):
    gold = _gold(tmp_path, """\
        documents:
          - id: quiet
            text: "The weather was fine."
        """)
    report = evaluate(small_engine, [gold])
    assert report.micro.f1 == 1.0 and report.gold == 0 and report.predicted == 0


def test_baseline_lists_newly_right_and_newly_wrong(tmp_path, small_engine):
    gold = _gold(tmp_path, f"""\
        documents:
          - id: d1
            text: {json.dumps(TEXT)}
            facts:
              - {{type: territory, evidence: "recaptured 12 villages", args: {{count: 12}}}}
              - {{type: displacement, evidence: "Families fled"}}
        """)
    before = evaluate(small_engine, [gold]).to_dict()
    changed = tmp_path / "changed.yaml"
    changed.write_text(RULES.replace("[lemma=family|resident]", "[lemma=resident]")
                       .replace("count:<quantity>", "count:[]"), encoding="utf-8")
    after = evaluate(engine.load(changed), [gold])
    changes = after.changes_since(before)
    kinds = sorted((c.kind, c.text) for c in changes.newly_wrong)
    assert kinds == [("missed", "Families fled"), ("roles wrong", "recaptured 12 villages")]
    assert {(c.kind, c.text) for c in changes.newly_right} == set()
    again = evaluate(small_engine, [gold]).changes_since(after.to_dict())
    assert {c.kind for c in again.newly_right} == {"found", "roles right"}


def test_gold_files_resolve_paths_from_their_repository_root():
    docs = load_gold([GOLD])
    seed = next(d for d in docs if d.id == "000_fb568839f1ab8394")
    assert seed.text == (ROOT / "seeds" / "000_fb568839f1ab8394.txt").read_text(encoding="utf-8")
    fact = seed.facts[0]
    assert seed.text[fact.span[0]:fact.span[1]] == fact.evidence


# ---- the CLI on the real packs and the seeds --------------------------------------------------


def test_cli_eval_on_the_bundled_pack_agrees_with_the_api():
    bundled_engine = engine.load()  # the pack as it is on disk now
    report = evaluate(bundled_engine, [GOLD])
    result = CliRunner().invoke(main, ["eval", str(GOLD)])
    assert result.exit_code == 0, result.output
    micro = report.micro
    assert (f"precision {micro.precision:.2f}  recall {micro.recall:.2f}  F1 {micro.f1:.2f}"
            in result.output)
    assert f"misses ({len(report.misses)})" in result.output
    assert f"spurious ({len(report.spurious)})" in result.output
    for rule in report.by_rule:
        assert rule in result.output
    for miss in report.misses:
        assert miss.doc in result.output
    as_json = CliRunner().invoke(main, ["eval", str(GOLD), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["micro"] == report.to_dict()["micro"]
    # The territory fact the README shows is found, with its roles right.
    assert "000_fb568839f1ab8394:territory:1535-1589" in report.found
    assert report.found["000_fb568839f1ab8394:territory:1535-1589"] == {
        "doc": "000_fb568839f1ab8394", "type": "territory", "found": True, "wrong_roles": [],
        "text": "government and PMF forces recaptured up to 45 villages"}


def test_cli_eval_with_the_casualties_example():
    result = CliRunner().invoke(main, ["eval", str(CASUALTY_GOLD), "--rules",
                                       str(ROOT / "examples" / "casualties"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["micro"] == {"tp": 1, "fp": 0, "fn": 1, "precision": 1.0, "recall": 0.5,
                             "f1": 0.6667}
    assert data["by_rule"]["casualties.toll"]["matched"] == 1
    assert data["role_errors"] == [{"doc": "blast", "type": "casualties",
                                    "rule": "casualties.toll", "role": "toll", "expected": 8,
                                    "got": 7, "text": "bomb left seven dead and nine wounded"}]
    assert data["misses"][0]["text"] == "Twelve people were killed"


def test_cli_baseline_round_trip(tmp_path):
    saved = tmp_path / "baseline.json"
    first = CliRunner().invoke(main, ["eval", str(GOLD), "--save-baseline", str(saved)])
    assert first.exit_code == 0 and saved.exists()
    assert load_baseline(saved)["format"] == "assay-eval/1"
    second = CliRunner().invoke(main, ["eval", str(GOLD), "--baseline", str(saved)])
    assert second.exit_code == 0, second.output
    assert f"since {saved}:" in second.output
    assert "newly right (0)" in second.output and "newly wrong (0)" in second.output


def test_cli_baseline_shows_what_changed(tmp_path):
    saved = tmp_path / "b.json"
    casualties = str(ROOT / "examples" / "casualties")
    CliRunner().invoke(main, ["eval", str(CASUALTY_GOLD), "--rules", casualties,
                              "--save-baseline", str(saved)])
    data = json.loads(saved.read_text())
    del data["outcomes"]["spurious"]  # pretend the baseline had a spurious fact and a miss
    data["outcomes"]["spurious"] = {"blast:casualties:0-5": {"doc": "blast", "type": "casualties",
                                                             "text": "The c", "rule": "x"}}
    key = next(k for k, v in data["outcomes"]["gold"].items() if v["found"])
    data["outcomes"]["gold"][key]["found"] = False
    saved.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["eval", str(CASUALTY_GOLD), "--rules", casualties,
                                       "--baseline", str(saved)])
    assert result.exit_code == 0, result.output
    assert "newly right (2):" in result.output
    assert "+ found  blast  casualties  'car bomb left seven dead and nine wounded'" in \
        result.output
    assert "+ no longer spurious (x)  blast  casualties  'The c'" in result.output


# ---- broken gold files: file:line:col: message, exit status 2 ---------------------------------

BROKEN = {
    "yaml": ("documents: [\n", 2, 1, "invalid YAML"),
    "no_documents": ("docs: []\n", 1, 1, "a gold file is a mapping with `documents:`"),
    "no_id": ("documents:\n  - text: a\n", 2, 5, "needs an `id`"),
    "file_and_text": ("documents:\n  - id: a\n    text: x\n    file: y.txt\n", 2, 5,
                      "exactly one of `file` and `text`"),
    "missing_file": ("documents:\n  - id: a\n    file: nowhere/none.txt\n", 3, 11,
                     "document file 'nowhere/none.txt' not found"),
    "unknown_key": ("documents:\n  - id: a\n    text: x\n    fact: []\n", 4, 5,
                    "unknown key 'fact' in a gold document"),
    "evidence_absent": (
        "documents:\n  - id: a\n    text: Forces retook Mosul.\n    facts:\n"
        "      - {type: territory, evidence: retook Hawija}\n", 5, 37,
        "evidence 'retook Hawija' is not in document 'a'"),
    "occurrence": (
        "documents:\n  - id: a\n    text: Mosul. Mosul.\n    facts:\n"
        "      - {type: t, evidence: Mosul, occurrence: 3}\n", 5, 48,
        "occurs 2 times in document 'a', not 3"),
    "no_type": ("documents:\n  - id: a\n    text: x\n    facts:\n      - {evidence: x}\n", 5, 9,
                "needs a `type`"),
    "modality_in_facts": (
        "documents:\n  - id: a\n    text: x\n    facts:\n"
        "      - {type: t, evidence: x, modality: planned}\n", 5, 42,
        "put it under `not_asserted`"),
    "duplicate_doc": ("documents:\n  - id: a\n    text: x\n  - id: a\n    text: y\n", 4, 1,
                      "duplicate document id 'a'"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_gold_exits_2_with_a_position(tmp_path, monkeypatch, name):
    text, line, col, message = BROKEN[name]
    (tmp_path / "g.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GoldError):
        load_gold(["g.yaml"])
    result = CliRunner().invoke(main, ["eval", "g.yaml", "--rules",
                                       str(ROOT / "examples" / "casualties")])
    assert result.exit_code == 2, result.output
    assert f"g.yaml:{line}:{col}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_broken_baseline_exits_2(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text('{"micro": 1,\n oops}')
    result = CliRunner().invoke(main, ["eval", str(CASUALTY_GOLD), "--baseline", str(bad),
                                       "--rules", str(ROOT / "examples" / "casualties")])
    assert result.exit_code == 2
    assert f"{bad}:2:2: baseline is not valid JSON" in result.stderr
    bad.write_text("{}")
    result = CliRunner().invoke(main, ["eval", str(CASUALTY_GOLD), "--baseline", str(bad),
                                       "--rules", str(ROOT / "examples" / "casualties")])
    assert result.exit_code == 2 and "not an assay eval baseline" in result.stderr


def test_missing_gold_file_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["eval", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "none.yaml:1:1: no such gold file" in result.stderr
