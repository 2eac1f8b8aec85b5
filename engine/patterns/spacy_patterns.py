"""spaCy Matcher token patterns, translated into the same AST as our own patterns.

A rule with `spacy_pattern:` yields every span spaCy's Matcher would return for it (all matches,
overlaps included), computed by the VM's all-spans mode over our tokens. Token attributes map to
spaCy's own values (NORM is spaCy's norm, not ours), so the spans are the Matcher's exactly.
"""

from __future__ import annotations

import re

from engine.patterns import ast

_STRING_ATTRS = {"ORTH": "text", "TEXT": "text", "LOWER": "lower", "NORM": "spacy_norm",
                 "LEMMA": "lemma", "SHAPE": "shape"}
_FLAG_ATTRS = {
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT",
    "IS_SPACE", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT",
    "IS_CURRENCY", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL",
}
_COMPARISONS = {"==": "=", ">=": ">=", "<=": "<=", ">": ">", "<": "<"}
_OP = re.compile(r"^(!|\?|\*|\+|\{\d+\}|\{\d*,\d*\})$")


class SpacyPatternError(ValueError):
    """A spaCy pattern we cannot take; `index` is the offending token's position."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message if index is None else f"token {index}: {message}")
        self.index = index


def _string_test(field: str, key: str, value, index: int) -> ast.Test:
    if isinstance(value, str):
        return ast.FieldIn(field, frozenset({value}))
    if not isinstance(value, dict) or not value:
        raise SpacyPatternError(f"{key} takes a string or a dict of predicates", index)
    tests = []
    for pred, arg in value.items():
        if pred in ("IN", "NOT_IN"):
            if not isinstance(arg, list) or not all(isinstance(a, str) for a in arg):
                raise SpacyPatternError(f"{key} {pred} takes a list of strings", index)
            test = ast.FieldIn(field, frozenset(arg))
            tests.append(test if pred == "IN" else ast.Not(test))
        elif pred == "REGEX":
            if not isinstance(arg, str):
                raise SpacyPatternError(f"{key} REGEX takes a string", index)
            try:
                re.compile(arg)
            except re.error as exc:
                raise SpacyPatternError(f"{key} REGEX {arg!r}: {exc}", index) from None
            tests.append(ast.FieldRegex(field, arg))
        elif pred in ("==", "!="):
            if not isinstance(arg, str):
                raise SpacyPatternError(f"{key} {pred} takes a string", index)
            test = ast.FieldIn(field, frozenset({arg}))
            tests.append(test if pred == "==" else ast.Not(test))
        else:
            raise SpacyPatternError(f"predicate {pred!r} is not supported for {key}", index)
    return tests[0] if len(tests) == 1 else ast.All(tuple(tests))


def _length_test(value, index: int) -> ast.Test:
    if isinstance(value, int) and not isinstance(value, bool):
        return ast.FieldCompare("length", "=", value)
    if not isinstance(value, dict) or not value:
        raise SpacyPatternError("LENGTH takes an integer or a dict of comparisons", index)
    tests = []
    for pred, arg in value.items():
        if pred in ("IN", "NOT_IN") and isinstance(arg, list):
            test = ast.Any_(tuple(ast.FieldCompare("length", "=", a) for a in arg))
            tests.append(test if pred == "IN" else ast.Not(test))
        elif pred in _COMPARISONS and isinstance(arg, int):
            tests.append(ast.FieldCompare("length", _COMPARISONS[pred], arg))
        elif pred == "!=" and isinstance(arg, int):
            tests.append(ast.Not(ast.FieldCompare("length", "=", arg)))
        else:
            raise SpacyPatternError(f"LENGTH predicate {pred!r} {arg!r} is not supported", index)
    return tests[0] if len(tests) == 1 else ast.All(tuple(tests))


def _token(spec, index: int) -> ast.Node:
    if not isinstance(spec, dict):
        raise SpacyPatternError("each token of a spaCy pattern is a mapping", index)
    tests = []
    op = "1"
    for key, value in spec.items():
        if not isinstance(key, str):
            raise SpacyPatternError(f"attribute {key!r} is not a name", index)
        if key == "OP":
            if not isinstance(value, str) or not _OP.match(value):
                raise SpacyPatternError(f"OP {value!r} is not one of ! ? * + {{n}} {{n,m}}",
                                        index)
            op = value
        elif key in _STRING_ATTRS:
            tests.append(_string_test(_STRING_ATTRS[key], key, value, index))
        elif key in _FLAG_ATTRS:
            if not isinstance(value, bool):
                raise SpacyPatternError(f"{key} takes true or false", index)
            flag = ast.Flag(key.lower())
            tests.append(flag if value else ast.Not(flag))
        elif key == "LENGTH":
            tests.append(_length_test(value, index))
        else:
            raise SpacyPatternError(f"attribute {key!r} is not supported (use ORTH, TEXT, LOWER, "
                                    "NORM, LEMMA, SHAPE, LENGTH, IS_*, LIKE_*)", index)
    test: ast.Test = ast.AnyToken() if not tests else (
        tests[0] if len(tests) == 1 else ast.All(tuple(tests)))
    if op == "!":
        return ast.Tok(ast.Not(test))
    tok = ast.Tok(test)
    if op == "1":
        return tok
    low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}.get(op, (None, None))
    if low is None:
        inner = op[1:-1]
        if "," in inner:
            lo, hi = inner.split(",")
            low, high = int(lo or 0), (int(hi) if hi else None)
        else:
            low = high = int(inner)
    return ast.Repeat(tok, low, high, True)


def spacy_to_ast(pattern) -> ast.Node:
    """The AST of a spaCy token pattern (a list of token dicts)."""
    if not isinstance(pattern, list) or not pattern:
        raise SpacyPatternError("a spaCy pattern is a non-empty list of token mappings")
    items = tuple(_token(spec, i) for i, spec in enumerate(pattern))
    return items[0] if len(items) == 1 else ast.Seq(items)


def validate_spacy_pattern(pattern) -> None:
    spacy_to_ast(pattern)
