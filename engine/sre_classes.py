"""What a regular expression's character class holds, read off `re`'s own parse of it: asked of
value grammars' terminals (can they read white space?) and of spaCy's affix patterns (can they
read an ASCII letter?), where what a pattern can match decides what the engine may skip."""

from __future__ import annotations

from re import _constants as sre


def class_matches_any(items, codes: frozenset[int], in_category: dict) -> bool | None:
    """Whether a character class (the items of sre's IN) matches one of the characters `codes`,
    all of which each category in `in_category` says the same of (sre CATEGORY code -> whether
    they are in it); None where an item is not a literal, a range, a negation or one of those
    categories."""
    negated, covered = False, set()
    for op, arg in items:
        if op == sre.NEGATE:
            negated = True
        elif op == sre.LITERAL:
            if arg in codes:
                covered.add(arg)
        elif op == sre.RANGE:
            covered.update(code for code in codes if arg[0] <= code <= arg[1])
        elif op == sre.CATEGORY and arg in in_category:
            if in_category[arg]:
                covered.update(codes)
        else:
            return None
    return len(covered) < len(codes) if negated else bool(covered)
