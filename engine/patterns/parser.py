"""Parse pattern text with the Lark grammar in grammars/pattern.lark into the AST.

Bare words and quoted strings are tokenised with the same tokenizer as documents, so a pattern
word like "al-Hawija" or "U.S.-led" means exactly the tokens the text will have.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from engine.errors import PatternSyntaxError
from engine.patterns import ast
from engine.resources import bundled
from engine.text.tokens import get_tokenizer, normalize

MAX_REPEAT = 100  # largest bound in {m,n}; larger bounds would only bloat the program

_TERMINAL_NAMES = {
    "WORD": "a word", "STRING": "a quoted string", "REGEX": "a /regex/",
    "CAPTURE": "a capture name", "CLASS": "an @class", "VALUE": "a <value>",
    "QUANT": "a quantifier", "FIELD": "a field name", "FLAG": "a flag", "OP": "an operator",
    "TEST_OR": "'|'", "$END": "the end of the pattern",
}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = (bundled("grammars") / "pattern.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False,
                cache=True)  # Lark keeps the parse tables in a temporary file, keyed by grammar


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _field_value(field: str, value: str) -> str:
    """Values compare in the field's own form: norms normalised, lemmas and lowercase lowered."""
    if field == "norm":
        return normalize(value)
    if field in ("lemma", "lower"):
        return value.lower()
    return value


def _word_tokens(text: str) -> list[str]:
    return [t.text for t in get_tokenizer().tokens(text)]


def _regex(token: Token, field: str) -> ast.FieldRegex:
    body, flags = token.value[1:token.value.rindex("/")], token.value[token.value.rindex("/") + 1:]
    body = body.replace("\\/", "/")
    try:
        re.compile(body)
    except re.error as exc:
        raise PatternSyntaxError(f"invalid regex {token.value}: {exc}", token.start_pos,
                                 token.line, token.column) from None
    return ast.FieldRegex(field, body, "i" in flags)


def _quantifier(token: Token) -> tuple[int, int | None, bool]:
    text = token.value
    greedy = not (len(text) > 1 and text.endswith("?"))
    core = text if greedy else text[:-1]
    if core == "?":
        return 0, 1, greedy
    if core == "*":
        return 0, None, greedy
    if core == "+":
        return 1, None, greedy
    inner = core[1:-1]
    if "," not in inner:
        if not inner:
            raise PatternSyntaxError("empty quantifier {}", token.start_pos, token.line,
                                     token.column)
        low = high = int(inner)
    else:
        lo, hi = inner.split(",", 1)
        low = int(lo) if lo else 0
        high = int(hi) if hi else None
    if high is not None and high < low:
        raise PatternSyntaxError(f"quantifier {text}: maximum is below minimum", token.start_pos,
                                 token.line, token.column)
    if max(low, high or 0) > MAX_REPEAT:
        raise PatternSyntaxError(f"quantifier {text}: bounds above {MAX_REPEAT} are not supported",
                                 token.start_pos, token.line, token.column)
    return low, high, greedy


def _seq(items: list, offset: int) -> ast.Node:
    return items[0] if len(items) == 1 else ast.Seq(tuple(items), offset)


@v_args(meta=True)
class _ToAst(Transformer):
    """Lark tree → AST. Positions come from `meta` (trees) or the tokens themselves."""

    # ---- sequence level ----
    def sequence(self, meta, items):
        return _seq(items, meta.start_pos)

    def alternation(self, meta, options):
        return ast.Alt(tuple(options), meta.start_pos)

    def capture(self, meta, children):
        name, child = children
        return ast.Capture(name.value[:-1], child, meta.start_pos)

    def repeat(self, meta, children):
        child, quant = children
        low, high, greedy = _quantifier(quant)
        return ast.Repeat(child, low, high, greedy, meta.start_pos)

    def word(self, meta, children):
        (tok,) = children
        parts = _word_tokens(tok.value)
        items = [ast.Tok(ast.FieldIn("norm", frozenset({normalize(p)})), meta.start_pos)
                 for p in parts]
        return _seq(items, meta.start_pos)

    def string(self, meta, children):
        (tok,) = children
        text = _unquote(tok.value)
        parts = _word_tokens(text)
        if not parts:
            raise PatternSyntaxError("empty string", tok.start_pos, tok.line, tok.column)
        items = [ast.Tok(ast.FieldIn("text", frozenset({p})), meta.start_pos) for p in parts]
        return _seq(items, meta.start_pos)

    def any_token(self, meta, children):
        return ast.Tok(ast.AnyToken(), meta.start_pos)

    def token(self, meta, children):
        (test,) = children
        return ast.Tok(test, meta.start_pos)

    def _look(self, meta, children, ahead, negate):
        (child,) = children
        return ast.Look(child, ahead, negate, meta.start_pos)

    def lookahead(self, meta, children):
        return self._look(meta, children, True, False)

    def neg_lookahead(self, meta, children):
        return self._look(meta, children, True, True)

    def lookbehind(self, meta, children):
        return self._look(meta, children, False, False)

    def neg_lookbehind(self, meta, children):
        return self._look(meta, children, False, True)

    def entity(self, meta, children):
        return ast.SpanRef("class", children[0].value[1:], meta.start_pos)

    def typed_value(self, meta, children):
        return ast.SpanRef("value", children[0].value[1:-1], meta.start_pos)

    def sentence_start(self, meta, children):
        return ast.Anchor(False, meta.start_pos)

    def sentence_end(self, meta, children):
        return ast.Anchor(True, meta.start_pos)

    # ---- token constraints ----
    def any_of(self, meta, children):
        tests = [c for c in children if not isinstance(c, Token)]
        return tests[0] if len(tests) == 1 else ast.Any_(tuple(tests))

    def all_of(self, meta, children):
        return children[0] if len(children) == 1 else ast.All(tuple(children))

    def negation(self, meta, children):
        return ast.Not(children[0])

    def values(self, meta, children):
        return list(children)

    def flag_test(self, meta, children):
        return ast.Flag(children[0].value)

    def bare_test(self, meta, children):
        (values,) = children
        tests = []
        for value in values:
            if value.type == "REGEX":
                tests.append(_regex(value, "text"))
            elif value.type == "STRING":
                tests.append(ast.FieldIn("text", frozenset({_unquote(value.value)})))
            else:
                tests.append(ast.FieldIn("norm", frozenset({normalize(value.value)})))
        return _merge_any(tests)

    def field_test(self, meta, children):
        field_tok, op_tok, values = children
        field, op = field_tok.value, op_tok.value
        if field in ("num", "length"):
            tests = []
            for value in values:
                try:
                    number = float(value.value.replace(",", ""))
                except ValueError:
                    raise PatternSyntaxError(f"{field} needs a number, not {value.value!r}",
                                             value.start_pos, value.line, value.column) from None
                tests.append(ast.FieldCompare(field, "=" if op == "!=" else op, number))
            test = _merge_any(tests)
            return ast.Not(test) if op == "!=" else test
        if op not in ("=", "!="):
            raise PatternSyntaxError(f"{op} compares numbers; use it with num or length",
                                     op_tok.start_pos, op_tok.line, op_tok.column)
        tests = []
        for value in values:
            if value.type == "REGEX":
                tests.append(_regex(value, field))
            else:
                raw = _unquote(value.value) if value.type == "STRING" else value.value
                tests.append(ast.FieldIn(field, frozenset({_field_value(field, raw)})))
        test = _merge_any(tests)
        return ast.Not(test) if op == "!=" else test


def _merge_any(tests: list) -> ast.Test:
    """Fold equality tests on one field into a single set lookup."""
    merged: dict[str, set] = {}
    rest = []
    for test in tests:
        if isinstance(test, ast.FieldIn):
            merged.setdefault(test.field, set()).update(test.values)
        else:
            rest.append(test)
    out = [ast.FieldIn(f, frozenset(v)) for f, v in merged.items()] + rest
    return out[0] if len(out) == 1 else ast.Any_(tuple(out))


def _terminal_name(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    try:
        return repr(_lark().get_terminal(name).pattern.value)
    except KeyError:
        return name


def _describe_expected(expected) -> str:
    names = sorted({_terminal_name(e) for e in expected})
    return ", ".join(names[:8]) + (", …" if len(names) > 8 else "")


def parse(text: str) -> ast.Node:
    """Parse a pattern; raises PatternSyntaxError with an offset into `text`."""
    if not text.strip():
        raise PatternSyntaxError("empty pattern", 0)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        return _ToAst().transform(tree)
    except Exception as exc:  # lark wraps errors raised in callbacks
        inner = getattr(exc, "orig_exc", exc)
        if isinstance(inner, PatternSyntaxError):
            raise inner from None
        raise


def _syntax_error(text: str, exc: UnexpectedInput) -> PatternSyntaxError:
    if isinstance(exc, UnexpectedEOF):
        expected = _describe_expected(exc.expected)
        return PatternSyntaxError(f"pattern ends too early; expected {expected}",
                                  len(text), *_line_col(text, len(text)))
    offset = exc.pos_in_stream if exc.pos_in_stream is not None else 0
    if isinstance(exc, UnexpectedCharacters):
        message = f"unexpected character {text[offset]!r}"
    elif isinstance(exc, UnexpectedToken):
        if exc.token.type == "$END":
            message = f"pattern ends too early; expected {_describe_expected(exc.expected)}"
            offset = len(text)
        else:
            message = (f"unexpected {exc.token.value!r}; expected "
                       f"{_describe_expected(exc.expected)}")
    else:
        message = str(exc).splitlines()[0]
    return PatternSyntaxError(message, offset, *_line_col(text, offset))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col
