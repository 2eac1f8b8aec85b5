"""Lark's LALR parse of a whole text, driven from Lark's own parse table, contextual lexers and
callbacks in one loop.

A value grammar parses every new window of words a corpus brings (thousands in a first pass,
and again in every `--jobs` worker), most of them a few tokens long. Lark's own driver spends
more on its layers (parser front end, lexer thread and state, line counter, a generator per
parse, error objects that work out the expected terminals) than on the lexing and the table
itself. This loop does what `Lark.parse` does for an LALR grammar with the contextual lexer,
reading the same tables and calling the same regular expressions and callbacks, so that the
values and the texts that fail are Lark's (tests/test_values.py checks it against Lark on every
window of the corpora and on generated text). Grammars it does not cover (Earley, another
lexer, a post-lexer, lexer callbacks) are parsed by Lark itself.
"""

from __future__ import annotations

from typing import Any

from lark import Lark, Token
from lark.lexer import ContextualLexer
from lark.parsers.lalr_analysis import Shift

_new_str = str.__new__


class ParseFailed(Exception):
    """The text is not a phrase of the grammar (Lark would raise UnexpectedInput)."""


_FAILED = ParseFailed()  # raised as is: the caller only needs to know the parse failed


class _StateLexer:
    """What a parse reads of one of Lark's per-state lexers: its scanner's regular expressions
    and the terminal each group stands for, the terminals it skips, those that can hold a line
    break, and its callbacks (Lark's `UnlessCallback`, which retypes a string that a keyword
    terminal matches whole)."""

    __slots__ = ("mres", "ignore", "newlines", "callbacks")

    def __init__(self, lexer: Any) -> None:
        scanner = lexer.scanner  # built here, as Lark builds it on first use
        self.mres = list(scanner._mres)
        self.ignore = lexer.ignore_types
        self.newlines = lexer.newline_types
        self.callbacks = dict(lexer.callback)


def driver_for(lark: Lark) -> LalrDriver | None:
    """A driver for `lark`, or None where it is not an LALR parser this module covers."""
    options = lark.options
    if (options.parser != "lalr" or options.postlex is not None
            or lark.lexer_conf.callbacks or len(options.start) != 1
            or not isinstance(lark.parser.lexer, ContextualLexer)):
        return None
    return LalrDriver(lark)


class LalrDriver:
    """`parse(text)`: `lark.parse(text)` for an LALR grammar with the contextual lexer, raising
    ParseFailed (or the callbacks' own errors) where Lark would raise."""

    def __init__(self, lark: Lark) -> None:
        frontend = lark.parser
        parser = frontend.parser.parser  # lark.parsers.lalr_parser._Parser
        table = parser.parse_table
        start = lark.options.start[0]
        self.states = table.states
        self.start_state = table.start_states[start]
        self.end_state = table.end_states[start]
        self.callbacks = parser.callbacks
        self._lark_lexers = frontend.lexer.lexers  # parser state -> Lark's BasicLexer
        self._lexers: dict[int, _StateLexer] = {}  # parser state -> _StateLexer, made on use
        self._shared: dict[int, _StateLexer] = {}  # id of Lark's lexer -> _StateLexer

    def _lexer(self, state: int) -> _StateLexer:
        lark_lexer = self._lark_lexers[state]
        made = self._shared.get(id(lark_lexer))
        if made is None:
            made = self._shared[id(lark_lexer)] = _StateLexer(lark_lexer)
        self._lexers[state] = made
        return made

    def parse(self, text: str) -> Any:
        states = self.states
        callbacks = self.callbacks
        lexers = self._lexers
        end_state = self.end_state
        state_stack = [self.start_state]
        value_stack: list = []
        size = len(text)
        pos = 0
        line = 1
        line_start = 0
        while pos < size:
            # the next token, lexed by the lexer of the state the parser is in
            state = state_stack[-1]
            lexer = lexers.get(state)
            if lexer is None:
                lexer = self._lexer(state)
            match = None
            for mre in lexer.mres:
                match = mre.match(text, pos)
                if match is not None:
                    break
            if match is None:
                raise _FAILED  # UnexpectedCharacters
            value = match.group(0)
            type_ = match.lastgroup
            start, start_line, start_column = pos, line, pos - line_start + 1
            if type_ in lexer.newlines:  # Lark's LineCounter
                count = value.count("\n")
                if count:
                    line += count
                    line_start = pos + value.rindex("\n") + 1
            pos += len(value)
            ignored = type_ in lexer.ignore
            if ignored and type_ not in lexer.callbacks:
                continue
            token = _token(type_, value, start, start_line, start_column, line,
                           pos - line_start + 1, pos)
            if token.type in lexer.callbacks:
                token = lexer.callbacks[token.type](token)
            if ignored:
                continue
            if not isinstance(token, Token):
                raise _FAILED  # Lark's LexError
            # fed to the parser: reductions until the token is shifted (ParserState.feed_token)
            while True:
                actions = states[state_stack[-1]]
                if token.type not in actions:
                    raise _FAILED  # UnexpectedToken
                action, arg = actions[token.type]
                if action is Shift:
                    state_stack.append(arg)
                    value_stack.append(token if token.type not in callbacks
                                       else callbacks[token.type](token))
                    break
                _reduce(arg, states, state_stack, value_stack, callbacks)
        # the end of the text: reductions until the start rule is accepted (Lark's $END token
        # is never shifted, nor handed to a callback, so none is made)
        while True:
            actions = states[state_stack[-1]]
            if "$END" not in actions:
                raise _FAILED
            action, arg = actions["$END"]
            if action is Shift:
                raise _FAILED  # Lark asserts: the end is never shifted
            _reduce(arg, states, state_stack, value_stack, callbacks)
            if state_stack[-1] == end_state:
                return value_stack[-1]


def _token(type_: str, value: str, start: int, line: int, column: int, end_line: int,
           end_column: int, end: int) -> Token:
    """Token(type_, value, start, line, column, end_line, end_column, end), made as Lark's
    Token.__new__ makes it, without its two Python-level calls (the deprecated keywords it
    checks for are never given here)."""
    token = _new_str(Token, value)
    token.type = type_
    token.start_pos = start
    token.value = value
    token.line = line
    token.column = column
    token.end_line = end_line
    token.end_column = end_column
    token.end_pos = end
    return token


def _reduce(rule: Any, states: dict, state_stack: list, value_stack: list,
            callbacks: dict) -> None:
    """One reduction by `rule`: its children popped, its callback's value pushed in the state
    its head goes to."""
    size = len(rule.expansion)
    if size:
        children = value_stack[-size:]
        del state_stack[-size:]
        del value_stack[-size:]
    else:
        children = []
    value = callbacks[rule](children) if callbacks else children
    _action, new_state = states[state_stack[-1]][rule.origin.name]
    state_stack.append(new_state)
    value_stack.append(value)
