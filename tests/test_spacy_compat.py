"""`spacy_pattern:` rules find exactly the spans spaCy's Matcher finds (differential test)."""

from __future__ import annotations

import spacy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher

import engine
from engine.text.tokens import get_tokenizer

VOCAB = ["a", "b", "A", "B", "c", "runs", "ran", "villages", ",", "10", "ten", "Mosul", "("]
OPS = [None, "?", "*", "+", "!", "{2}", "{1,2}", "{,2}", "{2,}", "{0,1}"]

attrs = st.one_of(
    st.just({}),
    st.sampled_from(VOCAB).map(lambda w: {"LOWER": w.lower()}),
    st.sampled_from(VOCAB).map(lambda w: {"ORTH": w}),
    st.sampled_from(VOCAB).map(lambda w: {"TEXT": w}),
    st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3).map(lambda ws: {"LOWER": {"IN": ws}}),
    st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3).map(
        lambda ws: {"ORTH": {"NOT_IN": ws}}),
    st.sampled_from(["run", "village", "a"]).map(lambda w: {"LEMMA": w}),
    st.sampled_from(["^[ab]", "s$", "^[A-Z]"]).map(lambda r: {"TEXT": {"REGEX": r}}),
    st.sampled_from(["x", "X", "dd", "Xxxxx", ","]).map(lambda s: {"SHAPE": s}),
    st.sampled_from(["IS_PUNCT", "IS_DIGIT", "IS_TITLE", "LIKE_NUM", "IS_ALPHA", "IS_STOP"])
    .flatmap(lambda f: st.booleans().map(lambda b: {f: b})),
    st.sampled_from([1, 2, 3]).map(lambda n: {"LENGTH": n}),
    st.sampled_from([1, 2, 3]).map(lambda n: {"LENGTH": {">=": n}}),
)


@st.composite
def token_specs(draw):
    spec = dict(draw(attrs))
    op = draw(st.sampled_from(OPS))
    if op:
        spec["OP"] = op
    return spec


spacy_patterns = st.lists(token_specs(), min_size=1, max_size=4)
texts = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=10).map(" ".join)

_NLP = spacy.blank("en")


def spacy_spans(pattern, text):
    """Character spans of spaCy's own Matcher over the same tokens and lemmas."""
    doc = _NLP.make_doc(text)
    tokenizer = get_tokenizer()
    for tok in doc:
        tok.lemma_ = tokenizer.lemma(tok.text)
    matcher = Matcher(_NLP.vocab)
    matcher.add("P", [pattern])
    return sorted({(doc[s].idx, doc[e - 1].idx + len(doc[e - 1].text)) for _, s, e in matcher(doc)})


def engine_spans(tmp_path, pattern, text):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"rules": [{"id": "p", "fact": "t", "spacy_pattern": pattern}]}))
    facts = engine.load(path).extract(text)
    return sorted({tuple(f.span) for f in facts})


@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(spacy_patterns, texts)
def test_same_spans_as_spacy_matcher(tmp_path, pattern, text):
    assert engine_spans(tmp_path, pattern, text) == spacy_spans(pattern, text)


def test_known_case(tmp_path):
    pattern = [{"LOWER": "a"}, {"LOWER": "a", "OP": "!"}]
    text = "a b a a c"
    assert engine_spans(tmp_path, pattern, text) == spacy_spans(pattern, text) == [(0, 3), (6, 9)]
