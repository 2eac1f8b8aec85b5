"""Case files: texts with the facts the whole pack must find in them, role by role.

A case file is a YAML list (keep it outside rule folders: those are loaded as rules):

    - name: forty-five villages                 # optional; default: the file and line
      text: "Government and PMF forces recaptured up to 45 villages."
      date: "2024-03-28"                        # optional document date
      types: [territory]                        # optional: compare only facts of these types
      expect:
        - {type: territory, subtype: regain, actor: "Government and PMF forces", count: 45}
    - text: "Forces plan to recapture 45 villages."
      types: [territory]
      expect:
        - {type: territory, modality: planned}

Each case must produce exactly the expected facts (of `types`, if given): no more, no fewer.
An expectation names the fact's `type` and may name `subtype`, `modality` and `rule`; every other
key is a role, compared as in rule examples (a string matches an argument's text, value or id, a
number its value, a list a repeated role in order, null an absent role).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import Diagnostic, DiagnosticError
from engine.rules.loader import display_path
from engine.rules.yamlsource import Mark, MarkedDict, MarkedList, YamlError, load_yaml

CASE_KEYS = {"name", "text", "date", "types", "expect", "note", "description"}


class CaseFileError(DiagnosticError):
    """Case files that cannot be run."""


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    expect: list[dict]
    file: str
    line: int
    date: str | None = None
    types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CaseFile:
    file: str  # as shown to users
    path: str
    cases: tuple[Case, ...]


def load_cases(paths) -> list[CaseFile]:
    """The case files in `paths`; raises CaseFileError listing every problem."""
    diagnostics: list[Diagnostic] = []
    out = [_load(Path(p), diagnostics) for p in paths]
    if diagnostics:
        raise CaseFileError(diagnostics)
    return out


def _load(path: Path, diagnostics: list[Diagnostic]) -> CaseFile:
    file = display_path(path)

    def error(where: Mark | tuple[int, int] | None, message: str) -> None:
        line, col = (where.line, where.col) if isinstance(where, Mark) else (where or (1, 1))
        diagnostics.append(Diagnostic(file, line, col, message, path=str(path)))

    cases: list[Case] = []
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        error(None, f"cannot read case file: {exc}")
        return CaseFile(file, str(path), ())
    except YamlError as exc:
        error((exc.line, exc.col), f"invalid YAML: {exc.message}")
        return CaseFile(file, str(path), ())
    if not isinstance(data, MarkedList):
        error(getattr(data, "mark", None), "a case file is a list of cases, each with `text` "
              "and `expect`")
        return CaseFile(file, str(path), ())
    for index, (item, mark) in enumerate(zip(data, data.marks, strict=True), 1):
        if not isinstance(item, MarkedDict) or not isinstance(item.get("text"), str):
            error(mark, "a case needs `text:` (and `expect:`, the facts it must produce)")
            continue
        for key in item:
            if key not in CASE_KEYS:
                error(item.key_marks[key], f"unknown key {key!r} in a case; expected one of "
                      f"{', '.join(sorted(CASE_KEYS - {'note', 'description'}))}")
        expect = item.get("expect", [])
        if not isinstance(expect, MarkedList) or not all(isinstance(e, MarkedDict)
                                                          for e in expect):
            error(item.marks.get("expect", mark), "`expect` is a list of facts, each a mapping "
                  "with `type` and roles")
            continue
        bad = [e for e in expect if not isinstance(e.get("type"), str)]
        for fact in bad:
            error(fact.mark, "an expected fact needs `type:` (the fact type)")
        types = item.get("types")
        if types is not None and (not isinstance(types, list) or
                                  not all(isinstance(t, str) for t in types)):
            error(item.marks["types"], "`types` is a list of fact type names")
            continue
        date = item.get("date")
        if bad:
            continue
        name = item.get("name")
        cases.append(Case(str(name) if name is not None else f"case {index}", item["text"],
                          [dict(e) for e in expect], file, mark.line,
                          str(date) if date is not None else None,
                          tuple(types) if types is not None else None))
    return CaseFile(file, str(path), tuple(cases))
