"""Batch runs: --jobs keeps input order and output identical; the pack cache is transparent."""

from __future__ import annotations

import json
import pickle

from click.testing import CliRunner

import engine
from engine.batch import extract_parallel
from engine.cli import main

TEXTS = ["Government and PMF forces recaptured up to 45 villages.",
         "Families fled Qayyara to Dibaga Camp.", "Nothing happened here.",
         "Iraqi troops retook seven villages south of Mosul."] * 7


def test_jobs_1_and_2_give_identical_output(tmp_path, seeds_dir, monkeypatch):
    monkeypatch.setattr("engine.batch.CHUNK", 4)  # several chunks, so both workers take some
    lines = [json.dumps({"id": f"d{i}", "text": t}) for i, t in enumerate(TEXTS)]
    lines.insert(5, "not json")  # an unreadable input keeps its place too
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = {}
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["run", str(path), str(seeds_dir), "--jobs", jobs])
        assert result.exit_code == 0, result.output
        out[jobs] = result.stdout
    assert out["1"] == out["2"]
    docs = [json.loads(line)["doc"] for line in out["1"].splitlines()]
    inputs = [f"d{i}" for i in range(len(TEXTS))]
    inputs.insert(5, "in:6")  # the unreadable line keeps its place
    inputs += sorted(p.stem for p in seeds_dir.glob("*.txt"))
    positions = [inputs.index(doc) for doc in docs]
    assert positions == sorted(positions) and "in:6" in docs


def test_extract_parallel_streams_in_order(bundled_engine, monkeypatch):
    import gc

    monkeypatch.setattr("engine.batch.CHUNK", 4)
    docs = ((f"d{i}", t) for i, t in enumerate(TEXTS))
    results = list(extract_parallel(bundled_engine, docs, 2))
    assert gc.get_freeze_count() == 0  # the run's freeze of the heap is undone after it
    assert [r.doc for r in results] == [f"d{i}" for i in range(len(TEXTS))]
    serial = list(bundled_engine.extract_many((f"d{i}", t) for i, t in enumerate(TEXTS)))
    assert [[f.to_dict() for f in r.facts] for r in results] == [
        [f.to_dict() for f in r.facts] for r in serial]


def test_documents_without_ids_are_numbered_across_the_stream(bundled_engine, monkeypatch):
    """doc<n> counts documents in the whole input, not within each worker's batch."""
    monkeypatch.setattr("engine.batch.CHUNK", 3)
    docs = [{"text": t} for t in TEXTS]
    ids = [r.doc for r in extract_parallel(bundled_engine, docs, 2)]
    assert ids == [f"doc{i}" for i in range(len(TEXTS))]
    assert [r.doc for r in bundled_engine.extract_many(docs)] == ids


def test_no_progress_bar_when_piped(tmp_path):
    (tmp_path / "a.txt").write_text(TEXTS[0])
    result = CliRunner().invoke(main, ["run", str(tmp_path)])
    assert result.stderr.strip() == "assay: 1 documents, 1 facts, 0 errors"


def test_cached_pack_gives_the_same_facts(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - id: r.fled\n    fact: flight\n    pattern: who:[] fled\n")
    first = engine.load(rules)
    assert list((tmp_path / "cache").glob("pack-*.pickle"))
    second = engine.load(rules)  # from the cache
    assert [f.to_dict() for f in second.extract("Ali fled.")] == [
        f.to_dict() for f in first.extract("Ali fled.")]
    rules.write_text("rules:\n  - id: r.fled\n    fact: flight\n    pattern: who:[] escaped\n")
    assert engine.load(rules).extract("Ali fled.") == []  # a changed file is a new key
    for stale in (tmp_path / "cache").glob("pack-*.pickle"):
        stale.write_bytes(b"garbage")
    assert engine.load(rules).extract("Ali escaped.")  # an unreadable cache is rebuilt


def test_cached_pack_keeps_the_compiled_programs(tmp_path, monkeypatch):
    """The cache stores compiled programs, token tests as the tests they come from: loaded
    back, every rule's programs equal a fresh compile's (equal tests share one function)."""
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    first = engine.load()
    (stored,) = (tmp_path / "cache").glob("pack-*.pickle")
    cached = pickle.loads(stored.read_bytes())["rules"]
    assert cached == first.rules
    # the matcher's own form of a program belongs to the process: made anew, never stored
    assert all(p.native is None for c in cached for p in c.programs)
    second = engine.load()  # from the cache
    assert second is not first and second.rules == first.rules
    for text in TEXTS:
        assert [f.to_dict() for f in second.extract(text)] == [
            f.to_dict() for f in first.extract(text)]


def test_a_document_made_in_one_process_is_matched_alike_in_another(tmp_path, seeds_dir,
                                                                    bundled_engine):
    """Word forms' ids are given in the order a process meets them (text.tokens.FORM_IDS),
    so they differ between processes: a pickled Document carries spaCy orth ids, and its
    form ids are made again where it is matched."""
    import subprocess
    import sys

    text = next(iter(sorted(seeds_dir.glob("*.txt")))).read_text(encoding="utf-8")
    doc = bundled_engine.document(text, "d")
    expected = [f.to_dict() for f in bundled_engine.extract_document(doc)]
    assert expected
    (tmp_path / "doc.pickle").write_bytes(pickle.dumps(doc))
    child = (
        "import json, pickle, sys, engine\n"
        "eng = engine.load()\n"
        "eng.extract('Zebras, quokkas and 7 unlikely words come first here.')\n"
        "doc = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "print(json.dumps([f.to_dict() for f in eng.extract_document(doc)]))\n")
    out = subprocess.run([sys.executable, "-c", child, str(tmp_path / "doc.pickle")],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == expected


def test_threads_sharing_an_engine_get_the_facts_one_thread_gets(seeds_dir):
    """A Dask worker runs its tasks in threads: an engine they share learns word forms from
    all of them at once, and each text's facts are those a lone thread finds."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))] + TEXTS
    expected = [[f.to_dict() for f in engine.load().extract(t, f"d{i}")]
                for i, t in enumerate(texts)]
    shared = engine.load()  # a fresh engine: every form is new to it
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: [f.to_dict() for f in shared.extract(texts[i], f"d{i}")],
                            [i for _ in range(3) for i in range(len(texts))]))
    assert got == expected * 3


def test_chunks_close_at_a_count_of_documents_or_of_characters(bundled_engine):
    """A task holds up to CHUNK documents, fewer where they hold CHUNK_CHARS of text, in
    whatever form documents come (so what is in flight stays small for long documents)."""
    from engine.batch import _chunks

    short = ["a" * 10] * 7
    assert [len(c) for c in _chunks(short, 3, 1_000)] == [3, 3, 1]
    long = [("d1", "x" * 600), {"id": "d2", "text": "y" * 600}, "z" * 600, ("d4", "w" * 10)]
    assert [len(c) for c in _chunks(long, 64, 1_000)] == [2, 2]
    big = bundled_engine.document("x" * 1_200, "big")
    assert [len(c) for c in _chunks([big, "tiny", big], 64, 1_000)] == [1, 2]
    assert list(_chunks([], 3, 10)) == []
