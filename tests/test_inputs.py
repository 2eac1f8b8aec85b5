"""`assay run` over every kind of input; bad documents are recorded and the run goes on."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from engine.cli import main

GOOD = "Government and PMF forces recaptured up to 45 villages."
GOOD2 = "Families fled Qayyara to Dibaga Camp."


def _records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_txt_files_and_folders(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(GOOD)
    (tmp_path / "docs" / "b.txt").write_text(GOOD2)
    single = tmp_path / "c.txt"
    single.write_text(GOOD)
    result = CliRunner().invoke(main, ["run", str(tmp_path / "docs"), str(single)])
    assert result.exit_code == 0
    assert [r["doc"] for r in _records(result.stdout)] == ["a", "b", "c"]


def test_jsonl_with_dates(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "x1", "text": GOOD, "date": "2024-03-28"}) + "\n"
                    + json.dumps({"id": "x2", "text": GOOD2}) + "\n")
    records = _records(CliRunner().invoke(main, ["run", str(path)]).stdout)
    assert [r["doc"] for r in records] == ["x1", "x2"]


def test_csv_with_text_column_detected(tmp_path):
    path = tmp_path / "in.csv"
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["unit_id", "article_title", "article_content", "date"])
        writer.writerow(["7", "t", GOOD, "1/2/2016"])
    records = _records(CliRunner().invoke(main, ["run", str(path)]).stdout)
    assert [r["doc"] for r in records] == ["7"]


def test_stdin_text_and_jsonl():
    result = CliRunner().invoke(main, ["run", "-"], input=GOOD)
    assert [r["doc"] for r in _records(result.stdout)] == ["stdin"]
    lines = json.dumps({"id": "s1", "text": GOOD2}) + "\n"
    result = CliRunner().invoke(main, ["run", "-"], input=lines)
    assert [r["doc"] for r in _records(result.stdout)] == ["s1"]


def test_bad_documents_are_recorded_and_the_run_goes_on(tmp_path):
    (tmp_path / "a_good.txt").write_text(GOOD)
    (tmp_path / "b_binary.txt").write_bytes(b"\x7fELF\x00\x00\x01binary")
    (tmp_path / "c_latin1.txt").write_bytes("caf\xe9 recaptured".encode("latin-1"))
    (tmp_path / "d_good.txt").write_text(GOOD2)
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text('{"id": "j1", "text": "ok"}\nnot json\n{"id": "j3"}\n'
                     + json.dumps({"id": "j4", "text": GOOD}) + "\n")
    result = CliRunner().invoke(main, ["run", str(tmp_path), str(jsonl)])
    assert result.exit_code == 0
    records = _records(result.stdout)
    errors = {r["doc"]: r["error"] for r in records if "error" in r}
    facts = [r for r in records if "error" not in r]
    assert set(errors) == {"b_binary", "c_latin1", "e:2", "e:3"}
    assert "binary" in errors["b_binary"] and "UTF-8" in errors["c_latin1"]
    assert "invalid JSON" in errors["e:2"]
    assert {f["doc"] for f in facts} == {"a_good", "d_good", "j4"}
    assert "b_binary" in result.stderr and "4 errors" in result.stderr


def test_enormous_document_is_an_error_not_a_crash(tmp_path, monkeypatch):
    import engine.api

    monkeypatch.setattr(engine.api, "MAX_DOCUMENT_CHARS", 1000)
    (tmp_path / "big.txt").write_text("word " * 1000)
    (tmp_path / "ok.txt").write_text(GOOD)
    result = CliRunner().invoke(main, ["run", str(tmp_path)])
    records = _records(result.stdout)
    assert records[0]["doc"] == "big" and "too large" in records[0]["error"]
    assert records[1]["doc"] == "ok" and records[1]["type"] == "territory"


def test_a_document_of_over_a_million_characters_is_read_whole(bundled_engine):
    """spaCy refuses texts over 1M characters by default (for its parser's memory); the
    engine only tokenises, and takes documents up to its own limit (10M)."""
    text = "Nothing happened here. " * 45_000 + GOOD
    assert len(text) > 1_000_000
    facts = bundled_engine.extract(text, "long")
    assert [f.type for f in facts] == ["territory"] and facts[0].span[0] > 1_000_000


def test_csv_output_and_output_file(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    out = tmp_path / "facts.csv"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "a.txt"), "--format", "csv",
                                       "-o", str(out)])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["rule"] == "territory.regain.count"
    assert json.loads(rows[0]["args"])["count"]["value"] == 45
    assert GOOD[int(rows[0]["start"]):int(rows[0]["end"])] == rows[0]["text"]


def test_missing_input_is_an_error_record(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.txt")])
    assert result.exit_code == 0
    assert "no such file" in _records(result.stdout)[0]["error"]


def test_a_lone_surrogate_is_one_documents_error_not_the_runs(tmp_path):
    """JSON can escape a lone surrogate, which no output encoding can write: that document
    is an error (its id shown escaped), and the documents after it are read."""
    path = tmp_path / "s.jsonl"
    lines = [{"id": "a\ud800", "text": GOOD}, {"id": "b\ud800", "text": "x"},
             {"id": "c", "text": "bad \udfff text"}, {"id": "d", "text": GOOD2}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))  # escapes them
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    records = _records((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert [r["doc"] for r in records] == ["a\\ud800", "b\\ud800", "c", "d"]
    assert all("surrogate" in r["error"] for r in records[:3])
    assert records[3]["type"] == "displacement"


def test_the_api_refuses_a_lone_surrogate_as_a_document_error(bundled_engine):
    from engine.api import DocumentError

    with pytest.raises(DocumentError, match="surrogate"):
        bundled_engine.extract("Militants killed 5 \ud800 people.")
    with pytest.raises(DocumentError, match="surrogate"):
        bundled_engine.extract(GOOD, doc_id="a\udfff")
    (result,) = bundled_engine.extract_many([("a\ud800", GOOD)])
    assert result.doc == "a\\ud800" and "surrogate" in result.error


def test_byte_order_marks_on_csv_and_stdin_jsonl(tmp_path):
    """Spreadsheets save "CSV UTF-8" with a byte-order mark, and so do some JSONL tools."""
    (tmp_path / "b.csv").write_bytes(b'\xef\xbb\xbftext,id\n"' + GOOD.encode() + b'",7\n')
    result = CliRunner().invoke(main, ["run", str(tmp_path / "b.csv")])
    assert [(r["doc"], r["type"]) for r in _records(result.stdout)] == [("7", "territory")]
    lines = b'\xef\xbb\xbf{"id": "j1", "text": "' + GOOD.encode() + b'"}\n'
    result = CliRunner().invoke(main, ["run", "-"], input=lines)
    assert [(r["doc"], r["type"]) for r in _records(result.stdout)] == [("j1", "territory")]
    (tmp_path / "c.jsonl").write_bytes(lines)
    result = CliRunner().invoke(main, ["run", str(tmp_path / "c.jsonl")])
    assert [(r["doc"], r["type"]) for r in _records(result.stdout)] == [("j1", "territory")]


def _assay(*args: str, **kw):
    """The command as installed (engine.cli:entry), in its own process."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True,
                          text=True, **kw)


def test_the_command_keeps_numpy_from_starting_blas_threads(monkeypatch):
    """assay never multiplies a matrix: entry() has OpenBLAS start no threads of its own (they
    spun for 0.1 s of CPU in every command), where the user has not chosen a number."""
    import os

    from engine import cli

    seen = []

    class Ended(Exception):
        pass

    def ended(code):
        raise Ended(code)

    monkeypatch.setattr(cli.main, "main", lambda **_: seen.append(
        os.environ.get("OPENBLAS_NUM_THREADS")))
    # (not the import hook entry() installs for spaCy: this process is not the command's)
    monkeypatch.setattr("engine.lazy_spacy_cli.defer_spacy_cli", lambda: None)
    monkeypatch.setattr(cli.os, "_exit", ended)
    monkeypatch.setattr(cli, "_WHOLE_PROCESS", False)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with pytest.raises(Ended):
        cli.entry()
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    with pytest.raises(Ended):
        cli.entry()
    assert seen == ["1", "4"]


def test_the_command_ends_with_its_output_written_and_its_status(tmp_path):
    """entry() ends the process without the interpreter's teardown: everything written to
    standard output, to -o files and to standard error must be there, with click's status."""
    (tmp_path / "a.txt").write_text("ISIS fighters killed 12 civilians in Mosul on Monday.")
    out = _assay("run", str(tmp_path / "a.txt"))
    assert out.returncode == 0
    facts = [json.loads(line) for line in out.stdout.splitlines()]
    assert facts and all("rule" in fact for fact in facts)
    assert "1 documents" in out.stderr
    written = _assay("run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out.jsonl"))
    assert written.returncode == 0 and written.stdout == ""
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == out.stdout
    (tmp_path / "bad.yaml").write_text("rules:\n  - id: a.b\n    fact: t\n    pattern: a (b\n")
    broken = _assay("run", str(tmp_path / "a.txt"), "--rules", str(tmp_path / "bad.yaml"))
    assert broken.returncode == 2 and "bad.yaml:4:" in broken.stderr
    assert "Traceback" not in broken.stderr
    usage = _assay("run")
    assert usage.returncode == 2 and "Missing argument" in usage.stderr
