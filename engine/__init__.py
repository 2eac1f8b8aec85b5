"""assay: rule-based information extraction with auditable facts.

The data path: text (documents, tokens, sentences) → rules (YAML loading, validation) →
patterns (Lark grammar, requirements, compiler) → matching (VM, lexicon) → facts → outputs.
The CLI (engine.cli) is a thin shell over this API.

Names are imported on first use (PEP 562), so `import engine.cli` and `assay --help` do not
pay for spaCy and Lark.
"""

import sys
import warnings
from importlib import import_module
from importlib.abc import MetaPathFinder
from importlib.machinery import EXTENSION_SUFFIXES
from importlib.util import spec_from_file_location
from pathlib import Path

from engine.version import __version__

# Plain Python modules that the build may also compile (hatch_build.py's PYTHON_SOURCES).
COMPILED_SOURCES = ("engine.api", "engine.values.grammar", "engine.values.lalr",
                    "engine.values.dates", "engine.values.quantity", "engine.facts",
                    "engine.text.document", "engine.matching.lexicon", "engine.text.tokens")


class _EditedSources(MetaPathFinder):
    """In a checkout (an editable install), a module compiled beside its .py is imported before
    it, so an edit to the .py would be ignored until the next build: this finder imports the
    .py of any such module edited since, and says so once."""

    def __init__(self, package: Path, names: tuple[str, ...]):
        self.sources: dict[str, Path] = {}
        self.warned: set[str] = set()
        if not (package.parent / "pyproject.toml").exists():
            return  # an installed wheel: its sources and builds come together
        for name in names:
            source = package.parent.joinpath(*name.split(".")).with_suffix(".py")
            built = [source.with_suffix(suffix) for suffix in EXTENSION_SUFFIXES]
            built = [path for path in built if path.exists()]
            if built and source.exists() and source.stat().st_mtime > max(
                    path.stat().st_mtime for path in built):
                self.sources[name] = source

    def find_spec(self, name, path=None, target=None):
        source = self.sources.get(name)
        if source is None:
            return None
        if name not in self.warned:
            self.warned.add(name)
            warnings.warn(f"{source.name} changed after it was compiled: running it as Python "
                          "(slower); `pip install -e .` compiles it again", stacklevel=2)
        return spec_from_file_location(name, source)


_edited = _EditedSources(Path(__file__).parent, COMPILED_SOURCES)
if _edited.sources:
    sys.meta_path.insert(0, _edited)

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
