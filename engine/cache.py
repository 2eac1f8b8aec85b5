"""A compiled pack cached on disk, keyed by the content of its files, so that `assay try` and
`assay test` start without re-reading YAML, re-parsing patterns or re-tokenising lexicons.

The cache holds what loading produced (the validated rule set, the lexicon tries and the
compiled programs), pickled. A program's token tests are generated functions, which pickle
cannot store: each is stored as its test and generated again on loading (`_Pickler`). It lives in
$ASSAY_CACHE_DIR, else ~/.cache/assay; ASSAY_CACHE=0 turns it off. A cache file that cannot
be read is ignored and rewritten: it can only make loading faster, never change a result.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from types import FunctionType

from engine.patterns.compiler import compile_test
from engine.rules.loader import rule_files
from engine.version import __version__


def cache_dir() -> Path | None:
    if os.environ.get("ASSAY_CACHE", "1") in ("0", "off", "false", "no"):
        return None
    root = os.environ.get("ASSAY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "assay")
    return Path(root)


def pack_key(paths) -> str | None:
    """A hash of every rule, lexicon and grammar file the paths name, with the engine version;
    None if a file cannot be read (then loading reports it)."""
    from engine.resources import bundled

    digest = hashlib.sha256(__version__.encode())
    # the engine's own code shapes what is pickled: any change to it (or to a module built
    # from it, hatch_build.py) starts a new cache
    package = Path(__file__).resolve().parent
    for source in sorted(path for pattern in ("*.py", "*.pyx", "*.so", "*.pyd")
                         for path in package.rglob(pattern)):
        stat = source.stat()
        digest.update(f"{source}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    files = rule_files(paths) + rule_files(paths, (".lark",))
    files += sorted(bundled("grammars").glob("*.lark"))
    for path in files:
        try:
            digest.update(str(path.resolve()).encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            return None
    return digest.hexdigest()[:32]


def load(key: str):
    folder = cache_dir()
    if folder is None or key is None:
        return None
    try:
        with (folder / f"pack-{key}.pickle").open("rb") as stream:
            return pickle.load(stream)  # noqa: S301 - our own cache, in the user's cache dir
    except Exception:  # missing, truncated, or from another version: rebuild
        return None


def store(key: str, value) -> None:
    folder = cache_dir()
    if folder is None or key is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False) as stream:
            _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        os.replace(stream.name, folder / f"pack-{key}.pickle")
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a cache we cannot write only costs time


class _Pickler(pickle.Pickler):
    """Pickles a generated token test as the test it was generated from."""

    def reducer_override(self, obj):
        if isinstance(obj, FunctionType) and hasattr(obj, "token_test"):
            return compile_test, (obj.token_test,)
        return NotImplemented
