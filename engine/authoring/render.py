"""Terminal rendering of the authoring reports with rich.

Reports are plain data made elsewhere (engine.evaluation, engine.authoring.*); this module only
decides how they look. Output that is not a terminal gets a fixed, wide layout and no colour, so
it can be grepped, diffed and checked in tests.
"""

from __future__ import annotations

import os
import sys

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def make_console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr): the terminal's width, or 160 columns when piped."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def _ratio(value: float, defined: bool = True) -> str:
    return f"{value:.2f}" if defined else "—"


def _quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return escape(repr(text if len(text) <= limit else text[:limit - 1] + "…"))


# ---- assay eval ------------------------------------------------------------------------------


def render_eval(report, console: Console, changes=None, baseline_name: str = "") -> None:
    """Scores by type and by rule, then every miss, spurious fact and wrong role."""
    console.print(f"{report.documents} documents, {report.gold} gold facts, {report.predicted} "
                  f"asserted facts ({report.ignored} of other modalities not scored)")
    table = Table(title="by type", title_justify="left")
    for column in ("type", "tp", "fp", "fn", "precision", "recall", "F1", "roles right"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for name, score in sorted(report.by_type.items()):
        roles = sum(r.correct for r in score.roles.values())
        total = sum(r.total for r in score.roles.values())
        table.add_row(escape(name), str(score.tp), str(score.fp), str(score.fn),
                      _ratio(score.precision, score.tp + score.fp > 0),
                      _ratio(score.recall, score.tp + score.fn > 0), _ratio(score.f1),
                      f"{roles}/{total}" if total else "—")
    micro = report.micro
    table.add_row("all (micro)", str(micro.tp), str(micro.fp), str(micro.fn),
                  _ratio(micro.precision), _ratio(micro.recall), _ratio(micro.f1),
                  f"{report.roles.correct}/{report.roles.total}" if report.roles.total else "—",
                  style="bold", end_section=True)
    console.print(table)
    rules = Table(title="by rule", title_justify="left")
    for column in ("rule", "source", "facts", "matched", "precision"):
        rules.add_column(column, justify="right" if column in ("facts", "matched", "precision")
                         else "left")
    for name, score in sorted(report.by_rule.items()):
        rules.add_row(escape(name), escape(f"{score.file}:{score.line}"), str(score.facts),
                      str(score.matched), _ratio(score.precision, score.facts > 0))
    console.print(rules)
    console.print(f"precision {micro.precision:.2f}  recall {micro.recall:.2f}  "
                  f"F1 {micro.f1:.2f}  role accuracy {report.roles.accuracy:.2f}")
    _section(console, "misses", [
        f"{escape(m.doc)}  {escape(m.type)}{'.' + escape(m.subtype) if m.subtype else ''}  "
        f"{_quote(m.text)}  ({escape(m.source)})" for m in report.misses])
    _section(console, "spurious", [
        f"{escape(s.doc)}  {escape(s.rule)}  {_quote(s.text)}  {escape(s.reason)}"
        for s in report.spurious])
    _section(console, "wrong roles", [
        f"{escape(e.doc)}  {escape(e.rule)}  {escape(e.role)}: expected {escape(repr(e.expected))}"
        f", got {escape(repr(e.got))}  in {_quote(e.text)}" for e in report.role_errors])
    if changes is not None:
        before = changes.before
        console.print()
        console.print(f"since {escape(baseline_name)}: precision {before.get('precision', 0):.2f}"
                      f" → {micro.precision:.2f}, recall {before.get('recall', 0):.2f} → "
                      f"{micro.recall:.2f}, F1 {before.get('f1', 0):.2f} → {micro.f1:.2f}")
        _section(console, "newly right", [_change(c, "+") for c in changes.newly_right])
        _section(console, "newly wrong", [_change(c, "-") for c in changes.newly_wrong])


def _change(change, sign: str) -> str:
    detail = f" ({escape(change.detail)})" if change.detail else ""
    return (f"{sign} {escape(change.kind)}{detail}  {escape(change.doc)}  {escape(change.type)}  "
            f"{_quote(change.text)}")


def _section(console: Console, title: str, lines: list[str]) -> None:
    console.print(f"{title} ({len(lines)})" + (":" if lines else ""))
    for line in lines:
        console.print(f"  {line}", soft_wrap=True)


# ---- assay test ------------------------------------------------------------------------------


def render_tests(report, console: Console) -> None:
    """One line per rule or case file, the diff of each failure under it, then the summary."""
    width = max((len(g.name) for g in report.groups), default=0)
    for group in report.groups:
        where = escape(f"{group.file}:{group.line}") if group.kind == "rule" else ""
        noun = "example" if group.kind == "rule" else "case"
        n = len(group.results)
        name = escape(group.name.ljust(width))
        if not n:
            console.print(f"[yellow]SKIP[/] {name}  no {noun}s  {where}")
            continue
        failed = group.failed
        if not failed:
            console.print(f"[green]PASS[/] {name}  {n} {noun}{'s' * (n != 1)}  {where}")
            continue
        console.print(f"[red]FAIL[/] {name}  {len(failed)} of {n} {noun}{'s' * (n != 1)} "
                      f"failed  {where}")
        for result in failed:
            console.print(f"  [red]✗[/] {escape(result.name)}  "
                          f"{escape(f'{result.file}:{result.line}')}")
            console.print(f"      text: {_quote(result.text, 200)}", soft_wrap=True)
            for problem in result.problems:
                console.print(f"      {escape(problem)}", soft_wrap=True)
    console.print(report.summary, style="bold red" if report.failed else "bold green")


# ---- assay explain ---------------------------------------------------------------------------


def render_explain(explanation, console: Console) -> None:
    """Per sentence: the token table, the spans, then each rule's matches or failure."""
    for sentence in explanation.sentences:
        console.rule(f"sentence {sentence.index}")
        console.print(_quote(sentence.text, 400), soft_wrap=True)
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("i", "text", "norm", "lemma", "shape", "num", "flags"):
            table.add_column(column, overflow="fold")
        for tok in sentence.tokens:
            num = "" if tok.num is None else f"{tok.num:g}"
            flags = " ".join(f.removeprefix("is_") for f in tok.flags)
            table.add_row(str(tok.i), escape(tok.text), escape(tok.norm), escape(tok.lemma),
                          escape(tok.shape), num, flags)
        console.print(table)
        if sentence.spans:
            console.print("spans:")
            for span in sentence.spans:
                value = f" = {span.value}" if span.value is not None else ""
                console.print(f"  {escape(span.ref)} {_quote(span.text)} tokens "
                              f"{span.start}-{span.end - 1}{escape(value)}", soft_wrap=True)
        if not sentence.rules:
            console.print("no rule is triggered by this sentence")
        for rule in sentence.rules:
            head = f"[bold]{escape(rule.rule)}[/]  {escape(f'{rule.file}:{rule.line}')}"
            if not rule.triggered:
                head += f"  [yellow]not tried here: no trigger ({escape(rule.trigger)})[/]"
            console.print(head, soft_wrap=True)
            for pattern in rule.patterns:
                label = f"pattern {pattern.index}" if len(rule.patterns) > 1 else "pattern"
                if pattern.matches:
                    for match in pattern.matches:
                        console.print(f"  {label}: [green]match[/] {_quote(match.text)} tokens "
                                      f"{match.start}-{match.end - 1}", soft_wrap=True)
                        for name, texts in match.captures.items():
                            shown = ", ".join(_quote(t) for t in texts)
                            console.print(f"      {escape(name)}: {shown}", soft_wrap=True)
                    continue
                console.print(f"  {label}: [red]no match[/]")
                if pattern.failure is not None:
                    console.print(f"      {escape(pattern.failure.message)}", soft_wrap=True)
                if pattern.note:
                    console.print(f"      ({escape(pattern.note)})", soft_wrap=True)
            for fact in rule.facts:
                kind = fact["type"] + (f".{fact['subtype']}" if fact["subtype"] else "")
                console.print(f"  fact: {escape(kind)} ({escape(fact['modality'])}) "
                              f"{_quote(fact['text'])}", soft_wrap=True)


# ---- assay stats -----------------------------------------------------------------------------


def render_stats(stats, console: Console) -> None:
    """One row per rule (firing rules first), the rules that never fired, then the totals."""
    table = Table(title="rules over the corpus", title_justify="left")
    for column in ("rule", "type", "docs", "sentences", "facts", "overlaps", "conflicts",
                   "overlaps with"):
        table.add_column(column, justify="right" if column in (
            "docs", "sentences", "facts", "overlaps", "conflicts") else "left", overflow="fold")
    ordered = sorted(stats.rules.values(), key=lambda r: (-r.facts, r.rule))
    for rule in ordered:
        kind = rule.type + ("" if rule.emit else " (helper)")
        partners = ", ".join(f"{name} ({n})" for name, n in sorted(rule.overlap_with.items()))
        table.add_row(escape(rule.rule), escape(kind), str(len(rule.documents)),
                      str(len(rule.sentences)), str(rule.facts), str(rule.overlaps),
                      str(rule.conflicts), escape(partners))
    console.print(table)
    for rule in ordered:
        for other, n in sorted(rule.conflict_with.items()):
            console.print(f"conflict: {escape(rule.rule)} and {escape(other)} disagree on {n} "
                          f"fact{'s' * (n != 1)}", soft_wrap=True)
    never = stats.never_fired
    console.print(f"never fired ({len(never)}): " + (", ".join(escape(r) for r in never)
                                                     if never else "none"), soft_wrap=True)
    for source, error in stats.errors:
        console.print(f"[red]error[/] {escape(source)}: {escape(error)}", soft_wrap=True)
    console.print(f"{stats.documents} documents, {stats.sentences} sentences "
                  f"({stats.covered} with facts), {stats.facts} facts, "
                  f"{len(stats.errors)} errors")


# ---- assay profile ---------------------------------------------------------------------------


def render_profile(report, console: Console, top: int) -> None:
    """The costliest rules (and value grammars, lexicon, fact building) first, then totals."""
    ranked = report.ranked
    matching = sum(c.seconds for c in ranked)
    table = Table(title=f"cost per rule, exclusive (the {min(top, len(ranked))} costliest of "
                        f"{len(ranked)})", title_justify="left")
    for column in ("rule", "kind", "runs", "matches", "seconds", "share", "steps", "source"):
        table.add_column(column, justify="left" if column in ("rule", "kind", "source")
                         else "right", overflow="fold")
    for cost in ranked[:top]:
        source = f"{cost.file}:{cost.line}" if cost.file else ""
        table.add_row(escape(cost.name), escape(cost.kind), f"{cost.runs:,}",
                      f"{cost.matches:,}" if cost.file else "", f"{cost.seconds:.3f}",
                      f"{cost.seconds / matching:.1%}" if matching else "—",
                      f"{cost.steps:,}" if cost.file else "",
                      escape(source))
    console.print(table)
    for source, error in report.errors:
        console.print(f"[red]error[/] {escape(source)}: {escape(error)}", soft_wrap=True)
    rate = f"{report.words / report.seconds:,.0f} words/s" if report.seconds else "—"
    console.print(f"{report.documents} documents, {report.sentences} sentences, "
                  f"{report.words:,} words, {report.facts} facts in {report.seconds:.2f} s "
                  f"({rate}); the rows above account for {matching:.2f} s, the rest is "
                  "tokenisation, one-off loading and the engine's own bookkeeping", soft_wrap=True)


# ---- assay kwic ------------------------------------------------------------------------------


def render_kwic(lines, summary, console: Console, uncovered: bool = False) -> None:
    """Aligned keyword-in-context lines, the keyword in bold, then a count."""
    lines = list(lines)
    width = max((len(f"{line.doc}:{line.sentence}") for line in lines), default=0)
    for line in lines:
        where = f"{line.doc}:{line.sentence}".ljust(width)
        console.print(f"{escape(where)}  {escape(line.left)} [bold]{escape(line.keyword)}[/] "
                      f"{escape(line.right)}", soft_wrap=True, highlight=False)
    for source, error in summary.errors:
        console.print(f"[red]error[/] {escape(source)}: {escape(error)}", soft_wrap=True)
    skipped = f" ({summary.skipped} sentences with facts left out)" if uncovered else ""
    console.print(f"{summary.lines} lines in {summary.documents} documents{skipped}")
