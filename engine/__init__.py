"""assay: rule-based information extraction with auditable facts.

The data path: text (documents, tokens, sentences) → rules (YAML loading, validation) →
patterns (Lark grammar, compiler) → matching (VM, triggers, lexicon) → facts → outputs.
The CLI (engine.cli) is a thin shell over this API.
"""

from engine.api import DocumentError, DocumentResult, Engine, load
from engine.errors import Diagnostic, RuleError
from engine.facts import Fact
from engine.version import __version__

__all__ = ["Diagnostic", "DocumentError", "DocumentResult", "Engine", "Fact", "RuleError",
           "__version__", "load"]
