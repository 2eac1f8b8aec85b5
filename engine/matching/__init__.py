"""Matching: run compiled programs over the tokens of one sentence."""
