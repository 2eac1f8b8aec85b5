"""What a rule file says, validated: rules with their sources, lexicon entries and fact types."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.rules.yamlsource import Mark

MODALITIES = ("asserted", "negated", "planned", "hypothetical")
VALUE_TRANSFORMS = ("text", "lower", "norm", "lemma", "number")


@dataclass(frozen=True)
class PatternSource:
    """A pattern's text and where it starts in its file (for error positions)."""

    text: str
    mark: Mark


@dataclass(frozen=True)
class Example:
    """An inline example: the text and the facts the rule must produce there, role by role."""

    text: str
    expect: list[dict]
    line: int


@dataclass
class Rule:
    id: str
    fact: str
    file: str  # as shown to users ("rules/conflict/territory.yaml")
    path: str  # where it was read from
    line: int
    pack: str  # "name@version"
    subtype: str | None = None
    modality: str = "asserted"
    priority: int = 100
    enabled: bool = True
    emit: bool = True  # false: facts only feed later rules (@type), never the output
    description: str = ""
    patterns: list[PatternSource] = field(default_factory=list)
    spacy_pattern: list | None = None
    values: dict[str, str] = field(default_factory=dict)  # role -> value transform
    examples: list[Example] = field(default_factory=list)
    hash: str = ""
    asts: list = field(default_factory=list)  # parsed patterns, parallel to `patterns`


@dataclass(frozen=True)
class LexiconEntry:
    """One canonical name of an entity class with the ways texts spell it."""

    cls: str
    id: str
    aliases: tuple[str, ...]
    file: str
    line: int
    lat: float | None = None
    lon: float | None = None
    exact: bool = False  # aliases match case-sensitively ("Hit" the town, not "hit")
    extra: tuple = ()  # (key, value) pairs carried into arguments: country, kind


@dataclass(frozen=True)
class FactType:
    name: str
    roles: tuple[str, ...]
    subtypes: tuple[str, ...] = ()


@dataclass
class RuleSet:
    """Everything loaded from a set of rule files."""

    rules: list[Rule] = field(default_factory=list)
    lexicon: list[LexiconEntry] = field(default_factory=list)
    types: dict[str, FactType] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    warnings: list = field(default_factory=list)
    grammars: dict = field(default_factory=dict)  # value name -> GrammarSpec
    broken_grammars: set = field(default_factory=set)  # reported, so not reported again

    @property
    def classes(self) -> set[str]:
        return {entry.cls for entry in self.lexicon}
