"""Typed values: Lark grammars matched over tokens inside patterns (`count:<quantity>`).

`quantity` and `date` are built in (their values are computed in Python here); any other
grammar an analyst adds gets its value from a small declarative mapping in YAML.
"""

from engine.values.grammar import BUILTIN, GrammarSpec, ValueGrammar, compile_grammar

__all__ = ["BUILTIN", "GrammarSpec", "ValueGrammar", "compile_grammar"]
