"""The built-in value grammars, compiled once per process."""

from __future__ import annotations

from functools import cache

from engine.resources import bundled
from engine.values.grammar import BUILTIN, GrammarSpec, ValueGrammar, compile_grammar


def builtin_spec(name: str) -> GrammarSpec:
    path = bundled("grammars") / f"{name}.lark"
    return GrammarSpec(name, str(path), f"grammars/{name}.lark", builtin=True)


@cache
def builtin_grammar(name: str) -> ValueGrammar:
    if name not in BUILTIN:
        raise KeyError(name)
    return compile_grammar(builtin_spec(name))


_COMPILED: dict[tuple, ValueGrammar] = {}


def compile_cached(spec: GrammarSpec) -> ValueGrammar:
    """Compile a grammar once per process and content (loading validates, the engine reuses)."""
    if spec.builtin:
        return builtin_grammar(spec.name)
    with open(spec.path, encoding="utf-8") as stream:
        key = (spec.name, spec.path, stream.read(), repr(spec.fields), spec.value)
    grammar = _COMPILED.get(key)
    if grammar is None:
        grammar = _COMPILED[key] = compile_grammar(spec)
    return grammar
