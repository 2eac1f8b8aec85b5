"""A Pike-style VM: every pattern matches in time linear in the sentence length.

Threads advance through the tokens in lockstep, each (instruction, position) is held by at most
one thread (the one with the highest priority), and spans (lexicon entries, typed values, facts
of earlier rules) are consumed by a thread that waits in place until the span's last token. So
the work per token is bounded by the program's size, whatever the pattern: there is no
backtracking to go catastrophic.

Semantics (docs/patterns.md): leftmost-first, as Perl and Python's `re` — among matches starting
at the leftmost possible token, the one whose path has the highest priority (greedy quantifiers
prefer more, lazy fewer, alternatives left to right) wins; empty matches are never reported;
matches do not overlap, and the next search resumes where the previous match ended.

All matches of a sentence are found in one pass: when a search finds a candidate match, a
search for the next match starts at its end in the same pass, and threads are deduplicated
across searches (a later search's thread at an instruction an earlier search already holds can
only matter if the earlier search fails there too). So finding every match stays linear too.

Most programs (every one whose loops consume a token each time round, compiler.backtracks)
are run depth-first instead (_depth_first): the same matches and captures, and the same bound,
each (instruction, position) state entered at most once, but no thread lists to keep. Most
runs start at a few tokens and find nothing, and there the lists were most of the cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import attrgetter, or_

from engine.matching.match import Match
from engine.patterns.compiler import (
    AT_END,
    AT_START,
    CLOSE,
    JMP,
    MATCH,
    OPEN,
    SPAN,
    SPLIT,
    TOK,
    Program,
    backtracks,
)


@dataclass
class SpanTable:
    """Spans of one kind in one sentence, indexed both ways (ends longest first)."""

    by_start: dict[int, list[int]] = field(default_factory=dict)
    by_end: dict[int, list[int]] = field(default_factory=dict)
    values: dict[tuple[int, int], object] = field(default_factory=dict)

    def add(self, start: int, end: int, value: object = None) -> None:
        if end <= start:
            return
        key = (start, end)
        if key in self.values:
            if value is not None:
                self.values[key] = value
            return
        self.values[key] = value
        ends = self.by_start.get(start)
        if ends is None:
            self.by_start[start] = [end]
        else:
            ends.append(end)
            ends.sort(reverse=True)
        starts = self.by_end.get(end)
        if starts is None:
            self.by_end[end] = [start]
        else:
            starts.append(start)
            starts.sort()

    def get(self, start: int, end: int, default: object = None) -> object:
        """The value of span (start, end), `default` where there is none."""
        return self.values.get((start, end), default)

    def ends_from(self, start: int) -> list[int]:
        """The ends of the spans starting at `start`, longest first."""
        return self.by_start.get(start, [])

    def spans(self) -> list[tuple[int, int, object]]:
        """(start, end, value) of every span, by start, then longest first."""
        return sorted(((s, e, v) for (s, e), v in self.values.items()),
                      key=lambda span: (span[0], -span[1]))

    def __len__(self) -> int:
        return len(self.values)


class MatchContext:
    """What the VM needs about one sentence: its tokens and the spans providers found in it.

    Some spans are found lazily, the first time a pattern asks for them (typed values, facts of
    rules that only feed others): `provider(key, table)` fills the table then, so sentences
    where no rule gets that far never pay for them."""

    __slots__ = ("tokens", "n", "spans", "provider", "_looks", "_where", "_bounds", "steps",
                 "form_ids")

    def __init__(self, tokens, spans: dict | None = None, provider=None):
        self.tokens = tokens
        self.n = len(tokens)
        self.spans: dict[tuple[str, str], SpanTable] = spans if spans is not None else {}
        self.provider = provider
        self._looks: dict = {}  # lookaround truth: per (look, position) or per look
        self._where: dict[str, dict] = {}  # field -> value -> positions (see where())
        self._bounds: dict[int, tuple[int, int]] = {}  # look key -> bounds(look.required)
        self.steps = 0  # VM work done, for the linearity test and for profiling
        # Where tokens are word forms (engine.text.tokens.Form), their FORM_IDS (-1: none),
        # by which the compiled matcher memoises token tests; None: no memo.
        self.form_ids: list[int] | None = None

    def where(self, field: str) -> dict:
        """Value of `field` -> the positions of the tokens that have it; made once per
        sentence, for all the rules tried on it (where a match can start)."""
        where = self._where.get(field)
        if where is None:
            where = self._where[field] = {}
            for i, value in enumerate(map(attrgetter(field), self.tokens)):
                where.setdefault(value, []).append(i)
        return where

    def bounds(self, required: tuple) -> tuple[int, int]:
        """For token-key sets every match holds a key of (Program.required): the first
        position by which each set has occurred, and the last at which each still occurs.
        (n, -1) where a set is absent: then nothing matches."""
        first, last = -1, self.n
        for keys in required:
            positions = []
            for name, values in keys:
                where = self.where(name)
                for value in where.keys() & values:
                    positions.append(where[value][0])
                    positions.append(where[value][-1])
            if not positions:
                return self.n, -1
            first, last = max(first, min(positions)), min(last, max(positions))
        return first, last

    def table(self, key) -> SpanTable:
        table = self.spans.get(key)
        if table is None:
            table = self.spans[key] = SpanTable()
            if self.provider is not None:
                self.provider(key, table)
        return table

    def look(self, look, pos: int) -> bool:
        """Whether a lookaround holds at `pos`: for a bounded body, by a run from `pos`;
        otherwise from one scan of the whole sentence. Memoised by what the lookaround
        asserts, so rules sharing a cue (`(?<! @negation_cue)`) check it once per position.
        A body of fixed token runs or single spans (Look.peek) is decided on the spot."""
        if look.peek is not None:
            return self.peek(look.peek, pos, look.ahead) != look.negate
        if look.required:  # the body needs a token that is not on its side of `pos`
            bounds = self._bounds.get(look.key)
            if bounds is None:
                bounds = self._bounds[look.key] = self.bounds(look.required)
            if (bounds[1] < pos) if look.ahead else (bounds[0] >= pos):
                return look.negate
        # Nor does it run where a span its body needs is absent (`(?<! @negation_cue)`, in
        # most sentences): asked on a memo miss, as the memo is cleared when spans are added.
        if look.anchored is not None:
            key = (look.key, pos)
            found = self._looks.get(key)
            if found is None:
                found = self._looks[key] = (
                    _anchored(look.anchored, self, pos) if holds_spans(self, look.required_spans)
                    else False) != look.negate
            return found
        table = self._looks.get(look.key)
        if table is None:
            if holds_spans(self, look.required_spans):
                table = _scan(look.program, self, look.ahead)
            else:
                table = [False] * (self.n + 1)
            if look.negate:
                table = [not v for v in table]
            self._looks[look.key] = table
        return table[pos]

    def peek(self, options: tuple, pos: int, ahead: bool) -> bool:
        """Whether one of a lookaround body's ways (Look.peek) matches from `pos` (ahead) or
        up to it (behind): its tokens there pass its tests, or its table has a span there."""
        n, tokens = self.n, self.tokens
        for kind, arg in options:
            if kind == "span":
                table = self.table(arg)
                if (table.by_start if ahead else table.by_end).get(pos):
                    return True
                continue
            start = pos if ahead else pos - len(arg)
            if start >= 0 and start + len(arg) <= n and all(
                    test(tokens[start + k]) for k, test in enumerate(arg)):
                return True
        return False

    def spans_changed(self) -> None:
        """Spans were added (facts of a priority group): lookarounds may read differently."""
        self._looks.clear()


def _captures(program: Program, events) -> dict[str, list[tuple[int, int]]]:
    ordered = []
    while events is not None:
        ordered.append(events[0])
        events = events[1]
    open_at: dict[int, list[int]] = {}
    out: dict[str, list[tuple[int, int]]] = {}
    for kind, slot, pos in reversed(ordered):
        if kind == OPEN:
            open_at.setdefault(slot, []).append(pos)
        else:
            start = open_at[slot].pop()
            out.setdefault(program.names[slot], []).append((start, pos))
    return out


def _assert(program: Program, ctx: MatchContext, kind, arg, pos: int) -> bool:
    if kind == AT_START:
        return pos == 0
    if kind == AT_END:
        return pos == ctx.n
    return ctx.look(program.looks[arg], pos)


def _add(program, ctx, threads, seen, pc, pos, sid, start, caps) -> int:
    """Follow epsilon moves from `pc` at `pos` depth-first in priority order, appending the
    consuming states reached to `threads`; returns the number of steps taken. A chain of
    epsilon moves is followed in place; only a split's second branch waits on the stack."""
    code = program.code
    stack = []
    visited = set()  # epsilon instructions of this closure: stops empty loops
    steps = 0
    while True:
        steps += 1
        op, a, b = code[pc]
        if op == TOK or op == MATCH:  # noqa: SIM109 (a tuple of globals is built per test)
            if pc not in seen:
                seen.add(pc)
                threads.append((pc, sid, start, caps, None))
        elif op == SPAN:
            for end in ctx.table(a).by_start.get(pos, ()):
                key = (pc, end)
                if key not in seen:
                    seen.add(key)
                    threads.append((pc, sid, start, caps, end))
        elif pc not in visited:
            visited.add(pc)
            if op == SPLIT:
                stack.append((b, caps))
                pc = a
                continue
            if op == JMP:
                pc = a
                continue
            if op == OPEN or op == CLOSE:  # noqa: SIM109
                caps = ((op, a, pos), caps)
                pc += 1
                continue
            if _assert(program, ctx, a, b, pos):  # ASSERT
                pc += 1
                continue
        if not stack:
            return steps
        pc, caps = stack.pop()


def holds_spans(ctx: MatchContext, required: tuple) -> bool:
    """Whether the sentence has a span of a key of each set (Program.required_spans,
    Look.required_spans)."""
    return all(any(ctx.table(key).values for key in keys) for keys in required)


def keyed(keys) -> tuple:
    """Span keys as (id, key) pairs, what any_spans, first_value and table_of take: the
    compiled matcher finds a sentence's table by the id, in a list, where a dict lookup hashed
    the key's two strings every time (a tuple keeps no hash). The ids belong to the process,
    like form ids: pairs are made where a process builds its engine, never pickled. Here, in
    the reference, the ids are not read."""
    return tuple((-1, key) for key in keys)


def table_of(ctx: MatchContext, kid: int, key: tuple) -> SpanTable:
    """ctx.table(key), for a (kid, key) pair of keyed()."""
    return ctx.table(key)


def any_spans(ctx: MatchContext, keys: tuple) -> bool:
    """Whether the sentence has a span of one of `keys` (a rule's span triggers, as keyed()
    pairs), its tables made, in order, until one has."""
    return holds_spans(ctx, (tuple(key for _, key in keys),))


def first_value(ctx: MatchContext, keys: tuple, start: int, end: int) -> tuple:
    """(key, value) of the first of `keys` (keyed() pairs) whose table has span (start, end)
    with a dict for value (an entity, a typed value), its tables made as they are reached;
    (None, None) where none has."""
    for _, key in keys:
        value = ctx.table(key).get(start, end)
        if isinstance(value, dict):
            return key, value
    return None, None


def search_plan(program: Program, ctx: MatchContext) -> tuple[int, list[int] | None] | None:
    """Where matches can start: (limit, starts). No match starts after `limit`, the last
    token holding a key of each required set; `starts`, where the program's first tokens
    are known, lists the positions a match can start at (ascending, ending with n). None
    when a token or span every match needs is not in the sentence."""
    n = ctx.n
    limit = ctx.bounds(program.required)[1] if program.required else n
    if limit < 0:
        return None
    if not holds_spans(ctx, program.required_spans):  # after the tokens: a table can cost a pass
        return None
    if program.pivots:
        starts = sorted(s for s in _pivot_starts(program, ctx) if s <= limit)
        starts.append(n)
        return limit, starts
    if not program.skips:
        return limit, None
    starts = set()
    for name, values in program.first_lookups:
        where = ctx.where(name)
        for value in where.keys() & values:
            starts.update(where[value])
    for check in program.first_others:
        starts.update([i for i, tok in enumerate(ctx.tokens) if check(tok)])
    for key in program.first_spans:
        starts.update(ctx.table(key).by_start)
    starts = sorted(s for s in starts if s <= limit)
    starts.append(n)
    return limit, starts


def _pivot_starts(program: Program, ctx: MatchContext) -> set[int]:
    """Where a match can start, by its pivots (compiler._pivots): the positions each way's
    prefix, compiled reversed, reaches from the tokens its pivot passes and the starts of its
    pivot's spans. All of them, not the first path's: each (instruction, position) state of a
    prefix is entered once for the whole sentence, the states a pivot met already being left
    to it. Captures mean nothing here."""
    tokens = ctx.tokens
    starts: set = set()
    for prefix, lookups, others, spans in program.pivots:
        pivots = set()
        for name, values in lookups:
            where = ctx.where(name)
            for value in where.keys() & values:
                pivots.update(where[value])
        for check in others:
            pivots.update([i for i, tok in enumerate(tokens) if check(tok)])
        for key in spans:
            pivots.update(ctx.table(key).by_start)
        _reach(prefix, ctx, sorted(pivots), starts)
    return starts


def _reach(prefix: Program, ctx: MatchContext, pivots: list[int], starts: set) -> None:
    """Add to `starts` every position where the reversed `prefix` reaches MATCH from one of
    the `pivots` (_pivot_starts)."""
    code, tokens = prefix.code, ctx.tokens
    entered: set = set()
    for pivot in pivots:
        stack = [(0, pivot)]
        while stack:
            pc, pos = stack.pop()
            if (pc, pos) in entered:
                continue
            entered.add((pc, pos))
            ctx.steps += 1
            op, a, b = code[pc]
            if op == TOK:
                if pos > 0 and a(tokens[pos - 1]):
                    stack.append((pc + 1, pos - 1))
            elif op == SPLIT:
                stack += [(b, pos), (a, pos)]
            elif op == JMP:
                stack.append((a, pos))
            elif op == MATCH:
                starts.add(pos)
            elif op == SPAN:
                stack += [(pc + 1, start) for start in ctx.table(a).by_end.get(pos, ())
                          if start < pos]
            elif op in (OPEN, CLOSE) or _assert(prefix, ctx, a, b, pos):  # noqa: SIM109
                stack.append((pc + 1, pos))


def finditer(program: Program, ctx: MatchContext) -> list[Match]:
    """All non-overlapping leftmost-first matches of `program` in the sentence, in order:
    depth-first where the program allows it (compiler.backtracks), else threads in lockstep."""
    plan = search_plan(program, ctx)
    if plan is None:
        return []  # a token every match needs is not in the sentence
    limit, starts = plan
    if backtracks(program):
        return _depth_first(program, ctx, limit, starts)
    return _lockstep(program, ctx, limit, starts)


def _lockstep(program: Program, ctx: MatchContext, limit: int,
              starts: list[int] | None) -> list[Match]:
    """finditer by threads in lockstep, for any program (the module's docstring)."""
    code, tokens, n = program.code, ctx.tokens, ctx.n
    out: list[Match] = []
    pending: dict[int, tuple] = {}  # search id -> (start, end, caps) of its best match so far
    head = last = 0  # oldest unfinished search, newest search
    clist: list = []
    seen: set = set()
    steps = 0
    k = 0  # the next of `starts` not passed yet
    pos = -1
    while pos < n:
        pos += 1
        if starts is not None:
            while starts[k] < pos:
                k += 1
            if not clist and last not in pending:  # idle: skip to where a match can start
                pos = starts[k]
        # The newest search looks for its start, only where a match can start: elsewhere its
        # threads would die at their first token, after a closure's worth of work.
        if last not in pending and pos <= limit and (starts is None or starts[k] == pos):
            steps += _add(program, ctx, clist, seen, 0, pos, last, pos, None)
        nlist: list = []
        nseen: set = set()
        i = 0
        while i < len(clist):
            pc, sid, start, caps, wait = clist[i]
            i += 1
            steps += 1
            op, a, _ = code[pc]
            if op == MATCH:
                if pos == start:
                    continue  # empty matches are never reported
                pending[sid] = (start, pos, caps)
                for later in [s for s in pending if s > sid]:
                    del pending[later]
                # Lower-priority threads of this search and all later searches are cut; a new
                # search for the next match starts here, behind the survivors.
                del clist[i:]
                seen = {t[0] if t[4] is None else (t[0], t[4]) for t in clist}
                last = sid + 1
                steps += _add(program, ctx, clist, seen, 0, pos, last, pos, None)
                continue
            if pos == n:
                continue
            if wait is None:  # TOK
                if a(tokens[pos]):
                    steps += _add(program, ctx, nlist, nseen, pc + 1, pos + 1, sid, start, caps)
            elif wait == pos + 1:  # a span ends with this token
                steps += _add(program, ctx, nlist, nseen, pc + 1, pos + 1, sid, start, caps)
            elif (pc, wait) not in nseen:
                nseen.add((pc, wait))
                nlist.append((pc, sid, start, caps, wait))
        # Searches with no thread left are decided, oldest first.
        if head in pending:
            alive = {t[1] for t in nlist}
            while head in pending and head not in alive:
                start, end, caps = pending.pop(head)
                out.append(Match(start, end, _captures(program, caps)))
                head += 1
        clist, seen = nlist, nseen
    while head in pending:
        start, end, caps = pending.pop(head)
        out.append(Match(start, end, _captures(program, caps)))
        head += 1
    ctx.steps += steps
    return out


def _depth_first(program: Program, ctx: MatchContext, limit: int,
                 starts: list[int] | None) -> list[Match]:
    """finditer for a program whose loops all consume (compiler.backtracks), depth-first:
    from each token a match can start at, in order, the program's paths are followed in
    priority order until one reaches MATCH, and each (instruction, position) state is
    entered at most once in the whole sentence.

    The same matches and captures as the threads in lockstep. A state met again was met
    first by a path of higher priority, from this start or an earlier one; had it led to a
    match that one would have won, so it did not, and it cannot now: what follows a state
    does not depend on how it was reached, and with no loop over nothing no path meets a
    state it is still following (that is what makes the lockstep's per-closure stop and this
    one agree). After a match the states at its end are forgotten, the only ones its path
    may have left unfinished; those further on all failed. The work stays linear, as with
    the threads, but a start that leads nowhere costs its few states and no thread lists:
    the common case by far (most runs find nothing)."""
    n = ctx.n
    visited: list[set] = [set() for _ in range(n + 1)]  # per position, instructions entered
    can_start = None if starts is None else set(starts)
    out: list[Match] = []
    steps = 0
    start = 0
    while start < n and start <= limit:
        if can_start is not None and start not in can_start:
            start += 1
            continue
        found, taken = _first_match(program, ctx, visited, start)
        steps += taken
        if found is None:
            start += 1
            continue
        end, caps = found
        out.append(Match(start, end, _captures(program, caps)))
        visited[end].clear()
        start = end
    ctx.steps += steps
    return out


def _first_match(program: Program, ctx: MatchContext, visited: list[set],
                 start: int) -> tuple[tuple | None, int]:
    """((end, capture events) of the first path from `start` to reach MATCH, or None; the
    states entered). A split's second branch and a span's other ends wait on a stack."""
    code, tokens, n = program.code, ctx.tokens, ctx.n
    stack = [(0, start, None)]
    steps = 0
    while stack:
        pc, pos, caps = stack.pop()
        while True:
            entered = visited[pos]
            if pc in entered:
                break
            entered.add(pc)
            steps += 1
            op, a, b = code[pc]
            if op == TOK:
                if pos < n and a(tokens[pos]):
                    pc += 1
                    pos += 1
                    continue
                break
            if op == SPLIT:
                stack.append((b, pos, caps))
                pc = a
                continue
            if op == JMP:
                pc = a
                continue
            if op == OPEN or op == CLOSE:  # noqa: SIM109
                caps = ((op, a, pos), caps)
                pc += 1
                continue
            if op == MATCH:
                if pos == start:
                    break  # empty matches are never reported
                return (pos, caps), steps
            if op == SPAN:
                ends = ctx.table(a).by_start.get(pos, ())
                stack.extend([(pc + 1, end, caps) for end in reversed(ends) if end > pos])
                break
            if _assert(program, ctx, a, b, pos):  # ASSERT
                pc += 1
                continue
            break
    return None, steps


def finditer_each(programs: list, needs: list | None, held: int,
                  ctx: MatchContext) -> list[tuple[int, Match]]:
    """(k, match) for the matches of each of a rule's programs (finditer's), program by
    program; with `needs`, only of the programs k whose needed key sets (bits of needs[k])
    are all in `held`, the sets the sentence holds."""
    found = []
    for k, program in enumerate(programs):
        if needs is None or held & needs[k] == needs[k]:
            found.extend((k, match) for match in finditer(program, ctx))
    return found


def _closure_set(program, ctx, states: set, pc: int, pos: int) -> bool:
    """Add the consuming states reachable from `pc` at `pos` to `states`; True if MATCH is."""
    code = program.code
    stack = [pc]
    visited = set()
    matched = False
    reverse = program.reverse
    while stack:
        pc = stack.pop()
        if pc in visited:
            continue
        visited.add(pc)
        ctx.steps += 1
        op, a, b = code[pc]
        if op == TOK:
            states.add((pc, None))
        elif op == MATCH:
            matched = True
        elif op == SPAN:
            table = ctx.table(a)
            for other in (table.by_end if reverse else table.by_start).get(pos, ()):
                states.add((pc, other))
        elif op == SPLIT:
            stack.append(a)
            stack.append(b)
        elif op == JMP:
            stack.append(a)
        elif op in (OPEN, CLOSE) or _assert(program, ctx, a, b, pos):
            stack.append(pc + 1)
    return matched


def _advance(program, ctx, states: set, pos: int) -> tuple[set, bool]:
    """Consume the token between `pos` and the next position in the program's direction."""
    code, reverse = program.code, program.reverse
    nxt = pos - 1 if reverse else pos + 1
    token = ctx.tokens[nxt if reverse else pos]
    out: set = set()
    matched = False
    for pc, wait in states:
        ctx.steps += 1
        if wait is None:
            if code[pc][1](token):
                matched |= _closure_set(program, ctx, out, pc + 1, nxt)
        elif wait == nxt:
            matched |= _closure_set(program, ctx, out, pc + 1, nxt)
        else:
            out.add((pc, wait))
    return out, matched


def _scan(program: Program, ctx: MatchContext, ahead: bool) -> list[bool]:
    """For every position p: does the body match some span ending at p (behind) or starting at
    p (ahead, program compiled reversed and run from the sentence end)? One linear pass."""
    n = ctx.n
    result = [False] * (n + 1)
    positions = range(n, -1, -1) if ahead else range(n + 1)
    states: set = set()
    carried = False
    for pos in positions:
        matched = _closure_set(program, ctx, states, 0, pos) or carried
        result[pos] = matched
        if (pos == 0) if ahead else (pos == n):
            break
        states, carried = _advance(program, ctx, states, pos)
    return result


def _anchored(program: Program, ctx: MatchContext, pos: int) -> bool:
    """Does the body match a span starting at `pos` (forward program) or ending there
    (reversed program)? Bounded bodies die within their length, so this is cheap."""
    states: set = set()
    if _closure_set(program, ctx, states, 0, pos):
        return True
    step = -1 if program.reverse else 1
    while states and (pos > 0 if program.reverse else pos < ctx.n):
        states, matched = _advance(program, ctx, states, pos)
        pos += step
        if matched:
            return True
    return False


def all_spans(program: Program, ctx: MatchContext) -> list[tuple[int, int]]:
    """Every (start, end) whose tokens the program accepts, empty spans excluded: the
    all-matches semantics of spaCy's Matcher. Quadratic at worst, as spaCy's own."""
    spans = []
    for start in range(ctx.n):
        states: set = set()
        _closure_set(program, ctx, states, 0, start)
        pos = start
        while states and pos < ctx.n:
            states, matched = _advance(program, ctx, states, pos)
            pos += 1
            if matched:
                spans.append((start, pos))
    return spans


def sentence_rules(fids: list[int], kinds: bytearray, masks: list[bytes], slots: list[bytes],
                   untriggered: int) -> tuple[int, int]:
    """The rule masks of a sentence, from its tokens' form ids (api.Engine's tables, all
    indexed up to the largest id): the rules some token triggers, OR-ed with `untriggered`,
    and the condition slots its tokens hold. Per form, each is a row: an int's bytes,
    little-endian, all rows of a list of one length (a multiple of 8: the compiled loop ORs
    them a machine word at a time). A form's kind byte says which of its rows to read: bit
    1, its rule mask; bit 2, its slots (most forms have neither, some one)."""
    triggered = reduce(or_, [int.from_bytes(masks[fid], "little") for fid in fids
                             if kinds[fid] & 1], untriggered)
    held = reduce(or_, [int.from_bytes(slots[fid], "little") for fid in fids
                        if kinds[fid] & 2], 0)
    return triggered, held


def sentence_candidates(fids: list[int], kinds: bytearray, masks: list[bytes],
                        slots: list[bytes], untriggered: bytes, fewer: list[bytes],
                        width: int, sets_shift: int) -> tuple[int, int]:
    """A sentence's candidate rules and the needed key sets it holds: sentence_rules' masks
    (`untriggered` a row here), each rule kept where its tokens hold a key of each of its
    conditions. Condition slot j of the slots' mask holds, at bits j × `width` + rule, the
    rules whose j-th condition a token holds; `fewer[j]` (a row) are the rules with no j-th
    condition; the needed key sets are the bits from `sets_shift` on."""
    triggered, held = sentence_rules(fids, kinds, masks, slots,
                                     int.from_bytes(untriggered, "little"))
    for j, less in enumerate(fewer):
        triggered &= (held >> (j * width)) | int.from_bytes(less, "little")
    return triggered, held >> sets_shift


def near(fids: list[int], masks: list[bytes], slots: list[bytes], rule: int, width: int,
         inside: int, reach: int) -> bool:
    """Whether a token triggering rule `rule` (bit `rule` of its form's row in `masks`) and a
    token of each of its first `inside` conditions (bit j × `width` + `rule` of the form's row
    in `slots`, condition j) lie closer than `reach` tokens somewhere in the sentence: the
    rows of sentence_rules, read per token (api.Engine._matches)."""
    def has(row: bytes, bit: int) -> bool:
        return row[bit >> 3] >> (bit & 7) & 1 == 1

    triggers = [p for p, fid in enumerate(fids) if has(masks[fid], rule)]
    for j in range(inside):
        bit = j * width + rule
        close = [p for p, fid in enumerate(fids) if has(slots[fid], bit)]
        if not any(abs(p - t) < reach for t in triggers for p in close):
            return False
    return True


def row(mask: int, size: int) -> bytes:
    """`mask` as a row of sentence_rules' tables: `size` bytes, little-endian."""
    return mask.to_bytes(size, "little")


def row_size(bits: int) -> int:
    """The bytes of a row holding `bits` bits: whole 64-bit words."""
    return (bits + 63) // 64 * 8


def flagged(fids: list[int], flags: bytearray) -> list[int] | None:
    """The positions in a sentence whose form's byte in `flags` (a memo by form id: 0 not
    known yet, 1 no, 2 yes) is 2; None as soon as a form is not known yet (0, or past the end
    of `flags`), for the caller to learn the sentence's forms and ask again."""
    out = []
    for i, fid in enumerate(fids):
        flag = flags[fid] if fid < len(flags) else 0
        if not flag:
            return None
        if flag == 2:
            out.append(i)
    return out


def flagged_learning(fids: list[int], flags: bytearray,
                     says: Callable[[int], bool]) -> list[int]:
    """flagged(), the sentence's forms not known yet learnt first: `says(fid)` tells whether
    form `fid` is flagged yes. Asked once per form a process meets."""
    found = flagged(fids, flags)
    if found is not None:
        return found
    size = max(fids) + 1
    if size > len(flags):  # to its own length: threads may share the memo
        flags.extend(bytes(size - len(flags)))
    for fid in fids:
        if not flags[fid]:
            flags[fid] = 2 if says(fid) else 1
    return flagged(fids, flags)


def fill(program: Program, ctx: MatchContext, table: SpanTable) -> None:
    """Add the spans of finditer's matches to `table`: what a helper rule without captures
    gives the rules that use its fact type (the compiled one makes no Match for them)."""
    for match in finditer(program, ctx):
        table.add(match.start, match.end)


def bit_positions(mask: int) -> list[int]:
    """The positions of the set bits of `mask` (an int >= 0), ascending: a sentence's
    candidate rules, read off its rule mask (found by str.find in its binary digits, lowest
    first: a few times faster than shifting bit by bit in Python)."""
    digits = bin(mask)[:1:-1]
    out = []
    i = digits.find("1")
    while i >= 0:
        out.append(i)
        i = digits.find("1", i + 1)
    return out


def bit_flags(mask: int, n: int) -> bytearray:
    """A byte per position below `n`, 1 where `mask` has that bit set: a sentence's
    triggered rules, asked of rule by rule (an index, where `mask >> i & 1` makes two ints)."""
    out = bytearray(n)
    for i in bit_positions(mask):
        if i < n:
            out[i] = 1
    return out


def native(program: Program) -> Program:
    """What finditer and fill run a program as: the program itself here; the compiled matcher
    (_vm.pyx) gives its own form of it, which they take in its place, faster."""
    return program


# The reference implementations, kept for tests that check the compiled ones against them.
python_finditer, python_scan, python_anchored = finditer, _scan, _anchored
python_sentence_rules, python_flagged = sentence_rules, flagged
python_bit_positions, python_fill = bit_positions, fill
python_bit_flags = bit_flags
python_near, python_sentence_candidates = near, sentence_candidates
python_flagged_learning, python_native = flagged_learning, native
python_any_spans, python_finditer_each = any_spans, finditer_each
python_first_value, python_keyed, python_table_of = first_value, keyed, table_of
python_MatchContext, python_SpanTable = MatchContext, SpanTable
try:  # the same loops and types compiled to C, where the extension was built (_vm.pyx)
    from engine.matching._vm import (
        MatchContext,
        SpanTable,
        any_spans,
        bit_flags,
        bit_positions,
        fill,
        finditer,
        finditer_each,
        first_value,
        flagged,
        flagged_learning,
        keyed,
        native,
        near,
        sentence_candidates,
        sentence_rules,
        table_of,
    )
    from engine.matching._vm import anchored as _anchored
    from engine.matching._vm import scan as _scan
except ModuleNotFoundError as exc:
    if exc.name != "engine.matching._vm":
        raise
except ImportError as exc:  # built, but not loadable here (another Python, a stale build)
    import warnings

    warnings.warn(f"the compiled matcher could not be loaded ({exc}): the pure-Python one runs "
                  "instead, the same facts about 4x slower; `pip install -e .` rebuilds it",
                  stacklevel=2)
