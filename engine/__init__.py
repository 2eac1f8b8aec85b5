"""assay: rule-based information extraction with auditable facts.

The data path: text (documents, tokens, sentences) → rules (YAML loading, validation) →
patterns (Lark grammar, requirements, compiler) → matching (VM, lexicon) → facts → outputs.
The CLI (engine.cli) is a thin shell over this API.

Names are imported on first use (PEP 562), so `import engine.cli` and `assay --help` do not
pay for spaCy and Lark.
"""

from importlib import import_module

from engine.version import __version__

_EXPORTS = {
    "load": "engine.api", "Engine": "engine.api", "DocumentError": "engine.api",
    "DocumentResult": "engine.api", "Fact": "engine.facts", "Diagnostic": "engine.errors",
    "RuleError": "engine.errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
