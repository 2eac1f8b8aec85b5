"""Values of the built-in <quantity> grammar: value, min, max, qualifier, approx.

Vague counts follow ACLED's convention (tens 10, dozens 12, scores 20, hundreds 100, thousands
1000, millions 1000000, approx true); a range counts as its lower bound (ACLED records the
lowest number) with `min`/`max` kept.
"""

from __future__ import annotations

import re
from math import isfinite

from lark import Transformer, v_args

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000, "k": 1000, "million": 1_000_000, "mln": 1_000_000,
          "billion": 1_000_000_000, "bn": 1_000_000_000}
VAGUE = {"tens": 10, "dozens": 12, "scores": 20, "hundreds": 100, "thousands": 1000,
         "millions": 1_000_000}
QUALIFIERS = {
    "up to": "at_most", "at most": "at_most", "less than": "at_most", "fewer than": "at_most",
    "under": "at_most", "as many as": "at_most", "a maximum of": "at_most",
    "just under": "at_most", "no more than": "at_most",
    "at least": "at_least", "no fewer than": "at_least", "no less than": "at_least",
    "a minimum of": "at_least", "at least some": "at_least",
    "more than": "more_than", "over": "more_than", "upwards of": "more_than",
    "in excess of": "more_than", "just over": "more_than", "well over": "more_than",
}  # every other qualifier (nearly, about, some, an estimated …) is approx


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 6)


@v_args(inline=True)
class QuantityTransformer(Transformer):
    """Parse tree → (amount, vague) pairs, then the value object at the top."""

    def digits(self, token):
        value = float(token.replace(",", ""))
        if not isfinite(value):  # over 308 digits: no count, and not valid JSON either
            raise ValueError(f"number out of range: {token[:20]}…")
        return value, False

    def numword(self, token):
        return str(token).lower()

    def words(self, *parts):
        total = current = 0
        for part in parts:
            if not isinstance(part, str) or part in ("-", "–", "—"):
                continue
            if part == "hundred":
                current = max(current, 1) * 100
            else:
                current += UNITS[part]
        total += current
        return float(total), False

    def scale(self, token):
        return SCALES[str(token).lower()]

    def scaled(self, number, scale):
        return number[0] * scale, number[1]

    def a_scale(self, scale):
        return float(scale if isinstance(scale, int) else SCALES[scale]), False

    def half_scale(self, scale):
        if getattr(scale, "type", None) == "DOZEN":
            return 6.0, False
        return (scale if isinstance(scale, int) else SCALES[scale]) / 2, False

    def a_dozen(self, _token):
        return 12.0, False

    def few_vague(self, _few, amount):
        if getattr(amount, "type", None) == "DOZEN":
            return 12.0, True  # "a few dozen"
        if isinstance(amount, tuple):
            return amount[0], True
        if isinstance(amount, str):  # a numword ("several hundred")
            return float(SCALES.get(amount, UNITS.get(amount, 0))), True
        return float(amount), True  # a scale ("several thousand")

    def vague(self, *tokens):
        value = 1
        for token in tokens:
            value *= VAGUE[str(token).lower()]
        return float(value), True

    def qualifier(self, token):
        return re.sub(r"\s+", " ", str(token).lower())

    def range_(self, *parts):
        amounts = [p for p in parts if isinstance(p, tuple)]
        return amounts[0], amounts[1]

    def single(self, *parts):
        qualifier = parts[0] if len(parts) == 2 else None
        amount, vague = parts[-1]
        kind = QUALIFIERS.get(qualifier, "approx") if qualifier else (
            "approx" if vague else "exact")
        return {"value": _number(amount), "qualifier": kind,
                "approx": kind == "approx" or vague}

    def plus(self, amount, _plus):
        """ "60-plus", "60+": more than 60."""
        return {"value": _number(amount[0]), "qualifier": "more_than", "approx": amount[1]}

    def range(self, *parts):
        qualifier = parts[0] if len(parts) == 2 else None
        (low, vague_low), (high, vague_high) = parts[-1]
        kind = QUALIFIERS.get(qualifier, "approx") if qualifier else "at_least"
        approx = kind == "approx"
        return {"value": _number(low), "min": _number(low), "max": _number(high),
                "qualifier": kind,
                "approx": approx or vague_low or vague_high}
