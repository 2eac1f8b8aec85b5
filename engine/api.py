"""The Python API: load rule files into an Engine, extract facts from texts.

    import engine
    eng = engine.load()                      # the bundled conflict pack
    eng = engine.load("my_rules/", "rules/lexicons")
    for fact in eng.extract(text, doc_id="a1", date="2024-03-28"):
        print(fact.to_dict())

The Engine is picklable (it is rebuilt from its rules on the other side), so it can be shipped
to worker processes and Dask workers.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_

from engine.facts import Fact
from engine.matching.lexicon import Lexicon
from engine.matching.vm import (
    MatchContext,
    SpanTable,
    all_spans,
    any_spans,
    bit_flags,
    bit_positions,
    fill,
    finditer,
    finditer_each,
    first_value,
    flagged_learning,
    keyed,
    native,
    near,
    row,
    row_size,
    sentence_candidates,
    table_of,
)
from engine.patterns.ast import max_tokens
from engine.patterns.compiler import Program, compile_pattern, span_key
from engine.patterns.requirements import (
    INDEXED_FIELDS,
    context_sets,
    required_keys,
    required_sets,
)
from engine.patterns.spacy_patterns import spacy_to_ast
from engine.resources import bundled
from engine.rules.loader import load_rules
from engine.rules.model import Rule, RuleSet
from engine.text import tokens as _tokens
from engine.text.document import Document, Sentence, make_document
from engine.text.tokens import (
    FORMS_IN_USE,
    MAX_TEXT_CHARS,
    forget_forms_if_full,
    generation,
    get_tokenizer,
    number_value,
    on_forget,
)
from engine.values.dates import document_date, maximal_spans, nearest_date
from engine.values.dates import resolve as resolve_date
from engine.values.registry import compile_cached

MAX_DOCUMENT_CHARS = MAX_TEXT_CHARS
TOKENIZE_AHEAD = 16  # documents extract_many tokenises before matching them…
TOKENIZE_AHEAD_CHARS = 65_536  # …or fewer, as long as they are shorter than this together


class DocumentError(ValueError):
    """A document that cannot be processed (binary, too large, not text)."""


@dataclass
class CompiledRule:
    rule: Rule
    programs: list[Program]
    all_matches: bool  # spaCy semantics: every span, overlaps included
    triggers: frozenset | None  # None: tried on every sentence
    span_triggers: tuple = ()  # trigger keys that are spans (@class, <value>), sorted
    # further token key sets the sentence needs a key of: the first `inside` within every
    # match, the others before or after it (positive lookarounds' bodies)
    conditions: tuple = ()
    inside: int = 0
    # The most tokens a match covers, where the pattern is bounded and has no spans: then the
    # trigger and a token of each condition inside lie that close together in any match.
    reach: int | None = None


def document_error(exc: Exception) -> str:
    """How a document that could not be processed is reported: why, in one line."""
    return str(exc) if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"


@dataclass
class DocumentResult:
    """What `extract_many` yields per input document: its facts, or why it has none."""

    doc: str
    facts: list[Fact]
    error: str | None = None


def _token_conditions(sets: list[frozenset]) -> tuple:
    return tuple(s for s in sets if not any(key[0] == "span" for key in s))


def _compile(rule: Rule) -> CompiledRule:
    if rule.spacy_pattern is not None:
        node = spacy_to_ast(rule.spacy_pattern)
        sets = required_sets(node)
        conditions = _token_conditions(sets[1:])
        return CompiledRule(rule, [compile_pattern(node)], True, sets[0] if sets else None,
                            conditions=conditions, inside=len(conditions),
                            reach=max_tokens(node) if conditions else None)
    programs = [compile_pattern(node) for node in rule.asts]
    if len(rule.asts) == 1:
        sets = required_sets(rule.asts[0])
        conditions = _token_conditions(sets[1:])
        reach = max_tokens(rule.asts[0]) if conditions else None
        context = tuple(s for s in _token_conditions(context_sets(rule.asts[0]))
                        if s not in conditions)
        return CompiledRule(rule, programs, False, sets[0] if sets else None,
                            conditions=conditions + context, reach=reach,
                            inside=len(conditions))
    keys = [required_keys(node) for node in rule.asts]
    triggers = None if any(k is None for k in keys) else frozenset().union(*keys)
    return CompiledRule(rule, programs, False, triggers)


def _resolve_overlaps(matches: list[tuple[int, object]]) -> list[tuple[int, object]]:
    """Within one rule: leftmost, then longest, then earliest pattern; no two facts overlap.
    The matches of one pattern alone (most runs) are so already, as finditer gives them."""
    first = matches[0][0]
    for k, _ in matches:
        if k != first:
            break
    else:
        return matches
    ordered = sorted(matches, key=_overlap_order)
    kept, last_end = [], -1
    for pm in ordered:
        if pm[1].start >= last_end:
            kept.append(pm)
            last_end = pm[1].end
    return kept


def _overlap_order(pm: tuple[int, object]) -> tuple:
    return pm[1].start, pm[1].start - pm[1].end, pm[0]


class Engine:
    """Compiled rules plus everything needed to run them over documents."""

    def __init__(self, ruleset: RuleSet, lexicon: Lexicon | None = None):
        self.ruleset = ruleset
        self._build(lexicon)

    def __getstate__(self) -> dict:
        return {"ruleset": self.ruleset, "lexicon": self.lexicon}

    def __setstate__(self, state: dict) -> None:
        self.ruleset = state["ruleset"]
        self._build(state.get("lexicon"), state.get("rules"))

    def cache_state(self) -> dict:
        """What the on-disk cache keeps (engine/cache.py): the state, with the compiled rules,
        which only the cache's own pickler can store."""
        return {**self.__getstate__(), "rules": self.rules}

    def _build(self, lexicon: Lexicon | None = None,
               rules: list[CompiledRule] | None = None) -> None:
        self.tokenizer = get_tokenizer()
        self.lexicon = lexicon or Lexicon(self.ruleset.lexicon, self.tokenizer)
        if rules is None:
            active = [r for r in self.ruleset.rules if r.enabled]
            rules = [_compile(r) for r in sorted(active, key=lambda r: r.priority)]
        self.rules = rules
        # Trigger index: token keys (field, value) -> rules. A sentence's candidate rules are
        # found through its tokens' form ids, each mapped once to the rules its form triggers.
        self._index: dict[tuple, list[int]] = {}
        self._untriggered_mask = 0  # rules tried on every sentence
        self._span_triggered: list[int] = []  # rules some of whose triggers are spans
        for i, compiled in enumerate(self.rules):
            if compiled.triggers is None:
                self._untriggered_mask |= 1 << i
                continue
            # sorted: any_spans stops at the first table with a span, so which tables a
            # sentence makes does not vary with the process's string hashing
            compiled.span_triggers = tuple(sorted({span_key(*k[1:]) for k in compiled.triggers
                                                   if k[0] == "span"}))
            if compiled.span_triggers:
                self._span_triggered.append(i)
            for key in compiled.triggers:
                if key[0] in INDEXED_FIELDS:
                    self._index.setdefault(key, []).append(i)
        self._fields = sorted({key[0] for key in self._index})
        # Rule sets are bit masks over rule indices (Python ints), so that a sentence's
        # candidates are the OR of its tokens' masks, filtered with a few ANDs. A rule passes
        # if each of its conditions (key sets) has a key in the sentence. Each condition key
        # gets a bit; for the j-th condition of every rule at once, `_passes[j]` maps a key
        # bit to the rules whose j-th condition holds it, and `_fewer[j]` are the rules with
        # no j-th condition. Per word form, its slot row holds, for each j, the rules whose
        # j-th condition it satisfies, as one int (slot j's rules shifted by j × the number of
        # rules): a sentence ORs those of its forms once, then reads each slot off the result.
        # Per word form, by form id (text.tokens.FORM_IDS), for the forms indexed so far, as
        # rows of bytes (vm.row: what vm.sentence_rules ORs in C, a machine word at a time;
        # one shared row of zeros for the many forms without one):
        self._mask_rows: list[bytes] = []  # the rules it triggers
        self._slot_rows: list[bytes] = []  # per condition slot, the rules it holds a key of
        # per form, which of the two it has (bit 1, rules; bit 2, slots): a sentence reads
        # those of the few forms that have one
        self._form_kinds = bytearray()
        # all of these grow together, in form id order: threads sharing the engine take turns
        self._forms_lock = threading.Lock()
        on_forget(self._forget_forms)  # emptied, with the lexicon's, when forms are forgotten
        self._key_bits: dict[tuple, int] = {}
        slots = max((len(c.conditions) for c in self.rules), default=0)
        self._passes: list[dict[int, int]] = [{} for _ in range(slots)]
        self._fewer = [0] * slots
        self._width = len(self.rules)  # bits per condition slot in a slot row
        for i, compiled in enumerate(self.rules):
            masks = []
            for condition in compiled.conditions:
                mask = 0
                for key in condition:
                    mask |= self._key_bits.setdefault(key, _bit(len(self._key_bits)))
                masks.append(mask)
            for j in range(slots):
                if j >= len(masks):
                    self._fewer[j] |= 1 << i
                    continue
                table = self._passes[j]
                for bit in _bits(masks[j]):
                    table[bit] = table.get(bit, 0) | 1 << i
        # A rule with several patterns runs where any of them is triggered, and each of its
        # programs would then look for the tokens it needs (Program.required) and mostly find
        # one missing. Each such token key set gets a bit above the condition slots of the
        # slot rows, set for the forms holding a key of it; a program runs only where the
        # sentence holds all of its sets (`needs`, per rule: per program its bits, or None).
        self._sets_shift = slots * self._width
        self._set_keys: dict[tuple, int] = {}  # token key -> the bits of the sets holding it
        set_bits: dict[frozenset, int] = {}
        needs_of: list[list[int] | None] = []
        for compiled in self.rules:
            needs = []
            several = len(compiled.programs) > 1  # (a spacy_pattern rule has one)
            for program, node in (zip(compiled.programs, compiled.rule.asts, strict=True)
                                  if several else ()):
                need = 0
                # the tokens the pattern consumes, and those its positive lookarounds' bodies
                # need ("of" in `(?<= [norm=town] of) [is_title]`), which lie in the sentence
                sets = [frozenset((field, v) for field, values in pairs for v in values)
                        for pairs in program.required]
                for keys in _token_conditions(context_sets(node)):
                    if keys not in sets:
                        sets.append(keys)
                for keys in sets:
                    bit = set_bits.get(keys)
                    if bit is None:
                        bit = set_bits[keys] = _bit(len(set_bits))
                        for key in keys:
                            self._set_keys[key] = self._set_keys.get(key, 0) | bit
                    need |= bit
                needs.append(need)
            needs_of.append(needs if any(needs) else None)
        # the fields a form's condition keys and needed key sets are looked up by
        self._condition_fields = sorted({key[0] for c in self.rules for s in c.conditions
                                         for key in s} | {key[0] for key in self._set_keys})
        self._row_sizes = (row_size(len(self.rules)), row_size(self._sets_shift + len(set_bits)))
        self._zero_rows = (bytes(self._row_sizes[0]), bytes(self._row_sizes[1]))
        # Fact types made only by `emit: false` rules are made on demand, when a later rule's
        # pattern reaches @type in a sentence; the others are made in priority order.
        emitted = {c.rule.fact for c in self.rules if c.rule.emit}
        self._lazy: dict[str, list[int]] = {}
        for i, compiled in enumerate(self.rules):
            if not compiled.rule.emit and compiled.rule.fact not in emitted:
                self._lazy.setdefault(compiled.rule.fact, []).append(i)
        self._lexicon_classes = set(self.lexicon.classes)
        self._class_keys = {cls: span_key("class", cls) for cls in self.lexicon.classes}
        lazy_rules = {i for rules in self._lazy.values() for i in rules}
        self._span_triggered = [i for i in self._span_triggered if i not in lazy_rules]
        self._span_triggered_mask = sum(1 << i for i in self._span_triggered)
        self.values = {name: compile_cached(spec) for name, spec in self.ruleset.grammars.items()}
        # What fills a span table made on demand (_sentence's provide): by key, the value
        # grammar, whether the lexicon pass does, and the on-demand rules that make the type.
        # A grammar's comes with a byte per word form (vm.flagged's) and what fills it: whether
        # the word can do something there (ValueGrammar.inert), so that a sentence of inert
        # words is ruled out in C.
        # Last, what each word form can do in the grammar, by form id (find_words' memo).
        self._providers: dict[tuple, tuple] = {
            span_key("value", name): (grammar, False, (), bytearray(), _acts_in(grammar), [])
            for name, grammar in self.values.items()}
        for cls in self._lexicon_classes | self._lazy.keys():
            self._providers[span_key("class", cls)] = (None, cls in self._lexicon_classes,
                                               tuple(self._lazy.get(cls, ())), None, None,
                                               None)
        self._priorities = [compiled.rule.priority for compiled in self.rules]
        # what _matches reads of each rule, as tuples: attribute reads cost more compiled;
        # with each program the form the matcher runs it as (vm.native), and their needs
        self._plans = [(c.reach, c.all_matches, c.programs, [native(p) for p in c.programs],
                        needs) for c, needs in zip(self.rules, needs_of, strict=True)]
        # Per rule, where _matches would only hand its programs to the matcher (no reach to
        # check, not spaCy's every-span semantics): what _run reads, for _sentence to run them
        # without the method call and the plan's unpacking (0.7% of a warm pass's instructions,
        # most runs finding nothing).
        self._direct = [(programs, codes, needs) if reach is None and not all_matches else None
                        for reach, all_matches, programs, codes, needs in self._plans]
        self._made_lazily = [compiled.rule.fact in self._lazy for compiled in self.rules]
        # the rules a sentence visits in priority order: made-on-demand ones are run by the
        # tables that ask for them, so a sentence's candidates are masked down to the others
        self._eager_mask = sum(1 << i for i, lazy in enumerate(self._made_lazily) if not lazy)
        # Per rule made on demand: its program, where its matches are spans and no more (one
        # program, no captures, no reach to check, not reading its own type): they go
        # straight into the table (vm.fill), with no Match made for each.
        self._fills = [native(c.programs[0]) if (self._made_lazily[i] and len(c.programs) == 1
                                         and not c.programs[0].names and c.reach is None
                                         and not c.all_matches and span_key("class", c.rule.fact)
                                         not in c.programs[0].span_keys) else None
                       for i, c in enumerate(self.rules)]
        # What every sentence's pass reads, in one tuple (per-rule values in lists by rule
        # index): read as attributes of the engine, or of each rule, compiled, each costs a
        # generic lookup. (_matches, _fact, _fills and _direct,
        # which `assay profile` replaces for its run, are read as attributes.)
        span_rules = set(self._span_triggered)
        self._pass_state = (
            self._form_kinds, self._mask_rows, self._slot_rows,
            row(self._untriggered_mask, self._row_sizes[0]), bool(self._span_triggered),
            [row(fewer, self._row_sizes[0]) for fewer in self._fewer],
            self._eager_mask, self._sets_shift, self.rules, self._providers,
            [keyed(c.span_triggers) for c in self.rules], self._span_triggered_mask,
            self._priorities, self._made_lazily, [c.rule.emit for c in self.rules],
            [keyed((span_key("class", c.rule.fact),))[0] for c in self.rules],
            # the rules _near rules out of a sentence before anything is made for it: those
            # made in priority order whose words must lie close, and that only words trigger
            sum(1 << i for i, c in enumerate(self.rules)
                if c.reach is not None and not self._made_lazily[i] and i not in span_rules))

    # ---- public API ----
    def extract(self, text: str, doc_id: str | None = None, date: str | None = None,
                hidden: bool = False) -> list[Fact]:
        """Facts of one text, in document order. `hidden` adds the facts of `emit: false`
        rules, which otherwise only feed later rules."""
        if not isinstance(text, str):
            raise DocumentError(f"text must be a string, not {type(text).__name__}")
        return self.extract_document(self.document(text, doc_id or _text_id(text), date), hidden)

    def document(self, text: str, doc_id: str, date: str | None = None) -> Document:
        """Tokenise and split a text, refusing what is not a processable document."""
        forget_forms_if_full()  # between documents: memory stays bounded over any corpus
        if not isinstance(text, str):
            raise DocumentError(f"text must be a string, not {type(text).__name__}")
        if len(text) > MAX_DOCUMENT_CHARS:
            raise DocumentError(f"document too large ({len(text):,} characters; the limit is "
                                f"{MAX_DOCUMENT_CHARS:,})")
        if "\x00" in text:
            raise DocumentError("binary content (NUL characters)")
        try:
            doc_id.encode("utf-8")
            doc = make_document(text, doc_id, date, self.tokenizer)
        except UnicodeEncodeError as exc:  # spaCy and fact ids encode text as UTF-8
            raise DocumentError("invalid Unicode: a lone surrogate") from exc
        doc.find_base_date = self._base_date
        return doc

    def _base_date(self, doc: Document):
        """A document's base date, from its dateline (Document.find_base_date)."""
        return document_date(doc, self.values["date"])

    def extract_document(self, doc: Document, hidden: bool = False) -> list[Fact]:
        while True:
            if doc.generation != generation():  # made before the forms were forgotten
                doc = doc.remade(self.tokenizer)
            with FORMS_IN_USE:
                if doc.generation != generation():
                    continue  # forgotten again meanwhile, by another thread
                facts: list[Fact] = []
                for sentence in doc.sentences:
                    facts.extend(self._sentence(doc, sentence, hidden))
                return facts

    def extract_many(self, docs: Iterable, start: int = 0) -> Iterator[DocumentResult]:
        """Stream over documents: str, (id, text[, date]), {"id", "text", "date"?} or Document.
        A document that fails is reported in its result; the others go on. A document without
        an id is called doc<n>, n counting from `start` (a batch's place in the stream).

        Documents are tokenised a few at a time before they are matched: spaCy's tokenizer
        and the matcher each keep their working data in the CPU's caches through a run of
        documents, where alternating evicts both (6-7% of a pass over FA-KES). A long
        document ends the run early: the documents waiting hold their tokens in memory."""
        numbered = enumerate(docs, start)
        while True:
            batch, chars = [], 0
            for n, item in numbered:
                batch.append(self._read(n, item))
                chars += len(batch[-1][1].text) if batch[-1][1] is not None else 0
                if len(batch) == TOKENIZE_AHEAD or chars >= TOKENIZE_AHEAD_CHARS:
                    break
            if not batch:
                return
            for doc_id, doc, error in batch:
                if doc is not None:
                    try:
                        facts = self.extract_document(doc)
                    except Exception as exc:  # a bad document must not stop the run
                        error = document_error(exc)
                if error is not None:
                    yield DocumentResult(doc_id, [], error)
                else:
                    yield DocumentResult(doc_id, facts)

    def _read(self, n: int, item) -> tuple[str, Document | None, str | None]:
        """One input of extract_many as (id, Document, None), or (id, None, why not)."""
        doc_id = f"doc{n}"
        try:
            if isinstance(item, Document):
                return item.id, item, None
            if isinstance(item, str):
                text, date = item, None
                doc_id = _text_id(text)
            elif isinstance(item, tuple):
                doc_id, text = str(item[0]), item[1]
                date = item[2] if len(item) > 2 else None
            else:
                doc_id = str(item.get("id", doc_id))
                text, date = item.get("text"), item.get("date")
            if not isinstance(text, str):
                raise DocumentError(f"text must be a string, not {type(text).__name__}")
            return doc_id, self.document(text, doc_id or _text_id(text), date), None
        except Exception as exc:  # a bad document must not stop the run
            # the id goes to the outputs, which cannot write a lone surrogate
            shown = doc_id.encode("utf-8", "backslashreplace").decode("utf-8")
            return shown, None, document_error(exc)

    # ---- matching ----
    def _forget_forms(self) -> None:
        """Empty every table kept by form id (text.tokens.forget_forms_if_full), in place: the
        pass state holds them."""
        with self._forms_lock:
            del self._form_kinds[:]
            self._mask_rows.clear()
            self._slot_rows.clear()
            for provider in self._providers.values():
                if provider[3] is not None:
                    del provider[3][:]
                    del provider[5][:]
            self.lexicon._forget()

    def _add_forms(self, table: list) -> None:
        """Index the word forms of `table` (text.tokens.FORMS) not indexed yet: the rules each
        triggers and the rules whose conditions it holds a key of."""
        with self._forms_lock:
            for fid in range(len(self._form_kinds), len(table)):
                form = table[fid]
                rules = 0
                for field in self._fields:
                    for i in self._index.get((field, getattr(form, field)), ()):
                        rules |= 1 << i
                keys = sets = 0
                for field in self._condition_fields:
                    value = getattr(form, field)
                    keys |= self._key_bits.get((field, value), 0)
                    sets |= self._set_keys.get((field, value), 0)
                slots = sum(
                    reduce(or_, [table.get(bit, 0) for bit in _bits(keys)], 0)
                    << (j * self._width) for j, table in enumerate(self._passes)) if keys else 0
                slots |= sets << self._sets_shift
                self._mask_rows.append(row(rules, self._row_sizes[0]) if rules
                                       else self._zero_rows[0])
                self._slot_rows.append(row(slots, self._row_sizes[1]) if slots
                                       else self._zero_rows[1])
                self._form_kinds.append((1 if rules else 0) | (2 if slots else 0))

    def _sentence(self, doc: Document, sentence: Sentence, hidden: bool = False) -> list[Fact]:
        (kinds, masks, slots, untriggered, span_triggered, fewer_by_slot,
         eager_mask, sets_shift, rules, providers, span_triggers_of, span_triggered_mask,
         priorities, made_lazily, emits, type_keys, near_mask) = self._pass_state
        fids = sentence.fids
        if len(sentence.table) > len(kinds):  # forms met since: indexed before they are read
            self._add_forms(sentence.table)
        # the rules its forms trigger whose conditions they hold, and the key sets of
        # programs' needs they hold, read in C off the few forms that trigger or hold any
        triggered, sets = sentence_candidates(fids, kinds, masks, slots, untriggered,
                                              fewer_by_slot, self._width, sets_shift)
        if not triggered and not span_triggered and not hidden:
            return []  # the common case: no token of this sentence triggers any rule
        if triggered & near_mask and not hidden:  # (a rule ruled out here finds nothing)
            for i in bit_positions(triggered & near_mask):
                if not self._near(i, fids):
                    triggered ^= _bit(i)
        if not triggered & eager_mask and not span_triggered and not hidden:
            return []  # (rules made on demand run only when another asks for their type)
        is_triggered = bit_flags(triggered, len(rules))  # read per rule below
        forms = sentence.forms
        ctx = MatchContext(forms)
        ctx.form_ids = fids
        lexicon_done = False
        words: list[str] | None = None  # the tokens' texts, for value grammars
        matches, fills, direct = self._matches, self._fills, self._direct

        def provide(key, table: SpanTable) -> None:
            """Fill a span table the first time a pattern or trigger asks for it."""
            nonlocal lexicon_done, words
            if key not in providers:  # (not .get(): compiled, a method call costs more)
                return  # a type emitted rules make: filled as they match
            grammar, lexicon, lazy, acts, acts_of, memo = providers[key]
            if grammar is not None:
                active = flagged_learning(fids, acts, acts_of)
                if active:
                    if words is None:
                        words = [form.text for form in forms]
                    for start, end, value in grammar.find_words(words, sentence.starts,
                                                                doc.text, active, fids, memo):
                        table.add(start, end, value)
            elif lexicon and not lexicon_done:
                lexicon_done = True  # one lexicon pass fills every class's table
                spans, keys = ctx.spans, self._class_keys
                for cls, start, end, value in self.lexicon.find(forms, fids):
                    key = keys[cls]
                    found = spans.get(key)  # not ctx.table(): that would call provide again
                    if found is None:
                        found = spans[key] = SpanTable()
                    found.add(start, end, value)
            if lazy and not hidden:
                for i in lazy:
                    if is_triggered[i] or any_spans(ctx, span_triggers_of[i]):
                        program = fills[i]
                        if program is not None:
                            fill(program, ctx, table)
                            continue
                        plan = direct[i]
                        for program, match in (matches(i, ctx, fids, sets) if plan is None
                                               else _run(plan, ctx, sets)):
                            # most helper patterns capture nothing, so have no entity
                            table.add(match.start, match.end,
                                      self._head(program, ctx, match) if program.names else None)

        ctx.provider = provide
        dates = None  # the sentence's dates, as its facts take them (made for the first fact)
        try:
            out: list[Fact] = []
            # Only candidates and span-triggered rules are visited, in priority groups (rule indices
            # follow priority), not those made on demand; later groups see the facts of earlier
            # ones.
            todo = range(len(rules)) if hidden else bit_positions(
                (triggered | span_triggered_mask) & eager_mask)
            k, n = 0, len(todo)
            while k < n:
                priority = priorities[todo[k]]
                found = []
                while k < n and priorities[todo[k]] == priority:
                    i = todo[k]
                    if (hidden or not made_lazily[i]) and (is_triggered[i] or any_spans(
                            ctx, span_triggers_of[i])):
                        plan = direct[i]
                        made = matches(i, ctx, fids, sets) if plan is None else _run(
                            plan, ctx, sets)
                        if made:  # most runs find nothing: no generator made for them
                            for program, match in made:
                                found.append((i, program, match))
                    k += 1
                if found:
                    ctx.spans_changed()
                for i, program, match in found:
                    # A fact of an `emit: false` rule only feeds later rules: its span and
                    # entity are all they read, so no Fact is made for it unless hidden facts
                    # are asked for.
                    if hidden or emits[i]:
                        if dates is None:
                            dates = _SentenceDates(ctx, doc)
                        fact = self._fact(rules[i], doc, sentence, ctx, program, match, dates)
                        head = _head_entity(fact)
                        out.append(fact)
                    else:
                        head = self._head(program, ctx, match) if program.names else None
                    kid, key = type_keys[i]
                    table_of(ctx, kid, key).add(match.start, match.end, head)
        finally:
            # provide and ctx refer to each other: without this, the sentence's span tables
            # are garbage only the cyclic collector can free (12% of the run's time)
            ctx.provider = None
        out.sort(key=lambda f: (f.span[0], -f.span[1], f.rule))
        return out

    def _near(self, i: int, fids: list) -> bool:
        """Whether rule i's trigger and a token of each of its conditions are close enough for
        one match (`reach` tokens) somewhere in the sentence: most sentences holding both words
        of a two-word rule hold them far apart. One pass over the sentence's word forms (their
        masks say which trigger the rule and which hold its conditions), not a VM run."""
        rule = self.rules[i]
        return near(fids, self._mask_rows, self._slot_rows, i, self._width, rule.inside,
                    rule.reach)

    def _matches(self, i: int, ctx: MatchContext, fids: list,
                 sets: int) -> list[tuple[Program, object]]:
        """Rule i's matches in the sentence, in order, each with the program that made it;
        `sets`, the programs' needed key sets the sentence holds (see `_build`)."""
        reach, all_matches, programs, codes, needs = self._plans[i]
        if reach is not None and not self._near(i, fids):
            return []
        if all_matches:
            program = programs[0]
            return [(program, _Span(s, e)) for s, e in all_spans(program, ctx)]
        return _run((programs, codes, needs), ctx, sets)

    def _fact(self, compiled, doc, sentence, ctx, program, match, dates=None) -> Fact:
        """The fact of a match; `dates`, the sentence's (shared by its facts), made if not given."""
        rule, text = compiled.rule, doc.text
        start, end = sentence.char_span(match.start, match.end)
        args: dict = {}
        date = None
        for role, spans in getattr(match, "captures", {}).items():
            if role.startswith("_"):
                continue  # helper captures are not roles
            objs, seen = [], set()
            for s, e in spans:
                if e <= s or (s, e) in seen:
                    continue
                seen.add((s, e))
                arg, is_date = self._arg(rule, role, doc, sentence, program, ctx, s, e)
                if is_date and date is None:
                    date = arg.get("value")
                objs.append(arg)
            if objs:
                args[role] = objs[0] if len(objs) == 1 else objs
        if date is None and rule.emit:
            date = (dates or _SentenceDates(ctx, doc)).nearest(_anchor(match))
        return Fact(
            type=rule.fact, subtype=rule.subtype, modality=rule.modality, doc=doc.id,
            sentence=sentence.index, span=(start, end), text=text[start:end], args=args,
            date=date, rule=rule.id, source_file=rule.file, source_line=rule.line,
            rule_hash=rule.hash, pack=rule.pack,
        )

    def _arg(self, rule, role, doc, sentence, program, ctx, s, e) -> tuple[dict, bool]:
        """An argument object, and whether it is a date (the fact's date, then)."""
        cs, ce = sentence.char_span(s, e)
        arg: dict = {"text": doc.text[cs:ce], "span": [cs, ce]}
        is_date = False
        key, value = _span_value(program, role, ctx, s, e)
        if key == ("value", "date"):
            arg["value"] = _resolved(value, doc)
            is_date = not value.get("since")
        elif key is not None:
            arg.update(_span_fields(key, value))
        transform = rule.values.get(role)
        if transform:
            arg["value"] = _transform(transform, ctx.tokens[s:e], arg["text"])
        return arg, is_date

    @staticmethod
    def _head(program: Program, ctx: MatchContext, match) -> dict | None:
        """What `_head_entity` would read off this match's fact, without making the fact: the
        entity fields of the first argument whose value has an `id`."""
        for role, spans in match.captures.items():
            if role.startswith("_"):
                continue
            for s, e in spans:
                if e <= s:
                    continue
                key, value = _span_value(program, role, ctx, s, e)
                if key is None or key == ("value", "date"):
                    continue
                fields = _span_fields(key, value)
                if "id" in fields:
                    return {k: v for k, v in fields.items() if k not in _NOT_ENTITY}
        return None


def _run(plan: tuple, ctx: MatchContext, sets: int) -> list:
    """A rule's matches by its programs, their matcher forms and needs (Engine._direct), in
    order, each with the program that made it; `sets`, the needed key sets the sentence holds
    (Engine._build)."""
    programs, codes, needs = plan
    if len(codes) == 1:
        made = finditer(codes[0], ctx)
        return [(programs[0], m) for m in made] if made else made
    found = finditer_each(codes, needs, sets, ctx)  # where their needed tokens are
    return [(programs[k], m) for k, m in _resolve_overlaps(found)] if found else []


def _acts_in(grammar) -> Callable[[int], bool]:
    """Whether word form `fid` can do something in `grammar` (vm.flagged_learning's test)."""
    return lambda fid: not grammar.inert(_tokens.FORMS[fid].text)


def _anchor(match) -> int:
    """The token a fact's date is looked for from: the event's own word, the first the pattern
    matched outside its captures ("recaptured" in `actor:… [lemma=recapture] count:…`)."""
    captures = getattr(match, "captures", None)
    if not captures:
        return match.start
    at = match.start  # past every captured span that covers it, in order of start
    for s, e in sorted([span for spans in captures.values() for span in spans]):
        if s > at:
            break
        if e > at:
            at = e
    return at if at < match.end else match.start


class _SentenceDates:
    """A sentence's dates as its facts take them (a fact without a date of its own takes the
    nearest): the maximal spans found and each resolved once per sentence, not per fact."""

    __slots__ = ("_ctx", "_doc", "_maximal", "_resolved")

    def __init__(self, ctx: MatchContext, doc: Document):
        self._ctx, self._doc = ctx, doc
        self._maximal: list | None = None
        self._resolved: dict = {}

    def nearest(self, anchor: int) -> str | None:
        if self._maximal is None:
            self._maximal = maximal_spans(self._ctx.table(span_key("value", "date")).spans())
        found = nearest_date(self._maximal, anchor)
        if found is None:
            return None
        start, end, value = found
        if (start, end) not in self._resolved:
            self._resolved[start, end] = _resolved(value, self._doc)
        return self._resolved[start, end]


def _resolved(value: dict, doc: Document) -> str | None:
    """A date's ISO value; the document's base date is looked for (its dateline parsed) only
    for a date that needs one: "March 5, 2016" carries its year, "on Tuesday" does not."""
    return resolve_date(value, doc.base_date if value.get("needs_base") else None)


def _span_value(program: Program, role: str, ctx: MatchContext, s: int,
                e: int) -> tuple[tuple | None, dict | None]:
    """The span (key and value) that gives the capture `role` over tokens s..e its value: the
    spans the capture itself consumes, the first in the pattern first; then any other span of
    the pattern over the same tokens (in a fixed order: the same input must give the same facts
    in every run)."""
    order = program.value_order.get(role)
    if order is None:
        keys = program.value_keys.get(role, ())
        order = program.value_order[role] = keyed(
            keys + tuple(sorted(program.span_keys - set(keys))))
    return first_value(ctx, order, s, e)


def _span_fields(key: tuple, value: dict) -> dict:
    """The fields an argument takes from the span that gives its value (not a date, which
    is resolved): a typed value's own, or a lexicon entry's or fact's without its class."""
    return value if key[0] == "value" else {k: v for k, v in value.items() if k != "class"}


_NOT_ENTITY = ("text", "span", "value")  # argument fields that say nothing of its entity


def _bit(n: int) -> int:
    """The int with bit n set. Compiled (hatch_build.py), `1 << len(x)` would shift a C long,
    as len() is one there, and lose every bit past the 63rd; here `n` is a Python int."""
    return 1 << n


def _bits(mask: int) -> Iterator[int]:
    """The set bits of `mask`, each as an int with that one bit set."""
    while mask:
        low = mask & -mask
        yield low
        mask ^= low


def _head_entity(fact: Fact) -> dict | None:
    """What a fact used as a span (@fact_type) tells about its entity: the lexicon fields of its
    first argument that has an `id` ("the western coast of Shirqat" → Shirqat's id, lat, lon)."""
    for role in fact.args:
        for arg in fact.arg_list(role):
            if "id" in arg:
                return {k: v for k, v in arg.items() if k not in _NOT_ENTITY}
    return None


def _text_id(text: str) -> str:
    """A document id for a text given without one: stable, so fact ids are too."""
    return "doc_" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int


def _transform(name: str, tokens, text: str):
    if name == "lemma":
        return " ".join(t.lemma for t in tokens)
    if name == "norm":
        return " ".join(t.norm for t in tokens)
    if name == "lower":
        return text.lower()
    if name == "number":
        if len(tokens) == 1:
            return tokens[0].num
        return number_value(text)
    return text


def load(*paths) -> Engine:
    """An Engine for the rule files, grammars or folders in `paths` (the bundled pack if none).
    The built-in <quantity> and <date> grammars are always available."""
    from engine import cache
    from engine.heap import collector_paused

    paths = paths or (bundled("rules"),)
    key = cache.pack_key(paths)
    with collector_paused():
        state = cache.load(key)
        if isinstance(state, dict):
            engine = Engine.__new__(Engine)
            engine.__setstate__(state)
            return engine
        engine = Engine(load_rules(paths))
    cache.store(key, engine.cache_state())
    return engine
