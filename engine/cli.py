"""The `assay` command: a thin shell over the Python API (engine.api).

Heavy libraries (spaCy, Lark) are imported inside the commands, so `assay --help` is quick.
"""

from __future__ import annotations

import os
import sys

import click

from engine.errors import RuleError
from engine.version import __version__

RULES_OPTION = click.option(
    "--rules", "rules", multiple=True, type=click.Path(exists=True),
    help="Rule file or folder (repeatable). Default: the bundled conflict pack.",
)


_WHOLE_PROCESS = False  # whether the command is the process (entry()), which ends with it


def _load(rules):
    """Load an engine, turning rule errors into `file:line:col: message` and exit status 2.
    Importing spaCy and the engine, the pack and spaCy's pipeline make long-lived objects by
    the hundred thousand, which set the cyclic collector off a dozen times to free nothing:
    it waits till they are made, and they are then frozen out of its sight (gc.freeze), as
    they live as long as the command."""
    import gc

    from engine.heap import collector_paused

    try:
        with collector_paused():
            from engine.api import load

            engine = load(*rules)
            _ = engine.tokenizer.nlp  # every command that loads a pack tokenises
            if _WHOLE_PROCESS:  # not where main() is called in a longer-lived process (tests)
                gc.freeze()
            return engine
    except RuleError as exc:
        click.echo(exc.format(), err=True)
        n = len(exc.diagnostics)
        click.echo(f"assay: {n} error{'s' * (n != 1)} in rules", err=True)
        sys.exit(2)


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    """The version, and whether this install runs the compiled matcher (hatch_build.py),
    found without importing it (and spaCy with it); looked up only when asked for."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.util import find_spec

    compiled = find_spec("engine.matching._vm") is not None
    build = "compiled matcher" if compiled else "pure-Python matcher: see the README to compile it"
    click.echo(f"assay {__version__} ({build})")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version and which matcher runs, and exit.")
def main() -> None:
    """Rule-based extraction of auditable facts from news text."""


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@RULES_OPTION
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write facts (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--text-column", help="CSV column holding the text (default: text, "
              "article_content, content, body …).")
@click.option("-j", "--jobs", type=click.IntRange(1, None), default=1, show_default=True,
              help="Worker processes (output stays in input order).")
def run(inputs, rules, output, fmt, text_column, jobs) -> None:
    """Extract facts from INPUTS: .txt files, folders of them, .jsonl, .csv, or - for stdin.

    Facts are written one JSON object a line, in input order. A document that cannot be read or
    processed is reported on standard error and as an error record in the output; the run goes
    on. On a terminal, a progress bar shows documents, facts and documents per second.
    """
    from collections import deque
    from functools import partial

    eng = _load(rules)
    from engine.batch import extract_parallel
    from engine.inputs import read_inputs
    from engine.outputs import WRITERS, render

    writer = WRITERS[fmt](output)
    counts = {"documents": 0, "facts": 0, "errors": 0}
    order: deque = deque()  # every input as read: an InputDoc that failed to read, or None

    def readable():
        for item in read_inputs(inputs, text_column):
            if item.error is None:
                order.append(None)
                yield (item.id, item.text, item.date)
            else:
                order.append(item)

    def error(doc_id: str, message: str, source: str) -> None:
        counts["errors"] += 1
        click.echo(f"assay: {source or doc_id}: {message}", err=True)
        writer.error(doc_id, message, source)

    def unreadable_before_next() -> None:
        """Report, in input order, the inputs that failed to read before the next result."""
        while order and order[0] is not None:
            item = order.popleft()
            counts["documents"] += 1
            error(item.id, item.error, item.source)

    with _progress() as advance:
        for result in extract_parallel(eng, readable(), jobs, partial(render, fmt)):
            unreadable_before_next()
            order.popleft()  # this result's own entry
            counts["documents"] += 1
            if result.error is not None:
                error(result.doc, result.error, "")
            output.write(result.text)
            counts["facts"] += result.facts
            output.flush()
            advance(counts)
        unreadable_before_next()
    click.echo(f"assay: {counts['documents']} documents, {counts['facts']} facts, "
               f"{counts['errors']} errors", err=True)


def _progress():
    """A context giving `advance(counts)`: a rich progress bar on a terminal, else nothing."""
    from contextlib import contextmanager

    @contextmanager
    def bar():
        if not sys.stderr.isatty():
            yield lambda counts: None
            return
        import time

        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        started = time.monotonic()
        columns = (SpinnerColumn(), TextColumn("{task.completed} documents"),
                   TextColumn("{task.fields[facts]} facts"), TextColumn("{task.fields[rate]}"),
                   TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("run", total=None, facts=0, rate="")

            def advance(counts: dict) -> None:
                rate = counts["documents"] / max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=counts["documents"], facts=counts["facts"],
                                rate=f"{rate:,.0f} docs/s")

            yield advance

    return bar()


@main.command()
@click.argument("rules", nargs=-1, type=click.Path(exists=True))
@click.option("--strict", is_flag=True, help="Treat warnings as failures (exit status 1).")
def check(rules, strict) -> None:
    """Compile RULES (files or folders; default: the bundled pack) and report problems:
    errors (exit status 2), then warnings as `file:line:col: warning: message` — rules with no
    examples or no negative one, captures that are no role of their fact type, patterns that
    can match nothing or an empty span, dead alternatives, duplicates."""
    from engine.authoring.lint import lint

    eng = _load(rules)
    warnings = [*eng.ruleset.warnings, *lint(eng)]
    for warning in warnings:
        click.echo(warning.format(), err=True)
    n_rules, n_entries = len(eng.ruleset.rules), len(eng.ruleset.lexicon)
    n = len(warnings)
    click.echo(f"ok: {n_rules} rules, {n_entries} lexicon entries in "
               f"{len(eng.ruleset.files)} files, {n} warning{'s' * (n != 1)}")
    if strict and warnings:
        sys.exit(1)


@main.command(name="try")
@click.argument("text")
@RULES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON Lines.")
def try_(text, rules, as_json) -> None:
    """Print the facts the rules find in TEXT, as a table."""
    import json

    eng = _load(rules)
    facts = eng.extract(text, doc_id="try")
    if as_json:
        for fact in facts:
            click.echo(json.dumps(fact.to_dict(), ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not facts:
        console.print("no facts")
        return
    table = Table(show_lines=True)
    for column in ("rule", "type", "modality", "text", "arguments"):
        table.add_column(column, overflow="fold")
    for fact in facts:
        args = []
        for role in fact.args:
            for arg in fact.arg_list(role):
                value = f" = {arg['value']}" if "value" in arg else ""
                ident = f" [{arg['id']}]" if "id" in arg else ""
                args.append(escape(f"{role}: {arg['text']}{value}{ident}"))
        kind = fact.type + (f".{fact.subtype}" if fact.subtype else "")
        table.add_row(escape(f"{fact.rule}\n{fact.source_file}:{fact.source_line}"), kind,
                      fact.modality, escape(fact.text), "\n".join(args))
    console.print(table)


@main.command()
@click.argument("grammar")
@click.argument("text")
@RULES_OPTION
@click.option("--date", "base", metavar="YYYY-MM-DD",
              help="The document date relative dates resolve against.")
@click.option("--tree", is_flag=True, help="Add the parse tree.")
def parse(grammar, text, rules, base, tree) -> None:
    """Show what GRAMMAR (quantity, date, an analyst's grammar name, or a .lark file) makes of
    TEXT, as one JSON object. Exit status 1 if the grammar does not cover the whole TEXT."""
    import json
    from datetime import date
    from pathlib import Path

    from engine.text.tokens import get_tokenizer
    from engine.values.dates import resolve
    from engine.values.grammar import GrammarCompileError, GrammarSpec

    base_date = None
    if base:
        try:
            base_date = date.fromisoformat(base)
        except ValueError:
            raise click.BadParameter(f"{base!r} is not YYYY-MM-DD", param_hint="--date") from None
    if grammar.endswith(".lark"):
        from engine.rules.loader import display_path
        from engine.values.registry import compile_cached

        path = Path(grammar)
        if not path.is_file():
            raise click.BadParameter(f"{grammar} not found", param_hint="GRAMMAR")
        try:
            value_grammar = compile_cached(GrammarSpec(path.stem, str(path.resolve()),
                                                       display_path(path)))
        except GrammarCompileError as exc:
            click.echo(f"{grammar}:{exc.line}:{exc.col}: {exc.message}", err=True)
            sys.exit(2)
    else:
        eng = _load(rules)
        value_grammar = eng.values.get(grammar.strip("<>"))
        if value_grammar is None:
            known = ", ".join(sorted(eng.values))
            raise click.BadParameter(f"no grammar {grammar!r} (known: {known})",
                                     param_hint="GRAMMAR")
    value = value_grammar.parse(text)
    if value is None:
        tokens = get_tokenizer().tokens(text)
        found = sorted(value_grammar.find(tokens, text), key=lambda f: f[0] - f[1])
        hint = ""
        if found:
            s, e, _ = found[0]
            hint = f"; the longest phrase it covers is {text[tokens[s].start:tokens[e - 1].end]!r}"
        click.echo(f"assay: <{value_grammar.name}> does not cover {text!r}{hint}", err=True)
        sys.exit(1)
    out = {"grammar": value_grammar.name, "text": text}
    if value_grammar.name == "date" and value_grammar.spec.builtin:
        out["value"] = resolve(value, base_date)
        out["precision"] = value["precision"]
        if value.get("since"):
            out["since"] = True
        if value.get("needs_base") and base_date is None:
            out["note"] = "relative date: give --date to resolve it"
    else:
        out.update(value)
    if tree:
        out["tree"] = value_grammar.tree(text).pretty()
    click.echo(json.dumps(out, ensure_ascii=False))



def _fail(exc) -> None:
    """Report a broken input file (`file:line:col: message`) and exit with status 2."""
    click.echo(exc.format(), err=True)
    sys.exit(2)


@main.command(name="eval")
@click.argument("gold", nargs=-1, required=True)
@RULES_OPTION
@click.option("--baseline", type=click.Path(), help="Compare with a report saved earlier: what "
              "became right, what became wrong.")
@click.option("--save-baseline", type=click.Path(), help="Save this report as a baseline.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_(gold, rules, baseline, save_baseline, as_json) -> None:
    """Score the rules against GOLD files (or folders of them): precision, recall and F1 by
    type and by rule, role accuracy, misses and spurious facts. Exit status 2 for a broken
    gold or baseline file."""
    import json

    from engine.authoring.render import make_console, render_eval
    from engine.evaluation import evaluate, load_baseline
    from engine.evaluation import save_baseline as save
    from engine.gold import GoldError

    eng = _load(rules)
    try:
        base = load_baseline(baseline) if baseline else None
        report = evaluate(eng, gold)
    except GoldError as exc:
        _fail(exc)
    changes = report.changes_since(base) if base is not None else None
    if save_baseline:
        save(report, save_baseline)
    if as_json:
        out = report.to_dict()
        if changes is not None:
            out["changes"] = changes.to_dict()
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    render_eval(report, make_console(), changes, baseline or "")



@main.command(name="test")
@click.argument("rules", nargs=-1, type=click.Path(exists=True))
@click.option("--rule", "rule_ids", multiple=True, metavar="ID",
              help="Only this rule's examples (repeatable; wildcards: 'territory.*').")
@click.option("--cases", "case_paths", multiple=True, type=click.Path(exists=True),
              metavar="FILE", help="A case file: texts and the facts the pack must find.")
@click.option("--junit", type=click.Path(), metavar="FILE", help="Also write JUnit XML.")
@click.option("--watch", is_flag=True, help="Rerun whenever a rule or case file changes.")
@click.option("--interval", type=float, default=0.5, show_default=True, hidden=True)
@click.option("--max-runs", type=int, default=None, hidden=True)
def test_(rules, rule_ids, case_paths, junit, watch, interval, max_runs) -> None:
    """Run every rule's inline examples and the case files given with --cases: one line per
    rule, a role-by-role diff per failure, then `N passed, N failed`. Exit status 1 if a test
    fails, 2 if rules or case files are broken."""
    from engine.api import load
    from engine.authoring.cases import CaseFileError, load_cases
    from engine.authoring.junit import write_junit
    from engine.authoring.render import make_console, render_tests
    from engine.authoring.testing import run_tests, select_rules
    from engine.errors import RuleError

    console, errors = make_console(), make_console(stderr=True)

    def once() -> int:
        try:
            eng = load(*rules)
            cases = load_cases(case_paths)
            selected = select_rules(eng, rule_ids)
        except (RuleError, CaseFileError) as exc:
            errors.print(exc.format(), markup=False, highlight=False)
            return 2
        except ValueError as exc:
            errors.print(f"assay: {exc}", markup=False)
            return 2
        report = run_tests(eng, selected, cases)
        render_tests(report, console)
        if junit:
            write_junit(report, junit)
        return 1 if report.failed else 0

    if not watch:
        sys.exit(once())
    from contextlib import suppress

    from engine.authoring.watch import watch as poll
    from engine.resources import bundled

    status = 0

    def rerun() -> None:
        nonlocal status
        console.rule("assay test")
        status = once()

    with suppress(KeyboardInterrupt):  # Ctrl-C ends watching with the last run's status
        poll([*(rules or [bundled("rules")]), *case_paths], rerun, interval, max_runs)
    sys.exit(status)



@main.command()
@click.argument("text")
@RULES_OPTION
@click.option("--rule", "rule_ids", multiple=True, metavar="ID",
              help="Explain this rule even where its trigger is absent (repeatable; wildcards).")
@click.option("--date", metavar="YYYY-MM-DD", help="The document date.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain(text, rules, rule_ids, date, as_json) -> None:
    """Show how the rules see TEXT: its tokens and their attributes, the spans patterns can
    use, and for each rule triggered in a sentence its matches with their captures, or the
    furthest point its pattern reached and what it expected there."""
    import json

    from engine.authoring.explain import explain as run_explain
    from engine.authoring.render import make_console, render_explain
    from engine.authoring.testing import select_rules

    eng = _load(rules)
    try:
        selected = select_rules(eng, rule_ids) if rule_ids else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rule") from None
    explanation = run_explain(eng, text, selected, date)
    if as_json:
        click.echo(json.dumps(explanation.to_dict(), ensure_ascii=False, default=str))
        return
    render_explain(explanation, make_console())


@main.command()
@click.argument("corpus", nargs=-1, required=True)
@RULES_OPTION
@click.option("--html", "html_path", type=click.Path(), metavar="FILE",
              help="Also write a self-contained, sortable HTML report.")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.option("--text-column", help="CSV column holding the text.")
def stats(corpus, rules, html_path, as_json, text_column) -> None:
    """Per rule over CORPUS (what `assay run` reads): documents and sentences where it fires,
    facts, overlaps and conflicts with other rules; and the rules that never fire."""
    import json
    from pathlib import Path

    from engine.authoring.html import stats_html
    from engine.authoring.render import make_console, render_stats
    from engine.authoring.stats import corpus_stats
    from engine.inputs import read_inputs

    eng = _load(rules)
    report = corpus_stats(eng, read_inputs(corpus, text_column))
    if html_path:
        Path(html_path).write_text(stats_html(report), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    render_stats(report, make_console())


@main.command()
@click.argument("corpus", nargs=-1, required=True)
@RULES_OPTION
@click.option("--top", default=25, show_default=True, type=click.IntRange(1, None),
              help="How many rows to show, costliest first.")
@click.option("--json", "as_json", is_flag=True, help="Print every row as JSON.")
@click.option("--text-column", help="CSV column holding the text.")
def profile(corpus, rules, top, as_json, text_column) -> None:
    """What each rule costs over CORPUS (what `assay run` reads): VM runs, matches, seconds
    and VM steps, each counted for the rule itself and not for the rules it asks for helper
    facts; value grammars, the lexicon and fact building have rows of their own."""
    import json

    from engine.authoring.profile import profile_rules
    from engine.authoring.render import make_console, render_profile
    from engine.inputs import read_inputs

    eng = _load(rules)
    # One-off loading (lemma tables, dateparser's data) is not any rule's cost.
    eng.extract("Two days ago forces killed 3 people in Mosul.", date="2016-07-27")
    report = profile_rules(eng, read_inputs(corpus, text_column))
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    render_profile(report, make_console(), top)


@main.command()
@click.argument("term")
@click.argument("corpus", nargs=-1, required=True)
@RULES_OPTION
@click.option("--window", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="Characters of context on each side.")
@click.option("--uncovered", is_flag=True,
              help="Only sentences where no rule emitted a fact.")
@click.option("--regex", is_flag=True, help="TERM is a regular expression, not a phrase.")
@click.option("--case-sensitive", is_flag=True, help="Match TERM's case exactly.")
@click.option("--text-column", help="CSV column holding the text.")
def kwic(term, corpus, rules, window, uncovered, regex, case_sensitive, text_column) -> None:
    """Keyword-in-context lines for TERM (a whole word or phrase, any case) in CORPUS: how the
    texts say things, and with --uncovered, what no rule covers yet."""
    import re

    from engine.authoring.kwic import KwicSummary, keyword_pattern
    from engine.authoring.kwic import kwic as find
    from engine.authoring.render import make_console, render_kwic
    from engine.inputs import read_inputs

    try:
        pattern = keyword_pattern(term, regex, not case_sensitive)
    except re.error as exc:
        raise click.BadParameter(f"not a regular expression: {exc}", param_hint="TERM") from None
    eng = _load(rules) if uncovered else None
    summary = KwicSummary()
    lines = find(read_inputs(corpus, text_column), pattern, window, eng, uncovered, summary)
    render_kwic(lines, summary, make_console(), uncovered)


def entry() -> None:
    """The `assay` command as installed. A process that has loaded a pack holds millions of
    objects (spaCy's lemma table and vocabulary, the compiled rules), and the interpreter's
    teardown frees them one by one: 0.2-0.3 s after the last fact is written, in every
    command. Once click has run the command and closed its files, the process flushes its
    standard streams and ends at once; tests call `main` itself, which returns.

    spaCy imports NumPy, whose OpenBLAS starts a thread per core that spins waiting for
    work: assay never multiplies a matrix, and those threads took 0.1 s of CPU at the start of
    every command, on a core a --jobs worker or another process could use (docs/performance.md).
    Told before NumPy is imported, unless the user's environment says otherwise.

    spaCy's own command line, which `import spacy` imports with it, is left till something
    asks for it (engine.lazy_spacy_cli): 0.15 s of every command's start, and 18 MB."""
    from engine.lazy_spacy_cli import defer_spacy_cli

    global _WHOLE_PROCESS
    _WHOLE_PROCESS = True
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    defer_spacy_cli()
    try:
        main.main(prog_name="assay")
        code: object = 0
    except SystemExit as done:
        code = done.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): Python prints it, status 1
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`assay run … | head`), a closed stream
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    entry()
