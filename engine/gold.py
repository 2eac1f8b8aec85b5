"""Gold files: hand-checked facts of documents, validated with every problem at its position.

A gold file is YAML:

    documents:
      - id: 000_fb568839f1ab8394
        file: seeds/000_fb568839f1ab8394.txt    # or `text:` inline
        date: "2016-10-20"                      # optional document date
        facts:
          - {type: territory, subtype: regain, evidence: "forces recaptured up to 45 villages",
             args: {actor: forces, count: 45, place_type: village}}
        not_asserted:                           # events a rule must not assert
          - {type: territory, modality: planned, evidence: "launched last Friday to retake Hawija"}

`evidence` is an exact substring of the document (`occurrence: N`, 1-based, picks one of several;
the first by default); it gives the fact's character span. `file:` is looked up relative to the
gold file's folder, then each of its parents (so a path from the repository root works from
tests/gold/), then the working directory.

Problems are collected, not raised one by one, so an analyst fixes a whole file in one go.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import Diagnostic, DiagnosticError
from engine.inputs import read_txt
from engine.rules.loader import display_path
from engine.rules.yamlsource import Mark, MarkedDict, MarkedList, YamlError, load_yaml

NOTE_KEYS = {"note", "notes", "comment", "description"}
TOP_KEYS = {"documents", "version", "name"} | NOTE_KEYS
DOCUMENT_KEYS = {"id", "file", "text", "date", "facts", "not_asserted"} | NOTE_KEYS
FACT_KEYS = {"type", "subtype", "modality", "evidence", "occurrence", "args"} | NOTE_KEYS
NOT_ASSERTED = ("negated", "planned", "hypothetical")


class GoldError(DiagnosticError):
    """Gold files that cannot be used."""


@dataclass(frozen=True)
class GoldFact:
    """A fact the rules must find (or, in `not_asserted`, must not assert)."""

    doc: str
    type: str
    subtype: str | None
    evidence: str
    span: tuple[int, int]
    args: dict
    file: str
    line: int
    modality: str | None = None  # not_asserted items only

    @property
    def key(self) -> str:
        """Stable name of this gold fact across runs, for baselines."""
        return f"{self.doc}:{self.type}:{self.span[0]}-{self.span[1]}"


@dataclass
class GoldDocument:
    id: str
    text: str
    date: str | None
    file: str
    line: int
    facts: list[GoldFact] = field(default_factory=list)
    not_asserted: list[GoldFact] = field(default_factory=list)


def gold_files(paths) -> list[Path]:
    """Files named by `paths`: YAML files, or folders searched recursively for them."""
    out: list[Path] = []
    for raw in [paths] if isinstance(paths, str | Path) else paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            out.append(path)
    return out


def load_gold(paths) -> list[GoldDocument]:
    """Every document of the gold files in `paths`; raises GoldError listing all problems."""
    diagnostics: list[Diagnostic] = []
    documents: list[GoldDocument] = []
    seen: dict[str, GoldDocument] = {}
    for path in gold_files(paths):
        for doc in _GoldFile(path, diagnostics).load():
            first = seen.get(doc.id)
            if first is not None:
                diagnostics.append(Diagnostic(doc.file, doc.line, 1, f"duplicate document id "
                                              f"{doc.id!r} (first at {first.file}:{first.line})",
                                              path=str(path)))
                continue
            seen[doc.id] = doc
            documents.append(doc)
    if diagnostics:
        raise GoldError(diagnostics)
    return documents


def find_document(name: str, gold_path: Path) -> Path | None:
    """Where a document named in a gold file is: relative to the gold file's folder or one of
    its parents, else to the working directory."""
    candidate = Path(name)
    if candidate.is_absolute():
        return candidate if candidate.is_file() else None
    for folder in gold_path.resolve().parents:
        if (folder / candidate).is_file():
            return folder / candidate
    return candidate.resolve() if candidate.is_file() else None


class _GoldFile:
    """Validates one gold file, appending problems to the shared list."""

    def __init__(self, path: Path, diagnostics: list[Diagnostic]):
        self.path = path
        self.file = display_path(path)
        self.diagnostics = diagnostics

    def error(self, where: Mark | tuple[int, int] | None, message: str) -> None:
        line, col = (where.line, where.col) if isinstance(where, Mark) else (where or (1, 1))
        self.diagnostics.append(Diagnostic(self.file, line, col, message, path=str(self.path)))

    def load(self) -> list[GoldDocument]:
        try:
            data = load_yaml(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.error(None, "no such gold file")
            return []
        except UnicodeDecodeError as exc:
            self.error(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return []
        except OSError as exc:
            self.error(None, f"cannot read: {exc.strerror}")
            return []
        except YamlError as exc:
            self.error((exc.line, exc.col), f"invalid YAML: {exc.message}")
            return []
        if not isinstance(data, MarkedDict) or not isinstance(data.get("documents"), MarkedList):
            self.error(getattr(data, "mark", None), "a gold file is a mapping with `documents:`, "
                       "a list of {id, file or text, facts}")
            return []
        self.unknown_keys(data, TOP_KEYS, "in a gold file")
        docs = data["documents"]
        return [doc for item, mark in zip(docs, docs.marks, strict=True)
                if (doc := self.document(item, mark)) is not None]

    def unknown_keys(self, item: MarkedDict, allowed: set[str], where: str) -> None:
        for key in item:
            if key not in allowed:
                self.error(item.key_marks[key], f"unknown key {key!r} {where}; expected one of "
                           f"{', '.join(sorted(allowed - NOTE_KEYS))}")

    def document(self, item, mark: Mark) -> GoldDocument | None:
        if not isinstance(item, MarkedDict):
            self.error(mark, "a gold document is a mapping with `id`, `file` or `text`, `facts`")
            return None
        self.unknown_keys(item, DOCUMENT_KEYS, "in a gold document")
        doc_id = item.get("id")
        if not isinstance(doc_id, str | int) or isinstance(doc_id, bool) or doc_id == "":
            self.error(item.marks.get("id", item.mark), "a gold document needs an `id`")
            return None
        doc_id = str(doc_id)
        text = self.text(item, doc_id)
        if text is None:
            return None
        date = item.get("date")
        if date is not None and not isinstance(date, str | int):
            self.error(item.marks["date"], "`date` is a string like \"2024-03-28\"")
            date = None
        doc = GoldDocument(doc_id, text, str(date) if date is not None else None, self.file,
                           item.mark.line)
        for key, target, asserted in (("facts", doc.facts, True),
                                      ("not_asserted", doc.not_asserted, False)):
            facts = item.get(key)
            if facts is None:
                continue
            if not isinstance(facts, MarkedList):
                self.error(item.marks[key], f"`{key}` is a list of facts")
                continue
            for fact, fmark in zip(facts, facts.marks, strict=True):
                parsed = self.fact(fact, fmark, doc, asserted)
                if parsed is not None:
                    target.append(parsed)
        return doc

    def text(self, item: MarkedDict, doc_id: str) -> str | None:
        has_file, has_text = "file" in item, "text" in item
        if has_file == has_text:
            self.error(item.mark, f"document {doc_id!r} needs exactly one of `file` and `text`")
            return None
        if has_text:
            if not isinstance(item["text"], str):
                self.error(item.marks["text"], "`text` is the document's text, a string")
                return None
            return item["text"]
        name = item["file"]
        where = item.marks["file"]
        if not isinstance(name, str):
            self.error(where, "`file` is a path to a .txt file")
            return None
        found = find_document(name, self.path)
        if found is None:
            self.error(where, f"document file {name!r} not found (looked next to the gold "
                       "file, in its parent folders and in the working directory)")
            return None
        doc = next(read_txt(found))
        if doc.error is not None:
            self.error(where, f"document file {name!r}: {doc.error}")
            return None
        return doc.text

    def fact(self, item, mark: Mark, doc: GoldDocument, asserted: bool) -> GoldFact | None:
        section = "facts" if asserted else "not_asserted"
        if not isinstance(item, MarkedDict):
            self.error(mark, f"an item of `{section}` is a mapping with `type` and `evidence`")
            return None
        self.unknown_keys(item, FACT_KEYS, f"in a gold fact of {doc.id!r}")
        kind = item.get("type")
        if not isinstance(kind, str) or not kind:
            self.error(item.marks.get("type", item.mark), "a gold fact needs a `type`")
            return None
        subtype = item.get("subtype")
        if subtype is not None and not isinstance(subtype, str):
            self.error(item.marks["subtype"], "`subtype` is a name")
            return None
        modality = item.get("modality")
        if asserted and modality not in (None, "asserted"):
            self.error(item.marks["modality"], f"a {modality} event is not a fact to find; put "
                       "it under `not_asserted`")
            return None
        if not asserted and modality is not None and modality not in NOT_ASSERTED:
            self.error(item.marks["modality"], f"`modality` of a not_asserted event is one of "
                       f"{', '.join(NOT_ASSERTED)}")
            return None
        args = item.get("args", {})
        if not isinstance(args, dict):
            self.error(item.marks["args"], "`args` maps roles to expected values")
            return None
        span = self.span(item, doc)
        if span is None:
            return None
        return GoldFact(doc.id, kind, subtype, item["evidence"], span, dict(args), self.file,
                        item.mark.line, modality)

    def span(self, item: MarkedDict, doc: GoldDocument) -> tuple[int, int] | None:
        evidence = item.get("evidence")
        if not isinstance(evidence, str) or not evidence:
            self.error(item.marks.get("evidence", item.mark), "a gold fact needs `evidence`, "
                       "the exact text of the document that states it")
            return None
        occurrence = item.get("occurrence", 1)
        if not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1:
            self.error(item.marks["occurrence"], "`occurrence` is a number from 1")
            return None
        start, count = -1, 0
        while count < occurrence:
            start = doc.text.find(evidence, start + 1)
            if start < 0:
                break
            count += 1
        if start < 0:
            where = item.marks["evidence"]
            if count == 0:
                hint = "it must be an exact substring"
                loose = re.search(r"\s+".join(map(re.escape, evidence.split())), doc.text)
                if loose:  # the usual trap: a no-break space or a line break in the document
                    hint = f"the document has {json.dumps(loose.group(), ensure_ascii=True)}, " \
                           "with other spaces"
                self.error(where, f"evidence {_short(evidence)!r} is not in document {doc.id!r} "
                           f"({hint})")
            else:
                self.error(item.marks.get("occurrence", where), f"evidence {_short(evidence)!r} "
                           f"occurs {count} time{'s' * (count != 1)} in document {doc.id!r}, "
                           f"not {occurrence}")
            return None
        return start, start + len(evidence)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
