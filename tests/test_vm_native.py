"""The compiled matcher (engine/matching/_vm.pyx, built by hatch_build.py) against vm.py, the
reference it was made from: the same matches, captures and VM steps, on random patterns and on
the whole pack."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_matcher_reference import patterns, sentences

import engine
import engine.api
from engine.matching import vm
from engine.patterns.compiler import compile_pattern
from engine.patterns.parser import parse
from engine.text.tokens import FORM_IDS, MAX_FORM_IDS, get_tokenizer
from tests.conftest import run_with_broken_module

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PURE_PYTHON = os.environ.get("ASSAY_PURE_PYTHON") == "1"


def _pure_vm():
    """A second vm.py that keeps its own Python loops."""
    spec = importlib.util.spec_from_file_location(
        "assay_pure_vm", Path(vm.__file__).with_name("vm.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    module._scan, module._anchored = module.python_scan, module.python_anchored
    module.MatchContext, module.SpanTable = module.python_MatchContext, module.python_SpanTable
    module.finditer = module.python_finditer  # what its finditer_each runs
    return module


PURE = _pure_vm()


def test_the_compiled_matcher_was_built():
    if PURE_PYTHON:
        pytest.skip("ASSAY_PURE_PYTHON=1: the package was built without its compiled matcher")
    assert vm.finditer.__module__ == "engine.matching._vm", (
        "the compiled matcher was not built: see pip's output for hatch_build.py's message, "
        "or set ASSAY_PURE_PYTHON=1 to test the pure-Python build")


def test_the_compiled_matcher_is_used_whichever_module_is_imported_first():
    """Importing _vm before vm.py once made vm.py keep its Python loops (an import cycle), and
    every engine in that process ran about 4x slower with the same facts."""
    if PURE_PYTHON:
        pytest.skip("ASSAY_PURE_PYTHON=1: the package was built without its compiled matcher")
    import subprocess

    code = ("import engine.matching._vm\n"
            "from engine.matching import vm\n"
            "import engine.api\n"
            "print(vm.finditer.__module__, engine.api.finditer.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["engine.matching._vm", "engine.matching._vm"]


def test_a_compiled_matcher_that_cannot_load_is_said_not_silently_replaced():
    """A built _vm that fails to import (another Python's build, a stale one) leaves vm.py on
    its Python loops: that is said once, as a warning; an unbuilt one is not."""
    run = run_with_broken_module("engine.matching._vm", "from engine.matching import vm\n"
                                 "print(vm.finditer.__module__)\n")
    assert run.stdout.split() == ["engine.matching.vm"]
    assert "compiled matcher could not be loaded (undefined symbol: simulated)" in run.stderr


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), sentences())
def test_compiled_matches_and_steps_equal_the_reference(pattern, sentence):
    tokens, spans = sentence
    program = compile_pattern(parse(pattern))
    compiled, reference = vm.MatchContext(tokens, spans), PURE.MatchContext(tokens, spans)
    got = [(m.start, m.end, m.captures) for m in vm.finditer(program, compiled)]
    want = [(m.start, m.end, m.captures) for m in PURE.python_finditer(program, reference)]
    assert got == want, pattern
    assert compiled.steps == reference.steps, pattern  # lookaround scans included
    # As the engine runs it: over word forms (whose fields the compiled matcher reads by
    # position), with form ids, by which token tests are memoised per form: a first run fills
    # the memo, a second reads it; both as the reference.
    tokenizer = get_tokenizer()
    strings = tokenizer.nlp.vocab.strings
    forms = [tokenizer.form(strings[t.text]) for t in tokens]
    for _ in range(2):
        memo = vm.MatchContext(forms, spans)
        memo.form_ids = [FORM_IDS.get(strings[t.text], -1) for t in tokens]
        assert all(i >= 0 for i in memo.form_ids)
        assert [(m.start, m.end, m.captures) for m in vm.finditer(program, memo)] == want
        assert memo.steps == reference.steps, pattern


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(patterns(), min_size=1, max_size=3), sentences(),
       st.one_of(st.none(), st.lists(st.integers(0, 15), min_size=3, max_size=3)),
       st.integers(0, 15))
def test_each_of_a_rules_programs_is_run_where_its_needs_are_held(pats, sentence, needs,
                                                                  held):
    """finditer_each: the matches of each program, in program order, of those whose needed
    key sets (bits) the sentence holds, all of them without needs; as the reference's."""
    tokens, spans = sentence
    programs = [compile_pattern(parse(p)) for p in pats]
    needs = needs[:len(programs)] if needs is not None else None
    got = vm.finditer_each([vm.native(p) for p in programs], needs, held,
                           vm.MatchContext(tokens, spans))
    want = PURE.python_finditer_each(programs, needs, held, PURE.MatchContext(tokens, spans))
    assert [(k, m.start, m.end, m.captures) for k, m in got] == [
        (k, m.start, m.end, m.captures) for k, m in want]
    assert {k for k, _ in want} <= {k for k in range(len(programs))
                                    if needs is None or held & needs[k] == needs[k]}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 20), max_size=40), st.binary(min_size=21, max_size=21),
       st.lists(st.integers(0, 2**100), min_size=21, max_size=21),
       st.lists(st.integers(0, 2**400), min_size=21, max_size=21), st.integers(0, 2**100),
       st.lists(st.integers(0, 2**100), max_size=3), st.integers(0, 400))
def test_a_sentences_candidates_equal_the_reference(fids, kinds, masks, slots, untriggered,
                                                    fewer, sets_shift):
    """Rows of 100 rules, conditions in 100-bit slots of the slots' rows, the needed key
    sets from any bit on: the compiled words give the reference's ints."""
    size = PURE.row_size(100)
    rows = [PURE.row(m, size) for m in masks]
    slot_rows = [PURE.row(m, PURE.row_size(400)) for m in slots]
    args = (fids, bytearray(kinds), rows, slot_rows, PURE.row(untriggered, size),
            [PURE.row(f, size) for f in fewer], 100, sets_shift)
    got = vm.sentence_candidates(*args)
    assert got == PURE.python_sentence_candidates(*args)
    held = 0
    triggered = untriggered
    for f in fids:
        triggered |= masks[f] if kinds[f] & 1 else 0
        held |= slots[f] if kinds[f] & 2 else 0
    for j, less in enumerate(fewer):
        triggered &= (held >> (100 * j)) | less
    assert got == (triggered, held >> sets_shift)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 12), max_size=40), st.lists(st.integers(0, 2**24), min_size=13,
       max_size=13), st.lists(st.integers(0, 2**72), min_size=13, max_size=13),
       st.integers(0, 7), st.integers(0, 3), st.integers(1, 12))
def test_whether_a_rules_words_lie_close_enough_equals_the_reference(fids, masks, slots, rule,
                                                                     inside, reach):
    """vm.near over rows of 8 rules and 3 condition slots: the compiled pass with its
    trigger positions in an array answers as the reference's pairs of positions."""
    mask_rows = [PURE.row(m, PURE.row_size(24)) for m in masks]
    slot_rows = [PURE.row(m, PURE.row_size(72)) for m in slots]
    got = vm.near(fids, mask_rows, slot_rows, rule, 8, inside, reach)
    assert got == PURE.python_near(fids, mask_rows, slot_rows, rule, 8, inside, reach)
    triggers = [p for p, f in enumerate(fids) if masks[f] >> rule & 1]
    assert got == all(any(abs(p - t) < reach for t in triggers for p, f in enumerate(fids)
                          if slots[f] >> (j * 8 + rule) & 1) for j in range(inside))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=60), st.binary(min_size=41, max_size=41),
       st.lists(st.integers(0, 2**200), min_size=41, max_size=41),
       st.lists(st.integers(0, 2**300), min_size=41, max_size=41), st.integers(0, 2**90))
def test_a_sentences_rule_masks_equal_the_reference(fids, kinds, masks, slots, untriggered):
    """The compiled loop ORs the rows a machine word at a time; the result is the OR of the
    rows' ints, as the reference makes it, and so the OR of the masks they were made of."""
    mask_rows = [PURE.row(m, PURE.row_size(200)) for m in masks]
    slot_rows = [PURE.row(m, PURE.row_size(300)) for m in slots]
    got = vm.sentence_rules(fids, bytearray(kinds), mask_rows, slot_rows, untriggered)
    assert got == PURE.python_sentence_rules(fids, bytearray(kinds), mask_rows, slot_rows,
                                             untriggered)
    want = untriggered, 0
    for f in fids:
        want = (want[0] | (masks[f] if kinds[f] & 1 else 0),
                want[1] | (slots[f] if kinds[f] & 2 else 0))
    assert got == want


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), sentences())
def test_fill_adds_the_spans_finditer_finds(pattern, sentence):
    """vm.fill (a helper rule's matches straight into its span table, no Match made) leaves
    the table the reference's finditer and SpanTable.add would."""
    tokens, spans = sentence
    program = compile_pattern(parse(pattern))
    ours, theirs = vm.SpanTable(), PURE.SpanTable()
    vm.fill(program, vm.MatchContext(tokens, spans), ours)
    for match in PURE.python_finditer(program, PURE.MatchContext(tokens, spans)):
        theirs.add(match.start, match.end)
    assert ours.values == theirs.values and ours.by_end == theirs.by_end, pattern


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=40), st.binary(max_size=31).map(
    lambda raw: bytearray(b % 3 for b in raw)))
def test_flagged_positions_equal_the_reference(fids, flags):
    """Positions flagged 2, or None where a form is unknown (0, or past the flags' end)."""
    assert vm.flagged(fids, flags) == PURE.python_flagged(fids, flags)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=40), st.binary(max_size=31),
       st.sets(st.integers(0, 30)))
def test_flagged_learning_equals_the_reference(fids, raw, yes):
    """Forms not known yet are learnt (`says`, asked of each once), known ones kept."""
    ours, theirs = bytearray(b % 3 for b in raw), bytearray(b % 3 for b in raw)
    asked = []

    def says(fid):
        asked.append(fid)
        return fid in yes

    got = vm.flagged_learning(fids, ours, says)
    assert got == PURE.python_flagged_learning(fids, theirs, yes.__contains__)
    assert ours == theirs and len(asked) == len(set(asked))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2 ** 200), st.integers(0, 210))
def test_bit_flags_equal_the_reference(mask, n):
    """A byte per rule, 1 where the sentence's mask has its bit: bits at or past n dropped."""
    got = vm.bit_flags(mask, n)
    assert got == PURE.python_bit_flags(mask, n)
    assert list(got) == [mask >> i & 1 for i in range(n)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=5, unique=True),
       st.dictionaries(st.sampled_from("abcde"), st.lists(st.tuples(
           st.integers(0, 3), st.integers(0, 4),
           st.sampled_from([None, "x", {"id": 1}, {"id": 2}])), max_size=4)),
       st.integers(0, 3), st.integers(0, 4))
def test_first_value_reads_tables_in_order_until_a_dict(keys, spans, start, end):
    """The value an argument takes: the first of the keys whose table gives the span a
    dict, the tables made in order as they are reached; as the reference's."""
    keys = tuple(("class", k) for k in keys)

    def run(module, first_value, keyed):
        asked = []

        def provide(key, table):
            asked.append(key)
            for s, e, value in spans.get(key[1], []):
                table.add(s, e, value)

        ctx = module.MatchContext(["w"] * 5, provider=provide)
        # twice: the second time the tables are found by their keys' ids, none made again
        return [first_value(ctx, keyed(keys), start, end) for _ in range(2)], asked

    assert (run(vm, vm.first_value, vm.keyed)
            == run(PURE, PURE.python_first_value, PURE.python_keyed))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=5, unique=True),
       st.dictionaries(st.sampled_from("abcde"), st.lists(st.tuples(
           st.integers(0, 5), st.integers(0, 6)), max_size=3)),
       st.sets(st.sampled_from("abcde")))
def test_any_spans_makes_tables_in_order_until_one_has_a_span(keys, spans, made):
    """A rule's span triggers: the answer, and which tables were made, as the reference's.
    Tables not made yet are made by the provider, in the keys' order, and no further than
    the first that has a span (the others may cost a helper rule's run)."""
    keys = tuple(("class", k) for k in keys)

    def run(module, any_spans, keyed):
        asked = []

        def provide(key, table):
            asked.append(key)
            for start, end in spans.get(key[1], []):
                table.add(start, end)

        ctx = module.MatchContext(["w"] * 6, provider=provide)
        for k in made:  # tables some earlier run made already: not asked for again
            table = ctx.spans[("class", k)] = module.SpanTable()
            for start, end in spans.get(k, []):
                table.add(start, end)
        return [any_spans(ctx, keyed(keys)) for _ in range(2)], asked

    assert (run(vm, vm.any_spans, vm.keyed)
            == run(PURE, PURE.python_any_spans, PURE.python_keyed))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(-2, 12),
                          st.sampled_from([None, "a", {"id": 1}])), max_size=40))
def test_a_span_tables_views_equal_the_references(adds):
    """The compiled SpanTable keeps spans in sorted C arrays, not the reference's dicts: the
    same adds (repeats, empty spans, a value given later or not again) must give the same
    views, lookups and length."""
    ours, theirs = vm.SpanTable(), PURE.SpanTable()
    for start, end, value in adds:
        ours.add(start, end, value)
        theirs.add(start, end, value)
    assert ours.by_start == theirs.by_start
    assert ours.by_end == theirs.by_end
    assert ours.values == theirs.values
    assert ours.spans() == theirs.spans() == sorted(
        ((s, e, v) for (s, e), v in theirs.values.items()), key=lambda t: (t[0], -t[1]))
    assert len(ours) == len(theirs) and bool(ours) == bool(theirs)
    for start in range(-1, 14):
        assert ours.ends_from(start) == theirs.ends_from(start)
        for end in range(-1, 14):
            assert ours.get(start, end, "none") == theirs.get(start, end, "none")


def test_field_tests_met_after_a_form_was_answered_are_answered_for_it_too():
    """`[field=value]` tests are answered for a form all at once, on the first one asked of it
    (_vm._index_form); a test the process meets later is answered on its first ask, and every
    answer is the test's own, as the reference finds."""
    import uuid

    tokenizer = get_tokenizer()
    strings = tokenizer.nlp.vocab.strings
    words = ["Militants", "recaptured", "three", "villages", "near", "Mosul", "."]
    tokens = tokenizer.tokens(" ".join(words))
    forms = [tokenizer.form(strings[t.text]) for t in tokens]
    fresh = uuid.uuid4().hex  # a value no test of this process has held yet
    for pattern in ("[lemma=recapture]", f"[lower=villages|{fresh}]", "[norm=mosul|near]",
                    f"[text=Militants|{fresh}x] [lemma=recapture] [lower={fresh}y|three]",
                    f"[!lemma=village|{fresh}z] [shape=Xxxxx]"):
        program = compile_pattern(parse(pattern))
        want = [(m.start, m.end, m.captures)
                for m in PURE.python_finditer(program, PURE.MatchContext(tokens, {}))]
        for _ in range(2):
            memo = vm.MatchContext(forms, {})
            memo.form_ids = [FORM_IDS[strings[t.text]] for t in tokens]
            assert [(m.start, m.end, m.captures) for m in vm.finditer(program, memo)] == want
        assert want, pattern


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), sentences())
def test_forms_past_the_memo_match_as_memoised_ones(pattern, sentence):
    """The test memo covers the first MAX_FORM_IDS forms a process meets; tokens of later forms
    are tested every time, with the same results."""
    tokens, spans = sentence
    program = compile_pattern(parse(pattern))
    want = [(m.start, m.end, m.captures)
            for m in PURE.python_finditer(program, PURE.MatchContext(tokens, spans))]
    tokenizer = get_tokenizer()
    strings = tokenizer.nlp.vocab.strings
    forms = [tokenizer.form(strings[t.text]) for t in tokens]
    late = vm.MatchContext(forms, spans)
    late.form_ids = [MAX_FORM_IDS + FORM_IDS[strings[t.text]] for t in tokens]
    assert [(m.start, m.end, m.captures) for m in vm.finditer(program, late)] == want


def test_a_process_past_the_memo_finds_the_same_facts(tmp_path):
    """A process that has met more word forms than the test memo covers (a service fed text
    full of unique tokens) finds the same facts in the seeds, its new forms unmemoised (the
    forms are not forgotten here, as they would be at MAX_FORMS)."""
    import subprocess

    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is absent")
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "import engine\n"
        "from engine.text import tokens\n"
        "from engine.text.tokens import FORMS, MAX_FORM_IDS\n"
        "tokens.MAX_FORMS = 1 << 30\n"
        "eng = engine.load()\n"
        "def facts():\n"
        "    return [f.to_dict() for p in sorted(Path(sys.argv[1]).glob('*.txt'))\n"
        "            for f in eng.extract(p.read_text(encoding='utf-8'), p.name)]\n"
        "eng.extract(' '.join(f'zq{n}x' for n in range(MAX_FORM_IDS + 2000)), 'junk')\n"
        "assert len(FORMS) > MAX_FORM_IDS\n"
        "print(json.dumps(facts()))\n")
    late = subprocess.run([sys.executable, "-c", code, str(SEEDS)], capture_output=True,
                          text=True, check=True)
    assert json.loads(late.stdout) == _facts(sorted(SEEDS.glob("*.txt")))


def _facts(paths) -> list[dict]:
    eng = engine.load()
    return [fact.to_dict() for path in paths
            for fact in eng.extract(path.read_text(encoding="utf-8"), path.name)]


def test_the_pack_finds_the_same_facts_compiled_and_interpreted(monkeypatch):
    paths = sorted(SEEDS.glob("*.txt"))
    assert paths, "seeds/ holds the sample articles"
    compiled = _facts(paths)
    monkeypatch.setattr(engine.api, "finditer", PURE.python_finditer)
    monkeypatch.setattr(engine.api, "native", PURE.python_native)  # programs as they are
    monkeypatch.setattr(vm, "_scan", PURE.python_scan)
    monkeypatch.setattr(vm, "_anchored", PURE.python_anchored)
    interpreted = _facts(paths)
    assert compiled
    assert json.dumps(compiled, sort_keys=True) == json.dumps(interpreted, sort_keys=True)


def test_a_module_older_than_its_source_is_reported(tmp_path):
    from engine.matching import _warn_if_stale

    built, source = tmp_path / "_vm.cpython-311-x86_64-linux-gnu.so", tmp_path / "_vm.pyx"
    built.write_bytes(b"")
    source.write_text("")
    os.utime(built, (1_000, 1_000))
    with pytest.warns(UserWarning, match="rebuild it with `pip install -e .`"):
        _warn_if_stale(tmp_path)
    os.utime(built, (2_000_000_000, 2_000_000_000))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_if_stale(tmp_path)  # built after its last change: nothing to say


def test_version_says_which_matcher_runs():
    from click.testing import CliRunner

    from engine.cli import main

    out = CliRunner().invoke(main, ["--version"]).output
    assert out.startswith("assay ")
    assert ("pure-Python matcher" if PURE_PYTHON else "(compiled matcher)") in out


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 8), st.integers(1, 10),
       st.dictionaries(st.sampled_from(["a", "b", "_c"]),
                       st.lists(st.tuples(st.integers(0, 18), st.integers(0, 6)), max_size=4)))
def test_a_facts_anchor_is_its_first_token_outside_every_capture(start, size, captures):
    """api._anchor (where a fact's date is looked for from): the first token of the match that
    no capture covers, the match's first where every one is covered."""
    from engine.api import _anchor
    from engine.matching.match import Match

    end = start + size
    spans = {role: [(s, min(s + n, end)) for s, n in found if start <= s < end]
             for role, found in captures.items()}
    covered = {i for found in spans.values() for s, e in found for i in range(s, e)}
    want = next((i for i in range(start, end) if i not in covered), start)
    assert _anchor(Match(start, end, spans)) == want
