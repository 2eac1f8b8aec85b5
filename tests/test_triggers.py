"""Rules are only tried on sentences that hold a token they require (the trigger index)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import engine.api
import engine.matching.vm
from engine.patterns.parser import parse
from engine.patterns.requirements import required_keys


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
    tried = _counting_runs(monkeypatch)
    facts = eng.extract("Families fled. Nothing to see here. Zzword7 appears.")
    assert [f.rule for f in facts] == ["r.fled", "r.w7"]
    assert len(tried) == 2  # of 301 rules, one per sentence that has its trigger


def _counting_runs(monkeypatch) -> list:
    """The programs the engine runs from now on (each finditer call), as a list."""
    tried = []
    real = engine.api.finditer

    def counting(program, ctx):
        tried.append(program)
        return real(program, ctx)

    monkeypatch.setattr(engine.api, "finditer", counting)
    # a rule's several programs run in finditer_each: its reference, run on the counting
    # finditer (the compiled one is checked against it in test_vm_native)
    monkeypatch.setattr(engine.matching.vm, "finditer", counting)
    monkeypatch.setattr(engine.api, "finditer_each", engine.matching.vm.python_finditer_each)
    return tried


def test_max_tokens_of_patterns():
    from engine.patterns.ast import max_tokens

    assert max_tokens(parse("a []{0,2} b")) == 4
    assert max_tokens(parse("(a b | c) d?")) == 3
    assert max_tokens(parse("(?<=x y z) a")) == 1
    assert max_tokens(parse("a []* b")) is None
    assert max_tokens(parse("a @force")) is None


def _one_rule(tmp_path, name: str, pattern: str):
    """An engine with one rule, `r.<name>`, of this pattern."""
    import json

    path = tmp_path / f"{name}.yaml"
    path.write_text(f"rules:\n  - id: r.{name}\n    fact: t\n    pattern: {json.dumps(pattern)}\n")
    return engine.load(path)


def _short_sentences():
    """Every sentence of 1 to 5 words over a, b, c, d."""
    from itertools import product

    for size in range(1, 6):
        yield from product("abcd", repeat=size)


PROXIMITY_PATTERNS = [
    "a b", "a []? b", "a []{0,2} b", "a (c | d d) b", "(a | b) c? d", "a b c",
    "x:a []{1,2} y:(b | c)", "(?<=d) a []? b", "a (?!c) []{0,2} b", "[a|b] [] [c|d]",
]


def test_the_proximity_check_never_hides_a_match_in_any_short_sentence(tmp_path):
    # Every sentence of up to 5 words over a, b, c, d, for patterns with gaps, options and
    # lookarounds: wherever the VM finds a match, the proximity check lets the rule run.
    from engine.matching.vm import MatchContext, finditer
    from engine.text import tokens

    for n, pattern in enumerate(PROXIMITY_PATTERNS):
        eng = _one_rule(tmp_path, f"p{n}", pattern)
        compiled = eng.rules[0]
        assert compiled.conditions and compiled.reach is not None, pattern
        strings = eng.tokenizer.nlp.vocab.strings
        skipped = 0
        for words in _short_sentences():
            fids = [eng.tokenizer.form_id(strings.add(w)) for w in words]
            eng._add_forms(tokens.FORMS)
            if not eng._near(0, fids):
                skipped += 1
                forms = [tokens.FORMS[fid] for fid in fids]
                assert not finditer(compiled.programs[0], MatchContext(forms, {})), pattern
        assert skipped > 0, pattern  # the check does skip sentences


def test_two_words_too_far_apart_are_not_tried(tmp_path, monkeypatch):
    path = tmp_path / "near.yaml"
    path.write_text("rules:\n  - id: r.near\n    fact: t\n    pattern: strike []{0,1} convoy\n")
    eng = engine.load(path)
    tried = []
    real = engine.api.finditer
    monkeypatch.setattr(engine.api, "finditer", lambda p, ctx: tried.append(p) or real(p, ctx))
    assert eng.extract("A strike on a convoy. The strike hit. A convoy passed.") == []
    assert tried == []  # "strike" and "convoy" are 3 tokens apart in the first sentence
    assert [f.text for f in eng.extract("A strike on convoy.")] == ["strike on convoy"]
    assert len(tried) == 1


def test_no_search_starts_after_the_last_token_a_match_needs():
    """Any word can start `[!is_punct]{1,3} fled`, but every match holds "fled": with one
    "fled" near the start of a long sentence, the VM stops starting searches after it, and a
    lookbehind whose body needs a word absent from the sentence is decided without a run."""
    from engine.matching.vm import MatchContext, finditer
    from engine.patterns.compiler import compile_pattern
    from engine.text.tokens import get_tokenizer

    tokenizer = get_tokenizer()
    words = ["Many", "fled", "."] + ["word"] * 300
    tokens = [tokenizer.form(tokenizer.nlp.vocab.strings.add(w)) for w in words]

    def steps(pattern: str) -> tuple[list, int]:
        ctx = MatchContext(tokens)
        found = [(m.start, m.end) for m in finditer(compile_pattern(parse(pattern)), ctx)]
        return found, ctx.steps

    found, cost = steps("[!is_punct]{1,3} [lemma=flee]")
    assert found == [(0, 2)] and cost < 40
    found, cost = steps("(?<! [lemma=deny] [!is_punct]{0,3}) [!is_punct]{1,3} [lemma=flee]")
    assert found == [(0, 2)] and cost < 40
    found, cost = steps("[!is_punct]{1,3} [lemma=deny]")  # never tried at all
    assert found == [] and cost == 0
    # the words are needed on the right side of the lookaround: "Many" is before, not after
    assert steps("(?= [] many) [!is_punct]{1,3} [lemma=flee]")[0] == []
    assert steps("(?<= many) [lemma=flee]")[0] == [(1, 2)]


def test_context_sets_are_the_bodies_of_positive_lookarounds_every_match_passes():
    from engine.patterns.requirements import context_sets

    assert context_sets(parse("(?<= [lemma=kill] []{0,3}) and b")) == [{("lemma", "kill")}]
    assert context_sets(parse("b (?= []* (c | d))")) == [{("norm", "c"), ("norm", "d")}]
    assert context_sets(parse("(?<= a (?= x)) b")) == [{("norm", "a")}, {("norm", "x")}]
    assert context_sets(parse("(?<! a) b")) == []  # a negative lookaround needs nothing
    assert context_sets(parse("((?<= a) b | c)")) == []  # not every match passes it
    assert context_sets(parse("((?<= a) b)? c")) == []


CONTEXT_PATTERNS = [
    "(?<= a []*) b", "(?<=a) b", "b (?= []* c)", "(?<= a (?= b)) b", "(?<! a) b",
    "(a | (?<=c) b) d", "(?<= (a | c) []?) b c?", "x:(?<= d []*) (a | b)", "((?<=a) b)+ c",
]


def test_context_conditions_never_hide_a_match_in_any_short_sentence(tmp_path):
    # A sentence without a key of a positive lookaround's body is skipped before the rule
    # runs: over every sentence of up to 5 words from a, b, c, d, the facts are exactly the
    # matches the VM finds when it runs anyway.
    from engine.matching.vm import MatchContext, finditer

    for n, pattern in enumerate(CONTEXT_PATTERNS):
        eng = _one_rule(tmp_path, f"c{n}", pattern)
        compiled = eng.rules[0]
        skipped = 0
        for words in _short_sentences():
            text = " ".join(words)
            facts = [(f.span[0], f.span[1]) for f in eng.extract(text)]
            sentence = eng.document(text, "d").sentences[0]
            ctx = MatchContext(sentence.forms, {})
            found = [sentence.char_span(m.start, m.end)
                     for m in finditer(compiled.programs[0], ctx)]
            assert facts == found, (pattern, text)
            skipped += not found
        assert skipped > 0, pattern
    checked = engine.load(tmp_path / "c0.yaml").rules[0]
    assert len(checked.conditions) > checked.inside  # the lookbehind's body is a condition


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 6000) - 1))
def test_rule_masks_read_back_as_the_indices_of_their_set_bits(mask):
    from engine.matching.vm import bit_positions, python_bit_positions

    want = [i for i in range(mask.bit_length()) if mask >> i & 1]
    assert bit_positions(mask) == python_bit_positions(mask) == want


def test_a_pattern_or_lookaround_whose_span_is_absent_does_not_run():
    """A span every match needs (`x:@force`), or every match of a lookaround's body, absent
    from the sentence: the program does not run (no VM step), the lookaround holds at once."""
    from engine.matching.vm import MatchContext, SpanTable, finditer
    from engine.patterns.compiler import compile_pattern, span_key
    from engine.text.tokens import get_tokenizer

    tokens = get_tokenizer().tokens("Jets strike the town")
    force, cue = span_key("class", "force"), span_key("class", "negation_cue")

    def run(pattern: str, spans: dict) -> tuple[list, int]:
        ctx = MatchContext(tokens, spans)
        found = [(m.start, m.end) for m in finditer(compile_pattern(parse(pattern)), ctx)]
        return found, ctx.steps

    held = SpanTable()
    held.add(3, 4)
    assert run("[lemma=strike] the x:@force", {force: SpanTable()}) == ([], 0)
    found, steps = run("[lemma=strike] the x:@force", {force: held})
    assert found == [(1, 4)] and steps > 0

    elsewhere = SpanTable()
    elsewhere.add(3, 4)  # a cue, but not before "strike"
    pattern = "(?<! @negation_cue []?) [lemma=strike]"  # a body that is run (no Look.peek)
    found, steps = run(pattern, {cue: SpanTable()})
    found_with_cue, steps_with_cue = run(pattern, {cue: elsewhere})
    assert found == found_with_cue == [(1, 2)]
    assert steps < steps_with_cue  # the lookbehind's body ran only where a cue exists
    # a body of one span is never run: its table is read at the position
    peeked = [run("(?<! @negation_cue) [lemma=strike]", {cue: table})
              for table in (SpanTable(), elsewhere)]
    assert peeked[0] == peeked[1] == ([(1, 2)], steps)


def _rule_of_patterns(tmp_path, name: str, patterns: list[str]):
    """An engine with one rule, `r.<name>`, whose patterns are these."""
    import json

    path = tmp_path / f"{name}.yaml"
    listed = "".join(f"\n      - {json.dumps(p)}" for p in patterns)
    path.write_text(f"rules:\n  - id: r.{name}\n    fact: t\n    pattern:{listed}\n")
    return engine.load(path)


def test_a_rules_patterns_run_only_where_their_own_tokens_are(tmp_path, monkeypatch):
    # The rule is tried wherever one pattern's trigger is; each pattern then runs only where
    # every token key set it needs is in the sentence.
    eng = _rule_of_patterns(tmp_path, "several", [
        "[lemma=flee] to x:[]", "y:[] [lemma=retake] [lemma=village]",
        "(?<=said) z:[lemma=fight] back"])
    tried = _counting_runs(monkeypatch)
    assert eng.extract("Families fled from Mosul.") == []
    assert len(tried) == 0  # "fled" triggers the rule; "to" is missing: nothing runs
    assert [f.args["x"]["text"] for f in eng.extract("Families fled to Erbil.")] == ["Erbil"]
    assert len(tried) == 1  # the first pattern alone
    tried.clear()
    facts = eng.extract("Forces retook villages, officials said, and fighting went on.")
    assert [f.args["y"]["text"] for f in facts] == ["Forces"]
    assert len(tried) == 1  # not the third: "fighting" triggers the rule, "back" is missing
    tried.clear()
    assert eng.extract("Fighting back, the forces held.") == []
    assert len(tried) == 0  # "back" is there, not "said", which the third's lookbehind needs
    assert [f.args["z"]["text"] for f in eng.extract("He said fighting back was right.")] == [
        "fighting"]


SEVERAL_PATTERNS = [
    ["a b", "c []? d"], ["a", "b c", "(a | d) c"], ["a []{0,2} b", "(?<= c) d", "d (?= a)"],
    ["x:a b?", "y:(b | c) d", "a d"], ["(?<= a b) c", "c (?= d a) | b", "d (?<! a) c"],
]


def test_skipping_a_rules_patterns_never_hides_a_match_in_any_short_sentence(tmp_path):
    # Over every sentence of up to 5 words from a, b, c, d: the facts of a rule with several
    # patterns are the same whether its patterns are skipped where their tokens are missing or
    # all run on every sentence the rule is tried on.
    for n, patterns in enumerate(SEVERAL_PATTERNS):
        eng = _rule_of_patterns(tmp_path, f"s{n}", patterns)
        assert eng._plans[0][-1] is not None  # the patterns' needs
        every = _rule_of_patterns(tmp_path, f"s{n}", patterns)
        every._plans = [(*plan[:-1], None) for plan in every._plans]
        found = 0
        for words in _short_sentences():
            text = " ".join(words)
            got = [(f.span, f.args) for f in eng.extract(text)]
            assert got == [(f.span, f.args) for f in every.extract(text)], (patterns, text)
            found += bool(got)
        assert found > 0, patterns
