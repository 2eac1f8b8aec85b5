"""Safe YAML loading that remembers where every value came from.

Errors must name the line and column of the offending value, and facts cite the line of their
rule, so mappings and lists are loaded as subclasses that carry the source marks of their items.
Only PyYAML's SafeLoader is used: a rule file cannot construct Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True, slots=True)
class Mark:
    """Where a YAML node starts (lines and columns from 1) and how its scalar was written."""

    line: int
    col: int
    raw: str = ""  # a scalar's source text as written (quotes, indentation, folds included)

    def locate(self, value: str, offset: int) -> tuple[int, int]:
        """File position of `value[offset]`, where `value` is this scalar as loaded.

        Walks the source text alongside the value, skipping what YAML removed (quotes, block
        indicators, indentation, folded line breaks), so positions are right for plain, quoted,
        literal and folded scalars alike."""
        line, col, i = self.line, self.col, 0
        for raw_char in self.raw:
            if i >= offset and (i >= len(value) or raw_char == value[i]):
                break
            if i < len(value) and (raw_char == value[i] or (value[i] in " \n" and
                                                            raw_char in " \n")):
                i += 1
            if raw_char == "\n":
                line, col = line + 1, 1
            else:
                col += 1
        return line, col


class MarkedDict(dict):
    """A mapping with `marks[key]` (value's position) and `key_marks[key]`."""

    marks: dict
    key_marks: dict
    mark: Mark


class MarkedList(list):
    """A sequence with `marks[i]` for each item."""

    marks: list
    mark: Mark


# libyaml's parser when PyYAML has it (10x faster); both only construct plain data.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MarkedLoader(_SafeLoader):
    """SafeLoader whose mappings and sequences remember their items' positions."""

    source = ""  # the text being loaded: scalars keep their raw form for error positions

    def _mark(self, node: yaml.Node) -> Mark:
        raw = ""
        if isinstance(node, yaml.ScalarNode):
            raw = self.source[node.start_mark.index:node.end_mark.index]
        return Mark(node.start_mark.line + 1, node.start_mark.column + 1, raw)

    def construct_mapping(self, node, deep=False):  # noqa: D102 - PyYAML hook
        result = MarkedDict()
        result.marks, result.key_marks, result.mark = {}, {}, self._mark(node)
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain values", key_node.start_mark
                ) from None
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.marks[key] = self._mark(value_node)
            result.key_marks[key] = self._mark(key_node)
        return result

    def construct_sequence(self, node, deep=False):  # noqa: D102 - PyYAML hook
        result = MarkedList(self.construct_object(child, deep=True) for child in node.value)
        result.marks = [self._mark(child) for child in node.value]
        result.mark = self._mark(node)
        return result


MarkedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, MarkedLoader.construct_mapping
)
MarkedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, MarkedLoader.construct_sequence
)
# Forbid PyYAML's timestamp conversion: dates in rule files stay strings.
MarkedLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


class YamlError(Exception):
    """YAML that does not parse; line and column from 1."""

    def __init__(self, message: str, line: int, col: int):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def load_yaml(text: str):
    """Parse one YAML document with marks; raises YamlError with a position."""
    loader = MarkedLoader(text)
    loader.source = text
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            message = f"{exc.problem} ({exc.context})"
        raise YamlError(message, line, col) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc), 1, 1) from None
    finally:
        loader.dispose()
