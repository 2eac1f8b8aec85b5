"""Writers for facts and error records: JSON Lines (the contract) and CSV (for spreadsheets)."""

from __future__ import annotations

import csv
import io
import json
from typing import NamedTuple

from engine.facts import Fact

CSV_COLUMNS = ["id", "type", "subtype", "modality", "doc", "sentence", "start", "end", "text",
               "date", "rule", "source_file", "source_line", "pack", "args", "error"]


def error_record(doc: str, message: str, source: str = "") -> dict:
    """The output line for a document that could not be processed."""
    return {"error": message, "doc": doc, "input": source}


class JsonlWriter:
    def __init__(self, stream, header: bool = True):
        self.stream = stream

    def fact(self, fact: Fact) -> None:
        self.stream.write(json.dumps(fact.to_dict(), ensure_ascii=False) + "\n")

    def error(self, doc: str, message: str, source: str = "") -> None:
        self.stream.write(json.dumps(error_record(doc, message, source), ensure_ascii=False)
                          + "\n")


class CsvWriter:
    """One row per fact; `args` holds the arguments as JSON so no information is lost."""

    def __init__(self, stream, header: bool = True):
        self.writer = csv.DictWriter(stream, CSV_COLUMNS)
        if header:
            self.writer.writeheader()

    def fact(self, fact: Fact) -> None:
        d = fact.to_dict()
        self.writer.writerow({
            **{k: d[k] for k in ("id", "type", "subtype", "modality", "doc", "sentence", "text",
                                 "date", "rule", "pack")},
            "start": d["span"][0], "end": d["span"][1],
            "source_file": d["source"]["file"], "source_line": d["source"]["line"],
            "args": json.dumps(d["args"], ensure_ascii=False), "error": "",
        })

    def error(self, doc: str, message: str, source: str = "") -> None:
        self.writer.writerow({"doc": doc, "type": "error", "error": message,
                              "source_file": source})


WRITERS = {"jsonl": JsonlWriter, "csv": CsvWriter}


class Rendered(NamedTuple):
    """A document's result with its facts already written out as lines of the output."""

    doc: str
    error: str | None
    facts: int
    text: str


def render(fmt: str, result) -> Rendered:
    """Write a DocumentResult's facts as `fmt` lines. `assay run --jobs N` does this in the
    workers, so that the process writing the output only writes (and has no Facts to unpickle
    and serialise while the workers want both cores)."""
    buffer = io.StringIO()
    writer = WRITERS[fmt](buffer, header=False)
    for fact in result.facts:
        writer.fact(fact)
    return Rendered(result.doc, result.error, len(result.facts), buffer.getvalue())
