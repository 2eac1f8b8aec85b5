"""The benchmark script runs (a smoke run: its numbers are measured by hand, not in CI)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from conftest import shared_path


def test_benchmark_quick_smoke(capsys):
    corpus = shared_path("corpora", "fakes", "FA-KES-Dataset.csv")
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("bench_run", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--quick", "--docs", "15", "--repeat", "1", "--corpus", str(corpus)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"engine_vs_spacy_matcher_at_1000", "engine_1000_vs_10_time",
            "pack_vs_tokenize", "pack_first_pass_vs_tokenize", "jobs_2_vs_1"} <= set(result)


def test_stages_smoke(capsys):
    corpus = shared_path("corpora", "fakes", "FA-KES-Dataset.csv")
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "stages.py"
    spec = importlib.util.spec_from_file_location("bench_stages", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--docs", "5", "--repeat", "1", "--corpus", str(corpus)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["budget"] > 0 and 0 <= result["no_fact_share"] <= 1
    assert result["sentences"] > 0 and "the pack on made documents (extract_document)" in (
        result["seconds"])
