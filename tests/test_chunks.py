"""Documents made of known chunks: the tokens spaCy gives each text between spaces, kept
(Tokenizer.chunks) and reused without spaCy, must be exactly the tokens spaCy gives the whole
text, in whatever text a chunk comes back."""

from __future__ import annotations

import re
import string
from functools import lru_cache
from types import SimpleNamespace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.text import document as documents
from engine.text import make_document, tokens
from engine.text.tokens import get_tokenizer
from tests.conftest import shared_path

# Texts whose chunks spaCy tokenises otherwise alone than here: a special case matched across
# the space (">:(", "°K.") hides one inside the chunk (":(", "Md.") that would join tokens.
AROUND_SPACES = ["> :(Sen.", "° k.Md.", "( ¬_¬):*", "> :(Doin'", ": ’-(;)", "° f.Mo."]


def spacy_tokens(text: str) -> list[tuple[int, str]]:
    """The oracle: spaCy's non-space tokens of the whole text, with their offsets."""
    return [(t.idx, t.text) for t in get_tokenizer().spacy_doc(text) if not t.is_space]


def document_tokens(text: str) -> list[tuple[int, str]]:
    doc = make_document(text, "d")
    return [(start, form.text) for sentence in doc.sentences
            for start, form in zip(sentence.starts, sentence.forms, strict=True)]


def whole(text: str) -> tuple:
    """make_document's parts as spaCy's tokenisation of the whole text gives them."""
    return documents._from_spacy(text, get_tokenizer(), tokens.FORMS)


def from_chunks(text: str) -> tuple | None:
    return documents._from_chunks(text, get_tokenizer().chunks, tokens.FORMS, [])


def test_spacys_special_cases_can_reach_across_spaces():
    """What the chunks must not miss: these chunks have other tokens alone."""
    nlp = get_tokenizer().nlp
    for text in AROUND_SPACES:
        alone = [t.text for chunk in text.split(" ") for t in nlp.make_doc(chunk)]
        assert alone != [t.text for t in nlp.make_doc(text)], text


@pytest.mark.parametrize("text", AROUND_SPACES)
def test_a_chunk_whose_tokens_depend_on_its_neighbours_is_not_kept(text):
    tokenizer = get_tokenizer()
    for _ in range(2):  # learnt the first time, then known
        assert document_tokens(text) == spacy_tokens(text)
        assert document_tokens(f"Forces fled. {text} x") == spacy_tokens(f"Forces fled. {text} x")
    assert tokenizer.chunks[text.split(" ")[1]] is None


def test_a_document_of_known_chunks_is_made_without_spacy(monkeypatch):
    text = "Iraqi forces recaptured 12 villages near Mosul (AFP).\n\nThe U.S.-led coalition's jets"
    first = document_tokens(text)
    assert first == spacy_tokens(text)
    assert from_chunks(text) == whole(text)

    def refuse(_text):
        raise AssertionError("spaCy was asked")

    monkeypatch.setattr(get_tokenizer(), "spacy_doc", refuse)
    assert document_tokens(text) == first
    assert document_tokens("forces recaptured Mosul (AFP).") == [
        (0, "forces"), (7, "recaptured"), (18, "Mosul"), (24, "("), (25, "AFP"), (28, ")"),
        (29, ".")]


def test_kept_chunks_are_forgotten_with_the_forms():
    """Their form ids mean nothing once the forms are forgotten (tokens._forget_all calls
    each tokenizer's _forget): a tokenizer of its own here, the process's forms untouched."""
    tokenizer = tokens.Tokenizer()
    text = "Peshmerga fighters advanced"
    make_document(text, "d", tokenizer=tokenizer)
    assert "Peshmerga" in tokenizer.chunks
    tokenizer._forget()
    assert tokenizer.chunks == {}
    doc = make_document(text, "d", tokenizer=tokenizer)
    assert [form.text for form in doc.sentences[0].forms] == text.split()


def _special_pieces() -> tuple[list[str], list[str]]:
    """Special cases whose affixes spaCy splits (the ones matched across chunks), and those,
    their pieces and words around them."""
    tokenizer = get_tokenizer().nlp.tokenizer
    cases = sorted(text for text in tokenizer.rules if text.strip() and (
        tokenizer.find_prefix(text) or tokenizer.find_suffix(text) or tokenizer.find_infix(text)))
    pieces = set(cases)
    for text in cases:
        pieces.update(text[:k] for k in range(1, len(text)))
        pieces.update(text[k:] for k in range(1, len(text)))
    return cases, sorted(pieces) + ["Sen.", "Iraq's", "killed", "(AFP)", "10", "a.m.", "x"]


CASES, PIECES = _special_pieces()
SEPARATORS = [" ", " ", " ", "", "  ", "\n", " \n ", "\t", "\xa0", "\u2028"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)),
                min_size=1, max_size=8))
def test_generated_texts_of_special_cases_tokenise_as_spacy_does(parts):
    """Special cases, their pieces and white space, in any order, first and again."""
    text = "".join(piece + sep for piece, sep in parts)
    assert document_tokens(text) == spacy_tokens(text)
    assert document_tokens(text) == spacy_tokens(text)
    known = from_chunks(text)
    assert known is None or known == whole(text)


def test_special_cases_split_across_a_space_tokenise_as_spacy_does():
    """A sweep where spaCy's matches across spaces do hide others: a special case split at
    a space, another that joins tokens glued after it (one text in 200 or so is one)."""
    import random

    tokenizer = get_tokenizer()
    nlp, cases = tokenizer.nlp, tokenizer._special_cases
    joining = sorted("".join(tokens) for tokens in cases.change)
    rng = random.Random(7)
    hidden = 0
    for _ in range(3000):
        first, second = rng.choice(CASES), rng.choice(joining)
        cut = rng.randrange(1, len(first)) if len(first) > 1 else 1
        text = f"{first[:cut]} {first[cut:]}{second}"
        alone = [t.text for chunk in text.split(" ") for t in nlp.make_doc(chunk)]
        hidden += alone != [t.text for t in nlp.make_doc(text)]
        assert document_tokens(text) == spacy_tokens(text), text
        assert document_tokens(text) == spacy_tokens(text), text
    assert hidden >= 3  # the sweep meets what it is for


def test_corpus_documents_tokenise_as_spacy_does(seeds_dir):
    from benchmarks.run import load_corpus

    texts = [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]
    texts += load_corpus(shared_path("corpora", "fakes", "FA-KES-Dataset.csv"), False)[:300]
    for _ in range(2):  # the chunks learnt, then reused
        for text in texts:
            assert document_tokens(text) == spacy_tokens(text)
    for text in texts:
        known = from_chunks(text)
        assert known is None or known == whole(text)
    assert sum(from_chunks(text) is not None for text in texts) > 0.9 * len(texts)


@lru_cache(maxsize=1)
def _with_every_case():
    """The tokenizer _SpecialCases.unapplied used to load: every special case, none in the
    pass (0.05 s to load, so once)."""
    cases = get_tokenizer()._special_cases
    return cases.before_pass(dict(cases.tokenizer.rules))


def _unapplied_with_every_case(text: str) -> list[str]:
    return [token.text for token in _with_every_case()(text)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES + ["(", ")", "'", '"', ".", "-", "s", "'s", "n't"]),
                min_size=1, max_size=5))
def test_unapplied_loads_only_the_cases_a_chunk_holds(parts):
    """spaCy looks special cases up by the text of a chunk and of the pieces its affixes
    leave, so a tokenizer loaded with those within the chunk tokenises it as one loaded with
    all of them."""
    chunk = "".join(parts)
    cases = get_tokenizer()._special_cases
    expected = _unapplied_with_every_case(chunk)
    assert cases.unapplied(chunk) == expected


def test_unapplied_differs_from_the_tokens_after_the_pass():
    """Chunks whose tokens the pass changes (":(Sen.": ":", "(" before it, ":(" after)
    have other tokens before it, the same with all special cases loaded."""
    cases = get_tokenizer()._special_cases
    chunks = [case + "Sen." for case in CASES]
    differing = [chunk for chunk in chunks
                 if cases.unapplied(chunk) != [text for _, text in spacy_tokens(chunk)]]
    assert ":(Sen." in differing
    assert all(cases.unapplied(chunk) == _unapplied_with_every_case(chunk) for chunk in chunks)


def _affixes(prefix: str, suffix: str, infix: str) -> SimpleNamespace:
    """A stand-in for a spaCy tokenizer with these affix patterns, as spaCy compiles them."""
    return SimpleNamespace(prefix_search=re.compile(prefix).search,
                           suffix_search=re.compile(suffix).search,
                           infix_finditer=re.compile(infix).finditer)


@pytest.mark.parametrize(("prefix", "suffix", "infix", "whole"), [
    (r"^\$|^US\$", r"(?<=[0-9])km$|\.$", r"(?<=[a-z])[:<>=/](?=[a-zA-Z])", True),
    (r"^[\W\d_]", r"'s$", r"(?<![0-9])-", True),
    (r"^\$", r"ing$", r"-", False),  # a suffix of letters
    (r"^\$", r"\.$", r"(?<=[a-z])(?=[A-Z])", False),  # a zero-width infix between cases
    (r"^x?", r"\.$", r"-", False),  # an empty match
    (r"^[^0-9]", r"\.$", r"-", False),  # a class of all but digits
    (r"^(?:ab|\.)", r"\.$", r"-", False),  # one way of two reads letters only
    (r"^\$", "(?i:\u212a)$", r"-", False),  # the Kelvin sign, which is "k" ignoring case
])
def test_affixes_are_shown_to_leave_letters_whole_or_not(prefix, suffix, infix, whole):
    assert tokens._letters_stay_whole(_affixes(prefix, suffix, infix)) is whole


def test_a_tokenizer_with_affix_functions_of_its_own_is_not_assumed_to():
    tokenizer = _affixes(r"^\$", r"\.$", r"-")
    tokenizer.suffix_search = lambda text: None
    assert not tokens._letters_stay_whole(tokenizer)


def test_englishs_affixes_leave_letters_whole():
    """What makes chunks of letters learnt without spaCy (Tokenizer.learn) in every test
    that makes documents."""
    assert tokens._letters_stay_whole(get_tokenizer().nlp.tokenizer)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters, min_size=1, max_size=16))
def test_englishs_affixes_find_nothing_in_letters(word):
    """What _letters_stay_whole shows of the patterns, on the functions themselves."""
    tokenizer = get_tokenizer().nlp.tokenizer
    assert tokenizer.prefix_search(word) is None
    assert tokenizer.suffix_search(word) is None
    assert next(tokenizer.infix_finditer(word), None) is None


def test_a_chunk_of_letters_is_learnt_without_spacy(monkeypatch):
    tokenizer = tokens.Tokenizer()
    assert tokenizer.nlp is not None  # (loaded before spaCy is refused)

    def refuse(_text):
        raise AssertionError("spaCy was asked")

    monkeypatch.setattr(tokenizer, "spacy_doc", refuse)
    words = ["Qarayyahville", "forces", "ISIS", "forces"]
    assert tokenizer.learn(words)
    for word in words:
        fid, offset = tokenizer.chunks[word]
        assert (tokens.FORMS[fid].text, offset) == (word, 0)
    form = tokens.FORMS[tokenizer.chunks["Qarayyahville"][0]]
    assert (form.shape, form.lower, "is_title" in form.flags) == ("Xxxxx", "qarayyahville", True)


def test_letters_that_spacy_could_join_or_split_are_still_asked():
    """A special case of letters ("cannot": "can", "not") and the first token of a run that
    the pass over the whole text can change ("Gen", ".": "Gen.") are learnt from spaCy."""
    tokenizer = tokens.Tokenizer()
    assert tokenizer.nlp is not None
    cases = tokenizer._special_cases
    suspect = "Gen"
    assert suspect not in cases.rules
    assert tokenizer.nlp.vocab.strings[suspect] in cases.suspect_orths
    asked = []
    spacy_doc = tokenizer.spacy_doc
    tokenizer.spacy_doc = lambda text: asked.append(text) or spacy_doc(text)
    tokenizer.learn(["cannot", "village", suspect])
    assert asked == [f"cannot {suspect}"]
    assert [tokens.FORMS[fid].text for fid in tokenizer.chunks["cannot"][::2]] == ["can", "not"]


LETTER_CASES = sorted(text for text in get_tokenizer().nlp.tokenizer.rules
                      if text.isascii() and text.isalpha())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(
    st.one_of(st.text(alphabet=string.ascii_letters, min_size=1, max_size=10),
              st.sampled_from(LETTER_CASES + PIECES)),
    st.sampled_from(SEPARATORS)), min_size=1, max_size=8))
def test_texts_of_letters_and_special_cases_tokenise_as_spacy_does(parts):
    text = "".join(piece + sep for piece, sep in parts)
    assert document_tokens(text) == spacy_tokens(text)
    assert document_tokens(text) == spacy_tokens(text)


SUFFIX_PIECES = ["!", '"', "'", ")", "?", ".", "..", "…", "km", "10", "a", "B", "'s", "’s", "%",
                 "$", "—", "-", "°C", ".", "x", "\n", "US$", "5.", "+", "km/h", "mbar", "اكواب"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SUFFIX_PIECES), min_size=1, max_size=60))
@example(["!", "10", "اكواب"])  # the widest suffix English has (a unit after a number), whole
@example(["x", "5", "km/h"])
def test_the_linear_suffix_search_finds_what_the_pattern_finds(parts):
    """_SuffixSearch, on every text (its way for long ones taken on all of them here), finds
    the span English's suffix pattern finds."""
    search = get_tokenizer().nlp.tokenizer.suffix_search
    assert isinstance(search, tokens._SuffixSearch)
    always = tokens._SuffixSearch(search.pattern)
    always.LONG = 0
    text = "".join(parts)
    expected = search.pattern.search(text)
    found = always(text)
    assert (found and found.span()) == (expected and expected.span())


@pytest.mark.parametrize("text", [
    "!" * 3000, '"' * 2000 + "Mosul", "Mosul" + "!?" * 1500, "=" * 2500,
    "(" * 1000 + "x" + ")" * 1000, "10km" + "." * 600 + "!" * 600, "’s" * 900,
    "killed" + "…" * 800, "★" * 1200 + "'s",
])
def test_long_runs_of_punctuation_tokenise_as_spacy_does(text):
    """The texts the linear suffix search is for: spaCy's own tokenizer, made without it, takes
    time quadratic in their length."""
    import spacy

    plain = spacy.blank("en").tokenizer
    assert [t.text for t in get_tokenizer().nlp.make_doc(text)] == [t.text for t in plain(text)]
    assert document_tokens(text) == spacy_tokens(text)


@lru_cache(maxsize=1)
def _plain_vocab():
    """A vocabulary whose lexemes spaCy makes itself, with the engine's one change to them."""
    import spacy
    from spacy.attrs import IS_SPACE

    vocab = spacy.blank("en").vocab
    vocab.lex_attr_getters[IS_SPACE] = tokens._is_space
    return vocab


def _lexeme_form(word: str) -> tokens.Form:
    """Tokenizer.form's way: the form read off spaCy's lexeme."""
    lex = _plain_vocab()[word]
    lemma = get_tokenizer().lemma(word)
    return tokens.Form(lex.text, lex.lower_, tokens.normalize(word), lemma, lex.shape_,
                       lex.norm_, tokens._flags(lex), tokens.number_value(word))


def test_a_word_form_without_a_lexeme_is_the_lexemes(seeds_dir):
    """Every word of letters of the seeds and FA-KES: the form made from spaCy's getters
    (Tokenizer.word_form_id) is the form read off the lexeme spaCy makes."""
    from benchmarks.run import load_corpus

    texts = [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]
    texts += load_corpus(shared_path("corpora", "fakes", "FA-KES-Dataset.csv"), False)
    words = sorted({chunk for text in texts for chunk in text.split()
                    if chunk.isascii() and chunk.isalpha()})
    assert len(words) > 5000
    tokenizer = get_tokenizer()
    for word in words:
        assert tokens._word_form(word, tokenizer.lemma(word), tokenizer._getters) == \
            _lexeme_form(word), word


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters, min_size=1, max_size=14)
       | st.sampled_from(["one", "Twenty", "THOUSAND", "www", "I", "a", "The", "US", "km"]))
def test_generated_word_forms_without_a_lexeme_are_the_lexemes(word):
    tokenizer = get_tokenizer()
    assert tokens._word_form(word, tokenizer.lemma(word), tokenizer._getters) == \
        _lexeme_form(word)


def test_a_word_learnt_without_a_lexeme_keeps_its_form_when_spacy_meets_it():
    """spaCy makes the lexeme when a document has to be tokenised by it (a chunk not kept):
    the word's tokens and form id are the same."""
    word = "Qarzuvillage"
    first = make_document(f"Militants fled {word} today", "d")
    fid = first.sentences[0].fids[2]
    assert tokens.FORMS[fid].text == word
    text = f"{word} > :(Sen."  # (the chunk ":(Sen." is never kept: made by spaCy)
    assert document_tokens(text) == spacy_tokens(text)
    assert make_document(text, "d").sentences[0].fids[0] == fid


def test_a_vocabulary_without_every_getter_makes_forms_off_lexemes():
    from spacy.attrs import SHAPE

    getters = dict(get_tokenizer().nlp.vocab.lex_attr_getters)
    assert tokens._form_getters(getters) is not None
    del getters[SHAPE]
    assert tokens._form_getters(getters) is None


# The kept chunks as a C hash table (text/_chunks.pyx) must be the dict they stand for, and
# its document loop the reference loop in document.py, for keys and texts of every string
# width: a chunk of a text holding wider characters is stored in CPython as wider code units
# than the same chunk alone.
_chunks = pytest.importorskip("engine.text._chunks", reason="text/_chunks.pyx not built")
WIDE_WORDS = ["Mosul", "Qayyarah", "café", "naïve", "Ḥalab", "ﷺ", "𝔐osul", "–", "’s", "d’Ivoire",
              "", " ", "\t", "a\u00adb"]
KEYS = st.sampled_from(WIDE_WORDS) | st.text(max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["set", "get", "in", "len", "clear"]), KEYS,
                          st.none() | st.tuples(st.integers(0, 9), st.integers(0, 9))),
                max_size=120),
       st.sampled_from([64, 2]))
def test_a_chunk_map_is_the_dict_it_stands_for(operations, hash_bits):
    """Also with hashes of two bits, where keys of one hash are told apart by their text."""
    ours, theirs = _chunks.ChunkMap(hash_bits), {}
    for op, key, entry in operations:
        if op == "set":
            ours[key] = entry
            theirs[key] = entry
        elif op == "get":
            assert ours.get(key, False) == theirs.get(key, False)
        elif op == "in":
            assert (key in ours) == (key in theirs)
        elif op == "len":
            assert len(ours) == len(theirs)
        else:
            ours.clear()
            theirs.clear()
    assert ours == theirs
    assert sorted(ours.items()) == sorted(theirs.items())


def test_a_chunk_map_grows_and_finds_every_key():
    ours = _chunks.ChunkMap()
    keys = [f"w{k}" for k in range(5000)] + [f"ẃ{k}" for k in range(5000)]
    for k, key in enumerate(keys):
        ours[key] = (k, 0)
    assert len(ours) == len(keys)
    assert all(ours[key] == (k, 0) for k, key in enumerate(keys))
    assert ours.get("w5000") is None and "ẃ5000" not in ours
    with pytest.raises(KeyError):
        ours["nowhere"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WIDE_WORDS + ["forces", "fled", "Mosul.", "(AFP)"]),
                          st.sampled_from([" ", "  ", "\n", " \n ", "\t", "\u00a0", "\u3000",
                                           "\u2028", ""])),
                min_size=1, max_size=12),
       st.sampled_from(["", "\u2019", "𝔐"]))
def test_documents_read_from_a_chunk_map_as_from_a_dict(parts, wider):
    """The loop in C over a ChunkMap gives make_document's parts, and reports the chunks it
    lacks, exactly as the reference loop over a dict of the same chunks; a character that
    widens the whole text (`wider`, at its end) changes nothing."""
    text = "".join(word + space for word, space in parts) + wider
    tokenizer = get_tokenizer()
    make_document(text, "d")  # its chunks learnt (or known never to be kept)
    table = tokens.FORMS
    chunks = tokenizer.chunks
    assert type(chunks) is _chunks.ChunkMap
    reference = dict(chunks.items())
    # hashes of three bits: chunks told apart by their text (the text's own, and some others)
    colliding = _chunks.ChunkMap(3)
    for k, (key, entry) in enumerate(reference.items()):
        if k < 300 or key in text:
            colliding[key] = entry
    for known in (chunks, colliding):  # and with a chunk dropped: it is missing in both
        ours_missing, theirs_missing = [], []
        ours = documents._from_chunks(text, known, table, ours_missing)
        theirs = documents._from_chunks(text, reference, table, theirs_missing)
        assert ours == theirs and ours_missing == theirs_missing
    first = re.match(r"\S+", text)
    if first:
        dropped = {k: v for k, v in reference.items() if k != first.group()}
        narrow = _chunks.ChunkMap(3)
        for key, entry in dropped.items():
            if key in text:
                narrow[key] = entry
        ours_missing, theirs_missing = [], []
        assert documents._from_chunks(text, narrow, table, ours_missing) is None
        assert documents._from_chunks(text, dropped, table, theirs_missing) is None
        assert ours_missing == theirs_missing
