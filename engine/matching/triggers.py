"""Trigger index: a rule is only tried on sentences holding a token (or span) it requires.

For each pattern we derive a disjunction of keys — ("lemma", "recapture"), ("norm", "fled"),
("span", "class", "force") — such that every match contains at least one of them. A sentence's
keys are collected once, and a dict lookup per key yields the candidate rules, so the cost of
rules that cannot match does not grow with their number.
"""

from __future__ import annotations

from engine.patterns import ast

INDEXED_FIELDS = ("norm", "lemma", "lower", "text", "spacy_norm")


def _test_keys(test) -> frozenset | None:
    if isinstance(test, ast.FieldIn) and test.field in INDEXED_FIELDS:
        return frozenset((test.field, v) for v in test.values)
    if isinstance(test, ast.All):
        options = [k for k in map(_test_keys, test.tests) if k is not None]
        return min(options, key=len) if options else None
    if isinstance(test, ast.Any_):
        parts = [_test_keys(t) for t in test.tests]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    return None


def _selectivity(keys: frozenset) -> tuple:
    """Sort key: the set least likely to occur in a sentence first. Token keys beat span keys
    (spans are found per sentence anyway), rare words beat stop words, fewer keys beat more."""
    from spacy.lang.en.stop_words import STOP_WORDS

    spans = any(key[0] == "span" for key in keys)
    common = sum(1 for key in keys if key[0] != "span" and str(key[1]).lower() in STOP_WORDS)
    return (spans, common, len(keys))


def required_keys(node: ast.Node) -> frozenset | None:
    """Keys of which every match of `node` contains one; None if no such set is known."""
    if isinstance(node, ast.Tok):
        return _test_keys(node.test)
    if isinstance(node, ast.SpanRef):
        return frozenset({("span", node.kind, node.name)})
    if isinstance(node, ast.Seq):
        options = [k for k in map(required_keys, node.items) if k is not None]
        if not options:
            return None
        return min(options, key=_selectivity)
    if isinstance(node, ast.Alt):
        parts = [required_keys(o) for o in node.options]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    if isinstance(node, ast.Repeat):
        return required_keys(node.child) if node.min >= 1 else None
    if isinstance(node, ast.Capture):
        return required_keys(node.child)
    return None  # lookaround and anchors consume nothing


def sentence_keys(tokens, fields: set[str]) -> set:
    """The token keys present in a sentence, for the fields some trigger uses."""
    keys = set()
    for field in fields:
        keys.update((field, getattr(tok, field)) for tok in tokens)
    return keys
