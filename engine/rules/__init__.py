"""Rules: YAML rule files, lexicons and fact types, loaded safely and validated with positions."""

from engine.rules.loader import load_rules
from engine.rules.model import Example, FactType, LexiconEntry, PatternSource, Rule, RuleSet

__all__ = ["Example", "FactType", "LexiconEntry", "PatternSource", "Rule", "RuleSet", "load_rules"]
