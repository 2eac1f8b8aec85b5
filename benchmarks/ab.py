"""A/B of a change's time: this checkout and another run at the same time, one on each core.

    python benchmarks/ab.py CHECKOUT [--rounds R] [--passes P] [--docs N] [--corpus PATH]

On these machines the same warm pass swings by 5-40% from one minute to the next, so timing
two builds one after the other says little about a change of a few percent; and instruction
counts (instructions.py) miss cache misses. Here both run at once, each in a process of its
own pinned to one core (the cores swapped every round), so that a slow spell of the machine
hits both alike: each process loads the conflict pack, makes one pass over the corpus
(FA-KES by default) to warm up, then P timed passes, and reports its best. A round's figure is
this checkout's best over the other's; below 1 this checkout is faster. A CHECKOUT is a folder
holding a built `engine/` (and its `rules/` and `grammars/`), such as a copy of the package
made before the change (`cp -a . /tmp/base` before editing). Both processes find their facts;
a round where their counts differ is an error. Needs two cores to mean anything (says so, and
runs them one after the other, where there are fewer). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import DEFAULT_CORPUS  # noqa: E402

CHILD = r"""
import json, os, sys, time
core, checkout, corpus, docs, passes = sys.argv[1:6]
if int(core) >= 0:
    os.sched_setaffinity(0, {int(core)})
sys.path.insert(0, checkout)
sys.path.insert(1, os.path.dirname(sys.argv[6]))  # this checkout's benchmarks/: run.py
from pathlib import Path
from run import load_corpus
import engine
texts = load_corpus(Path(corpus), False, int(docs) if int(docs) > 0 else None)
pack = engine.load()
facts = sum(len(pack.extract(text)) for text in texts)
times = []
for _ in range(int(passes)):
    start = time.perf_counter()
    for text in texts:
        pack.extract(text)
    times.append(time.perf_counter() - start)
print(json.dumps({"best": min(times), "median": sorted(times)[len(times) // 2], "facts": facts,
                  "engine": engine.__file__}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="the other build (a folder with engine/)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--passes", type=int, default=8, help="timed warm passes per process")
    parser.add_argument("--docs", type=int, default=None, help="the first N documents only")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    if not (args.checkout / "engine").is_dir():
        print(f"no engine/ in {args.checkout}", file=sys.stderr)
        return 1
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    together = len(cores) >= 2
    if not together:
        print("fewer than two cores: the two run one after the other", file=sys.stderr)
    ratios, rows = [], []
    for r in range(args.rounds):
        pins = (cores[r % 2], cores[1 - r % 2]) if together else (-1, -1)
        runs = {}
        for name, checkout, core in (("this", ROOT, pins[0]), ("other", args.checkout, pins[1])):
            command = [sys.executable, "-c", CHILD, str(core), str(checkout.resolve()),
                       str(args.corpus), str(args.docs or 0), str(args.passes), __file__]
            # outside any checkout, so that each imports its own engine (the path given first)
            runs[name] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, cwd=os.path.abspath(os.sep))
            if not together:
                runs[name].wait()
        result = {}
        for name, process in runs.items():
            out, err = process.communicate()
            if process.returncode:
                print(err[-2000:], file=sys.stderr)
                return 1
            result[name] = json.loads(out.strip().splitlines()[-1])
            checkout = ROOT if name == "this" else args.checkout
            if not Path(result[name]["engine"]).resolve().is_relative_to(checkout.resolve()):
                print(f"{name}: engine imported from {result[name]['engine']}, not from "
                      f"{checkout}", file=sys.stderr)
                return 1
        if result["this"]["facts"] != result["other"]["facts"]:
            print(f"round {r}: the two found {result['this']['facts']} and "
                  f"{result['other']['facts']} facts", file=sys.stderr)
            return 1
        ratio = result["this"]["best"] / result["other"]["best"]
        ratios.append(ratio)
        rows.append({"this": round(result["this"]["best"], 4),
                     "other": round(result["other"]["best"], 4), "ratio": round(ratio, 3)})
        print(f"round {r}: this {result['this']['best']:.4f} s, other "
              f"{result['other']['best']:.4f} s, this/other {ratio:.3f}", flush=True)
    print(f"this/other: median {statistics.median(ratios):.3f}, "
          f"range {min(ratios):.3f}-{max(ratios):.3f} over {len(ratios)} rounds")
    print(json.dumps({"median": round(statistics.median(ratios), 3),
                      "min": round(min(ratios), 3), "max": round(max(ratios), 3),
                      "together": together, "rounds": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
