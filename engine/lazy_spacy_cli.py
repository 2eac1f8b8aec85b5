"""spaCy's own command line, imported when something uses it rather than with spaCy.

`import spacy` imports spaCy's command line (spacy.cli: typer, weasel, requests and some 360
modules in all) to offer one function, `spacy.info`: 0.13 s of the 0.3 s spaCy takes to
import here, in every `assay` command and every --jobs run. spaCy merged this very change
once (explosion/spaCy#12962) and has it open again (#13721, through a module `__getattr__`).

`defer_spacy_cli()` makes the next `import spacy` run with a stand-in for `spacy.cli.info`
whose `info` imports the real one when called; `spacy.cli` itself is imported the first time
it is asked for (`spacy.cli`, `import spacy.cli`, `from spacy.cli import download`). Should a
spaCy ask its command line for anything else while it is imported, the stand-in imports the
real one then, as spaCy would have. The `assay` command alone sets this up: it owns its
process. A program that embeds the engine imports spaCy its own way.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from importlib.abc import Loader, MetaPathFinder
from types import ModuleType
from typing import Any

_STAND_INS = ("spacy.cli", "spacy.cli.info")


def defer_spacy_cli() -> None:
    """Have the next `import spacy` leave out spaCy's command line (see above); nothing if
    spaCy is imported already."""
    if "spacy" not in sys.modules and not any(
            isinstance(finder, _SpacyFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SpacyFinder())


class _SpacyFinder(MetaPathFinder):
    """Finds `spacy` as the other finders do, once, and has it executed by _SpacyLoader."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "spacy":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _SpacyLoader(spec.loader)
        return spec


class _SpacyLoader(Loader):
    """spaCy's own loader, with the stand-ins in place while spaCy's __init__ runs."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__.loader = module.__loader__ = self.loader  # not this one, from now on
        info = _StandIn("spacy.cli.info")
        info.info = _info
        stand_ins = {"spacy.cli": _StandIn("spacy.cli"), "spacy.cli.info": info}
        sys.modules.update(stand_ins)
        try:
            self.loader.exec_module(module)
        finally:
            _drop_stand_ins()
        if "spacy.cli" not in sys.modules:  # nothing asked for the real one
            module.__dict__.pop("cli", None)
            module.__dict__.setdefault("__getattr__", _spacy_getattr)


class _StandIn(ModuleType):
    """A stand-in for one of spaCy's command-line modules: asked for what it does not hold, it
    is replaced by the real module, which answers."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # the import system's own questions (__path__ …)
            raise AttributeError(attr)
        _drop_stand_ins()
        return getattr(importlib.import_module(self.__name__), attr)


def _drop_stand_ins() -> None:
    for name in _STAND_INS:
        if isinstance(sys.modules.get(name), _StandIn):
            del sys.modules[name]


def _info(*args: Any, **kwargs: Any) -> Any:
    """`spacy.info`, importing spaCy's command line when called."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _spacy_getattr(name: str) -> Any:
    """spaCy's module `__getattr__`: `spacy.cli`, imported when first asked for."""
    if name == "cli":
        return importlib.import_module("spacy.cli")
    raise AttributeError(f"module 'spacy' has no attribute {name!r}")
