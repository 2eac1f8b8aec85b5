"""Facts: what the engine emits, in the public JSON contract of ../shared/BRIEF.md.

Field names are a contract with other tools: add fields freely, never rename.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from engine.version import ENGINE


def fact_id(doc: str, rule: str, span: tuple[int, int]) -> str:
    """Stable across runs and machines: the same rule over the same characters of a document."""
    key = f"{doc}\x1f{rule}\x1f{span[0]}\x1f{span[1]}".encode()
    return hashlib.sha1(key).hexdigest()[:16]


@dataclass(slots=True)
class Fact:
    type: str
    subtype: str | None
    modality: str
    doc: str
    sentence: int
    span: tuple[int, int]
    text: str
    args: dict[str, Any]  # role -> {"text", "span", "value"?, ...} or a list of them
    date: str | None
    rule: str
    source_file: str
    source_line: int
    rule_hash: str
    pack: str
    engine: str = ENGINE
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            self.id = fact_id(self.doc, self.rule, self.span)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "subtype": self.subtype,
            "modality": self.modality,
            "doc": self.doc,
            "sentence": self.sentence,
            "span": list(self.span),
            "text": self.text,
            "args": self.args,
            "date": self.date,
            "rule": self.rule,
            "source": {"file": self.source_file, "line": self.source_line},
            "rule_hash": self.rule_hash,
            "pack": self.pack,
            "engine": self.engine,
        }

    def arg_list(self, role: str) -> list[dict[str, Any]]:
        """The arguments filling `role`, as a list whether the role repeats or not."""
        value = self.args.get(role)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]
