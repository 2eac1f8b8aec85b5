"""Where a warm pass of the conflict pack spends its time, by part of the engine, sampled.

    python benchmarks/time_shares.py [--docs N] [--passes K] [--first-pass] [--hz F]
                                     [--corpus PATH]

Instructions (instructions.py) miss what costs time on these machines, cache misses and
mispredicted branches, and Python profilers see nothing inside the compiled modules. This
samples time instead: a child process loads the pack and makes two warm passes over the corpus
(FA-KES by default), then `perf record -e cpu-clock --call-graph dwarf` samples it over K more
(with --first-pass: the first pass after loading alone, what every process and every `--jobs`
worker pays anew for the words, windows and tests it has not met).
Each sample is charged to the innermost frame of a compiled engine module on its stack, so that
libpython's work (attribute reads, calls, allocation) counts for the module that asked for it,
and spaCy's tokenizer for making documents; samples with no engine frame are "other". It also
lists the functions the samples were in (self time). Needs Linux `perf` and permission to
attach to one's own processes; says so and exits 0 where either is missing. Sampling adds
some cost of its own; the shares are what to read, not the seconds. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from instructions import _signal, _wait  # noqa: E402  (the same handshake with a child)
from run import DEFAULT_CORPUS, load_corpus  # noqa: E402

# A compiled engine module's functions, as Cython names their C symbols (`__pyx_pf_6engine_3api_…`,
# a length before each part of the dotted name), and the part of the engine each stands for.
# Engine._fact's own code is told apart from the rest of the sentence pass in api.py.
PARTS = (
    ("facts (Engine._fact itself)", re.compile(r"6engine_3api_\w*Engine_\d+_fact(?!\w)")),
    ("the sentence pass (api.py)", re.compile(r"6engine_3api_")),
    ("the matcher (matching/_vm.pyx)", re.compile(r"6engine_8matching_3_vm_")),
    ("the lexicon", re.compile(r"6engine_8matching_7lexicon_")),
    ("value grammars", re.compile(r"6engine_6values_")),
    ("making documents (spaCy's tokenizer in it)", re.compile(r"6engine_4text_")),
)
OTHER = "other (no compiled engine frame)"
_ENGINE = re.compile(r"__pyx_\w*6engine_")
_INLINED = " (inlined)"


def part_of(stack: list[str]) -> str:
    """The part of the engine a sample counts for: that of the innermost compiled engine
    frame of its stack (leaf first)."""
    for symbol in stack:
        if _ENGINE.search(symbol):
            for name, pattern in PARTS:
                if pattern.search(symbol):
                    return name
    return OTHER


def read_stacks(script: str) -> Iterable[list[str]]:
    """The samples of `perf script -F ip,sym` output, each as its symbols, leaf first; a
    function inlined into its caller keeps perf's " (inlined)" mark."""
    for block in script.split("\n\n"):
        stack = []
        for line in block.strip().splitlines():
            parts = line.split(None, 1)
            if len(parts) == 2:
                stack.append(parts[1])
        if stack:
            yield stack


def shares(stacks: Iterable[list[str]]) -> tuple[int, Counter, Counter]:
    """How many samples, and per part and per function (the leaf), how many fall there.
    Samples of the process waiting for its parent (between passes and perf's stop) or
    shutting down are left out."""
    parts: Counter = Counter()
    leaves: Counter = Counter()
    total = 0
    for stack in stacks:
        if any(s.startswith(("Py_FinalizeEx", "pysleep", "time_sleep")) for s in stack):
            continue
        total += 1
        parts[part_of(stack)] += 1
        # the function whose code the sample was in: the first frame not inlined into another
        leaves[next((s for s in stack if not s.endswith(_INLINED)), stack[-1])] += 1
    return total, parts, leaves


def child(corpus: str, docs: int, passes: int, signals: str) -> None:
    """Load and warm up, then make `passes` passes between the parent's signals (files); with
    `passes` 0, the first pass alone, not warmed up."""
    import engine

    texts = load_corpus(Path(corpus), False, docs)
    pack = engine.load()

    def one_pass() -> None:
        for n, text in enumerate(texts):
            pack.extract(text, f"d{n}")

    _ = pack.tokenizer.nlp  # loading, not the pass: made before sampling starts
    if passes:
        one_pass()
        one_pass()
    _signal(signals, "ready")
    _wait(signals, "go")
    for _ in range(passes or 1):
        one_pass()
    _signal(signals, "done")
    _wait(signals, "end")


def record(corpus: Path, docs: int | None, passes: int, hz: int, folder: str) -> str | None:
    """`perf script` output of the child's passes; None (and why, on stderr) if perf could
    not record."""
    command = [sys.executable, __file__, "--child", str(corpus), str(docs or 0), str(passes),
               folder]
    process = subprocess.Popen(command)
    data = str(Path(folder, "perf.data"))
    try:
        _wait(folder, "ready")
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", str(hz),
                                 "--call-graph", "dwarf,32768", "-p", str(process.pid),
                                 "-o", data], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # perf attaches before the passes start
        _signal(folder, "go")
        while not Path(folder, "done").exists():
            if perf.poll() is not None:  # it could not attach
                print(f"skipped: perf record failed: {perf.stderr.read().strip()[-300:]}",
                      file=sys.stderr)
                return None
            time.sleep(0.05)
        perf.send_signal(signal.SIGINT)
        perf.wait()
    finally:
        _signal(folder, "end")
        process.wait()
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"],
                            capture_output=True, text=True)
    if script.returncode:
        print(f"skipped: perf script failed: {script.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return script.stdout


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=None, help="the first N texts only")
    parser.add_argument("--passes", type=int, default=6, help="warm passes sampled")
    parser.add_argument("--first-pass", action="store_true",
                        help="sample the first pass after loading instead")
    parser.add_argument("--hz", type=int, default=1500, help="samples per second")
    parser.add_argument("--top", type=int, default=15, help="functions listed")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        corpus, docs, passes, signals = args.child
        child(corpus, int(docs) or None, int(passes), signals)
        return 0
    if not args.corpus.exists():
        print(f"skipped: {args.corpus} is absent", file=sys.stderr)
        return 0
    if not shutil.which("perf"):
        print("skipped: perf is not installed", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="assay-perf-") as folder:
        script = record(args.corpus, args.docs, 0 if args.first_pass else args.passes,
                        args.hz, folder)
    if script is None:
        return 0
    total, parts, leaves = shares(read_stacks(script))
    if not total:
        print("skipped: perf recorded no samples of the passes", file=sys.stderr)
        return 0
    sampled = "the first pass" if args.first_pass else f"{args.passes} warm passes"
    print(f"time of {sampled}, by part of the engine ({total:,} samples)")
    for name, _ in (*PARTS, (OTHER, None)):
        print(f"  {parts[name] / total:6.1%}  {name}")
    print("functions the samples were in (self time)")
    for symbol, n in leaves.most_common(args.top):
        print(f"  {n / total:6.1%}  {symbol[:100]}")
    print(json.dumps({
        "pass": "first" if args.first_pass else "warm", "samples": total,
        "shares": {name: round(parts[name] / total, 4) for name, _ in (*PARTS, (OTHER, None))}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
