"""Typed values: the <quantity> and <date> tables, finding phrases in text, document dates,
fact dates, analysts' own grammars, and `assay parse`."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.cli import main
from engine.errors import RuleError
from engine.matching.vm import SpanTable
from engine.text.tokens import get_tokenizer
from engine.values.dates import maximal_spans, nearest_date, resolve
from engine.values.registry import builtin_grammar

DATA = Path(__file__).parent / "data"
QUANTITIES = yaml.safe_load((DATA / "quantities.yaml").read_text(encoding="utf-8"))
DATES = yaml.safe_load((DATA / "dates.yaml").read_text(encoding="utf-8"))
FIELDS = ("value", "min", "max", "qualifier", "approx")


def test_tables_are_large_enough():
    assert len(QUANTITIES) >= 60 and len(DATES) >= 40
    assert {"seed", "own"} <= {row["source"] for row in QUANTITIES}
    assert {"seed", "own"} <= {row["source"] for row in DATES}


@pytest.mark.parametrize("row", QUANTITIES, ids=[r["phrase"] for r in QUANTITIES])
def test_quantity_phrase(row):
    want = {k: row[k] for k in FIELDS if k in row}
    assert builtin_grammar("quantity").parse(row["phrase"]) == want


@pytest.mark.parametrize("row", DATES, ids=[f"{r['phrase']}@{r['base']}" for r in DATES])
def test_date_phrase(row):
    parsed = builtin_grammar("date").parse(row["phrase"])
    assert parsed is not None, row["phrase"]
    assert resolve(parsed, date.fromisoformat(row["base"])) == row["expect"]


def _found(grammar: str, text: str) -> list[tuple[str, object]]:
    tokens = get_tokenizer().tokens(text)
    spans = builtin_grammar(grammar).find(tokens, text)
    longest = {}
    for s, e, value in spans:
        if s not in longest or e > longest[s][0]:
            longest[s] = (e, value)
    covered, out = -1, []
    for s in sorted(longest):
        e, value = longest[s]
        if s >= covered:
            out.append((text[tokens[s].start:tokens[e - 1].end], value))
            covered = e
    return out


def test_quantities_found_in_a_sentence():
    text = ("Forces recaptured up to 45 villages as nearly 3.4 million people and dozens of "
            "families fled.")
    assert [(t, v["value"]) for t, v in _found("quantity", text)] == [
        ("up to 45", 45), ("nearly 3.4 million", 3400000), ("dozens", 12)]


_MARKS = ("\u200e", "\u200f", "\ufeff", "\u2066", "\u2069")  # direction and byte-order marks


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([("quantity", r["phrase"]) for r in QUANTITIES]
                       + [("date", r["phrase"]) for r in DATES]),
       st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(_MARKS), st.booleans()),
                max_size=3))
def test_invisible_marks_around_words_do_not_change_values(case, marks):
    """A direction or byte-order mark before or after a word of a phrase (as web text leaves
    them) finds the same phrase values as the plain text: terminals read the phrase without
    them, its spans keep them."""
    grammar, phrase = case
    text = f"They said {phrase} ."
    words = text.split(" ")
    for where, mark, after in marks:
        k = where % len(words)
        words[k] = words[k] + mark if after else mark + words[k]
    marked = " ".join(words)
    values = [v for _, v in _found(grammar, text)]
    assert [v for _, v in _found(grammar, marked)] == values, repr(marked)


def test_words_that_are_not_quantities():
    assert _found("quantity", "The first phase was launched on the second day.") == []
    assert _found("date", "Forces may retake the town; they sat down on a march.") == []


def test_dates_found_in_a_sentence():
    text = ("On Monday, the command said forces recaptured 45 villages during a phase launched "
            "last Friday, which the militants have held since 2014.")
    found = [(t, resolve(v, date(2024, 3, 28)), v.get("since", False))
             for t, v in _found("date", text)]
    assert found == [("On Monday", "2024-03-25", False), ("last Friday", "2024-03-22", False),
                     ("since 2014", "2014", True)]


def test_relative_dates_without_a_document_date_are_unknown():
    assert resolve(builtin_grammar("date").parse("on Monday"), None) is None
    assert resolve(builtin_grammar("date").parse("March 28, 2024"), None) == "2024-03-28"


def test_hawija_on_monday_resolves_to_march_25(seeds_dir, bundled_engine):
    text = (seeds_dir / "000_fb568839f1ab8394.txt").read_text(encoding="utf-8")
    doc = bundled_engine.document(text, "000_fb568839f1ab8394")
    assert doc.base_date == date(2024, 3, 28)  # from its dateline
    fact = next(f for f in bundled_engine.extract_document(doc) if "45 villages" in f.text)
    assert fact.date == "2024-03-25"


def test_document_date_from_metadata_and_inline_dateline(bundled_engine):
    doc = bundled_engine.document("Families fled.", "a", date="4/5/2017")
    assert doc.base_date == date(2017, 4, 5)  # FA-KES style month/day/year
    doc = bundled_engine.document("Wed 05 Apr 2017 Syria attack symptoms reported.", "b")
    assert doc.base_date == date(2017, 4, 5)
    assert bundled_engine.document("No dateline here. Families fled.", "c").base_date is None


def test_captured_date_wins_over_nearest(tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - id: r.fled\n    fact: flight\n"
                     "    pattern: who:[is_title] [lemma=flee] (when:<date>)?\n")
    eng = engine.load(rules)
    facts = eng.extract("On Monday, police said Ali fled on Sunday.", date="2024-03-28")
    assert facts[0].date == "2024-03-24"
    assert facts[0].args["when"]["value"] == "2024-03-24"
    facts = eng.extract("On Monday, police said Ali fled.", date="2024-03-28")
    assert facts[0].date == "2024-03-25"
    facts = eng.extract("Ali fled, as he has since 2014.", date="2024-03-28")
    assert facts[0].date is None


def test_quantity_captures_carry_the_value_object(tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - id: r.regain\n    fact: territory\n"
                     "    pattern: '[lemma=recapture] count:<quantity> place:[lemma=village]'\n")
    fact = engine.load(rules).extract("Forces recaptured up to 45 villages.")[0]
    assert fact.args["count"] == {"text": "up to 45", "span": [18, 26], "value": 45,
                                  "qualifier": "at_most", "approx": False}


# ---- analysts' grammars --------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "casualties"


def test_analyst_grammar_works_from_a_rule_without_python():
    eng = engine.load(EXAMPLE)
    fact = eng.extract("The car bomb left seven dead and nine wounded in Baghdad.")[0]
    toll = fact.args["toll"]
    assert (toll["text"], toll["killed"], toll["wounded"], toll["value"]) == (
        "seven dead and nine wounded", 7, 9, 7)


def test_a_lark_file_dropped_in_a_rules_folder_is_a_value(tmp_path):
    (tmp_path / "weapon_count.lark").write_text(
        'start: NUM _W\nNUM: /\\d+/\n_W: /(rockets|mortars)/i\n%ignore /\\s+/\n')
    (tmp_path / "r.yaml").write_text("rules:\n  - id: r.fire\n    fact: attack\n"
                                     "    pattern: '[lemma=fire] what:<weapon_count>'\n")
    fact = engine.load(tmp_path).extract("Militants fired 12 rockets at the base.")[0]
    assert fact.args["what"] == {"text": "12 rockets", "span": [16, 26], "value": "12 rockets"}


@pytest.mark.parametrize("grammar, line, col, message", [
    ('start: "x" b\n', 1, 12, "used but not defined"),
    ('start: "x" | (\n', 1, 15, "Expecting a value"),
    ('start: A\nA: /a?/\n', 2, 1, "zero-width"),
])
def test_broken_grammar_is_reported_at_its_position(tmp_path, monkeypatch, grammar, line, col,
                                                    message):
    (tmp_path / "g.lark").write_text(grammar)
    (tmp_path / "r.yaml").write_text("rules:\n  - id: a.b\n    fact: t\n    pattern: x:<g>\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleError) as info:
        engine.load(".")
    (first,) = info.value.diagnostics
    assert (first.file, first.line, first.col) == ("g.lark", line, col), first.format()
    assert message in first.message
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2 and f"g.lark:{line}:{col}: " in result.output


def test_bad_field_mapping_is_reported_in_yaml(tmp_path, monkeypatch):
    (tmp_path / "g.lark").write_text('start: n "x"\nn: /\\d+/\n')
    (tmp_path / "r.yaml").write_text("grammars:\n  g:\n    file: g.lark\n    fields:\n"
                                     "      count: {from: nope, as: quantity}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleError) as info:
        engine.load(".")
    first = info.value.diagnostics[0]
    assert (first.file, first.line) == ("r.yaml", 3)
    assert "`from: nope`" in first.message


# ---- assay parse ---------------------------------------------------------------------------

def _parse(*args):
    result = CliRunner().invoke(main, ["parse", *args])
    return result.exit_code, result.stdout, result.stderr


def test_parse_quantity():
    code, out, _ = _parse("quantity", "up to 45")
    assert code == 0
    assert json.loads(out) == {"grammar": "quantity", "text": "up to 45", "value": 45,
                               "qualifier": "at_most", "approx": False}


def test_parse_date_with_base_and_tree():
    code, out, _ = _parse("date", "On Monday", "--date", "2024-03-28", "--tree")
    data = json.loads(out)
    assert code == 0 and data["value"] == "2024-03-25" and data["precision"] == "day"
    assert "weekday" in data["tree"]


def test_parse_reports_what_is_not_covered():
    code, out, err = _parse("quantity", "up to 45 villages")
    assert code == 1 and out == ""
    assert "does not cover 'up to 45 villages'" in err and "'up to 45'" in err


def test_parse_an_analyst_grammar():
    code, out, _ = _parse("casualty_phrase", "12 killed, 30 injured", "--rules", str(EXAMPLE))
    assert code == 0
    assert json.loads(out)["killed"] == 12 and json.loads(out)["wounded"] == 30


def test_parse_unknown_grammar_is_a_usage_error():
    code, _, err = _parse("casualties", "x")
    assert code == 2 and "no grammar 'casualties'" in err


def test_re3d_count_recall_at_least_90_percent(capsys):
    from conftest import shared_path

    corpus = shared_path("corpora", "re3d")
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "re3d_quantities.py"
    spec = importlib.util.spec_from_file_location("re3d_quantities", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--corpus", str(corpus)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["re3d_quantity_recall"] >= 0.9
    assert result["values_right"] == result["values_checked"]


def test_quantity_at_the_end_of_a_sentence():
    """A sentence's final period is no decimal point: "rose to 45." holds the count 45."""
    assert [(t, v["value"]) for t, v in _found("quantity", "The toll rose to 45.")] == [("45", 45)]
    assert [(t, v["value"]) for t, v in _found("quantity", "It cost 3.5 million.")] == [
        ("3.5 million", 3500000)]


def _resolve_with_dateparser(expr: dict, base: date) -> str | None:
    """How every expression was resolved before the shortcuts: dateparser, with the
    document's date as its base, every time."""
    from datetime import timedelta

    from engine.values import dates

    found = dates._dateparser(expr["query"], base)
    if found is None:
        return None
    if expr.get("weekday") and found < base - timedelta(days=6):
        found += timedelta(days=7)
    if expr.get("needs_base") and found > base:
        return None
    return found.strftime({"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[expr["precision"]])


def test_weekdays_and_dated_expressions_resolve_as_dateparser_does():
    """Weekdays and days, months and years are counted back from the document's date, and
    expressions that carry their year are parsed once for all documents: all must agree with
    dateparser given the base."""
    from datetime import timedelta

    grammar = builtin_grammar("date")
    phrases = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
               "last weekend", "27 Jul 2016", "July 2016", "2016", "March 3, 2015",
               "3 March 2014", "Feb 29, 2016", "December 2019", "1 January 2017", "in 2011",
               "mid-2015", "early March 2016", "31 April 2016", "29 Feb 2015", "Sept 2014",
               "SEPT 3, 2014", "3rd of March 2016", "March 3rd, 2016", "Tue 05 Jul 2016"]
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    phrases += [f"{day} {name} 2015" for name in months for day in (1, 30, 31)]
    phrases += [f"{name[:3]}. 2013" for name in months]
    phrases += [f"{name.upper()} 2012" for name in months]
    bases = [date(2016, 7, 27) + timedelta(days=d) for d in range(-9, 12)]
    bases += [date(2011, 1, 1), date(2014, 3, 3), date(2020, 12, 31)]
    bases = bases[::3]  # every weekday still occurs: 21 consecutive days, every third
    # what is counted back from the document's date: days, months and years, about month
    # ends and leap days
    phrases += ["today", "yesterday", "tonight", "the day before yesterday", "2 days ago",
                "seven days ago", "40 days ago", "3 weeks ago", "a week ago", "5 months ago",
                "13 months ago", "two years ago", "a year ago", "last week"]
    phrases += [f"{day} {name}" for name in months for day in (1, 15, 28, 29, 30, 31)]
    phrases += months + [f"{name[:3]}." for name in months] + ["Sept 22", "March 3rd"]
    bases += [date(2016, 2, 29), date(2015, 3, 1), date(2016, 12, 31), date(2017, 1, 1),
              date(2016, 6, 30), date(2016, 7, 1), date(2015, 5, 31)]
    checked = 0
    for phrase in phrases:
        expr = grammar.parse(phrase)
        if expr is None:
            continue
        for base in bases:
            assert resolve(expr, base) == _resolve_with_dateparser(expr, base), (phrase, base)
            checked += 1
    assert checked >= 15 * len(bases)


_WORDS = ["up to", "at least", "more than", "as many as", "27 July 2016",
          "up", "to", "at", "least", "45", "1,200", "12.5", "3rd", "some", "dozens", "of",
          "two", "hundred", "thousand", "villages", "people", "Tuesday", "27", "July", "2016",
          "Sept.", "last", "week", "on", ",", "-", "more", "than", "nearly", "ones", "km",
          "12km", "Mayor", "May", "mid-2015", "as", "many", "killed", "1990s", "a", "half",
          "between", "from", "in", "or", "plus", "ago", "since", "this", "early"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12), st.booleans())
def test_the_per_word_prefilter_never_hides_a_value(words, glued):
    """ValueGrammar.find first asks, once per word, which terminals can begin at the word (a
    partial match of its own text); the values found are those found trying every terminal
    at every token."""
    text = ("" if glued else " ").join(words)
    tokens = get_tokenizer().tokens(text)
    for name in ("quantity", "date"):
        grammar = builtin_grammar(name)
        assert grammar._prefix is not None
        filtered = grammar.find(tokens, text)
        assert grammar.find(tokens, text) == filtered  # every word known now
        prefix, grammar._prefix = grammar._prefix, None
        grammar._words.clear()
        try:
            unfiltered = grammar.find(tokens, text)
        finally:
            grammar._prefix = prefix
            grammar._words.clear()
        assert filtered == unfiltered, (name, text)


def _reference_find(grammar, tokens, text):
    """find() as first written, token by token: every terminal tried at every token; a token
    takes part where a terminal starts at it or runs over it, glue inside runs of such tokens;
    every window of a run up to MAX_TOKENS long that neither starts nor ends with glue is
    parsed."""
    from engine.values.grammar import MAX_TOKENS

    n = len(tokens)
    reach = [-1] * n
    for i, tok in enumerate(tokens):
        for rx in grammar._starts:
            m = rx.match(text, tok.start)
            if m and m.end() > tok.start:
                reach[i] = max(reach[i], m.end())
    part, glue, covered = [False] * n, [False] * n, -1
    for i, tok in enumerate(tokens):
        covered = max(covered, reach[i])
        part[i] = reach[i] > 0 or tok.start < covered
        if not part[i] and any(rx.fullmatch(tok.text) for rx in grammar._glue):
            part[i] = glue[i] = True
    out, i = [], 0
    while i < n:
        if not part[i]:
            i += 1
            continue
        j = i
        while j < n and part[j]:
            j += 1
        for s in range(i, j):
            for e in range(min(j, s + MAX_TOKENS), s, -1):
                if not glue[s] and not glue[e - 1]:
                    value = grammar.parse(text[tokens[s].start:tokens[e - 1].end])
                    if value is not None:
                        out.append((s, e, value))
        i = j
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS + [",", "and", "the"]), min_size=1, max_size=14),
       st.sampled_from([" ", "", "  ", "\t", "\n", "\xa0", "\u2009"]))
def test_find_equals_the_token_by_token_reference(words, separator):
    """find() skips what cannot give a value (words no terminal can begin at, windows whose
    first token can begin no phrase, terminals matched at a word followed by white space
    where the word's own reach says it); the reference matches every terminal at every token
    and parses every window."""
    text = separator.join(words)
    tokens = get_tokenizer().tokens(text)
    texts, starts = [t.text for t in tokens], [t.start for t in tokens]
    for name in ("quantity", "date"):
        grammar = builtin_grammar(name)
        want = _reference_find(grammar, tokens, text)
        assert grammar.find(tokens, text) == want, (name, text)
        # as the engine asks, with the positions of the words that are not inert
        active = [i for i, word in enumerate(texts) if not grammar.inert(word)]
        assert grammar.find_words(texts, starts, text, active) == want, (name, text)


@pytest.mark.parametrize(("pattern", "one_word"), [
    (r"(zero|one|two)(?![a-z])", True),
    (r"\d{1,3}(,\d{3})+(\.\d+)?(?![\d,]|\.\d)", True),
    (r"[-–—]", True),
    (r"[^\s,]+", True),
    (r"(up\s+to|over)(?![a-z])", False),  # reads on into the next word
    (r"a few", False),
    (r"[^,]+", False),  # a negated class that takes white space
    (r"\w.", False),
    (r"(?<=\d)th", False),  # looks behind the token
    (r"\bkm", False),
    (r"km$", False),
    (r"(a)\1", False),
])
def test_which_terminals_read_one_word(pattern, one_word):
    """A terminal whose match at a token is worked out once per word must read nothing past
    the first white space after it (grammar._reads_one_word)."""
    from engine.values.grammar import _reads_one_word

    assert _reads_one_word(re.compile(pattern, re.IGNORECASE)) is one_word


def test_white_space_is_what_str_isspace_says():
    from engine.values.grammar import _SPACES

    assert sorted(_SPACES) == [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]


def test_number_fields_are_ints_unless_written_with_a_decimal_point():
    from engine.values.grammar import _convert

    assert _convert("1,200", {"as": "number"}) == 1200
    assert type(_convert("1,200", {"as": "number"})) is int
    assert _convert("2.5", {"as": "number"}) == 2.5
    assert _convert("Two", {"map": {"two": 2}}) == 2


def test_resolved_dates_are_iso_at_their_precision():
    base = date(2016, 7, 5)
    assert resolve({"query": "Tuesday", "weekday": True, "needs_base": True,
                    "precision": "day"}, base) == "2016-07-05"
    assert resolve({"query": "July 2016", "precision": "month"}, None) == "2016-07"
    assert resolve({"query": "2016", "precision": "year"}, None) == "2016"


# ---- the nearest date ----------------------------------------------------------------------

_SPANS = st.dictionaries(
    st.tuples(st.integers(0, 12), st.integers(1, 6)).map(lambda se: (se[0], se[0] + se[1])),
    st.builds(lambda since: {"since": since} if since else {}, st.booleans()), max_size=8)


@given(_SPANS, st.integers(0, 18))
def test_nearest_date_is_the_closest_maximal_one_before_on_a_tie(values, anchor):
    """The sweep gives what the definition says: the spans inside no other one, "since …"
    left out, and of those the nearest the anchor, the one before it on a tie."""
    maximal = [(s, e, v) for (s, e), v in values.items() if not v.get("since") and not any(
        s2 <= s and e <= e2 and (s2, e2) != (s, e) for s2, e2 in values)]
    table = SpanTable()  # what the engine reads: a span table's spans, in its order
    for (start, end), value in values.items():
        table.add(start, end, value)
    found = maximal_spans(table.spans())
    assert sorted(found, key=str) == sorted(maximal, key=str)

    def distance(span):
        s, e, _ = span
        return (anchor - e + 1, 0) if e <= anchor else (s - anchor, 1)

    expected = min(maximal, key=distance) if maximal else None
    assert nearest_date(found, anchor) == expected


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["July 2016", "5 March 2015", "2014", "today", "yesterday", "July",
                        "3 days ago", "Monday", "21 August", "the end of 2015", "late 2015"]),
       st.sampled_from(["day", "month", "year"]), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.dates(min_value=date(1, 1, 2), max_value=date(9999, 12, 30))))
def test_resolving_a_date_twice_gives_what_resolving_it_afresh_does(query, precision,
                                                                  needs_base, weekday, base):
    """resolve() is memoised by what it reads of an expression and by the base date: the
    memo's answer is the computation's, whatever came before it."""
    from engine.values import dates

    expr = {"query": query, "precision": precision, "needs_base": needs_base}
    if weekday and needs_base and query == "Monday":  # as the grammar writes weekdays
        expr["weekday"] = True
    try:
        fresh = dates._resolve(expr, base)
    except (OverflowError, ValueError):
        fresh = None
    assert resolve(expr, base) == fresh
    assert resolve(dict(expr), base) == fresh  # from the memo


def test_a_fact_takes_the_nearest_date_of_several(tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - id: r.fled\n    fact: flight\n"
                     "    pattern: who:[is_title] [lemma=flee]\n")
    eng = engine.load(rules)
    text = "Ali fled on Monday; on Tuesday, Omar fled; Hassan fled on Friday, March 22."
    facts = eng.extract(text, date="2024-03-28")
    assert [(f.args["who"]["text"], f.date) for f in facts] == [
        ("Ali", "2024-03-25"), ("Omar", "2024-03-26"), ("Hassan", "2024-03-22")]


def test_dates_off_the_calendar_are_unknown_not_errors():
    """A metadata date in year 1 (SQL exports' null date) has no "last year" or "yesterday":
    those dates are unknown, and the document's facts are kept."""
    text = ("Militants killed 5 people in Mosul yesterday. Forces recaptured 45 villages last "
            "month. Last year militants killed 7 people.")
    for base in ("0001-01-01", "0001-01-20", "0001-06-01"):
        facts = engine.load().extract(text, date=base)
        assert len(facts) >= 3 and all(f.date is None or f.date.startswith("0001")
                                       for f in facts), base
    assert resolve(builtin_grammar("date").parse("yesterday"), date(1, 1, 1)) is None


def test_numbers_beyond_floats_give_no_value_and_valid_json():
    """Over 308 digits a float is infinite, which JSON cannot write: no value is made."""
    facts = engine.load().extract("Militants killed " + "9" * 400 + " people in Mosul.")
    for fact in facts:
        json.dumps(fact.to_dict(), allow_nan=False)
    assert builtin_grammar("quantity").parse("9" * 400) is None
    assert get_tokenizer().form(get_tokenizer().nlp.vocab.strings.add("9" * 400)).num is None


def test_giant_words_and_stretched_windows_are_not_parsed():
    """A word past MAX_WINDOW_CHARS begins no phrase (deciding it was quadratic in the word's
    length), and a window stretched by a run of spaces is not parsed nor cached."""
    from engine.values.grammar import MAX_WINDOW_CHARS

    grammar = builtin_grammar("quantity")
    huge = "1" + ",000" * (MAX_WINDOW_CHARS // 4 + 1)
    tokens = get_tokenizer().tokens(f"killed {huge} people")
    assert grammar.find(tokens, f"killed {huge} people") == []
    text = "at least" + " " * MAX_WINDOW_CHARS + "5 people"
    found = grammar.find(get_tokenizer().tokens(text), text)
    assert [(s, e) for s, e, _ in found] == [(2, 3)]  # "5" alone, not "at least … 5"


_WORDS = ["at", "least", "12", "1,200", "two", "hundred", "a", "dozen", "of", "dozens", "and",
          "between", "5", "-", "to", "over", "March", "5", "2016", "on", "Monday", "last",
          "week", "early", "mid", "since", "ago", "days", "three", "the", "end", "Sept.", "nine",
          "half", "few", "plus", "30th", "in", ",", "killed", "year", "this"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["quantity", "date"]),
       st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6))
def test_built_in_values_made_during_the_parse_equal_the_tree_transformed(name, words):
    """The built-in grammars make values while parsing (Lark's tree-less LALR); the tree the
    grammar gives (`assay parse --tree`), transformed, must say the same, or both nothing."""
    grammar = builtin_grammar(name)
    text = " ".join(words)
    tree = grammar.tree(text)
    try:
        expected = None if tree is None else grammar.value(tree, text)
    except Exception:  # what _parse reads as "no value"
        expected = None
    assert grammar._parse(text) == expected


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["quantity", "date"]),
       st.lists(st.sampled_from(_WORDS + ["a few", "3-4", "mid-2015", "12km"]), min_size=1,
                max_size=6),
       st.sampled_from([" ", "", "\t", "\xa0", "  "]), st.sampled_from(["", " ", "\n"]))
def test_the_end_filter_searches_the_last_word_as_it_would_the_whole_text(name, words,
                                                                            separator, tail):
    """The end filter tries the terminals that read one word only on the text's last word:
    it answers as searching the whole text for every end terminal would."""
    from engine.values.grammar import _ends_text

    one_word, others = builtin_grammar(name)._ends
    text = separator.join(words) + tail
    whole = any(rx is not None and rx.search(text) is not None for rx in (one_word, others))
    assert _ends_text((one_word, others), text) == whole


def test_a_window_no_phrase_can_end_is_not_parsed_and_the_rest_are(tmp_path):
    """A grammar's phrases end with some terminals only (here a number or a unit): a text
    that ends otherwise is no phrase, found without a parse; every other text is parsed, and
    a grammar whose phrases may be empty keeps no such filter."""
    from engine.values.grammar import GrammarSpec, compile_grammar

    path = tmp_path / "distance.lark"
    path.write_text('start: _ABOUT? NUM UNIT?\n_ABOUT: /about(?![a-z])/\nNUM: /\\d+/\n'
                    'UNIT: /(km|miles)(?![a-z])/\n%ignore " "\n')
    grammar = compile_grammar(GrammarSpec("distance", str(path), "distance.lark",
                                          fields={"n": {"from": "NUM", "as": "number"}}))
    assert grammar._ends is not None
    for text, value in [("about 12 km", 12), ("12", 12), ("12 miles", 12), ("about", None),
                        ("12 about", None), ("km", None), ("12 kms", None)]:
        parsed = grammar.parse(text)
        assert (parsed or {}).get("n") == value, text
        assert (grammar.tree(text) is not None) == (value is not None), text
    path.write_text('start: NUM?\nNUM: /\\d+/\n%ignore " "\n')
    assert compile_grammar(GrammarSpec("maybe", str(path), "maybe.lark"))._ends is None


_PROBE_WORDS = ["a", "an", "at", "least", "most", "few", "couple", "of", "up", "to", "no", "more",
                "fewer", "than", "as", "many", "several", "days", "weeks", "ago", "the", "end",
                "beginning", "early", "late", "mid", "March", "2016", "3", "three", "dozens",
                "people", "killed", "yesterday", "today", "day", "before", "on", "Monday", "-"]


def _unfiltered(grammar):
    """The grammar with none of its prefilters: every terminal tried at every token."""
    import copy

    ref = copy.copy(grammar)
    ref._words, ref._heads, ref._probes, ref._parsed = {}, {}, None, {}
    ref._prefix, ref._prefixes = None, [None] * len(grammar._prefixes)
    return ref


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PROBE_WORDS),
                          st.sampled_from([" ", " ", " ", "  ", "\n", "\u00a0", " \n "])),
                min_size=1, max_size=9))
def test_terminals_probed_at_the_next_word_find_what_trying_every_terminal_finds(pieces):
    """A terminal that reads past a word ("at least", "a few days ago") is run at a token only
    where the text up to the next word's first character can begin a match of it (matched
    partially): over texts of the words these terminals are made of, with any white space
    between them, each grammar finds what it finds with no prefilter at all."""
    text = "".join(word + space for word, space in pieces)
    tokens = get_tokenizer().tokens(text)
    for name in ("quantity", "date"):
        grammar = builtin_grammar(name)
        assert grammar.find(tokens, text) == _unfiltered(grammar).find(tokens, text), (name, text)


def test_terminals_that_read_past_a_word_are_probed_and_still_found():
    """The probes rule terminals out ("at" before "the": no "at least" there) and keep those
    that match ("at least 30", "up to 45"), as the grammar without prefilters finds."""
    grammar = builtin_grammar("quantity")
    text = "Forces killed at least 30 people at the camp and up to 45 in villages."
    tokens = get_tokenizer().tokens(text)
    found = grammar.find(tokens, text)
    assert found == _unfiltered(grammar).find(tokens, text)
    assert {"at_least", "at_most"} <= {value.get("qualifier") for _, _, value in found}
    assert grammar._probes.get("at t") == ()  # "at the": nothing that reads past "at" can


# ---- Lark's LALR parse, driven in one loop (engine.values.lalr) ----

def _outcome(parse, text: str):
    """What a parse gives: its value, or that it failed (any error, as ValueGrammar reads it)."""
    try:
        return ("value", parse(text))
    except Exception:  # noqa: BLE001 - Lark's errors, the driver's ParseFailed, transformers'
        return ("failed",)


def _positions(tree) -> list:
    """Every subtree's rule and position, and every token's type and position: what an
    analyst's grammar reads its fields from (`_text_of`)."""
    from lark import Token, Tree

    out = []
    for sub in tree.iter_subtrees() if isinstance(tree, Tree) else ():
        meta = sub.meta
        out.append((sub.data, getattr(meta, "start_pos", None), getattr(meta, "end_pos", None),
                    getattr(meta, "line", None), getattr(meta, "column", None),
                    getattr(meta, "end_line", None), getattr(meta, "end_column", None)))
        out.extend((t.type, t.start_pos, t.end_pos, t.line, t.column, t.end_line, t.end_column)
                   for t in sub.children if isinstance(t, Token))
    return out


def _same_as_lark(lark_parser, text: str) -> None:
    from engine.values.lalr import driver_for

    driver = driver_for(lark_parser)
    assert driver is not None
    want, got = _outcome(lark_parser.parse, text), _outcome(driver.parse, text)
    assert got == want, text
    if want[0] == "value":
        assert _positions(got[1]) == _positions(want[1]), text


def _windows(texts, longest: int = 5) -> list[str]:
    """Every run of one to `longest` tokens in the texts, as the text it spans."""
    tokenizer, windows = get_tokenizer(), set()
    for text in texts:
        tokens = tokenizer.tokens(text)
        for i in range(len(tokens)):
            for j in range(i + 1, min(i + longest, len(tokens)) + 1):
                windows.add(text[tokens[i].start:tokens[j - 1].end])
    return sorted(windows)


def _same_values_as_lark(windows: list[str], phrases: int) -> None:
    from engine.values.lalr import driver_for

    for name in ("quantity", "date"):
        values = builtin_grammar(name)._values
        driver = driver_for(values)
        found = 0
        for text in windows:
            want = _outcome(values.parse, text)
            assert _outcome(driver.parse, text) == want, (name, text)
            found += want[0] == "value"
        assert found > phrases, name  # the windows hold phrases, not only failures


def test_lalr_driver_gives_larks_values_on_every_window_of_the_seeds(seeds_dir):
    """The built-in grammars parse with the driver (values made during the parse) exactly what
    Lark's own parse gives, and fail exactly where Lark fails, on every run of up to five
    tokens of the seeds: phrases, near misses and plain words alike."""
    windows = _windows(path.read_text(encoding="utf-8")
                       for path in sorted(seeds_dir.glob("*.txt")))
    assert len(windows) > 15_000
    _same_values_as_lark(windows, 40)


def test_lalr_driver_gives_larks_values_on_every_window_of_real_news():
    """The same on the first 100 articles of FA-KES (news of the war in Syria)."""
    from conftest import shared_path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from run import load_corpus

    texts = load_corpus(shared_path("corpora", "fakes", "FA-KES-Dataset.csv"), False, 100)
    windows = _windows(texts, 4)
    assert len(windows) > 80_000
    _same_values_as_lark(windows, 300)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PROBE_WORDS + ["and", ",", "or", "1,200", "3.5",
                                                          "half", "1990s", "2014-15", "X"]),
                          st.sampled_from([" ", " ", "", "  ", "\n", ", "])),
                min_size=1, max_size=8))
def test_lalr_driver_gives_larks_values_and_trees_on_generated_phrases(pieces):
    """On texts made of the words the grammars' terminals are made of, with any spacing and
    line breaks: the built-in grammars' values, their trees (with every node's and token's
    position), and an analyst's grammar's trees, all as Lark's own parse gives them."""

    text = "".join(word + space for word, space in pieces).strip()
    if not text:
        return
    for name in ("quantity", "date"):
        grammar = builtin_grammar(name)
        assert _outcome(driver_for_values(grammar).parse, text) == _outcome(
            grammar._values.parse, text), (name, text)
        _same_as_lark(grammar.parser, text)
    _same_as_lark(_analyst_lark(), text.replace("March", "killed").replace("Monday", "wounded"))


def driver_for_values(grammar):
    from engine.values.lalr import driver_for

    return driver_for(grammar._values)


_ANALYST_LARK = []


def _analyst_lark():
    """examples/casualties' grammar, parsed with positions as analysts' grammars are."""
    from lark import Lark

    if not _ANALYST_LARK:
        path = Path(__file__).resolve().parent.parent / "examples" / "casualties"
        _ANALYST_LARK.append(Lark((path / "casualty_phrase.lark").read_text(encoding="utf-8"),
                                  parser="lalr", propagate_positions=True))
    return _ANALYST_LARK[0]


def test_lalr_driver_reads_an_analysts_grammar_positions():
    """An analyst's grammar takes its fields from positions in the text: the driver's trees
    carry Lark's, across line breaks too."""
    for text in ("seven dead and nine wounded", "12 killed,\n 30 injured", "9 wounded",
                 "at least\n5 people killed with 3 hurt", "dead 7", ""):
        _same_as_lark(_analyst_lark(), text)


def test_grammars_the_driver_does_not_cover_are_parsed_by_lark():
    """Earley (an ambiguous grammar falls back to it) and other lexers are left to Lark."""
    from lark import Lark

    from engine.values.lalr import driver_for

    grammar = 'start: WORD+\nWORD: /[a-z]+/\n%ignore " "'
    assert driver_for(Lark(grammar, parser="earley")) is None
    assert driver_for(Lark(grammar, parser="lalr", lexer="basic")) is None
    assert driver_for(Lark(grammar, parser="lalr")) is not None
