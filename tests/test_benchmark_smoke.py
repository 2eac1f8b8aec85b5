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
            "jobs_2_vs_1", "jobs_2_vs_1_long", "run_startup_s", "jobs_2_vs_1_steady"
            } <= set(result)
    assert result["jobs_long_documents"] == 3 * result["jobs_documents"] == 3 * 15
    assert result["jobs_2_vs_1_long"] > 0
    assert 0 < result["run_startup_s"] < 60
    assert result["jobs_2_vs_1_steady"] is None or result["jobs_2_vs_1_steady"] > 0


def test_ab_smoke(capsys):
    """This checkout against itself: both processes run, find the same facts, and a ratio
    comes out per round."""
    root = Path(__file__).resolve().parent.parent
    result = _main_output("ab.py", [str(root), "--rounds", "2", "--passes", "1", "--docs", "5"],
                          capsys)
    assert len(result["rounds"]) == 2 and result["min"] <= result["median"] <= result["max"]
    assert all(row["this"] > 0 and row["other"] > 0 for row in result["rounds"])


def test_stages_smoke(capsys):
    result = _main_output("stages.py", ["--docs", "5", "--repeat", "1"], capsys)
    assert result["budget"] > 0 and 0 <= result["no_fact_share"] <= 1
    assert result["sentences"] > 0 and "the pack on made documents (extract_document)" in (
        result["seconds"])


@pytest.mark.parametrize("forget", [True, False], ids=["forgetting", "not-forgetting"])
def test_memory_smoke(capsys, forget):
    from engine.text import tokens

    bound = tokens.MAX_FORMS
    result = _main_output("memory.py", ["--docs", "10", "--rounds", "2", "--seed", str(10 + forget),
                                        *([] if forget else ["--no-forget"])], capsys)
    assert bound == tokens.MAX_FORMS  # the process's own bound is left as it was
    assert result["forget"] is forget and len(result["rounds"]) == 2
    first, second = result["rounds"]
    assert second["forms"] > first["forms"] > 0 and first["mb"] > 0  # new words every round


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


def _script(name: str):
    path = Path(__file__).resolve().parent.parent / "benchmarks" / name
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# `perf script -F ip,sym` output: one block per sample, its frames leaf first
_PERF_SCRIPT = """
\t  1a2b unicodekeys_lookup_unicode
\t  1a2c _Py_dict_lookup
\t  3c4d __pyx_f_6engine_6values_7grammar__phrases
\t  3c4e __pyx_pf_6engine_3api_6Engine_9_sentence_provide
\t  3c4f __pyx_pw_6engine_8matching_3_vm_12MatchContext_9table

\t  5e6f Py_INCREF (inlined)
\t  5e6f __pyx_f_6engine_8matching_3_vm_7_Search_add
\t  5e70 __pyx_f_6engine_8matching_3_vm__search
\t  5e71 __pyx_pf_6engine_3api_6Engine_29_matches (inlined)

\t  7a8b _PyObject_MakeTpCall
\t  7a8c __pyx_pf_6engine_3api_6Engine_31_fact (inlined)
\t  7a8d __pyx_pw_6engine_3api_6Engine_32_fact

\t  9abc __pyx_f_5spacy_9tokenizer_9Tokenizer__tokenize_affixes
\t  9abd _PyEval_EvalFrameDefault
\t  9abe __pyx_pf_6engine_4text_8document_10make_document (inlined)

\t  bcde free_keys_object
\t  bcdf Py_FinalizeEx

\t  cdef _PyEval_EvalFrameDefault
"""


def test_time_shares_charge_a_sample_to_its_innermost_engine_module():
    """libpython's work counts for the engine module that asked for it (a grammar's dict
    lookup for value grammars, though a provider in api.py called the grammar), spaCy's for
    making documents, a function inlined into another for that other; the process's exit is
    not counted, and a sample with no engine frame is "other"."""
    module = _script("time_shares.py")
    total, parts, leaves = module.shares(module.read_stacks(_PERF_SCRIPT))
    assert total == 5
    assert parts == {"value grammars": 1, "the matcher (matching/_vm.pyx)": 1,
                     "facts (Engine._fact itself)": 1,
                     "making documents (spaCy's tokenizer in it)": 1, module.OTHER: 1}
    assert leaves["__pyx_f_6engine_8matching_3_vm_7_Search_add"] == 1
    assert "Py_INCREF (inlined)" not in leaves


@pytest.mark.parametrize("first", [False, True], ids=["warm", "first-pass"])
def test_time_shares_smoke(capsys, first):
    """Sampled with perf where it is installed and may attach (the script says why not and
    exits 0 otherwise); the shares of the parts add up to the whole."""
    if not shutil.which("perf"):
        pytest.skip("perf is not installed: benchmarks/time_shares.py has nothing to run")
    corpus = shared_path("corpora", "fakes", "FA-KES-Dataset.csv")
    module = _script("time_shares.py")
    args = ["--docs", "5", "--passes", "2", *(["--first-pass"] * first), "--corpus", str(corpus)]
    assert module.main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    if not lines:
        pytest.skip("perf could not record here (see the script's message)")
    result = json.loads(lines[-1])
    assert result["pass"] == ("first" if first else "warm") and result["samples"] > 0
    assert abs(sum(result["shares"].values()) - 1) < 0.01
