"""Compile the matcher's hot loops to C when the package is built (wheel or editable install).

Two kinds of optional extension modules:
- `engine/matching/_vm.pyx`: the VM's search loop and lookaround scans over C arrays;
  engine/matching/vm.py, the reference, runs wherever it was not built.
  `engine/text/_chunks.pyx`: the tokenizer's kept chunks as a C hash table, read where each
  chunk lies in a document's text; a dict and document.py's loop where it was not built.
- PYTHON_SOURCES, plain Python modules compiled as they are: Cython runs them without the
  interpreter's dispatch, and the module's own .py runs wherever it was not built. Cython is
  told not to type anything the code does not declare (no inference, annotations ignored), so
  it keeps Python's semantics; engine/__init__.py runs a source edited since its build. A
  module may have a .pxd beside it (Cython's augmenting declarations) that types a few
  functions' loops in C: the .py is unchanged, and runs as it is where it is not built.
Where Cython or a C compiler is missing, or ASSAY_PURE_PYTHON=1 is set, the build goes on and
the package runs as plain Python, with the same results, more slowly (docs/performance.md).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PYX_SOURCES = ["engine/matching/_vm.pyx", "engine/text/_chunks.pyx"]
# The sentence pass around the VM, value grammars' prefilter, sentence splitting, the lexicon,
# word forms (made for every new word: what a first pass over a corpus is made of).
PYTHON_SOURCES = ["engine/api.py", "engine/values/grammar.py", "engine/values/lalr.py",
                  "engine/values/dates.py", "engine/values/quantity.py", "engine/facts.py",
                  "engine/text/document.py", "engine/matching/lexicon.py", "engine/text/tokens.py"]
SOURCES = PYX_SOURCES + PYTHON_SOURCES
PYTHON_DIRECTIVES = {"infer_types": False, "annotation_typing": False}


class CompiledMatcher(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or os.environ.get("ASSAY_PURE_PYTHON") == "1":
            return
        root = Path(self.root)
        # Editable installs import from the checkout, so the modules are built next to their
        # sources; a wheel gets them from a scratch folder.
        inplace = version == "editable"
        target = root if inplace else Path(tempfile.mkdtemp(prefix="assay-build-"))
        built = _compile(root, target)
        if not built:
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if not inplace:
            for path in built:
                relative = path.relative_to(target).as_posix()
                build_data["force_include"][str(path)] = relative


def _compile(root: Path, target: Path) -> list[Path]:
    """Compile each source into `target` (same relative path), one at a time, so that one that
    fails (no C compiler, a Cython error) leaves the others built and itself running as
    Python; the paths of the extension modules built."""
    built = []
    for source in SOURCES:
        try:
            built.append(_compile_one(root, target, source))
        except Exception as exc:  # noqa: BLE001 - any failure leaves its module as Python
            print(f"assay: {source} was not compiled ({exc}); it runs as Python",
                  file=sys.stderr)
    return built


def _compile_one(root: Path, target: Path, source: str) -> Path:
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    module = source.rsplit(".", 1)[0].replace("/", ".")
    work = Path(tempfile.mkdtemp(prefix="assay-cython-"))
    copy = work / source  # Cython writes its .c beside the source: keep the checkout clean
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / source, copy)
    declarations = (root / source).with_suffix(".pxd")  # C types for a plain module
    if source in PYTHON_SOURCES and declarations.exists():
        shutil.copy(declarations, copy.with_suffix(".pxd"))
    directives = PYTHON_DIRECTIVES if source in PYTHON_SOURCES else {}
    cwd = os.getcwd()
    os.chdir(work)
    try:
        modules = cythonize([Extension(module, [str(copy)])], language_level=3, quiet=True,
                            compiler_directives=directives)
        dist = Distribution({"ext_modules": modules, "script_name": "hatch_build.py"})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "temp")
        command.ensure_finalized()
        command.run()
        name = source.rsplit(".", 1)[0] + sysconfig.get_config_var("EXT_SUFFIX")
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(work / "lib" / name, destination)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    return destination
