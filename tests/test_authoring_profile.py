"""`assay profile`: what each rule costs, counted for itself, over a corpus."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import ROOT

import engine
import engine.api
from engine.authoring.profile import FACTS, VALUES, profile_rules
from engine.cli import main
from engine.inputs import InputDoc, read_inputs
from engine.matching.vm import MatchContext

SEEDS = str(ROOT / "seeds")

CASCADE = """\
rules:
  - id: helper.pair
    fact: pair
    priority: 1
    emit: false
    pattern: x y
  - id: top.triple
    fact: triple
    pattern: "@pair z <quantity>"
  - id: top.never
    fact: never
    pattern: zzz
"""


def test_helper_runs_count_for_the_helper_not_for_the_rule_that_asked(tmp_path, monkeypatch):
    path = tmp_path / "cascade.yaml"
    path.write_text(CASCADE)
    eng = engine.load(path)
    contexts: list = []

    class Recording(MatchContext):
        __slots__ = ()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            contexts.append(self)

    monkeypatch.setattr(engine.api, "MatchContext", Recording)
    docs = [InputDoc("d1", "x y z 3 and more. Nothing here."), InputDoc("d2", None, error="bad")]
    report = profile_rules(eng, docs)
    rows = report.rows
    assert rows["top.triple"].runs == 1 and rows["top.triple"].matches == 1
    assert rows["helper.pair"].runs == 1 and rows["helper.pair"].matches == 1
    assert rows["top.never"].runs == 0  # its word is in no sentence: never tried
    assert rows[VALUES].runs == 2  # <quantity> for the pattern, <date> for the fact's date
    assert rows[FACTS].runs == 1
    assert rows["helper.pair"].steps > 0 and rows["top.triple"].steps > 0
    # exclusive: the rows share the VM's steps out, nothing counted twice
    assert rows["helper.pair"].steps + rows["top.triple"].steps == sum(c.steps for c in contexts)
    assert report.documents == 1 and report.facts == 1 and report.words == 10
    assert report.errors == [("d2", "bad")]
    assert [c.name for c in report.ranked if c.name == "top.never"] == []


def test_profiling_leaves_the_engine_as_it_was_and_counts_steps_the_same_every_time():
    eng = engine.load()
    before = [f.to_dict() for f in eng.extract((ROOT / "seeds").glob("*.txt").__next__()
                                               .read_text(encoding="utf-8"), "s")]
    first = profile_rules(eng, read_inputs([SEEDS]))
    second = profile_rules(eng, read_inputs([SEEDS]))
    assert not {"_matches", "_fact"} & set(vars(eng))
    assert "find" not in vars(eng.lexicon)
    assert all("find" not in vars(grammar) for grammar in eng.values.values())
    assert {n: c.steps for n, c in first.rows.items()} == {n: c.steps
                                                           for n, c in second.rows.items()}
    # runs that building a fact sets off count for their rules, and are not taken off twice
    assert all(c.steps >= 0 for c in first.rows.values()), {
        n: c.steps for n, c in first.rows.items() if c.steps < 0}
    assert first.facts == 90 and first.documents == 5
    after = [f.to_dict() for f in eng.extract((ROOT / "seeds").glob("*.txt").__next__()
                                              .read_text(encoding="utf-8"), "s")]
    assert before == after


def test_cli_profile_table_and_json():
    runner = CliRunner()
    result = runner.invoke(main, ["profile", SEEDS, "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "cost per rule, exclusive (the 5 costliest of" in result.output
    assert "5 documents, 205 sentences" in result.output
    result = runner.invoke(main, ["profile", SEEDS, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = [row["name"] for row in data["rows"]]
    assert "casualties.kill" in names and VALUES in names
    assert data["facts"] == 90 and data["words_per_second"] > 0
    seconds = [row["seconds"] for row in data["rows"]]
    assert seconds == sorted(seconds, reverse=True)


def test_cli_profile_of_a_corpus_with_nothing_readable():
    result = CliRunner().invoke(main, ["profile", "/nonexistent/corpus"])
    assert result.exit_code == 0, result.output
    assert "error /nonexistent/corpus: no such file or folder" in result.output
    assert "0 documents" in result.output and "account for 0.00 s" in result.output


def test_a_document_that_fails_is_recorded_and_the_profile_goes_on(monkeypatch):
    eng = engine.load()
    real = eng.document

    def failing(text, doc_id, date=None):
        if doc_id == "bad":
            raise RuntimeError("tokeniser exploded")
        return real(text, doc_id, date)

    monkeypatch.setattr(eng, "document", failing)
    docs = [InputDoc("bad", "Forces killed 3 people."), InputDoc("good", "Forces killed 3 people.")]
    report = profile_rules(eng, docs)
    assert report.errors == [("bad", "RuntimeError: tokeniser exploded")]
    assert report.documents == 1 and report.facts == 1
