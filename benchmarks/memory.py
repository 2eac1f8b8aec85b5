"""Memory over an archive that keeps bringing new words, with and without forgetting them.

    python benchmarks/memory.py [--rounds N] [--novel F] [--no-forget] [--docs N]
                                [--seed S] [--corpus PATH]

A real archive never stops bringing new word forms: names, numbers, misspellings. Repeating
FA-KES (as run.py's `--jobs` setting does) brings none after the first pass, so it cannot show
what they cost. Here each round is one pass over FA-KES in which a share `--novel` of the words
(5% by default: 3% numbers, 2% name-like words) is replaced by words drawn at random, as new
as an archive's. After each round the resident memory of the process (/proc/self/statm) is
printed with the word forms held (text.tokens.FORMS) and how many times they were forgotten
(text.tokens.MAX_FORMS; `--no-forget` raises the bound out of reach, the engine as it was
before forgetting). Memory still rises while the caches kept by text fill up to their bounds
(the grammars' word tables, `normalize`'s): compare the two curves over enough rounds. Linux
only (/proc). The last line is JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULT_CORPUS, load_corpus  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def resident_mb() -> float:
    """Resident memory of this process, in MB."""
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * 4096 / 1e6


def with_new_words(text: str, share: float, rng: random.Random) -> str:
    """The text with about `share` of its words replaced by new ones: three in five numbers
    ("48,213"), two in five name-like words ("Qorvane")."""
    out = []
    for word in text.split():
        draw = rng.random()
        if draw < share * 0.6:
            out.append(f"{rng.randint(10, 99_999):,}")
        elif draw < share:
            out.append("".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 9))).title())
        else:
            out.append(word)
    return " ".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--novel", type=float, default=0.05, help="share of words made new")
    parser.add_argument("--no-forget", action="store_true",
                        help="never forget word forms (the engine before MAX_FORMS)")
    parser.add_argument("--docs", type=int, default=None, help="the first N texts only")
    parser.add_argument("--seed", type=int, default=1, help="of the new words drawn")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"skipped: {args.corpus} is absent", file=sys.stderr)
        return 0
    import engine
    from engine.text import tokens

    bound = tokens.MAX_FORMS
    if args.no_forget:
        tokens.MAX_FORMS = 1 << 62
    try:
        return _rounds(engine.load(), load_corpus(args.corpus, False, args.docs), args)
    finally:
        tokens.MAX_FORMS = bound


def _rounds(pack, texts: list[str], args) -> int:
    """A pass over the texts as they are, then `args.rounds` passes with new words, each
    reported as it ends."""
    from engine.text import tokens

    for n, text in enumerate(texts):
        pack.extract(text, f"d{n}")
    rng = random.Random(args.seed)
    rounds = []
    print(f"after one pass of FA-KES: {resident_mb():.0f} MB, {len(tokens.FORMS):,} forms")
    for k in range(args.rounds):
        began = time.perf_counter()
        for n, text in enumerate(texts):
            pack.extract(with_new_words(text, args.novel, rng), f"r{k}d{n}")
        gc.collect()
        rounds.append({"mb": round(resident_mb(), 1), "forms": len(tokens.FORMS),
                       "forgotten": tokens.generation(),
                       "seconds": round(time.perf_counter() - began, 2)})
        print(f"round {k + 1:>3}: {rounds[-1]['mb']:7.1f} MB  {rounds[-1]['forms']:>8,} forms  "
              f"forgotten {rounds[-1]['forgotten']}x  {rounds[-1]['seconds']:.2f} s")
    print(json.dumps({"forget": not args.no_forget, "novel": args.novel, "rounds": rounds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
