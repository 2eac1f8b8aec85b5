"""Documents, tokens and sentences: offsets into the untouched text, norms, lemmas, splitting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.text import make_document
from engine.text.tokens import get_tokenizer, normalize


def test_tokens_keep_offsets_into_the_original_text():
    text = "  Islamic State’s  fighters\u00a0fled\n\nQayára."
    doc = make_document(text)
    for sentence in doc.sentences:
        for tok in sentence.tokens:
            assert text[tok.start:tok.end] == tok.text
    assert doc.text is text


def test_norm_ignores_case_accents_and_quote_styles():
    tokens = get_tokenizer().tokens("Islamic State’s Qayára “treason”")
    norms = [t.norm for t in tokens]
    assert norms == ["islamic", "state", "'s", "qayara", '"', "treason", '"']
    assert get_tokenizer().tokens("State's")[1].norm == "'s"


def test_lemmas_with_lowercase_retry():
    lemmas = [t.lemma for t in get_tokenizer().tokens("Forces recaptured villages and fled")]
    assert lemmas == ["force", "recapture", "village", "and", "flee"]


def test_numbers_and_shapes():
    tokens = get_tokenizer().tokens("3,000 seven 3.4 villages")
    assert [t.num for t in tokens] == [3000, 7, 3.4, None]
    assert tokens[0].shape == "d,ddd" and "like_num" in tokens[1].flags


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12) | st.sampled_from(
    ["the", "The", "THE", "3,000", "seven", "$", "€", "(", "]", '"', "'", "http://x.org",
     "a@b.org", "U.S.", "--", "…", "McDonald", "1990s", "\u00a0", "ISIS-held"]))
def test_a_forms_flags_are_its_lexemes_whatever_its_flags_were_met_as(word):
    """A form's flags (SPACY_FLAGS) are read once per combination of spaCy's flag bits and
    shared: each is still what the lexeme itself says."""
    from engine.text.tokens import SPACY_FLAGS

    tokenizer = get_tokenizer()
    orth = tokenizer.nlp.vocab.strings.add(word)
    lex = tokenizer.nlp.vocab[orth]
    assert tokenizer.form(orth).flags == {name for name in SPACY_FLAGS if getattr(lex, name)}


def test_headlines_captions_and_datelines_are_sentences(seeds_dir):
    text = (seeds_dir / "000_fb568839f1ab8394.txt").read_text(encoding="utf-8")
    doc = make_document(text)
    firsts = [text[s.start:s.end] for s in doc.sentences[:5]]
    assert firsts[0] == "Thursday, March 28, 2024"  # dateline
    assert firsts[1] == "Baghdad"
    assert firsts[2].startswith("Islamic State in Hawija decry")  # headline, no final period
    assert firsts[4] == "Islamic State members in Iraq (representational photo)"  # caption


def test_sentence_splitting_within_a_line():
    text = 'Lt. Gen. Ali said "they fled." Then U.S. troops left. A. Smith came.'
    doc = make_document(text)
    assert [text[s.start:s.end] for s in doc.sentences] == [
        'Lt. Gen. Ali said "they fled."', "Then U.S. troops left.", "A. Smith came."]
    assert [s.index for s in doc.sentences] == [0, 1, 2]


def _textacy_norm(text: str) -> str:
    from textacy import preprocessing as tp

    return tp.remove.accents(tp.normalize.quotation_marks(
        tp.normalize.unicode(text, form="NFKC"))).lower()


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_norm_is_textacys_normalisation(text):
    """normalize() (unicodedata, with an ASCII shortcut) gives exactly textacy's result."""
    assert normalize(text) == _textacy_norm(text)


def test_norm_is_textacys_normalisation_for_every_code_point():
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000 and i != 0x0A]
    text = "\n".join(chars)  # one call: each line is normalised on its own
    expected = _textacy_norm(text).split("\n")
    assert len(expected) == len(chars)  # no code point normalises to a line break
    assert [normalize(c) for c in chars] == expected


def test_invisible_format_characters_do_not_hide_a_word(bundled_engine):
    """Web text leaves soft hyphens inside words and byte-order or direction marks before
    them, and spaCy keeps them in its tokens: words are matched without them, and facts
    keep the text as written."""
    text = "Islamic State militants killed 25 civilians in Mosul on Monday."
    expected = [(f.type, f.args["victims"]["text"]) for f in bundled_engine.extract(text)]
    assert expected == [("casualties", "civilians")]
    for variant in (text.replace("civilians", "civil\u00adians"), "\ufeff" + text,
                    "\u200e" + text):
        facts = bundled_engine.extract(variant)
        assert [(f.type, f.args["victims"]["text"].replace("\u00ad", "")) for f in facts] \
            == expected, variant
        assert all(variant[f.span[0]:f.span[1]] == f.text for f in facts)


@pytest.mark.parametrize("variant", [
    "killed 25\u200f civilians", "killed \u200f25 civilians", "killed 2\u00ad5 civilians",
    "killed twen\u00adty-five civilians", "killed \u200eat least 25 civilians",
])
def test_invisible_format_characters_do_not_hide_a_value(bundled_engine, variant):
    """A direction mark glued to a number (Arabic-sourced web text) or a soft hyphen inside
    it or inside a date once hid it from <quantity> and <date>, whose terminals read the raw
    text, and lost the whole fact with it. Values are read without them; spans keep them."""
    text = f"Islamic State militants {variant} in Mosul on Mon\u00adday, March\u200f 14, 2016."
    plain = text.replace("\u200f", "").replace("\u200e", "").replace("\u00ad", "")
    want = [(f.args["killed"]["value"], f.date) for f in bundled_engine.extract(plain)]
    assert want and want[0][1] == "2016-03-14"
    facts = bundled_engine.extract(text)
    assert [(f.args["killed"]["value"], f.date) for f in facts] == want
    killed = facts[0].args["killed"]
    assert text[killed["span"][0]:killed["span"][1]] == killed["text"]


def test_every_line_break_ends_a_sentence():
    """As str.splitlines has them: form feeds, NEL, Unicode line and paragraph separators."""
    for brk in ("\n", "\r\n", "\x0c", "\x85", "\u2028", "\u2029"):
        doc = make_document(f"Forces fled{brk}Militants came", "d")
        assert [len(s) for s in doc.sentences] == [2, 2], repr(brk)


def test_a_token_of_invisible_characters_alone_is_space():
    (sentence,) = make_document("Militants \u200b killed \u2060 civilians", "d").sentences
    assert [form.text for form in sentence.forms] == ["Militants", "killed", "civilians"]


def test_the_tokenizer_keeps_the_chunks_of_a_corpus_not_spacys_ten_thousand():
    """spaCy 3.8 keeps the tokens of 10,000 text chunks and splits every other chunk anew each
    time it comes back (FA-KES alone has 15,326). The engine's tokenizer keeps many more, and
    tokenises alike past spaCy's limit."""
    tokenizer = get_tokenizer().nlp.tokenizer
    if not hasattr(tokenizer, "max_cache_size"):
        pytest.skip("spaCy before 3.8 keeps every chunk")
    from engine.text.tokens import TOKENIZER_CACHE_CHUNKS

    assert tokenizer.max_cache_size == TOKENIZER_CACHE_CHUNKS >= 100_000
    text = " ".join(f"(w{k}-x)." for k in range(12_000))
    first = [t.text for t in get_tokenizer().nlp.make_doc(text)]
    again = [t.text for t in get_tokenizer().nlp.make_doc(text)]
    assert first == again and first[:6] == ["(", "w0", "-", "x", ")", "."]
