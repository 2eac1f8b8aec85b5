"""Errors that point at the analyst's own file: `file:line:col: message` plus the offending line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a rule, pattern, lexicon or grammar file. Lines and columns count from 1."""

    file: str
    line: int
    col: int
    message: str
    severity: str = "error"
    path: str | None = None  # where to read the excerpt from, if `file` is a display name

    def excerpt(self) -> str:
        """The offending source line with a caret under the column, or "" if unreadable."""
        try:
            lines = Path(self.path or self.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return ""
        if not 1 <= self.line <= len(lines):
            return ""
        source = lines[self.line - 1]
        return f"    {source}\n    {' ' * (self.col - 1)}^"

    def format(self, with_excerpt: bool = True) -> str:
        head = f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"
        if self.severity == "error":
            head = f"{self.file}:{self.line}:{self.col}: {self.message}"
        excerpt = self.excerpt() if with_excerpt else ""
        return f"{head}\n{excerpt}" if excerpt else head


class DiagnosticError(Exception):
    """An analyst's file that cannot be used; carries every diagnostic found, not the first."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format(with_excerpt=False) for d in diagnostics))

    def format(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class RuleError(DiagnosticError):
    """Rules, lexicons or grammars that cannot be compiled."""


class PatternSyntaxError(Exception):
    """A pattern that does not parse or compile; `offset` indexes the pattern string."""

    def __init__(self, message: str, offset: int, line: int = 1, col: int = 1):
        self.message = message
        self.offset = offset
        self.line = line  # within the pattern text, from 1
        self.col = col
        super().__init__(message)
