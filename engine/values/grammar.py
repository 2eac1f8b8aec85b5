"""Value grammars: a Lark grammar, how to find its phrases among tokens, and their values.

A grammar is tried only on runs of tokens where one of its terminals can match (a prefilter
derived from the grammar itself), on every window of such a run up to MAX_TOKENS long; each
window is parsed whole with Lark and memoised by its text. So a sentence with no number word,
digit or qualifier costs a few regex checks, not parses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any

import regex
from lark import Lark, Token, Tree, UnexpectedInput
from lark.exceptions import LarkError, VisitError
from lark.lexer import PatternStr

from engine.sre_classes import class_matches_any
from engine.text.tokens import visible
from engine.values import dates, quantity
from engine.values.lalr import ParseFailed, driver_for

MAX_TOKENS = 10
# No phrase is longer: a window stretched by a run of spaces (or a giant token) is not parsed,
# nor kept in the parse cache. A longer word begins no phrase: the `regex` module's partial
# match, which decides that, takes time quadratic in the word (a 160,000-digit number, 1.3 s).
MAX_WINDOW_CHARS = 1_000
# Windows whose values a grammar keeps (ValueGrammar._parsed), all forgotten when it is full.
MAX_PARSED = 20_000
_UNPARSED = object()  # a window not parsed yet
# What a word's terminals that read past it can still do, by the text from the word up to the
# next word's first character (ValueGrammar._probes), all forgotten when full; no probe is
# made across a longer run of white space.
MAX_PROBES = 50_000
MAX_PROBE_SPACE = 16
_INERT = ((), False, False, (), 0)  # what most words can do: begin no terminal, not be glue
_HEAD = 3  # a word's first characters, which rule out most terminals for it (_can_begin)
BUILTIN = ("quantity", "date")
CONVERSIONS = ("text", "lower", "number", "quantity", "date")


@dataclass
class GrammarSpec:
    """Where a grammar comes from and, for analysts' grammars, how its value is made."""

    name: str
    path: str  # the .lark file
    file: str  # as shown to users
    fields: dict[str, dict] = field(default_factory=dict)  # field -> {from, as?, map?}
    value: str | None = None  # the field that becomes `value`
    builtin: bool = False


class GrammarCompileError(Exception):
    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def _error_position(exc: Exception, text: str) -> tuple[int, int]:
    line, col = getattr(exc, "line", None), getattr(exc, "column", None)
    if isinstance(line, int) and line > 0:
        return line, max(col or 1, 1)
    found = re.search(r"line (\d+) col(?:umn)? (\d+)", str(exc))
    if found:
        return int(found.group(1)), int(found.group(2))
    defined = re.search(r"\(([A-Za-z_][A-Za-z0-9_]*):", str(exc))
    if defined:  # "… zero-width terminals. (_SEP: …)": point at the definition
        for i, source_line in enumerate(text.splitlines(), 1):
            if re.match(rf"\s*\??{re.escape(defined.group(1))}(\.\d+)?\s*:", source_line):
                return i, source_line.index(defined.group(1)) + 1
    name = re.search(r"'([A-Za-z_][A-Za-z0-9_]*)'", str(exc))
    if name:  # "Rule 'b' used but not defined": point at the first use of the name
        for i, source_line in enumerate(text.splitlines(), 1):
            use = re.search(rf"(?<![\w\"']){re.escape(name.group(1))}(?![\w\"'])",
                            source_line.split("//")[0])
            if use and not source_line.lstrip().startswith(name.group(1) + ":"):
                return i, use.start() + 1
    return 1, 1


def compile_grammar(spec: GrammarSpec) -> ValueGrammar:
    """Build a grammar; raises GrammarCompileError with the position in the .lark file."""
    text = Path(spec.path).read_text(encoding="utf-8")
    # Fields of analysts' grammars are read by position in the text; the built-in grammars'
    # transformers never need positions, and parse a third faster without them.
    positions = not spec.builtin
    try:
        try:
            parser = Lark(text, parser="lalr", propagate_positions=positions, cache=True)
        except LarkError as exc:
            if "Collision" not in str(exc) and "conflict" not in str(exc).lower():
                raise
            parser = Lark(text, parser="earley", propagate_positions=positions)  # ambiguous
    except (LarkError, UnexpectedInput) as exc:
        message = str(exc).strip().splitlines()[0]
        raise GrammarCompileError(message, *_error_position(exc, text)) from None
    values = None
    if spec.builtin and spec.name in _TRANSFORMERS:
        # The built-in grammars' values are made while parsing (Lark's tree-less LALR): no tree
        # is built and then walked, and the transformer is made once, not per phrase.
        values = Lark(text, parser="lalr", cache=True, transformer=_TRANSFORMERS[spec.name]())
    grammar = ValueGrammar(spec, parser, values)
    grammar.check_fields()
    return grammar


# The built-in grammars' transformers, applied during the parse (compile_grammar).
_TRANSFORMERS = {"quantity": quantity.QuantityTransformer, "date": dates.DateTransformer}


class ValueGrammar:
    """A compiled value grammar: finds its phrases in a sentence and makes their values."""

    def __init__(self, spec: GrammarSpec, parser: Lark, values: Lark | None = None):
        self.spec = spec
        self.name = spec.name
        self.parser = parser  # trees (`assay parse --tree`), and what the grammar holds
        self._values = values  # where given, parses straight to the value (built-in grammars)
        terminals = [t for t in parser.terminals if t.name not in parser.lexer_conf.ignore]
        self._starts = [self._terminal_regex(t) for t in terminals]
        # The terminals a phrase can begin with: a window whose first token can begin none of
        # them is never parsed (most windows start at "of", "and", "in" or "the").
        first = _first_terminals(parser)
        self._begins = [first is None or t.name in first for t in terminals]
        # Whether a phrase can end where a window ends: the terminals phrases end with, one of
        # which must end there (a window ending "… in an" is not parsed).
        self._ends = None if first is None else _end_filter(parser)
        self._glue = [self._terminal_regex(t) for t in parser.terminals
                      if t.name in parser.lexer_conf.ignore]
        # whether a word is all glue, asked of every new word: one match (an alternation
        # matches a whole word where one of its terminals does)
        self._is_glue = (re.compile("|".join(_inline(rx) for rx in self._glue)).fullmatch
                         if self._glue else None)
        # Whether a terminal can match at a token is asked first of the token's own text, once
        # per word (see _prefix_filter): most words can begin none, and trying each terminal
        # at each token was the grammars' main cost. _words: text -> (the `match` methods of
        # the terminals that can start at such a token, whether it is glue, whether a phrase
        # can begin at it, the `match` methods of those of them that can read past the word,
        # and how far the others reach into the word where white space follows it).
        self._prefix = _prefix_filter("|".join(_inline(rx) for rx in self._starts))
        self._prefixes = [_prefix_filter(_inline(rx)) for rx in self._starts]
        # Terminals whose match at a token reads no further than the first white space after
        # it (_reads_one_word): at a token followed by white space their reach is the word's
        # own, worked out once per word rather than matched at every token.
        self._local = [_reads_one_word(rx) for rx in self._starts]
        self._words: dict[str, tuple] = {}
        self._heads: dict[str, tuple[int, ...]] = {}  # a word's head -> _can_begin
        self._last_text: tuple[str | None, bool] = (None, False)  # _invisible_in's memo
        # phrase text -> value (None: no phrase), asked by _phrases without a call per window
        self._parsed: dict[str, dict | None] = {}
        # a word with the white space after it and the next word's first character -> the
        # `match` methods of the word's terminals that read past it and can match there
        self._probes: dict[str, tuple] | None = {}
        # Lark's LALR parse driven in one loop (engine.values.lalr), or Lark's own where the
        # driver does not cover the parser (Earley)
        self._parse_tree = _parse_function(parser)
        self._parse_value = None if values is None else _parse_function(values)

    @staticmethod
    def _terminal_regex(terminal) -> re.Pattern:
        pattern = terminal.pattern
        flags = re.IGNORECASE if "i" in pattern.flags else 0
        source = re.escape(pattern.value) if isinstance(pattern, PatternStr) else pattern.value
        return re.compile(source, flags)

    def check_fields(self) -> None:
        names = {r.origin.name for r in self.parser.rules} | {r.alias for r in self.parser.rules
                                                              if r.alias}
        names |= {t.name for t in self.parser.terminals}
        for name, spec in self.spec.fields.items():
            if spec["from"] not in names:
                raise GrammarCompileError(f"field {name!r} takes `from: {spec['from']}`, which is "
                                          f"no rule or terminal of {Path(self.spec.path).name}")

    # ---- values ----
    def tree(self, text: str) -> Tree | None:
        try:
            return self._parse_tree(text)
        except (UnexpectedInput, LarkError, ParseFailed):
            return None

    def parse(self, text: str) -> dict | None:
        """The value of a phrase, None if `text` is none (memoised: the same windows come
        back in sentence after sentence)."""
        value = self._parsed.get(text, _UNPARSED)
        if value is _UNPARSED:
            if len(self._parsed) >= MAX_PARSED:
                self._parsed.clear()
            value = self._parsed[text] = self._parse(text)
        return value

    def _parse(self, text: str) -> dict | None:
        if self._ends is not None and not _ends_text(self._ends, text):
            return None  # no terminal a phrase ends with ends where the text does
        if self._parse_value is not None:
            try:
                return self._parse_value(text)
            except Exception:  # not a phrase, or the transformer can make no value ("a nine")
                return None
        tree = self.tree(text)
        if tree is None:
            return None
        try:
            return self.value(tree, text)
        except (LookupError, ValueError, TypeError, ZeroDivisionError, VisitError):
            return None  # the grammar accepted it but no value can be made ("a nine")

    def value(self, tree: Tree, text: str) -> dict:
        if self.spec.builtin and self.name in _TRANSFORMERS:
            return _TRANSFORMERS[self.name]().transform(tree)
        out: dict[str, Any] = {}
        for name, spec in self.spec.fields.items():
            part = _find(tree, spec["from"])
            if part is None:
                continue
            out[name] = _convert(_text_of(part, text), spec)
        out["value"] = out.get(self.spec.value) if self.spec.value else text.strip()
        return out

    # ---- finding phrases among tokens ----
    def find(self, tokens, text: str) -> list[tuple[int, int, dict]]:
        """(start token, end token, value) for every window of tokens the grammar accepts."""
        return self.find_words([t.text for t in tokens], [t.start for t in tokens], text)

    def find_words(self, words: list[str], offsets: list[int], text: str,
                   active: list[int] | None = None, ids: list[int] | None = None,
                   memo: list | None = None) -> list[tuple[int, int, dict]]:
        """find() for the tokens with these texts at these offsets of `text`: what the engine
        has of a sentence without making its Token objects. `active`, where the caller knows
        them, are the positions whose words are not inert (see inert()). `ids`, where given,
        number the words (the engine's word form ids: one per text), and `memo`, a list the
        caller keeps by those numbers (emptied when they are reused), holds what each word can
        do: read by index, where the grammar's own memo by text costs a dictionary lookup
        (a cache miss in a table of every word met) per active token.

        Terminals read the text itself, so invisible format characters (a direction mark
        glued to a number in Arabic-sourced web text, a soft hyphen inside a word) would hide
        a phrase: where the tokens' stretch of text holds one, they are matched on a copy
        without them (the result is token positions, the same in both)."""
        if words and self._invisible_in(text):
            start = offsets[0]
            stretch = text[start:offsets[-1] + len(words[-1]) + _CONTEXT_CHARS]
            if _INVISIBLE.search(stretch):
                return self._find_words(*_visible_tokens(words, offsets, stretch, start))
        return self._find_words(words, offsets, text, active, ids, memo)

    def inert(self, word: str) -> bool:
        """Whether a token with this text does nothing here: begins no terminal and is not
        glue. Most words are; a sentence of them only has no phrase (the engine keeps the
        answer per word form, so most sentences are ruled out without reading a word)."""
        return (self._words.get(word) or self._word(word)) is _INERT

    def _invisible_in(self, text: str) -> bool:
        """Whether `text` holds an invisible format character: asked of a whole document once
        (its sentences come one after another), and most hold none."""
        last = self._last_text
        if last[0] is not text:
            last = self._last_text = (text, not text.isascii()
                                      and _INVISIBLE.search(text) is not None)
        return last[1]

    def _find_words(self, words: list[str], offsets: list[int], text: str,
                    active: list[int] | None = None, ids: list[int] | None = None,
                    memo: list | None = None) -> list[tuple[int, int, dict]]:
        if active is None:
            active = list(range(len(words)))
        return _phrases(self._words, self._word, active, words, offsets, text,
                        self._parsed, self.parse, self._probes, ids, memo)

    def _word(self, word: str) -> tuple:
        """What a token with this text can do (see _words): the terminals whose match can
        begin at it, whether the grammar ignores it (glue), whether one of those terminals can
        begin a phrase, and how far they reach. Most words do nothing: _INERT, made at once."""
        if len(self._words) >= 200_000:
            self._words.clear()
        if len(self._heads) >= 200_000:  # heads of three characters, in every script there is
            self._heads.clear()
        if len(word) > MAX_WINDOW_CHARS:
            able = []
        elif self._prefix is None:
            able = list(range(len(self._starts)))
        else:
            prefixes = self._prefixes
            able = [k for k in self._can_begin(word[:_HEAD])
                    if prefixes[k] is None or prefixes[k].match(word, partial=True) is not None]
        glue = self._is_glue is not None and self._is_glue(word) is not None
        if not able and not glue:
            self._words[word] = _INERT
            return _INERT
        alone = word + " "  # the word followed by white space, as most tokens are
        reach = max((m.end() for k in able
                     if self._local[k] and (m := self._starts[k].match(alone)) is not None),
                    default=0)
        info = (tuple(self._starts[k].match for k in able), glue,
                any(self._begins[k] for k in able),
                tuple(self._starts[k].match for k in able if not self._local[k]), reach,
                tuple(self._prefixes[k] for k in able if not self._local[k]))
        self._words[word] = info
        return info

    def _can_begin(self, head: str) -> tuple[int, ...]:
        """The terminals whose match can begin with a word's first characters (_HEAD of them).
        Asked once per head: whatever a word's own text matches (partially or whole), so does
        its head, so a terminal the head rules out is never tried on the words it begins (the
        `regex` module's partial match, the slow part of meeting a new word, is run on the
        whole word only for the few terminals left; for most words, none)."""
        known = self._heads.get(head)
        if known is None:
            # the same holds of the head's own head: only the terminals it leaves are tried
            if len(head) > 1:
                left = self._can_begin(head[:-1])
            elif self._prefix.match(head, partial=True) is None:
                left = ()
            else:
                left = range(len(self._prefixes))
            prefixes = self._prefixes
            known = self._heads[head] = tuple([
                k for k in left
                if prefixes[k] is None or prefixes[k].match(head, partial=True) is not None])
        return known


# Invisible format characters (Unicode category Cf), which text.tokens.visible reads words
# without; and how much text after a sentence's last token its terminals may read.
_INVISIBLE = regex.compile(r"\p{Cf}")
_CONTEXT_CHARS = 64


def _parse_function(parser: Lark) -> Callable[[str], Any]:
    """`parser.parse`, through engine.values.lalr's driver where it covers the parser."""
    driver = driver_for(parser)
    return parser.parse if driver is None else driver.parse


def _phrases(known: dict, word_info, active: list, words: list, offsets: list, text: str,
             parsed: dict, parse, probes: dict | None, ids: list | None = None,
             memo: list | None = None) -> list:
    """ValueGrammar.find_words' windows and their values, for the tokens at positions `active`
    (the others' words are inert): `known` is what each word can do (ValueGrammar._words),
    `word_info` works it out for a new word; `memo`, where given, the same by the words'
    `ids` (find_words); `parsed`, the values of windows parsed already
    (ValueGrammar._parsed), and `parse` what parses the others; `probes`, which of a word's
    terminals that read past it can match, by the text up to the next word's first character
    (ValueGrammar._probes; None: every one is run). A plain function, so that the build
    types its loops (grammar.pxd): they visit every active token of every sentence a grammar
    is asked of.

    Terminals that read past a word ("at least", "a few days ago") are tried at every token
    they can begin ("a", "at", "the"), and mostly fail at the next word. Matched partially
    (the `regex` module) against the text from the token to the next word's first character,
    a terminal that cannot match there is not run: whatever matches at the token either ends
    within that text (a match of it) or runs past it (the text is then a partial match), as
    with the words' own filter (_prefix_filter)."""
    n = len(words)
    size = len(text)
    # the limits as locals, which the build types (grammar.pxd): compared with the module's
    # ints, every position would be boxed first
    max_space, max_tokens, max_chars = MAX_PROBE_SPACE, MAX_TOKENS, MAX_WINDOW_CHARS
    # per token: 1, a terminal starts at or runs over it ("as many as" starts at "as" and
    # covers "many"); 2, the grammar ignores it (glue); 4, a phrase can begin at it
    marks = bytearray(n)
    for i in active:
        word = words[i]
        wid = ids[i] if memo is not None else -1
        info = memo[wid] if 0 <= wid < len(memo) else None
        if info is None:
            info = known.get(word)
            if info is None:
                info = word_info(word)
            if wid >= 0:
                if wid >= len(memo):
                    memo.extend([None] * (wid + 1 - len(memo)))
                memo[wid] = info
        if info[1]:
            marks[i] |= 2
        if info[2]:
            marks[i] |= 4
        matchers = info[0]
        if not matchers:
            continue
        at = reach = offsets[i]
        end = at + len(word)
        if end == size or text[end].isspace():
            extra = info[4]  # the terminals that stay in the word: known per word
            reach += extra
            matchers = info[3]
            if matchers and probes is not None:
                stop = end + 1
                while stop < size and stop - end <= max_space and text[stop].isspace():
                    stop += 1
                if stop - end <= max_space:
                    probe = text[at:stop + 1]
                    kept = probes.get(probe)
                    if kept is None:
                        if len(probes) >= MAX_PROBES:
                            probes.clear()
                        can = []  # (a loop: the build's cpdef function takes no closure)
                        for k in range(len(matchers)):
                            partial = info[5][k]
                            if partial is None or partial.match(probe, partial=True) is not None:
                                can.append(matchers[k])
                        kept = probes[probe] = tuple(can)
                    matchers = kept
        for match in matchers:
            m = match(text, at)
            if m is not None:
                stop = m.end()
                if stop > reach:
                    reach = stop
        if reach > at:
            marks[i] |= 1
            j = i + 1
            while j < n:
                offset = offsets[j]
                if offset >= reach:
                    break
                marks[j] |= 1
                j += 1
    out = []
    # runs of consecutive tokens marked 1 or 2, first..last; what the grammar ignores (commas
    # in dates, marked 2 but not 1) joins phrases, but no window starts or ends with it
    k = 0
    while k < n:
        if not marks[k] & 3:
            k += 1
            continue
        first = k
        while k + 1 < n and marks[k + 1] & 3:
            k += 1
        last = k
        k += 1
        if first == last:  # most runs are one word: one window
            if marks[first] & 4 and marks[first] & 3 != 2:
                value = parsed.get(words[first], _UNPARSED)
                if value is _UNPARSED:
                    value = parse(words[first])
                if value is not None:
                    out.append((first, first + 1, value))
            continue
        for s in range(first, last + 1):
            if marks[s] & 4 == 0 or marks[s] & 3 == 2:
                continue
            for e in range(min(last + 1, s + max_tokens), s, -1):
                if marks[e - 1] & 3 == 2:
                    continue
                offset = offsets[s]
                stop = offsets[e - 1]
                stop += len(words[e - 1])
                if stop - offset > max_chars:
                    continue
                window = text[offset:stop]
                value = parsed.get(window, _UNPARSED)
                if value is _UNPARSED:
                    value = parse(window)
                if value is not None:
                    out.append((s, e, value))
    return out


def _visible_tokens(words: list[str], offsets: list[int], stretch: str,
                    start: int) -> tuple[list[str], list[int], str]:
    """The tokens' words and offsets in `stretch` (their text from offset `start` on) with its
    invisible format characters taken out (as text.tokens.visible takes them out of words),
    and that text."""
    before = [0] * (len(stretch) + 1)  # per position: the visible characters before it
    kept = []
    for k, char in enumerate(stretch):
        before[k] = len(kept)
        if unicodedata.category(char) != "Cf":
            kept.append(char)
    before[len(stretch)] = len(kept)
    return ([visible(word) for word in words], [before[o - start] for o in offsets],
            "".join(kept))


def _first_terminals(parser: Lark) -> set[str] | None:
    """The terminals an LALR grammar's phrases can begin with (None: any, for Earley)."""
    try:
        return set(parser.parse_interactive("").accepts())
    except (AttributeError, NotImplementedError, LarkError):
        return None


def _end_filter(parser: Lark) -> tuple[re.Pattern | None, re.Pattern | None] | None:
    """The terminals an LALR grammar's phrases can end with, and those it ignores, as
    patterns whose matches end where the text does (as Lark's lexer reads them, with `re`). A
    text that none of them ends is no phrase: its last token (or the glue after it) would be
    one of them. Two patterns: the terminals that read one word (_reads_one_word), whose match
    there lies in the text's last word, and the others, tried on the whole text (see
    _ends_text). None where that cannot be worked out: no filter."""
    rules = parser.rules
    nullable: set = set()
    grew = True
    while grew:
        grew = False
        for rule in rules:
            if rule.origin not in nullable and all(
                    not sym.is_term and sym in nullable for sym in rule.expansion):
                nullable.add(rule.origin)
                grew = True
    last: dict = {}  # nonterminal -> the terminals its phrases can end with
    grew = True
    while grew:
        grew = False
        for rule in rules:
            ends = last.setdefault(rule.origin, set())
            before = len(ends)
            for sym in reversed(rule.expansion):
                if sym.is_term:
                    ends.add(sym.name)
                    break
                ends |= last.get(sym, set())
                if sym not in nullable:
                    break
            grew = grew or len(ends) != before
    starts = set(parser.options.start)
    names = set().union(*(ends for origin, ends in last.items() if origin.name in starts))
    if any(origin.name in starts for origin in nullable):
        return None  # an empty phrase: every text "ends" one
    by_name = {t.name: t for t in parser.terminals}
    try:
        ends = [ValueGrammar._terminal_regex(by_name[name])
                for name in sorted(names | set(parser.lexer_conf.ignore))]
        one_word = [rx for rx in ends if _reads_one_word(rx)]
        return (_ending(one_word), _ending([rx for rx in ends if rx not in one_word]))
    except (KeyError, re.error):
        return None


def _ending(terminals: list[re.Pattern]) -> re.Pattern | None:
    """One pattern matching where one of `terminals` ends the text; None for none."""
    if not terminals:
        return None
    return re.compile("(?:" + "|".join(_inline(rx) for rx in terminals) + r")\Z")


def _ends_text(ends: tuple[re.Pattern | None, re.Pattern | None], text: str) -> bool:
    """Whether one of _end_filter's terminals ends `text`. A search tries every position of
    the text: the one-word terminals, which are most of them, are tried only from the start
    of the text's last word on (a match of theirs has no white space in it), the others on
    the whole text."""
    one_word, others = ends
    if one_word is not None:
        last = text.rsplit(None, 1)
        if one_word.search(text, len(text) - len(last[-1]) if last else 0) is not None:
            return True
    return others is not None and others.search(text) is not None


# White space, as `re` reads it (\s, str.isspace), and how a character class's categories
# treat it.
_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
           + "".join(map(chr, range(0x2000, 0x200b))) + "\u2028\u2029\u202f\u205f\u3000")
_SPACE_CODES = frozenset(map(ord, _SPACES))
_SPACE_IN_CATEGORY = {sre.CATEGORY_DIGIT: False, sre.CATEGORY_NOT_DIGIT: True,
                      sre.CATEGORY_SPACE: True, sre.CATEGORY_NOT_SPACE: False,
                      sre.CATEGORY_WORD: False, sre.CATEGORY_NOT_WORD: True}


def _reads_one_word(rx: re.Pattern) -> bool:
    """Whether a match of `rx` at a position reads nothing past the first white space from
    there: nothing in it (lookaheads included) can consume white space, and nothing looks
    behind or at the ends of the text (anchors, \\b, lookbehind, back references). Such a
    match at a token followed by white space is the same as at the word alone followed by a
    space, whatever the text around it; where this cannot be shown, False."""
    try:
        parsed = sre_parse.parse(rx.pattern, rx.flags)
    except (re.error, RecursionError):
        return False
    return _no_space_read(parsed.data)


def _no_space_read(items) -> bool:
    """_reads_one_word over a parsed pattern's items (sre's (op, argument) pairs)."""
    for op, arg in items:
        if op == sre.LITERAL:
            if chr(arg).isspace():
                return False
        elif op == sre.IN:
            if class_matches_any(arg, _SPACE_CODES, _SPACE_IN_CATEGORY) is not False:
                return False
        elif op == sre.BRANCH:
            if not all(_no_space_read(option) for option in arg[1]):
                return False
        elif op == sre.SUBPATTERN:
            if not _no_space_read(arg[3]):
                return False
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            if not _no_space_read(arg[2]):
                return False
        elif op == sre.ATOMIC_GROUP:
            if not _no_space_read(arg):
                return False
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if arg[0] != 1 or not _no_space_read(arg[1]):  # lookbehind reads before the token
                return False
        else:  # ANY, NOT_LITERAL, AT (anchors, \\b), group references, or unknown
            return False
    return True


def _inline(rx: re.Pattern) -> str:
    """A terminal's regex as a group that keeps its case flag inside an alternation."""
    return f"(?{'i' if rx.flags & re.IGNORECASE else ''}:{rx.pattern})"


def _prefix_filter(pattern: str):
    """The terminals as a `regex` pattern that, matched partially against a token's own text,
    says whether a match can start at the token: whatever matches at the token's start in the
    sentence either ends inside the token (then the token's text matches) or runs past it (then
    the text is a prefix of the match, a partial match). Only lookbehind and \\B look before the
    start, where the token's text alone shows nothing: with either, no filter (None)."""
    if "(?<" in pattern or "\\B" in pattern:
        return None
    try:
        return regex.compile(pattern, regex.VERSION0)
    except regex.error:
        return None


def _find(tree: Tree, name: str):
    for sub in tree.iter_subtrees_topdown():
        if sub.data == name:
            return sub
        for child in sub.children:
            if isinstance(child, Token) and child.type == name:
                return child
    return None


def _text_of(part, text: str) -> str:
    if isinstance(part, Token):
        return str(part)
    return text[part.meta.start_pos:part.meta.end_pos]


def _convert(value: str, spec: dict):
    if "map" in spec:
        return spec["map"].get(value.lower().strip(), value)
    kind = spec.get("as", "text")
    if kind == "lower":
        return value.lower()
    if kind == "number":
        if "." in value:  # not a conditional expression: compiled, its int would be a float
            return float(value.replace(",", ""))
        return int(value.replace(",", ""))
    if kind in BUILTIN:
        from engine.values.registry import builtin_grammar

        parsed = builtin_grammar(kind).parse(value)
        return None if parsed is None else parsed.get("value")
    return value
