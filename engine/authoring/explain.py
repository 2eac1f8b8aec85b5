"""`assay explain`: what the engine sees in a text and what each rule made of it.

For every sentence: its tokens with the attributes patterns test, the spans patterns can use
(lexicon entries, facts of earlier rules, typed values), and for each rule whose trigger occurs
in the sentence (or each rule asked for): the matches of its patterns with their captures, or,
where a pattern does not match, the furthest point it reached and what it expected there
(engine.authoring.tracer). Matches come from the real matcher; only the failure trace uses the
separate diagnostic walk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from engine.authoring.tracer import Trace, element_text, trace
from engine.matching.vm import MatchContext, SpanTable, all_spans, finditer
from engine.patterns import ast
from engine.patterns.requirements import INDEXED_FIELDS
from engine.patterns.spacy_patterns import spacy_to_ast


@dataclass
class TokenInfo:
    i: int
    text: str
    norm: str
    lemma: str
    shape: str
    num: float | None
    flags: list[str]


@dataclass
class SpanInfo:
    ref: str  # "@force", "<quantity>"
    start: int
    end: int
    text: str
    value: object = None


@dataclass
class MatchInfo:
    start: int
    end: int
    text: str
    captures: dict[str, list[str]]


@dataclass
class FailureInfo:
    """Where the furthest attempt got stuck, in words and as data."""

    message: str
    token: int  # index of the token where it stopped (len(tokens): the sentence end)
    matched: list[dict]  # [{"element", "text", "capture"}] before that point
    expected: list[str]


@dataclass
class PatternInfo:
    index: int  # from 1
    pattern: str
    matches: list[MatchInfo] = field(default_factory=list)
    failure: FailureInfo | None = None
    note: str = ""


@dataclass
class RuleInfo:
    rule: str
    file: str
    line: int
    triggered: bool
    trigger: str  # the trigger keys, as the analyst would write them
    patterns: list[PatternInfo] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)


@dataclass
class SentenceInfo:
    index: int
    text: str
    tokens: list[TokenInfo]
    spans: list[SpanInfo]
    rules: list[RuleInfo]


@dataclass
class Explanation:
    sentences: list[SentenceInfo]

    def to_dict(self) -> dict:
        return asdict(self)


def explain(engine, text: str, rules=None, date: str | None = None) -> Explanation:
    """Explain `text` sentence by sentence, for `rules` (compiled rules; default: every rule
    whose trigger occurs in a sentence)."""
    doc = engine.document(text, "explain", date)
    facts = engine.extract_document(doc, hidden=True)
    out = []
    for sentence in doc.sentences:
        tokens = sentence.tokens
        ctx = _context(engine, doc, tokens, [f for f in facts if f.sentence == sentence.index])
        keys = _sentence_keys(tokens, ctx)
        infos = []
        for compiled in engine.rules:
            triggered = _triggered(compiled, keys)
            if rules is None and not triggered:
                continue
            if rules is not None and compiled.rule.id not in {r.id for r in rules}:
                continue
            infos.append(_rule(compiled, ctx, tokens, doc.text, triggered,
                               [f for f in facts if f.sentence == sentence.index
                                and f.rule == compiled.rule.id]))
        out.append(SentenceInfo(sentence.index, doc.text[sentence.start:sentence.end],
                                [_token(t) for t in tokens], _spans(ctx, tokens, doc.text), infos))
    return Explanation(out)


def _token(tok) -> TokenInfo:
    return TokenInfo(tok.i, tok.text, tok.norm, tok.lemma, tok.shape, tok.num,
                     sorted(tok.flags))


def _context(engine, doc, tokens, facts) -> MatchContext:
    """Every span a pattern of this engine can use in the sentence, found up front."""
    spans: dict = {}
    for cls, start, end, value in engine.lexicon.find(tokens):
        spans.setdefault(("class", cls), SpanTable()).add(start, end, value)
    by_start = {t.start: t.i for t in tokens}
    by_end = {t.end: t.i + 1 for t in tokens}
    for fact in facts:
        start, end = by_start.get(fact.span[0]), by_end.get(fact.span[1])
        if start is not None and end is not None:
            spans.setdefault(("class", fact.type), SpanTable()).add(start, end, {"rule": fact.rule})
    for name, grammar in engine.values.items():
        table = spans.setdefault(("value", name), SpanTable())
        for start, end, value in grammar.find(tokens, doc.text):
            table.add(start, end, value)
    return MatchContext(tokens, spans)


def _sentence_keys(tokens, ctx: MatchContext) -> set:
    keys = {(field, getattr(tok, field)) for tok in tokens for field in INDEXED_FIELDS}
    keys.update(("span",) + key for key, table in ctx.spans.items() if table.values)
    return keys


def _triggered(compiled, keys: set) -> bool:
    """Whether the engine tries this rule on the sentence: a trigger key occurs (and every
    further condition the engine checks, where it has them)."""
    if compiled.triggers is not None and compiled.triggers.isdisjoint(keys):
        return False
    return all(not cond.isdisjoint(keys) for cond in getattr(compiled, "conditions", ()))


def _key_text(key: tuple) -> str:
    if key[0] == "span":
        return f"@{key[2]}" if key[1] == "class" else f"<{key[2]}>"
    return f"{key[0]}={key[1]}"


def _spans(ctx: MatchContext, tokens, text: str) -> list[SpanInfo]:
    out = []
    for (kind, name), table in sorted(ctx.spans.items()):
        ref = f"@{name}" if kind == "class" else f"<{name}>"
        for (start, end), value in sorted(table.values.items()):
            shown = value.get("id", value.get("value")) if isinstance(value, dict) else None
            out.append(SpanInfo(ref, start, end, text[tokens[start].start:tokens[end - 1].end],
                                shown))
    return out


def _rule(compiled, ctx, tokens, text, triggered, facts) -> RuleInfo:
    rule = compiled.rule
    trigger = "any sentence" if compiled.triggers is None else ", ".join(
        sorted(_key_text(k) for k in compiled.triggers))
    info = RuleInfo(rule.id, rule.file, rule.line, triggered, trigger,
                    facts=[f.to_dict() for f in facts])
    if rule.spacy_pattern is not None:
        sources = [(None, spacy_to_ast(rule.spacy_pattern))]
    else:
        sources = [(p.text, node) for p, node in zip(rule.patterns, rule.asts, strict=True)]
    for index, ((source, node), program) in enumerate(
            zip(sources, compiled.programs, strict=True), 1):
        shown = " ".join((source or element_text(node, None, 400)).split())
        pattern = PatternInfo(index, shown)
        if compiled.all_matches:
            found = [(s, e, {}) for s, e in all_spans(program, ctx)]
        else:
            found = [(m.start, m.end, m.captures) for m in finditer(program, ctx)]
        for start, end, captures in found:
            pattern.matches.append(MatchInfo(
                start, end, _text(tokens, text, start, end),
                {name: [_text(tokens, text, s, e) for s, e in spans if e > s]
                 for name, spans in captures.items()}))
        if not found:
            result = trace(node, tokens, ctx.table)
            pattern.failure = _failure(result, source, tokens, text)
            if result.too_long:
                pattern.note = f"not traced: the sentence has {len(tokens)} tokens (the limit " \
                               "is 120)"
            elif result.gave_up:
                pattern.note = "the trace stopped after too many steps; this is the furthest " \
                               "point it saw"
            elif result.matched:
                pattern.note = "the trace matches but the matcher does not: please report this"
        info.patterns.append(pattern)
    return info


def _text(tokens, text: str, start: int, end: int) -> str:
    return text[tokens[start].start:tokens[end - 1].end] if end > start else ""


def _failure(result: Trace, source: str | None, tokens, text: str) -> FailureInfo | None:
    failure = result.failure
    if failure is None:
        return None
    matched = []
    for step in failure.path:
        if step.start == step.end:
            continue  # a zero-width step: nothing to show
        element = element_text(step.node, source)
        if step.capture:
            element = f"{step.capture}:{element}"
        last = matched[-1] if matched else None
        if last and last["node"] is step.node and last["end"] == step.start:
            last["end"] = step.end  # one element repeated ([]{0,3}): shown once
            last["text"] = _text(tokens, text, last["start"], step.end)
            continue
        matched.append({"node": step.node, "element": element, "capture": step.capture,
                        "start": step.start, "end": step.end,
                        "text": _text(tokens, text, step.start, step.end)})
    expected = [(f"{cap}:" if cap else "") + element_text(node, source)
                for node, cap in failure.expected]
    where = (f"at the end of the sentence, token {failure.pos}" if failure.pos >= len(tokens)
             else f"at {tokens[failure.pos].text!r}, token {failure.pos}")
    nodes = [node for node, _ in failure.expected]
    if len(nodes) == 1 and isinstance(nodes[0], ast.Look):
        kind = "lookahead" if nodes[0].ahead else "lookbehind"
        wanted = f"the {kind} `{expected[0]}` failed"
    else:
        wanted = "expected " + " or ".join(f"`{e}`" for e in expected)
    if matched:
        elements = " ".join(m["element"] for m in matched)
        said = _text(tokens, text, matched[0]["start"], matched[-1]["end"])
        message = f"matched `{elements}` ({said!r}), then {wanted} {where}"
    elif isinstance(nodes[0], ast.Look):
        message = f"{wanted} {where}"
    else:
        message = f"no token can start a match: {wanted} at any token"
    if failure.blocked is not None:
        would = _text(tokens, text, *failure.blocked)
        message += f"; without it the pattern would match {would!r}"
    for m in matched:
        del m["node"]
    return FailureInfo(message, failure.pos, matched, expected)
