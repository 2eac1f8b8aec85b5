"""Documents from the inputs `assay run` accepts: .txt files and folders, .jsonl, .csv, stdin.

Each input yields InputDoc records; a document that cannot be read (binary, invalid UTF-8, a bad
JSON line) becomes a record with `error` set, so the run reports it and goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEXT_COLUMNS = ("text", "article_content", "content", "body", "article", "story")
ID_COLUMNS = ("id", "doc_id", "unit_id", "uid")
DATE_COLUMNS = ("date", "published", "publication_date", "pubdate")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class InputDoc:
    id: str
    text: str | None
    date: str | None = None
    source: str = ""
    error: str | None = None


def _decode(data: bytes, doc_id: str, source: str) -> InputDoc:
    if b"\x00" in data[:8192]:
        return InputDoc(doc_id, None, source=source, error="binary file (NUL bytes), skipped")
    try:
        return InputDoc(doc_id, data.decode("utf-8-sig"), source=source)
    except UnicodeDecodeError as exc:
        return InputDoc(doc_id, None, source=source,
                        error=f"invalid UTF-8 at byte {exc.start}: {exc.reason}")


def _pick(columns, candidates, chosen: str | None) -> str | None:
    if chosen:
        return chosen if chosen in columns else None
    lower = {c.lower(): c for c in columns if c}
    return next((lower[c] for c in candidates if c in lower), None)


def read_txt(path: Path) -> Iterator[InputDoc]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield InputDoc(path.stem, None, source=str(path), error=f"cannot read: {exc.strerror}")
        return
    yield _decode(data, path.stem, str(path))


def read_jsonl(stream, source: str) -> Iterator[InputDoc]:
    stem = Path(source).stem
    for lineno, raw in enumerate(stream, 1):
        where = f"{source}:{lineno}"
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield InputDoc(f"{stem}:{lineno}", None, source=where,
                               error=f"invalid UTF-8 at byte {exc.start}")
                continue
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield InputDoc(f"{stem}:{lineno}", None, source=where, error=f"invalid JSON: {exc.msg}")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield InputDoc(f"{stem}:{lineno}", None, source=where,
                           error='each line must be an object with a "text" string')
            continue
        doc_id = str(record.get("id", f"{stem}:{lineno}"))
        date = record.get("date")
        yield InputDoc(doc_id, record["text"], str(date) if date else None, where)


def read_csv(stream, source: str, text_column: str | None = None,
             id_column: str | None = None) -> Iterator[InputDoc]:
    stem = Path(source).stem
    reader = csv.DictReader(stream)
    columns = reader.fieldnames or []
    text_col = _pick(columns, TEXT_COLUMNS, text_column)
    if text_col is None:
        yield InputDoc(stem, None, source=source, error=f"no text column (looked for "
                       f"{text_column or ', '.join(TEXT_COLUMNS)}; found {', '.join(columns)})")
        return
    id_col = _pick(columns, ID_COLUMNS, id_column)
    date_col = _pick(columns, DATE_COLUMNS, None)
    try:
        for row_no, row in enumerate(reader, 1):
            doc_id = (row.get(id_col) if id_col else None) or f"{stem}:{row_no}"
            date = row.get(date_col) if date_col else None
            yield InputDoc(str(doc_id), row.get(text_col) or "", date or None,
                           f"{source}:{reader.line_num}")
    except (csv.Error, UnicodeDecodeError) as exc:
        yield InputDoc(f"{stem}:{reader.line_num}", None, source=source,
                       error=f"unreadable CSV after line {reader.line_num}: {exc}")


def read_inputs(inputs, text_column: str | None = None, stdin=None) -> Iterator[InputDoc]:
    """Every document named by `inputs` (paths, folders, or "-" for standard input)."""
    for raw in inputs:
        if raw == "-":
            yield from _read_stdin(stdin or sys.stdin.buffer, text_column)
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*.txt") if p.is_file()):
                yield from read_txt(child)
        elif not path.exists():
            yield InputDoc(path.stem, None, source=str(path), error="no such file or folder")
        elif path.suffix.lower() == ".jsonl":
            with path.open("rb") as stream:
                yield from read_jsonl(stream, str(path))
        elif path.suffix.lower() == ".csv":
            # utf-8-sig: spreadsheets write "CSV UTF-8" with a byte-order mark
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
                yield from read_csv(stream, str(path), text_column)
        else:
            yield from read_txt(path)


def _read_stdin(stream, text_column: str | None) -> Iterator[InputDoc]:
    data = stream.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    head = data.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    if head == b"{":
        yield from read_jsonl(io.BytesIO(data), "stdin")
    else:
        yield _decode(data, "stdin", "stdin")
