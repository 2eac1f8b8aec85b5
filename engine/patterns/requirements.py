"""What every match of a pattern must hold: the basis of the trigger index and of the VM's
start limits.

For each pattern we derive the sets of keys — ("lemma", "recapture"), ("norm", "fled"),
("span", "class", "force") — such that every match contains a key of each set (a conjunction of
disjunctions). The engine looks the most selective set up in a dict per token (the rule's
trigger) and checks the others before the rule runs, so the cost of rules that cannot match a
sentence does not grow with their number; the VM starts no match after the last token holding
a key of each set, and decides a lookaround without running it where its body cannot match.
"""

from __future__ import annotations

from engine.patterns import ast

INDEXED_FIELDS = ("norm", "lemma", "lower", "text", "spacy_norm")


def keys_of_test(test) -> frozenset | None:
    """The keys a token passing `test` holds one of; None where the test names none."""
    if isinstance(test, ast.FieldIn) and test.field in INDEXED_FIELDS:
        return frozenset((test.field, v) for v in test.values)
    if isinstance(test, ast.All):
        options = [k for k in map(keys_of_test, test.tests) if k is not None]
        return min(options, key=len) if options else None
    if isinstance(test, ast.Any_):
        parts = [keys_of_test(t) for t in test.tests]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    return None


def _selectivity(keys: frozenset) -> tuple:
    """Sort key: the set least likely to occur in a sentence first. Token keys beat span keys
    (spans are found per sentence anyway), rare words beat stop words, fewer keys beat more."""
    from spacy.lang.en.stop_words import STOP_WORDS

    spans = any(key[0] == "span" for key in keys)
    common = sum(1 for key in keys if key[0] != "span" and str(key[1]).lower() in STOP_WORDS)
    shortest = min((len(str(key[-1])) for key in keys), default=0)
    return (spans, common, len(keys), -shortest)  # longer words are rarer


def required_sets(node: ast.Node) -> list[frozenset]:
    """Key sets such that every match of `node` holds a key of each, most selective first."""
    if isinstance(node, ast.Tok):
        keys = keys_of_test(node.test)
        return [keys] if keys else []
    if isinstance(node, ast.SpanRef):
        return [frozenset({("span", node.kind, node.name)})]
    if isinstance(node, ast.Seq):
        sets = {s for item in node.items for s in required_sets(item)}
        return sorted(sets, key=lambda s: (_selectivity(s), sorted(map(str, s))))
    if isinstance(node, ast.Alt):
        parts = [required_sets(o) for o in node.options]
        if any(not p for p in parts):
            return []
        return [frozenset().union(*(p[0] for p in parts))]  # each option's best set, joined
    if isinstance(node, ast.Repeat):
        return required_sets(node.child) if node.min >= 1 else []
    if isinstance(node, ast.Capture):
        return required_sets(node.child)
    return []  # lookaround and anchors consume nothing


def context_sets(node: ast.Node) -> list[frozenset]:
    """Key sets the sentence must hold for `node` to match, outside the match itself: those of
    the bodies of positive lookarounds every match passes (`(?<= [lemma=kill] …)`). Not
    where, only whether: the tokens may lie anywhere in the sentence."""
    if isinstance(node, ast.Look):
        if node.negate:
            return []
        return [*required_sets(node.child), *context_sets(node.child)]
    if isinstance(node, ast.Seq):
        return [s for item in node.items for s in context_sets(item)]
    if isinstance(node, ast.Repeat):
        return context_sets(node.child) if node.min >= 1 else []
    if isinstance(node, ast.Capture):
        return context_sets(node.child)
    return []  # an Alt's options need not share a lookaround


def required_keys(node: ast.Node) -> frozenset | None:
    """The most selective set of keys of which every match of `node` contains one."""
    sets = required_sets(node)
    return sets[0] if sets else None


def span_requirements(node: ast.Node) -> tuple:
    """The required sets of `node` made of span keys alone, each as sorted (kind, name) pairs:
    where none of a set's spans is in the sentence, nothing matches."""
    return tuple(tuple(sorted(key[1:] for key in keys)) for keys in required_sets(node)
                 if all(key[0] == "span" for key in keys))


def token_requirements(node: ast.Node) -> tuple:
    """The token-key sets of `node` (span keys dropped), each as ((field, values), …) pairs,
    the form the VM looks them up in."""
    out = []
    for keys in required_sets(node):
        if any(key[0] == "span" for key in keys):
            continue
        by_field: dict[str, set] = {}
        for field, value in keys:
            by_field.setdefault(field, set()).add(value)
        out.append(tuple((f, frozenset(v)) for f, v in sorted(by_field.items())))
    return tuple(out)
