"""Patterns: the Lark grammar of the pattern language, its AST, and the compiler to VM code."""
