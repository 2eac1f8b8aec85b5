"""Load rule files: safe YAML, strict keys, every problem reported at its file, line and column.

A file may hold rules (`pack`, `version`, `rules`), a lexicon (`classes`) and fact type
declarations (`types`). Paths can be files or folders (searched for *.yaml / *.yml).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from engine.errors import Diagnostic, PatternSyntaxError, RuleError
from engine.patterns import ast
from engine.patterns.parser import parse
from engine.patterns.spacy_patterns import SpacyPatternError, validate_spacy_pattern
from engine.resources import bundled
from engine.rules.model import (
    MODALITIES,
    VALUE_TRANSFORMS,
    Example,
    FactType,
    LexiconEntry,
    PatternSource,
    Rule,
    RuleSet,
)
from engine.rules.yamlsource import Mark, MarkedDict, MarkedList, YamlError, load_yaml
from engine.values.grammar import BUILTIN, CONVERSIONS, GrammarCompileError, GrammarSpec

TOP_KEYS = {"pack", "version", "description", "rules", "classes", "types", "grammars"}
GRAMMAR_KEYS = {"file", "fields", "value", "description"}
FIELD_KEYS = {"from", "as", "map"}
RULE_KEYS = {"id", "fact", "subtype", "modality", "pattern", "spacy_pattern", "priority",
             "enabled", "emit", "description", "examples", "values"}
EXAMPLE_KEYS = {"text", "expect"}
ENTRY_KEYS = {"id", "aliases", "lat", "lon", "country", "kind", "match"}
TYPE_KEYS = {"roles", "subtypes", "description"}
RULE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def display_path(path: Path) -> str:
    """How a rule file is named in facts and messages: bundled files as `rules/…`, others
    relative to the working directory where possible."""
    path = path.resolve()
    root = bundled("rules").resolve()
    if path.is_relative_to(root):
        return str(Path("rules") / path.relative_to(root))
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def rule_files(paths, suffixes=(".yaml", ".yml")) -> list[Path]:
    """Files named by `paths` (files, or folders searched recursively for `suffixes`)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in suffixes))
        elif path.suffix in suffixes or suffixes == (".yaml", ".yml") and path.suffix != ".lark":
            out.append(path)
    return out


class _FileLoader:
    """Validates one file, appending to the shared rule set and diagnostics list."""

    def __init__(self, path: Path, ruleset: RuleSet, diagnostics: list[Diagnostic]):
        self.path = path
        self.file = display_path(path)
        self.ruleset = ruleset
        self.diagnostics = diagnostics
        self.grammar_marks: dict[str, Mark] = {}

    def error(self, where: Mark | tuple[int, int] | None, message: str,
              severity: str = "error") -> None:
        line, col = (where.line, where.col) if isinstance(where, Mark) else (where or (1, 1))
        self.diagnostics.append(Diagnostic(self.file, line, col, message, severity,
                                           str(self.path)))

    def load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.error(None, "no such rule file")
            return
        except UnicodeDecodeError as exc:
            self.error(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return
        except OSError as exc:
            self.error(None, f"cannot read: {exc.strerror}")
            return
        try:
            data = load_yaml(text)
        except YamlError as exc:
            self.error((exc.line, exc.col), f"invalid YAML: {exc.message}")
            return
        if data is None:
            return
        if not isinstance(data, MarkedDict):
            self.error(getattr(data, "mark", None), "a rule file is a mapping with `rules:`, "
                       "`classes:` or `types:`")
            return
        self.ruleset.files.append(self.file)
        for key in data:
            if key not in TOP_KEYS:
                self.error(data.key_marks[key], f"unknown key {key!r}; expected one of "
                           f"{', '.join(sorted(TOP_KEYS))}")
        pack = str(data.get("pack", self.path.stem))
        version = str(data.get("version", "0"))
        if "types" in data:
            self.types(data["types"], data.marks["types"])
        if "classes" in data:
            self.classes(data["classes"], data.marks["classes"])
        if "grammars" in data:
            self.grammars(data["grammars"], data.marks["grammars"])
        if "rules" in data:
            rules = data["rules"]
            if not isinstance(rules, MarkedList):
                self.error(data.marks["rules"], "`rules` must be a list of rules")
                return
            for item, mark in zip(rules, rules.marks, strict=True):
                self.rule(item, mark, f"{pack}@{version}")

    # ---- types and lexicon ----
    def types(self, value, mark: Mark) -> None:
        if not isinstance(value, MarkedDict):
            self.error(mark, "`types` maps each fact type to its roles and subtypes")
            return
        for name, spec in value.items():
            if not isinstance(spec, MarkedDict):
                self.error(value.marks[name], f"type {name!r} needs `roles:`")
                continue
            for key in spec:
                if key not in TYPE_KEYS:
                    self.error(spec.key_marks[key], f"unknown key {key!r} in type {name!r}")
            roles = spec.get("roles", [])
            subtypes = spec.get("subtypes", [])
            if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                self.error(spec.marks.get("roles", spec.mark), "`roles` is a list of names")
                continue
            self.ruleset.types[str(name)] = FactType(str(name), tuple(roles),
                                                     tuple(str(s) for s in subtypes or ()))

    def grammars(self, value, mark: Mark) -> None:
        """`grammars:` maps a value name to its .lark file and how its value is made."""
        if not isinstance(value, MarkedDict):
            self.error(mark, "`grammars` maps each value name to {file, fields, value}")
            return
        for name, spec in value.items():
            where = value.key_marks[name]
            if not isinstance(name, str) or not NAME.match(name) or name == "pattern":
                self.error(where, f"grammar name {name!r} must be an identifier other than "
                           "'pattern'")
                continue
            if name in BUILTIN:
                self.error(where, f"<{name}> is built in; give your grammar another name")
                continue
            if not isinstance(spec, MarkedDict) or not isinstance(spec.get("file"), str):
                self.error(value.marks[name], f"grammar {name!r} needs `file:` (a .lark file)")
                continue
            for key in spec:
                if key not in GRAMMAR_KEYS:
                    self.error(spec.key_marks[key], f"unknown key {key!r} in grammar {name!r}")
            lark_path = (self.path.parent / spec["file"]).resolve()
            if not lark_path.is_file():
                self.error(spec.marks["file"], f"grammar file {spec['file']!r} not found")
                continue
            fields = {}
            raw_fields = spec.get("fields", {})
            if not isinstance(raw_fields, MarkedDict):
                self.error(spec.marks.get("fields", spec.mark), "`fields` maps field names to "
                           "{from, as, map}")
                raw_fields = {}
            for fname, fspec in raw_fields.items():
                fmark = raw_fields.marks[fname]
                if isinstance(fspec, str):
                    fspec = {"from": fspec}
                if not isinstance(fspec, dict) or not isinstance(fspec.get("from"), str):
                    self.error(fmark, f"field {fname!r} needs `from:` (a rule or terminal name)")
                    continue
                unknown = set(fspec) - FIELD_KEYS
                if unknown:
                    self.error(fmark, f"unknown key {sorted(unknown)[0]!r} in field {fname!r}")
                if fspec.get("as", "text") not in CONVERSIONS:
                    self.error(fmark, f"field {fname!r}: `as` must be one of "
                               f"{', '.join(CONVERSIONS)}")
                    continue
                if "map" in fspec and not isinstance(fspec["map"], dict):
                    self.error(fmark, f"field {fname!r}: `map` maps texts to values")
                    continue
                fields[str(fname)] = dict(fspec)
            main = spec.get("value")
            if main is not None and main not in fields:
                self.error(spec.marks["value"], f"`value: {main}` names no field of {name!r}")
                main = None
            self.ruleset.grammars[name] = GrammarSpec(
                name, str(lark_path), display_path(lark_path), fields, main)
            self.grammar_marks[name] = spec.marks["file"]

    def classes(self, value, mark: Mark) -> None:
        if not isinstance(value, MarkedDict):
            self.error(mark, "`classes` maps each class name to a list of entries")
            return
        for cls, entries in value.items():
            if not isinstance(cls, str) or not NAME.match(cls):
                self.error(value.key_marks[cls], f"class name {cls!r} must be an identifier")
                continue
            if not isinstance(entries, MarkedList):
                self.error(value.marks[cls], f"class {cls!r} needs a list of entries")
                continue
            for entry, emark in zip(entries, entries.marks, strict=True):
                self.entry(cls, entry, emark)

    def entry(self, cls: str, entry, mark: Mark) -> None:
        if isinstance(entry, str):  # shorthand: the alias is its own id
            self.ruleset.lexicon.append(LexiconEntry(cls, entry, (entry,), self.file, mark.line))
            return
        if not isinstance(entry, MarkedDict):
            self.error(mark, "a lexicon entry is a name or a mapping with `id` and `aliases`")
            return
        for key in entry:
            if key not in ENTRY_KEYS:
                self.error(entry.key_marks[key], f"unknown key {key!r} in a lexicon entry")
        entry_id = entry.get("id")
        if not isinstance(entry_id, str) or not entry_id:
            self.error(entry.mark, "a lexicon entry needs an `id`")
            return
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            self.error(entry.marks.get("aliases", entry.mark), "`aliases` is a list of strings")
            return
        coords = []
        for key in ("lat", "lon"):
            value = entry.get(key)
            if value is not None and (isinstance(value, bool) or
                                      not isinstance(value, int | float)):
                self.error(entry.marks[key], f"`{key}` must be a number")
                value = None
            coords.append(value)
        match = entry.get("match", "norm")
        if match not in ("norm", "exact"):
            self.error(entry.marks["match"], "`match` is `norm` (ignore case and accents, the "
                       "default) or `exact` (case-sensitive, for names that are also words)")
        extra = {k: str(entry[k]) for k in ("country", "kind") if entry.get(k) is not None}
        self.ruleset.lexicon.append(LexiconEntry(cls, entry_id, (entry_id, *aliases), self.file,
                                                 mark.line, *coords, exact=match == "exact",
                                                 extra=tuple(extra.items())))

    # ---- rules ----
    def rule(self, item, mark: Mark, pack: str) -> None:
        if not isinstance(item, MarkedDict):
            self.error(mark, "a rule is a mapping with `id`, `fact` and `pattern`")
            return
        for key in item:
            if key not in RULE_KEYS:
                self.error(item.key_marks[key], f"unknown key {key!r}; expected one of "
                           f"{', '.join(sorted(RULE_KEYS))}")
        rule_id = item.get("id")
        if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
            where = item.marks.get("id", item.mark)
            self.error(where, f"rule id {rule_id!r} must be a dotted name like territory.regain"
                       if "id" in item else "rule has no `id`")
            return
        fact = item.get("fact")
        if not isinstance(fact, str) or not NAME.match(fact):
            self.error(item.marks.get("fact", item.mark),
                       f"rule {rule_id}: `fact` must name a fact type" if "fact" in item
                       else f"rule {rule_id} has no `fact`")
            return
        rule = Rule(rule_id, fact, self.file, str(self.path), item.mark.line, pack)
        rule.subtype = self.optional_str(item, "subtype", rule_id)
        rule.description = self.optional_str(item, "description", rule_id) or ""
        modality = item.get("modality", "asserted")
        if modality not in MODALITIES:
            self.error(item.marks["modality"], f"modality must be one of {', '.join(MODALITIES)}")
        rule.modality = modality if modality in MODALITIES else "asserted"
        priority = item.get("priority", 100)
        if not isinstance(priority, int) or isinstance(priority, bool):
            self.error(item.marks["priority"], "priority must be an integer")
        else:
            rule.priority = priority
        for flag in ("enabled", "emit"):
            value = item.get(flag, True)
            if not isinstance(value, bool):
                self.error(item.marks[flag], f"{flag} must be true or false")
            else:
                setattr(rule, flag, value)
        self.patterns(item, rule)
        self.values(item, rule)
        self.examples(item, rule)
        rule.hash = _rule_hash(item)
        self.ruleset.rules.append(rule)

    def optional_str(self, item: MarkedDict, key: str, rule_id: str) -> str | None:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            self.error(item.marks[key], f"rule {rule_id}: `{key}` must be a string")
            return None
        return value

    def patterns(self, item: MarkedDict, rule: Rule) -> None:
        has_pattern, has_spacy = "pattern" in item, "spacy_pattern" in item
        if has_pattern == has_spacy:
            self.error(item.mark, f"rule {rule.id} needs exactly one of `pattern` and "
                       "`spacy_pattern`")
            return
        if has_spacy:
            value, mark = item["spacy_pattern"], item.marks["spacy_pattern"]
            try:
                validate_spacy_pattern(value)
            except SpacyPatternError as exc:
                where = mark
                if exc.index is not None and isinstance(value, MarkedList):
                    where = value.marks[exc.index]
                self.error(where, f"rule {rule.id}: {exc}")
                return
            rule.spacy_pattern = value
            return
        value, mark = item["pattern"], item.marks["pattern"]
        sources = [(value, mark)] if isinstance(value, str) else None
        if isinstance(value, MarkedList) and all(isinstance(v, str) for v in value) and value:
            sources = list(zip(value, value.marks, strict=True))
        if sources is None:
            self.error(mark, f"rule {rule.id}: `pattern` is a string or a list of strings")
            return
        for text, pmark in sources:
            try:
                node = parse(text)
            except PatternSyntaxError as exc:
                self.error(pmark.locate(text, exc.offset), f"rule {rule.id}: {exc.message}")
                continue
            rule.patterns.append(PatternSource(text, pmark))
            rule.asts.append(node)

    def values(self, item: MarkedDict, rule: Rule) -> None:
        value = item.get("values")
        if value is None:
            return
        if not isinstance(value, MarkedDict):
            self.error(item.marks["values"], "`values` maps capture names to one of "
                       f"{', '.join(VALUE_TRANSFORMS)}")
            return
        captures = rule_captures(rule)
        for role, transform in value.items():
            if transform not in VALUE_TRANSFORMS:
                self.error(value.marks[role], f"value transform {transform!r} is not one of "
                           f"{', '.join(VALUE_TRANSFORMS)}")
            elif role not in captures:
                self.error(value.key_marks[role], f"rule {rule.id}: capture {role!r} is not "
                           "defined in its pattern")
            else:
                rule.values[role] = transform

    def examples(self, item: MarkedDict, rule: Rule) -> None:
        value = item.get("examples")
        if value is None:
            return
        if not isinstance(value, MarkedList):
            self.error(item.marks["examples"], "`examples` is a list of {text, expect}")
            return
        captures = rule_captures(rule)
        for example, mark in zip(value, value.marks, strict=True):
            if not isinstance(example, MarkedDict) or not isinstance(example.get("text"), str):
                self.error(mark, f"rule {rule.id}: an example needs `text:`")
                continue
            for key in example:
                if key not in EXAMPLE_KEYS:
                    self.error(example.key_marks[key], f"unknown key {key!r} in an example")
            expect = example.get("expect", [])
            if not isinstance(expect, MarkedList) or not all(
                isinstance(e, MarkedDict) for e in expect
            ):
                self.error(example.marks.get("expect", mark),
                           "`expect` is a list of facts, each a mapping of role to value")
                continue
            for fact in expect:
                for role in fact:
                    if role not in captures and role not in ("subtype", "modality"):
                        self.error(fact.key_marks[role], f"rule {rule.id}: example expects role "
                                   f"{role!r}, which no capture of the pattern defines")
            rule.examples.append(Example(example["text"], [dict(e) for e in expect], mark.line))

    # ---- references across files ----
    def check_refs(self, rule: Rule, classes: set[str], values: set[str],
                   types_by_priority: dict[str, int]) -> None:
        broken = self.ruleset.broken_grammars
        for source, node in zip(rule.patterns, rule.asts, strict=True):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Look):
                    for inner in ast.walk(sub.child):
                        if isinstance(inner, ast.Capture):
                            self.pattern_error(source, inner.offset, f"rule {rule.id}: captures "
                                               "inside lookaround are not supported")
                if not isinstance(sub, ast.SpanRef):
                    continue
                if sub.kind == "value" and sub.name in broken:
                    continue  # its grammar's own error is reported
                if sub.kind == "value" and sub.name not in values:
                    known = ", ".join(f"<{v}>" for v in sorted(values)) or "none"
                    self.pattern_error(source, sub.offset, f"rule {rule.id}: value grammar "
                                       f"<{sub.name}> is not defined (known: {known})")
                elif sub.kind == "class" and sub.name not in classes:
                    earlier = types_by_priority.get(sub.name)
                    if earlier is None:
                        known = ", ".join(f"@{c}" for c in sorted(classes)) or "none"
                        self.pattern_error(source, sub.offset, f"rule {rule.id}: class "
                                           f"@{sub.name} is not defined (no lexicon class or "
                                           f"fact type of that name; known: {known})")
                    elif earlier >= rule.priority:
                        self.pattern_error(source, sub.offset, f"rule {rule.id}: @{sub.name} "
                                           f"uses facts of rules with priority {earlier}, which "
                                           f"run after this rule (priority {rule.priority}); "
                                           "give it a higher number")

    def pattern_error(self, source, offset: int, message: str) -> None:
        self.error(source.mark.locate(source.text, offset), message)


def rule_captures(rule: Rule) -> set[str]:
    names: set[str] = set()
    for node in rule.asts:
        names |= {n.name for n in ast.walk(node) if isinstance(n, ast.Capture)}
    return names


def _rule_hash(item: MarkedDict) -> str:
    """Content hash of what determines a rule's output (not its examples or description)."""
    keep = {k: item[k] for k in sorted(item) if k not in ("examples", "description")}
    blob = json.dumps(keep, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _load_grammars(paths, ruleset: RuleSet, loaders, diagnostics) -> None:
    """Built-in grammars, .lark files found in `paths`, and `grammars:` entries; each compiled
    once here so that a broken grammar is reported at its file, line and column."""
    from engine.values.registry import builtin_spec, compile_cached

    for name in BUILTIN:
        ruleset.grammars[name] = builtin_spec(name)
    declared = {spec.path for spec in ruleset.grammars.values()}
    for path in rule_files(paths, (".lark",)):
        if path.stem in ruleset.grammars or path.stem == "pattern" or str(path.resolve()) in \
                declared:
            continue
        ruleset.grammars[path.stem] = GrammarSpec(path.stem, str(path.resolve()),
                                                  display_path(path))
    marks = {name: (loader, mark) for loader in loaders
             for name, mark in loader.grammar_marks.items()}
    for name, spec in list(ruleset.grammars.items()):
        try:
            compile_cached(spec)
        except GrammarCompileError as exc:
            if "field" in exc.message and name in marks:
                loader, mark = marks[name]
                loader.error(mark, f"grammar <{name}>: {exc.message}")
            else:
                diagnostics.append(Diagnostic(spec.file, exc.line, exc.col,
                                              f"grammar <{name}>: {exc.message}", path=spec.path))
            del ruleset.grammars[name]
            ruleset.broken_grammars.add(name)
        except (OSError, UnicodeDecodeError) as exc:
            diagnostics.append(Diagnostic(spec.file, 1, 1, f"cannot read grammar: {exc}",
                                          path=spec.path))
            del ruleset.grammars[name]


def load_rules(paths) -> RuleSet:
    """Load and validate rule files and grammars; raises RuleError listing every error found."""
    ruleset = RuleSet()
    diagnostics: list[Diagnostic] = []
    files = rule_files(paths)
    loaders = []
    for path in files:
        loader = _FileLoader(path, ruleset, diagnostics)
        loader.load()
        loaders.append(loader)
    _load_grammars(paths, ruleset, loaders, diagnostics)
    seen: dict[str, Rule] = {}
    for rule in ruleset.rules:
        if rule.id in seen:
            first = seen[rule.id]
            diagnostics.append(Diagnostic(rule.file, rule.line, 1, f"duplicate rule id "
                                          f"{rule.id!r} (first defined at {first.file}:"
                                          f"{first.line})", path=rule.path))
        seen.setdefault(rule.id, rule)
    types_by_priority: dict[str, int] = {}
    for rule in ruleset.rules:
        if rule.enabled:
            types_by_priority[rule.fact] = min(types_by_priority.get(rule.fact, rule.priority),
                                               rule.priority)
    by_file = {loader.file: loader for loader in loaders}
    for rule in ruleset.rules:
        by_file[rule.file].check_refs(rule, ruleset.classes, set(ruleset.grammars),
                                      types_by_priority)
    for rule in ruleset.rules:
        declared = ruleset.types.get(rule.fact)
        if declared is None:
            continue
        if rule.subtype and declared.subtypes and rule.subtype not in declared.subtypes:
            diagnostics.append(Diagnostic(rule.file, rule.line, 1, f"rule {rule.id}: subtype "
                                          f"{rule.subtype!r} is not one of {rule.fact}'s "
                                          f"({', '.join(declared.subtypes)})", "warning",
                                          rule.path))
    errors = [d for d in diagnostics if d.severity == "error"]
    ruleset.warnings = [d for d in diagnostics if d.severity != "error"]
    if errors:
        raise RuleError(errors)
    return ruleset
