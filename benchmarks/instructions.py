"""Instructions executed (valgrind's callgrind), which do not swing with the machine's load as
time does: assay's conflict pack beside bare spaCy tokenisation on the same FA-KES texts, and
the pack in other checkouts of assay (A/B of a change).

    python benchmarks/instructions.py [--docs N] [--first-pass] [--compare CHECKOUT ...]

Each figure comes from a child process run under callgrind with counting off until it has made
two warm passes; one more pass is then counted, with the heap made so far frozen (gc.freeze, as
`assay run` freezes what it loaded), so that no full collection lands in one checkout's counted
pass and not in another's. With --first-pass the pass counted is the first
after loading (spaCy's pipeline made, no text seen): what every process, and every `--jobs`
worker, pays anew for new words, windows and tests. The hash seed is fixed and BLAS kept to one
thread, so that a count repeats to within about 0.1% (on these machines wall and CPU time of the
same pass vary by 5-40% from one minute to the next). Instructions are not time: cache misses
and mispredicted branches cost nothing here. Use this to see what a change saves, and run.py,
which times, for the bars. A CHECKOUT is a folder holding a built `engine/` (and its `rules/`
and `grammars/`), such as a copy of the package made before the change. Needs valgrind; says so
and exits 0 where it is missing. The last line is JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import DEFAULT_CORPUS, load_corpus  # noqa: E402

STEADY_ENV = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


def child(what: str, checkout: str, corpus: str, docs: int, signals: str) -> None:
    """Warm up, then make the counted pass between the parent's signals (files)."""
    sys.path.insert(0, checkout)
    what, _, first = what.partition(":")
    texts = load_corpus(Path(corpus), False, docs)
    if what == "tokenize":
        import spacy

        nlp = spacy.blank("en")

        def one_pass() -> None:
            for text in texts:
                nlp.make_doc(text)
    else:
        import engine

        if not engine.__file__.startswith(checkout):
            sys.exit(f"engine was imported from {engine.__file__}, not {checkout}")
        pack = engine.load()
        _ = pack.tokenizer.nlp  # loading, not the pass: made before counting starts

        def one_pass() -> None:
            for n, text in enumerate(texts):
                pack.extract(text, f"d{n}")
    if not first:
        one_pass()
        one_pass()
    # The heap so far (spaCy, the pack, the memos of the passes before) is frozen, as `assay
    # run` freezes what it loaded: otherwise a full collection walking all of it lands in the
    # counted pass or not as allocation counts happen to fall, which moved one checkout's
    # count by 3% against another's for nothing either changed (fifteenth session).
    gc.collect()
    gc.freeze()
    _signal(signals, "ready")
    _wait(signals, "go")
    one_pass()
    _signal(signals, "done")
    _wait(signals, "end")


def _signal(folder: str, name: str) -> None:
    Path(folder, name).write_text("")


def _wait(folder: str, name: str, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while not Path(folder, name).exists():
        if time.monotonic() > deadline:
            sys.exit(f"no {name!r} signal within {timeout:.0f} s")
        time.sleep(0.05)


def count(what: str, checkout: Path, corpus: Path, docs: int) -> int:
    """Instructions of one pass (warm; the first with a `what` of "pack:first"), counted by
    callgrind in a child process."""
    with tempfile.TemporaryDirectory(prefix="assay-instr-") as folder:
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={folder}/callgrind.out", sys.executable, __file__,
                   "--child", what, str(checkout.resolve()), str(corpus), str(docs), folder]
        log = Path(folder, "valgrind.log")
        with log.open("w") as stderr:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                       env={**os.environ, **STEADY_ENV})
            try:
                while not Path(folder, "ready").exists():
                    if process.poll() is not None:
                        sys.exit(f"the {what} run ended early:\n{log.read_text()[-2000:]}")
                    time.sleep(0.2)
                _control(process.pid, "on")
                _signal(folder, "go")
                _wait(folder, "done")
                _control(process.pid, "off")
                _signal(folder, "end")
                process.wait()
            finally:
                if process.poll() is None:
                    process.kill()
        found = re.search(r"I\s+refs:\s+([\d,]+)", log.read_text())
        if process.returncode or not found:
            sys.exit(f"the {what} run failed:\n{log.read_text()[-2000:]}")
        return int(found.group(1).replace(",", ""))


def _control(pid: int, state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="the first N FA-KES texts")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--compare", type=Path, nargs="*", default=[],
                        help="other checkouts whose pack is counted on the same texts")
    parser.add_argument("--first-pass", action="store_true",
                        help="count the first pass after loading, not a warm one")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        what, checkout, corpus, docs, signals = args.child
        child(what, checkout, corpus, int(docs), signals)
        return 0
    if not args.corpus.exists():
        print(f"skipped: {args.corpus} is absent", file=sys.stderr)
        return 0
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("skipped: valgrind (callgrind) is not installed", file=sys.stderr)
        return 0
    kind = "first" if args.first_pass else "warm"
    suffix = ":first" if args.first_pass else ""
    print(f"instructions of one {kind} pass over the first {args.docs} FA-KES texts "
          "(callgrind)", flush=True)
    tokenize = count("tokenize" + suffix, ROOT, args.corpus, args.docs)
    print(f"{'spacy.blank tokenize':<40} {tokenize:>16,}", flush=True)
    pack = count("pack" + suffix, ROOT, args.corpus, args.docs)
    print(f"{'assay conflict pack (this checkout)':<40} {pack:>16,}  "
          f"tokenize/pack {tokenize / pack:.3f}", flush=True)
    result = {"docs": args.docs, "pass": kind, "tokenize_instructions": tokenize,
              "pack_instructions": pack,
              "pack_vs_tokenize_instructions": round(tokenize / pack, 4), "compared": {}}
    for other in args.compare:
        theirs = count("pack" + suffix, other, args.corpus, args.docs)
        print(f"{'assay conflict pack, ' + str(other):<40} {theirs:>16,}  "
              f"this checkout {100 * (pack / theirs - 1):+.2f}%", flush=True)
        result["compared"][str(other)] = theirs
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
