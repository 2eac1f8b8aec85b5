"""`assay stats` and `assay kwic` over the seed articles with the real packs."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from conftest import ROOT

import engine
from engine.authoring.stats import corpus_stats
from engine.cli import main
from engine.inputs import read_inputs

SEEDS = str(ROOT / "seeds")
# A fixed copy of an early conflict pack, so these tests do not move with the bundled pack.
RULES = str(ROOT / "tests" / "data" / "early_pack")
CASUALTIES = str(ROOT / "examples" / "casualties")

# A second opinion on territory facts: same spans as the pack's rules, another type or role.
RIVAL = """\
rules:
  - id: rival.displacement
    fact: displacement
    priority: 20
    pattern: "@territory"
  - id: rival.roles
    fact: territory
    subtype: regain
    priority: 20
    pattern: origin:@actor_group [lemma=recapture|retake] []*? count:<quantity> [lemma=village]
  - id: rival.silent
    fact: territory
    pattern: "[lemma=teleport]"
"""


def test_stats_on_the_seeds_with_the_bundled_pack():
    bundled_engine = engine.load()  # the pack as it is on disk now
    report = corpus_stats(bundled_engine, read_inputs([SEEDS]))
    result = CliRunner().invoke(main, ["stats", SEEDS])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert (f"{report.documents} documents, {report.sentences} sentences ({report.covered} with "
            f"facts), {report.facts} facts, 0 errors") in out
    assert report.documents == 5
    for rule in report.rules.values():
        rows = [[c.strip() for c in line.strip("│ ").split("│")] for line in out.splitlines()
                if line.startswith("│")]
        cells = next(row for row in rows if row[0] == rule.rule)
        assert cells[2:7] == [str(len(rule.documents)), str(len(rule.sentences)),
                              str(rule.facts), str(rule.overlaps), str(rule.conflicts)], cells
    facts = [f for item in read_inputs([SEEDS])
             for f in bundled_engine.extract(item.text, item.id, item.date)]
    assert report.facts == len(facts)  # emitted facts, the same as `assay run`


def test_overlaps_conflicts_and_rules_that_never_fire(tmp_path):
    (tmp_path / "rival.yaml").write_text(RIVAL, encoding="utf-8")
    result = CliRunner().invoke(main, ["stats", SEEDS, "--rules", RULES, "--rules",
                                       str(tmp_path / "rival.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rules = {r["rule"]: r for r in data["rules"]}
    rival = rules["rival.displacement"]  # a copy of every territory span, as displacement
    assert rival["facts"] >= 1 and rival["overlaps"] == rival["facts"]
    assert rival["conflicts"] == rival["facts"]  # another type over the same span
    assert all(r.startswith("territory.") or r.startswith("rival.")
               for r in rival["conflict_with"])
    roles = rules["rival.roles"]
    assert roles["facts"] >= 1
    assert roles["conflict_with"]["territory.regain.count"] == roles["facts"]
    # "government and PMF forces" is the actor for the pack, the origin for the rival.
    assert rules["territory.regain.count"]["conflict_with"]["rival.roles"] >= 1
    assert "rival.silent" in data["never_fired"]
    text = CliRunner().invoke(main, ["stats", SEEDS, "--rules", RULES, "--rules",
                                     str(tmp_path / "rival.yaml")]).stdout
    assert re.search(r"^conflict: rival\.roles and territory\.regain\.count disagree on \d+ "
                     r"facts?$", text, re.M)
    assert re.search(r"^never fired \(\d+\): .*\brival\.silent$", text, re.M)


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.tags, self.scripts = [], set(), []
        self._row = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "tr":
            self._row = []
        if tag == "script":
            self._in_script = True
            assert not dict(attrs).get("src")  # no external scripts

    def handle_endtag(self, tag):
        if tag == "tr":
            self.rows.append(self._row)
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._row is not None and data.strip():
            self._row.append(data.strip())
        if self._in_script:
            self.scripts.append(data)


def test_html_report_is_self_contained_and_sortable(tmp_path):
    bundled_engine = engine.load()  # the pack as it is on disk now
    out = tmp_path / "stats.html"
    result = CliRunner().invoke(main, ["stats", SEEDS, "--html", str(out)])
    assert result.exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    parser = _Table()
    parser.feed(html)
    assert parser.rows[0][:3] == ["rule", "type", "source"]
    names = {row[0] for row in parser.rows[1:]}
    assert names == {c.rule.id for c in bundled_engine.rules}
    assert "addEventListener(\"click\"" in "".join(parser.scripts)


def test_stats_reports_unreadable_documents_and_goes_on(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe not utf-8 \x00")
    result = CliRunner().invoke(main, ["stats", SEEDS, str(tmp_path / "bad.txt"),
                                       "--rules", CASUALTIES])
    assert result.exit_code == 0
    assert "error " in result.stdout and "bad.txt" in result.stdout
    assert "5 documents" in result.stdout and "1 errors" in result.stdout
    assert "never fired (1): casualties.toll" in result.stdout


def test_kwic_lines_from_the_seeds():
    result = CliRunner().invoke(main, ["kwic", "fled", SEEDS, "--window", "30"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(re.fullmatch(r"000_fb568839f1ab8394:\d+ +apse after many militants had  fled  "
                            r"their deployments at rooftops", line) for line in lines), lines
    assert lines[-1] == "6 lines in 5 documents"
    hits = [line for line in lines[:-1]]
    assert all(" fled " in line for line in hits) and len(hits) == 6
    # Whole words only: "fled" does not find "fledgling"; any case: "Fled" would be found.
    assert not any("fleeing" in line.split("  ")[2] for line in hits)


def test_kwic_uncovered_leaves_out_sentences_with_facts():
    bundled_engine = engine.load()  # the pack as it is on disk now
    covered = {(item.id, f.sentence) for item in read_inputs([SEEDS])
               for f in bundled_engine.extract(item.text, item.id, item.date)}
    every = CliRunner().invoke(main, ["kwic", r"fle(e|d|eing)\b", SEEDS, "--regex"]).stdout
    rest = CliRunner().invoke(main, ["kwic", r"fle(e|d|eing)\b", SEEDS, "--regex",
                                     "--uncovered"]).stdout

    def places(out):
        return {(line.split(":")[0], int(line.split()[0].split(":")[1]))
                for line in out.splitlines()[:-1]}

    assert places(rest) == places(every) - covered
    assert places(every) & covered  # some hits are in sentences the pack covers
    assert f"({len(covered)} sentences with facts left out)" in rest.splitlines()[-1]


def test_kwic_with_an_analysts_pack_and_a_bad_regex():
    result = CliRunner().invoke(main, ["kwic", "car bomb", SEEDS, "--uncovered", "--rules",
                                       CASUALTIES])
    assert result.exit_code == 0 and result.stdout.splitlines()[-1].startswith("0 lines in 5")
    bad = CliRunner().invoke(main, ["kwic", "(", SEEDS, "--regex"])
    assert bad.exit_code == 2 and "not a regular expression" in bad.output


@pytest.mark.parametrize("term", ["Islamic State", "islamic state"])
def test_kwic_phrases_ignore_case(term):
    result = CliRunner().invoke(main, ["kwic", term, SEEDS, "--window", "10"])
    assert result.exit_code == 0
    count = int(result.stdout.splitlines()[-1].split()[0])
    text = "".join(item.text for item in read_inputs([SEEDS]))
    assert count == len(re.findall(r"(?i)(?<!\w)islamic\s+state(?!\w)", text))
