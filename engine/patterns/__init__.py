"""Patterns: the Lark grammar of the pattern language, its AST, what every match of a pattern
requires (trigger words), and the compiler to VM code."""
