"""Sanity checks for the gold annotation files in tests/gold/.

Run: python tests/gold/check_gold.py
Checks that every file loads with yaml.safe_load, every evidence is an exact
substring of its document (with a valid `occurrence` when it repeats), every
string argument occurs inside its evidence (except place_type, a lemma), and
prints per-type counts.
"""
import collections
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLD = pathlib.Path(__file__).resolve().parent
TYPES = {
    "territory": {"actor", "opponent", "location", "count", "place_type"},
    "displacement": {"population", "count", "origin", "destination"},
    "attack": {"attacker", "target", "weapon", "location", "count"},
    "casualties": {"perpetrator", "victims", "killed", "wounded", "location"},
    "deployment": {"actor", "count", "origin", "destination"},
    "destruction": {"actor", "object", "count", "location"},
}
SUBTYPES = {
    "territory": {"regain", "seize", "withdraw"},
    "attack": {"airstrike", "bombing", "shelling", "suicide", "ied", "armed_clash",
               "execution", "chemical", "raid", None},
}
NUMERIC = {"count", "killed", "wounded"}
MODALITIES = {"planned", "hypothetical", "negated"}


def check_item(where, text, item, errors, is_fact):
    ev = item.get("evidence")
    if not isinstance(ev, str) or not ev:
        errors.append(f"{where}: missing evidence")
        return
    n = text.count(ev)
    occ = item.get("occurrence", 1)
    if n == 0:
        errors.append(f"{where}: evidence not in text: {ev!r}")
    elif n > 1 and "occurrence" not in item:
        errors.append(f"{where}: evidence occurs {n} times, add occurrence: {ev!r}")
    elif occ > n:
        errors.append(f"{where}: occurrence {occ} > {n}: {ev!r}")
    t = item.get("type")
    if t not in TYPES:
        errors.append(f"{where}: bad type {t!r}")
        return
    st = item.get("subtype")
    if t in SUBTYPES and st not in SUBTYPES[t]:
        errors.append(f"{where}: bad subtype {st!r} for {t}")
    if t not in SUBTYPES and st is not None:
        errors.append(f"{where}: {t} has no subtypes")
    if not is_fact:
        if item.get("modality") not in MODALITIES:
            errors.append(f"{where}: bad modality {item.get('modality')!r}")
        return
    args = item.get("args") or {}
    for role, val in args.items():
        if role not in TYPES[t]:
            errors.append(f"{where}: role {role!r} not allowed for {t}")
        vals = val if isinstance(val, list) else [val]
        for v in vals:
            if role in NUMERIC:
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    errors.append(f"{where}: {role} must be a number: {v!r}")
            elif role == "place_type":
                if not isinstance(v, str) or v != v.lower() or v.endswith("ies"):
                    errors.append(f"{where}: place_type should be a singular lemma: {v!r}")
            elif not isinstance(v, str) or v not in ev:
                errors.append(f"{where}: {role}={v!r} not inside evidence {ev!r}")


def main(paths):
    errors = []
    total = collections.Counter()
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        counts = collections.Counter()
        ids = set()
        ndocs = nna = 0
        for doc in data["documents"]:
            ndocs += 1
            did = doc["id"]
            if did in ids:
                errors.append(f"{path.name}:{did}: duplicate id")
            ids.add(did)
            if "file" in doc:
                text = (ROOT / doc["file"]).read_text(encoding="utf-8")
            else:
                text = doc["text"]
            if "facts" not in doc:
                errors.append(f"{path.name}:{did}: missing facts")
            for i, f in enumerate(doc.get("facts") or []):
                check_item(f"{path.name}:{did}:fact{i}", text, f, errors, True)
                counts[f["type"]] += 1
            for i, f in enumerate(doc.get("not_asserted") or []):
                check_item(f"{path.name}:{did}:na{i}", text, f, errors, False)
                nna += 1
        print(f"{path.name}: {ndocs} docs, {sum(counts.values())} facts "
              f"{dict(sorted(counts.items()))}, {nna} not_asserted")
        total += counts
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    files = [pathlib.Path(p) for p in sys.argv[1:]] or sorted(GOLD.glob("*.yaml"))
    sys.exit(main(files))
