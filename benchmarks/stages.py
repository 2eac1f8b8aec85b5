"""Where a warm pass of the conflict pack goes, part by part, against the 25% bar's budget.

    python benchmarks/stages.py [--docs N] [--repeat R] [--corpus PATH]

Each part is timed alone over every sentence of the corpus (FA-KES by default), after a warm-up
pass of the whole engine, best of `--repeat`: spaCy's tokenisation (the bar's reference), making
the documents (tokenisation, arrays, sentence splitting), the lexicon pass and each value
grammar's word pass (on every sentence; the engine runs them only where a rule asks), and
everything the pack does once documents are made (`Engine.extract_document`). The budget is
what a warm pass may take at the bar: the tokenisation's time divided by 0.25. It also counts
sentences that yield no fact and their share of the time. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULT_CORPUS, best_time, load_corpus  # noqa: E402

BAR = 0.25  # the pack's throughput, as a share of bare tokenisation's (the brief)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=None, help="the first N documents only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    import spacy

    import engine

    texts = load_corpus(args.corpus, False, args.docs)
    eng = engine.load()
    nlp = spacy.blank("en")
    for n, text in enumerate(texts):  # warm: word forms, token tests, parses
        eng.extract(text, f"d{n}")
    docs = [eng.document(text, f"d{n}") for n, text in enumerate(texts)]
    sentences = [(doc, s) for doc in docs for s in doc.sentences]
    words = sum(len(s) for _, s in sentences)

    def each_sentence(part):
        return lambda: [part(doc, s) for doc, s in sentences]

    parts = {
        "spaCy tokenisation (the bar's reference)": lambda: [nlp.make_doc(t) for t in texts],
        "documents: tokenisation, arrays, sentences": lambda: [
            eng.document(t, f"d{n}") for n, t in enumerate(texts)],
        "lexicon pass, every sentence": each_sentence(
            lambda d, s: eng.lexicon.find(s.forms, s.fids)),
        **{f"<{name}> word pass, every sentence": each_sentence(
            lambda d, s, g=grammar: g.find_words([f.text for f in s.forms], s.starts, d.text))
           for name, grammar in eng.values.items()},
        "the pack on made documents (extract_document)": lambda: [
            eng.extract_document(doc) for doc in docs],
    }
    seconds = {label: best_time(fn, args.repeat)[0] for label, fn in parts.items()}
    budget = seconds["spaCy tokenisation (the bar's reference)"] / BAR
    print(f"corpus: {len(texts)} documents, {len(sentences):,} sentences, {words:,} words; "
          f"best of {args.repeat} after a warm-up")
    for label, value in seconds.items():
        print(f"{label:48s} {value:7.3f} s")
    print(f"{'budget of a warm pass at the bar':48s} {budget:7.3f} s  (tokenisation / {BAR})")

    idle = busy = 0.0
    empty = 0
    for doc, sentence in sentences:  # per sentence, timed alone: which ones cost
        start = time.perf_counter()
        found = eng.extract_document(_one(doc, sentence))
        elapsed = time.perf_counter() - start
        if found:
            busy += elapsed
        else:
            idle += elapsed
            empty += 1
    share = idle / (idle + busy) if idle + busy else 0.0
    print(f"sentences with no fact: {empty:,} of {len(sentences):,}, "
          f"{share:.0%} of the pack's time")
    print(json.dumps({"seconds": {k: round(v, 4) for k, v in seconds.items()},
                      "budget": round(budget, 4), "no_fact_share": round(share, 3),
                      "sentences": len(sentences), "words": words}))
    return 0


def _one(doc, sentence):
    """A copy of `doc` holding one sentence: the pack's work on it alone."""
    return replace(doc, sentences=[sentence])


if __name__ == "__main__":
    sys.exit(main())
