"""Lexicons: classes, spelling variants to one id, coordinates, case-sensitive entries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.matching.lexicon import Lexicon
from engine.rules.model import LexiconEntry
from engine.text.document import make_document
from engine.text.tokens import get_tokenizer


def _places(engine_, text):
    tokens = get_tokenizer().tokens(text)
    return [(text[tokens[s].start:tokens[e - 1].end], v["id"]) for c, s, e, v in
            engine_.lexicon.find(tokens) if c == "place"]


@pytest.mark.parametrize("variants, canonical", [
    (["Qayara", "Qayyarah", "Qayyara", "al-Qayyarah"], "Qayyarah"),
    (["Hamreen", "Hamrin"], "Hamrin"),
    (["Salahuddin", "Salaheddine", "Salah al-Din"], "Salah al-Din"),
    (["Shirqat", "Sharqat"], "Shirqat"),
    (["Hawija", "al-Hawija", "Huwayjah"], "Hawija"),
    (["Tal Afar", "Telafar"], "Tal Afar"),
    (["Raqqa", "Raqqah"], None),
])
def test_spelling_variants_share_one_id(bundled_engine, variants, canonical):
    ids = set()
    for variant in variants:
        found = dict(_places(bundled_engine, f"Families fled {variant} on foot."))
        assert variant in found, (variant, found)
        ids.add(found[variant])
    assert len(ids) == 1
    if canonical:
        assert ids == {canonical}


def test_places_carry_coordinates(bundled_engine, tmp_path):
    facts = bundled_engine.extract("Iraqi forces recaptured Mosul and Tal Afar.")
    locations = facts[0].to_dict()["args"]["location"]
    assert [loc["id"] for loc in locations] == ["Mosul", "Tal Afar"]
    assert abs(locations[0]["lat"] - 36.335) < 0.01 and abs(locations[0]["lon"] - 43.119) < 0.01
    assert all(loc["country"] == "IQ" for loc in locations)


def test_case_sensitive_entries_do_not_fire_on_words(bundled_engine):
    assert _places(bundled_engine, "Shells hit the town of Hit.") == [("Hit", "Hit")]


def test_classes_of_the_bundled_lexicons(bundled_engine):
    text = ("Daesh militants fled as Iraqi troops, the Federal Police and the Hashd advanced "
            "under coalition air strikes, and civilians escaped a car bomb.")
    tokens = get_tokenizer().tokens(text)
    found = {(c, text[tokens[s].start:tokens[e - 1].end], v["id"])
             for c, s, e, v in bundled_engine.lexicon.find(tokens)}
    assert ("militant", "Daesh militants", "islamic_state") in found
    assert ("force", "Iraqi troops", "iraqi_army") in found
    assert ("force", "Federal Police", "federal_police") in found
    assert ("force", "Hashd", "popular_mobilization_forces") in found
    assert ("weapon", "air strikes", "airstrike") in found
    assert ("population", "civilians", "civilians") in found
    assert ("weapon", "car bomb", "car_bomb") in found


def test_lexicon_lookup_is_one_trie_walk(bundled_engine):
    # thousands of aliases, found through a trie of their words, not entry by entry: a token
    # costs one lookup among the aliases' first words
    trie = bundled_engine.lexicon._norm
    assert len(bundled_engine.ruleset.lexicon) > 500
    assert len(trie) < sum(len(e.aliases) for e in bundled_engine.ruleset.lexicon)
    children, hits = trie["mosul"]
    assert hits and "province" in children  # "Mosul", "Mosul province"


_ALIASES = {"place": ["Tal Afar", "Mosul", "Mosul Dam", "al-Qaim"],
            "force": ["Iraqi army", "army", "PMF", "Mosul Dam guards"]}
_WORDS = ["Tal", "Afar", "Mosul", "Dam", "al-Qaim", "Iraqi", "army", "PMF", "guards", "near",
          "the", "MOSUL", "tal", "Qaim", "al"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=12))
def test_lexicon_finds_every_alias_occurrence_and_nothing_else(words):
    """The trie walk over the sentence's norms finds what comparing every alias's norms at
    every token would: each occurrence, overlapping ones included, with its class."""
    tokenizer = get_tokenizer()
    entries = [LexiconEntry(cls, alias.lower(), (alias,), "x.yaml", 1)
               for cls, aliases in _ALIASES.items() for alias in aliases]
    tokens = tokenizer.tokens(" ".join(words))
    found = sorted((c, s, e, v["id"]) for c, s, e, v in Lexicon(entries, tokenizer).find(tokens))
    norms = [t.norm for t in tokens]
    expected = []
    for entry in entries:
        alias = [t.norm for t in tokenizer.tokens(entry.aliases[0])]
        for s in range(len(norms) - len(alias) + 1):
            if norms[s:s + len(alias)] == alias:
                expected.append((entry.cls, s, s + len(alias), entry.id))
    assert found == sorted(expected)


_EXACT = LexiconEntry("place", "hit", ("Hit",), "x.yaml", 1, exact=True)
_SHARED = Lexicon([*(LexiconEntry(cls, alias.lower(), (alias,), "x.yaml", 1)
                     for cls, aliases in _ALIASES.items() for alias in aliases), _EXACT],
                  get_tokenizer())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_WORDS, "Hit", "hit"]), min_size=1, max_size=12))
def test_lexicon_given_form_ids_finds_the_same(words):
    """What the engine calls: the sentence's form ids let the lexicon skip words that begin no
    alias, remembered per word form across sentences (one lexicon for every example here), and
    it finds exactly what reading every token finds, exact-case entries included."""
    doc = make_document(" ".join(words))
    (sentence,) = doc.sentences
    assert (_SHARED.find(sentence.forms, sentence.fids)
            == _SHARED.find(sentence.forms) == _SHARED.find(sentence.tokens))
