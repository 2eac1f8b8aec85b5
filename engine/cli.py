"""The `assay` command: a thin shell over the Python API (engine.api).

Heavy libraries (spaCy, Lark) are imported inside the commands, so `assay --help` is quick.
"""

from __future__ import annotations

import sys

import click

from engine.version import __version__

RULES_OPTION = click.option(
    "--rules", "rules", multiple=True, type=click.Path(exists=True),
    help="Rule file or folder (repeatable). Default: the bundled conflict pack.",
)


def _load(rules):
    """Load an engine, turning rule errors into `file:line:col: message` and exit status 2."""
    from engine.api import load
    from engine.errors import RuleError

    try:
        return load(*rules)
    except RuleError as exc:
        click.echo(exc.format(), err=True)
        n = len(exc.diagnostics)
        click.echo(f"assay: {n} error{'s' * (n != 1)} in rules", err=True)
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assay")
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
def run(inputs, rules, output, fmt, text_column) -> None:
    """Extract facts from INPUTS: .txt files, folders of them, .jsonl, .csv, or - for stdin.

    Facts are written one JSON object a line. A document that cannot be read or processed is
    reported on standard error and as an error record in the output; the run goes on.
    """
    from engine.inputs import read_inputs
    from engine.outputs import WRITERS

    eng = _load(rules)
    writer = WRITERS[fmt](output)
    n_docs = n_facts = n_errors = 0
    for item in read_inputs(inputs, text_column):
        n_docs += 1
        if item.error is None:
            result = next(eng.extract_many([(item.id, item.text, item.date)]))
            error = result.error
        else:
            result, error = None, item.error
        if error is not None:
            n_errors += 1
            click.echo(f"assay: {item.source or item.id}: {error}", err=True)
            writer.error(item.id, error, item.source)
            continue
        for fact in result.facts:
            writer.fact(fact)
            n_facts += 1
        output.flush()
    click.echo(f"assay: {n_docs} documents, {n_facts} facts, {n_errors} errors", err=True)


@main.command()
@click.argument("rules", nargs=-1, type=click.Path(exists=True))
def check(rules) -> None:
    """Compile RULES (files or folders; default: the bundled pack) and report problems."""
    eng = _load(rules)
    for warning in eng.ruleset.warnings:
        click.echo(warning.format(), err=True)
    n_rules, n_entries = len(eng.ruleset.rules), len(eng.ruleset.lexicon)
    click.echo(f"ok: {n_rules} rules, {n_entries} lexicon entries in "
               f"{len(eng.ruleset.files)} files")


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


if __name__ == "__main__":
    main()
