"""The benchmark scripts run (smoke runs: their numbers are measured by hand, not in CI)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from conftest import shared_path


def _main_output(script: str, args: list[str], capsys) -> dict:
    """Run benchmarks/<script>'s main() on FA-KES with `args`; its last line, as JSON."""
    corpus = shared_path("corpora", "fakes", "FA-KES-Dataset.csv")
    path = Path(__file__).resolve().parent.parent / "benchmarks" / script
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([*args, "--corpus", str(corpus)]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_benchmark_quick_smoke(capsys):
    result = _main_output("run.py", ["--quick", "--docs", "15", "--repeat", "1"], capsys)
    assert {"engine_vs_spacy_matcher_at_1000", "engine_1000_vs_10_time",
            "pack_vs_tokenize", "pack_vs_tokenize_same_cache", "pack_first_pass_vs_tokenize",
            "jobs_2_vs_1"} <= set(result)


def test_stages_smoke(capsys):
    result = _main_output("stages.py", ["--docs", "5", "--repeat", "1"], capsys)
    assert result["budget"] > 0 and 0 <= result["no_fact_share"] <= 1
    assert result["sentences"] > 0 and "the pack on made documents (extract_document)" in (
        result["seconds"])


@pytest.mark.parametrize("first", [False, True], ids=["warm", "first-pass"])
def test_instruction_counts_smoke(capsys, first):
    """Counted under valgrind where it is installed (the script says so and exits 0 where it
    is not); the counts are positive and the ratio is theirs."""
    if not shutil.which("valgrind"):
        pytest.skip("valgrind is not installed: benchmarks/instructions.py has nothing to run")
    result = _main_output("instructions.py", ["--docs", "2", *(["--first-pass"] * first)],
                          capsys)
    assert result["pass"] == ("first" if first else "warm")
    assert result["tokenize_instructions"] > 0 and result["pack_instructions"] > 0
    assert result["pack_vs_tokenize_instructions"] == round(
        result["tokenize_instructions"] / result["pack_instructions"], 4)
