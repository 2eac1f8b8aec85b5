"""Recall of <quantity> on the count annotations of re3d (../shared/corpora/re3d).

re3d marks `Quantity` entities by hand. Counts are those that are not measures (units of time,
distance, area, power, percentages), ordinals, or bare articles ("a strike"). A count is
recognised when <quantity>, run over the document's tokens as the engine runs it, finds exactly
the annotated span, and right when its value equals the number the text states (digits read
directly; number words from a small independent table).

    python benchmarks/re3d_quantities.py [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

NOT_COUNTS = re.compile(
    r"(hour|minute|second|day|week|month|year|percent|per\s*cent|%|kilomet|km|mile|square|"
    r"meter|metre|feet|foot|ft|MW|cu\b|\bmi\b|m3|\d\s*M\b|once|twice|times|occasion|domains|"
    r"\d+(st|nd|rd|th)\b)",
    re.IGNORECASE)
ARTICLES = {"a", "an", "multiple", "several", "many", "some"}
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozens": 12,
         "hundreds": 100, "thousands": 1000, "millions": 1_000_000,
         "tens of thousands": 10_000, "hundreds of thousands": 100_000}


def expected_value(text: str):
    """The stated number, by an independent reading; None if this script cannot say."""
    core = re.sub(r"^(at least|more than|over|up to|nearly|about|around|some|almost)\s+", "",
                  text.strip(), flags=re.IGNORECASE).lower()
    if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", core):
        return int(core.replace(",", ""))
    scaled = re.fullmatch(r"(\d+(?:\.\d+)?|\w+) (million|thousand)", core)
    if scaled:
        base = WORDS.get(scaled.group(1)) or float(scaled.group(1))
        return int(base * {"million": 1_000_000, "thousand": 1000}[scaled.group(2)])
    if core.startswith("half a million"):
        return 500_000
    return WORDS.get(core)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared"
                                                / "corpora" / "re3d"))
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    root = Path(args.corpus)
    if not root.is_dir():
        print(f"skipped: {root} is absent", file=sys.stderr)
        return 0
    from engine.text.tokens import get_tokenizer
    from engine.values.registry import builtin_grammar

    grammar, tokenizer = builtin_grammar("quantity"), get_tokenizer()
    counts = excluded = found = right = checked = 0
    misses, wrong = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        docs = {}
        for line in (folder / "documents.json").read_text(encoding="utf-8").splitlines():
            if line.strip():
                doc = json.loads(line)
                docs[doc["_id"]] = doc["text"]
        for line in (folder / "entities.json").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entity = json.loads(line)
            if entity["type"] != "Quantity":
                continue
            value = entity["value"]
            if NOT_COUNTS.search(value) or value.strip().lower() in ARTICLES:
                excluded += 1
                continue
            counts += 1
            text = docs[entity["documentId"]]
            begin, end = entity["begin"], entity["end"]
            tokens = tokenizer.tokens(text[max(0, begin - 300):end + 300], max(0, begin - 300))
            spans = {(tokens[s].start, tokens[e - 1].end): v
                     for s, e, v in grammar.find(tokens, text)}
            got = spans.get((begin, end))
            if got is None:
                misses.append(value)
                continue
            found += 1
            want = expected_value(value)
            if want is not None:
                checked += 1
                if got["value"] == want:
                    right += 1
                else:
                    wrong.append((value, got["value"], want))
    recall = found / counts if counts else 0.0
    print(f"re3d Quantity annotations: {counts + excluded}; counts: {counts}; "
          f"measures, ordinals and articles excluded: {excluded}")
    print(f"recognised with the exact span: {found}/{counts} = {recall:.1%}")
    print(f"value right where this script can read the number: {right}/{checked}")
    if args.show_misses:
        print("missed:", misses)
        print("wrong values:", wrong)
    print(json.dumps({"re3d_quantity_recall": round(recall, 4), "counts": counts,
                      "found": found, "values_checked": checked, "values_right": right}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
