# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The VM's search loops compiled to C: `finditer` of engine/matching/vm.py, step for step,
both its ways (depth-first, _DepthFirst; threads in lockstep, _Search and _run).

vm.py is the reference: it documents the algorithm and runs wherever this extension was not
built. Here threads live in C arrays, "is this state already held" is a stamp per instruction
instead of a set, and an epsilon closure never leaves C except to call a token test, read a
span table or decide a lookaround (the Python objects the pack is made of). Results and step
counts are the reference's exactly; tests/test_vm_native.py checks both on random patterns
and on the whole pack.
"""

from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy, memset

from engine.matching.match import Match
from engine.text.tokens import MAX_FORM_IDS, Form, on_forget
from engine.patterns.ast import FieldIn
from engine.patterns.compiler import backtracks, span_key
from engine.patterns.compiler import (
    AT_END as _AT_END,
    AT_START as _AT_START,
    ASSERT as _ASSERT,
    CLOSE as _CLOSE,
    JMP as _JMP,
    MATCH as _MATCH,
    OPEN as _OPEN,
    SPAN as _SPAN,
    SPLIT as _SPLIT,
    TOK as _TOK,
)

cdef object _MATCH_TYPE = Match  # made by _match without running its __init__ as Python
cdef object _new = object.__new__

# Stamps restart (their arrays cleared) before they could overflow; thread arrays longer than
# this (very long sentences) are given back after the run instead of kept.
cdef int STAMP_LIMIT = 1 << 30
cdef int KEEP_CAPACITY = 1 << 14
cdef int KEEP_EVENTS = 1 << 16  # capture events (16 bytes each) a run's arena keeps after it

# A word form's fields by position: _where reads them off the tuple, not by name.
cdef dict _FORM_FIELDS = {name: i for i, name in enumerate(Form._fields)}
cdef object _FORM = Form

# The opcodes as C constants, so that the loops compare an instruction with an immediate
# (or jump through a table) instead of loading a module variable for each comparison. They
# must be the compiler's: a build against other values refuses to load.
cdef enum:
    TOK = 0
    SPLIT = 1
    JMP = 2
    OPEN = 3
    CLOSE = 4
    SPAN = 5
    ASSERT = 6
    MATCH = 7
cdef enum:
    AT_START = 0
    AT_END = 1
if (TOK, SPLIT, JMP, OPEN, CLOSE, SPAN, ASSERT, MATCH, AT_START, AT_END) != (
        _TOK, _SPLIT, _JMP, _OPEN, _CLOSE, _SPAN, _ASSERT, _MATCH, _AT_START, _AT_END):
    raise ImportError("engine.matching._vm was built for other opcodes: rebuild it")

# Token tests memoised per word form. A test reads only a form's attributes, which never depend
# on context, and equal tests share one function (compiler.compile_test): so a test's result
# for a form, found once, holds for every occurrence of the form, in every rule that has the
# test. Each test gets an index, and each form (text.tokens.FORM_IDS) a row of bytes, one per
# test: 0 for not known yet, 1 false, 2 true. Rows, not a column per test: the tests asked of
# a token at one position (every live thread's) then read one row that stays in cache, where
# columns put each in a line of its own. Rows grow as tests are asked, within MEMO_BYTES.
cdef dict _test_ids = {}  # token test -> its index in the rows
cdef Py_ssize_t _memo_bytes = 0
cdef Py_ssize_t MEMO_BYTES = 32 << 20
cdef Py_ssize_t MEMO_FORMS = MAX_FORM_IDS
cdef Py_ssize_t MAX_TESTS = 1 << 15
# A form's row and its length side by side: a memo read fetches both in one cache line (the
# table is indexed by form id, and a sentence's forms lie anywhere in it).
cdef struct Row:
    unsigned char *bytes
    Py_ssize_t size
cdef Row *_rows = <Row *> calloc(MEMO_FORMS, sizeof(Row))
# Tests of the kind `[lemma=kill|murder]` (patterns.ast.FieldIn on a form's field: most of a
# pack's tests) and key sets (_KeySet: one of several such keys) are answered for a form all
# at once, on the first of them it is asked: its value of each field is looked up among the
# tests' constants, and every one of their bytes is set, instead of one call per test and
# form. The answers are the tests' own (a dict lookup is `in`'s hash and equality); tests met
# later are answered on the next ask.
cdef dict _field_index = {}  # field -> {value: [index of each such test holding it]}
cdef int *_field_tests = <int *> calloc(MAX_TESTS, sizeof(int))  # their indexes, as met
cdef Py_ssize_t _field_count = 0  # how many of them
cdef unsigned char *_is_field_test = <unsigned char *> calloc(MAX_TESTS, 1)
cdef Py_ssize_t *_indexed = <Py_ssize_t *> calloc(MEMO_FORMS, sizeof(Py_ssize_t))
cdef object _FIELD_IN = FieldIn
if not _rows or not _is_field_test or not _indexed or not _field_tests:
    raise MemoryError()


def forget_forms() -> None:
    """Empty the memo: its rows are by form id, and the forms were forgotten
    (text.tokens.forget_forms_if_full). The tests keep their indexes."""
    global _memo_bytes
    cdef Py_ssize_t fid
    for fid in range(MEMO_FORMS):
        free(_rows[fid].bytes)
    memset(_rows, 0, MEMO_FORMS * sizeof(Row))
    memset(_indexed, 0, MEMO_FORMS * sizeof(Py_ssize_t))
    _memo_bytes = 0


on_forget(forget_forms)


cdef int _test_id(object test) except -2:
    """The index of a token test in the rows; -1 once there are too many to memoise more."""
    global _field_count
    found = _test_ids.get(test)
    if found is not None:
        return found
    if len(_test_ids) >= MAX_TESTS:
        return -1
    tid = _test_ids[test] = len(_test_ids)
    spec = getattr(test, "token_test", None)
    if type(spec) is _FIELD_IN:
        keys = ((spec.field, spec.values),)
    elif type(test) is tuple and test[0] == "keys":  # a _KeySet: one of its keys, any field
        keys = tuple((name, values) for _, name, values in test[1])
    else:
        return tid
    if keys and all(name in _FORM_FIELDS for name, _ in keys):
        _is_field_test[tid] = 1
        _field_tests[_field_count] = tid
        _field_count += 1
        for name, values in keys:
            index = _field_index.setdefault(name, {})
            for value in values:
                index.setdefault(value, []).append(tid)
    return tid


cdef inline unsigned char _known(int tid, Py_ssize_t fid):
    """What the memo holds of test `tid` on form `fid`: 0 nothing yet, 1 false, 2 true."""
    if tid < 0 or fid < 0 or fid >= MEMO_FORMS:
        return 0
    cdef Row *row = &_rows[fid]
    return row.bytes[tid] if tid < row.size else 0


cdef bint _passes(object test, int tid, object token, Py_ssize_t fid) except -1:
    """test(token), memoised where the token is a form with an id."""
    cdef unsigned char known = _known(tid, fid)
    if known:
        return known == 2
    if tid >= 0 and _is_field_test[tid] and 0 <= fid < MEMO_FORMS and _index_form(token, fid):
        return _rows[fid].bytes[tid] == 2
    passed = bool(test(token))
    if tid < 0 or fid < 0 or fid >= MEMO_FORMS or not _grow_row(fid, tid + 1):
        return passed
    _rows[fid].bytes[tid] = 2 if passed else 1
    return passed


cdef bint _grow_row(Py_ssize_t fid, Py_ssize_t need) except -1:
    """Whether form `fid`'s row holds `need` bytes, grown (zeroed) if it has room to."""
    global _memo_bytes
    cdef Py_ssize_t size = _rows[fid].size, grown
    cdef unsigned char *row
    if need <= size:
        return True
    grown = min(max(need, 2 * size, 64), MAX_TESTS)
    if _memo_bytes + grown - size > MEMO_BYTES:
        return False
    row = <unsigned char *> realloc(_rows[fid].bytes, grown)
    if not row:
        return False
    memset(row + size, 0, grown - size)
    _rows[fid].bytes, _rows[fid].size = row, grown
    _memo_bytes += grown - size
    return True


cdef bint _index_form(object token, Py_ssize_t fid) except -1:
    """Answer, in form `fid`'s row, every FieldIn test met since the form was last indexed
    (see _field_index); False where its row has no room."""
    cdef Py_ssize_t k, first = _indexed[fid], count = _field_count
    cdef Py_ssize_t t
    cdef unsigned char *row
    if first >= count or not _grow_row(fid, _field_tests[count - 1] + 1):
        return False
    row = _rows[fid].bytes
    for k in range(first, count):
        row[_field_tests[k]] = 1
    for field, values in _field_index.items():
        hits = values.get(getattr(token, field))
        if hits is not None:
            for t in hits:
                row[t] = 2
    _indexed[fid] = count
    return True


cdef inline bint _passes_at(list tests, Py_ssize_t k, int tid, object tokens, Py_ssize_t pos,
                            Py_ssize_t fid) except -1:
    """_passes of test `k` of `tests` (memo index `tid`) for the token at `pos`: the test and
    the token are fetched only where the memo does not decide. (Fetched first, each read of
    the memo also took a reference to the test, an object somewhere in memory: a cache miss
    at every token test a thread made, some 15% of the search loop's time.)"""
    cdef unsigned char known = _known(tid, fid)
    if known:
        return known == 2
    return _passes(tests[k], tid, tokens[pos], fid)


cdef inline Py_ssize_t _form_id(MatchContext ctx, Py_ssize_t pos):
    """The form id of the token at `pos`, -1 where there is none (no memo for it)."""
    return ctx.fids[pos] if pos < ctx.nfids else -1


cdef class SpanTable:
    """vm.SpanTable (the reference, which documents it) as a C type. A sentence's pass makes
    about fifteen tables, half of them empty, and reads them at every SPAN state: here spans
    are C arrays, one sorted by start (ends longest first) and one by end (starts earliest
    first), so a table costs no dicts, and the matcher finds a position's spans by
    bisection. `by_start`, `by_end` and `values` are the reference's views, made when asked."""

    cdef int count, capacity
    cdef int *s  # spans by (start, -end)
    cdef int *e
    cdef int *ends  # the same spans by (end, start): ends[k], starts[k]
    cdef int *starts
    cdef list vals  # per span by start, its value (None for none)

    def __init__(self, values=None):
        if values:
            for (start, end), value in values.items():
                self.add(start, end, value)

    def __dealloc__(self):
        free(self.s)  # the other three arrays share its block

    cdef int _grow(self) except -1:
        """Room for twice the spans: the four arrays in one block (one allocation, as most
        tables hold a few spans)."""
        cdef int size = max(4, 2 * self.capacity), n = self.count
        cdef int *block = <int *> malloc(4 * size * sizeof(int))
        if not block:
            raise MemoryError()
        if n:
            memcpy(block, self.s, n * sizeof(int))
            memcpy(block + size, self.e, n * sizeof(int))
            memcpy(block + 2 * size, self.ends, n * sizeof(int))
            memcpy(block + 3 * size, self.starts, n * sizeof(int))
        free(self.s)
        self.s, self.e = block, block + size
        self.ends, self.starts = block + 2 * size, block + 3 * size
        self.capacity = size
        if self.vals is None:
            self.vals = []
        return 0

    cdef inline int _by_start(self, int start, int end) noexcept:
        """Where (start, end) is or would go in the by-start order."""
        cdef int lo = 0, hi = self.count, mid
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.s[mid] < start or (self.s[mid] == start and self.e[mid] > end):
                lo = mid + 1
            else:
                hi = mid
        return lo

    cdef inline int first_from(self, int pos) noexcept:
        """The first span (by-start order) starting at `pos` or later."""
        return self._by_start(pos, 0x7fffffff)

    cdef inline int first_to(self, int pos) noexcept:
        """The first span (by-end order) ending at `pos` or later."""
        cdef int lo = 0, hi = self.count, mid
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.ends[mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo

    cpdef add(self, int start, int end, object value=None):
        cdef int k, j
        if end <= start:
            return
        k = self._by_start(start, end)
        if k < self.count and self.s[k] == start and self.e[k] == end:
            if value is not None:
                self.vals[k] = value
            return
        if self.count == self.capacity:
            self._grow()
        if k < self.count:
            for j in range(self.count, k, -1):
                self.s[j], self.e[j] = self.s[j - 1], self.e[j - 1]
            self.vals.insert(k, value)
        else:
            self.vals.append(value)
        self.s[k], self.e[k] = start, end
        j = self.count  # by end: spans mostly come in order, so from the back
        while j > 0 and (self.ends[j - 1] > end
                         or (self.ends[j - 1] == end and self.starts[j - 1] > start)):
            self.ends[j], self.starts[j] = self.ends[j - 1], self.starts[j - 1]
            j -= 1
        self.ends[j], self.starts[j] = end, start
        self.count += 1

    def get(self, int start, int end, default=None):
        """The value of span (start, end), `default` where there is none."""
        return self.value_at(start, end, default)

    cdef inline object value_at(self, int start, int end, object default):
        cdef int k = self._by_start(start, end)
        if k < self.count and self.s[k] == start and self.e[k] == end:
            return self.vals[k]
        return default

    def ends_from(self, int start) -> list:
        """The ends of the spans starting at `start`, longest first."""
        cdef int k = self.first_from(start)
        out = []
        while k < self.count and self.s[k] == start:
            out.append(self.e[k])
            k += 1
        return out

    def __len__(self):
        return self.count

    @property
    def values(self) -> dict:
        return {(self.s[k], self.e[k]): self.vals[k] for k in range(self.count)}

    def spans(self) -> list:
        """(start, end, value) of every span, by start, then longest first: the table's own
        order, read without making a dict and sorting it."""
        return [(self.s[k], self.e[k], self.vals[k]) for k in range(self.count)]

    @property
    def by_start(self) -> dict:
        return self._grouped(self.s, self.e)

    @property
    def by_end(self) -> dict:
        return self._grouped(self.ends, self.starts)

    cdef dict _grouped(self, int *keys, int *others):
        """{key: [others in order]} over the spans, as the reference's indexes."""
        cdef dict out = {}
        cdef int k
        for k in range(self.count):
            out.setdefault(keys[k], []).append(others[k])
        return out

    def __eq__(self, other):
        if not isinstance(other, SpanTable):
            return NotImplemented
        return self.values == other.values

    def __repr__(self):
        return f"SpanTable({self.values!r})"


cdef class MatchContext:
    """vm.MatchContext (the reference, which documents it) as a C type: the matcher reads a
    sentence's tokens, span tables and memos as C fields."""

    cdef public object tokens
    cdef public int n
    cdef public dict spans
    cdef public object provider
    cdef public list _looks  # per look key: its memo (see _look), or None
    cdef public dict _where
    cdef public list _bounds  # per look key: bounds(look.required), or None
    cdef list _tables  # per span key id (_key_id): its table, once looked up
    cdef public long steps
    cdef object _form_ids
    cdef Py_ssize_t *fids  # form_ids as a C array, read at every token test
    cdef Py_ssize_t nfids

    def __init__(self, tokens, spans=None, provider=None):
        self.tokens = tokens
        self.n = len(tokens)
        self.spans = spans if spans is not None else {}
        self.provider = provider
        self._looks = []
        self._where = {}
        self._bounds = []
        self._tables = []
        self.steps = 0
        free(self.fids)
        self._form_ids, self.fids, self.nfids = None, NULL, 0

    def __dealloc__(self):
        free(self.fids)

    @property
    def form_ids(self):
        """Per token, its word form's id (text.tokens.FORM_IDS), or -1; None: no ids, so no
        token test is memoised."""
        return self._form_ids

    @form_ids.setter
    def form_ids(self, value):
        cdef Py_ssize_t i, n = 0 if value is None else len(value)
        cdef Py_ssize_t *fids = <Py_ssize_t *> malloc(max(n, 1) * sizeof(Py_ssize_t))
        if not fids:
            raise MemoryError()
        for i in range(n):
            fids[i] = value[i]
        free(self.fids)
        self.fids, self.nfids, self._form_ids = fids, n, value

    def where(self, str field) -> dict:
        return _where(self, field)

    def bounds(self, required) -> tuple:
        cdef int first, last
        _bounds(self, _key_sets(required), self.n, &first, &last)
        return first, last

    def table(self, key):
        table = self.spans.get(key)
        if table is None:
            table = self.spans[key] = SpanTable()
            if self.provider is not None:
                self.provider(key, table)
        return table

    def look(self, look, int pos) -> bool:
        return _look(self, _Look(look), pos)

    def spans_changed(self) -> None:
        self._looks = []


cdef inline object _others(object table, int pos, bint ends):
    """The ends of a table's spans starting at `pos`, longest first (the starts of those
    ending there, earliest first, with `ends`), for a table that is not a SpanTable (the
    reference's, as tests give)."""
    return (table.by_end if ends else table.by_start).get(pos)


cdef inline object _table(MatchContext ctx, object key):
    """ctx.table(key) without a Python call where the table is made already."""
    table = ctx.spans.get(key)
    if table is None:
        table = ctx.table(key)
    return table


# Span keys by a small int of their own, so that the tables a sentence's runs read are found
# in a list (MatchContext._tables) rather than by hashing the key tuple each time.
cdef dict _KEY_IDS = {}


cdef int _key_id(object key) except -1:
    return _KEY_IDS.setdefault(key, len(_KEY_IDS))


cdef inline object _keyed_table(MatchContext ctx, int kid, object key):
    """ctx.table(key), for the key with id `kid`: found once per sentence. A table, once in
    ctx.spans, is never replaced."""
    table = _slot(ctx._tables, kid)
    if table is None:
        table = _table(ctx, key)
        _set_slot(ctx._tables, kid, table)
    return table


cdef inline object _span_table(MatchContext ctx, Code code, int pc):
    """The table SPAN instruction `pc` reads (its key's id is in code.tid)."""
    return _keyed_table(ctx, code.tid[pc], code.args[pc])


cdef tuple _span_sets(sets):
    """Required span sets (Program.required_spans, Look.required_spans) as _holds_spans reads
    them: per set, (key id, key) pairs."""
    return tuple(tuple((_key_id(k), k) for k in [span_key(*key) for key in keys])
                 for keys in sets)


cdef bint _holds_spans(MatchContext ctx, tuple required) except -1:
    """Whether the sentence has a span of a key of each set (vm.search_plan, vm.look)."""
    cdef int kid
    for keys in required:
        for kid, key in keys:
            if _has_spans(_keyed_table(ctx, kid, key)):
                break
        else:
            return False
    return True


cdef inline bint _has_spans(object table) except -1:
    """Whether a table (a SpanTable, or the reference's, as tests give) holds a span."""
    return (<SpanTable> table).count > 0 if type(table) is SpanTable else bool(table.values)


def keyed(keys) -> tuple:
    """vm.keyed: (id, key) pairs, the ids _keyed_table finds a sentence's tables by."""
    return tuple([(_key_id(key), key) for key in keys])


def table_of(MatchContext ctx, int kid, key):
    """vm.table_of: ctx.table(key), found by the key's id (keyed)."""
    return _keyed_table(ctx, kid, key)


def any_spans(MatchContext ctx, tuple keys) -> bool:
    """vm.any_spans: a rule's span triggers (keyed), their tables made in order until one has
    a span."""
    cdef int kid
    for kid, key in keys:
        if _has_spans(_keyed_table(ctx, kid, key)):
            return True
    return False


def first_value(MatchContext ctx, tuple keys, int start, int end) -> tuple:
    """vm.first_value: the first of `keys` (keyed) whose table gives span (start, end) a
    dict."""
    cdef int kid
    for kid, key in keys:
        table = _keyed_table(ctx, kid, key)
        value = ((<SpanTable> table).value_at(start, end, None) if type(table) is SpanTable
                 else table.get(start, end))
        if isinstance(value, dict):
            return key, value
    return None, None


cdef inline bint _holds(MatchContext ctx, Code code, int kind, int index, int pos) except -1:
    """An assertion at `pos` (vm._assert)."""
    if kind == AT_START:
        return pos == 0
    if kind == AT_END:
        return pos == ctx.n
    return _look(ctx, <_Look> code.looks[index], pos)


cdef class _Look:
    """A compiler.Look's fields, read once: the lookarounds of a sentence's runs are decided
    hundreds of thousands of times in a corpus, each reading most of them."""

    cdef object program
    cdef Code anchored  # the body run from the position, where it is bounded (else None)
    cdef int key  # compiler's small int naming what it asserts: its slot in the memo lists
    cdef tuple required
    cdef tuple required_spans  # (_span_sets)
    cdef bint ahead
    cdef bint negate
    # Look.peek as C arrays: per way k, width[k] 0 for a span (key id kid[k], key
    # keys[k]), else a token run of that many tests from first[k] in tests / tids
    cdef int peeks  # how many ways; -1 where the body is run
    cdef int *width
    cdef int *first
    cdef int *kid
    cdef int *tids
    cdef list keys
    cdef list tests

    def __cinit__(self, look):
        cdef int k, t
        peek = getattr(look, "peek", None)  # (a Look pickled before peeks had none)
        self.peeks = -1 if peek is None else len(peek)
        if peek is not None:
            runs = [arg for kind, arg in peek if kind != "span"]
            self.width = <int *> malloc(max(self.peeks, 1) * 3 * sizeof(int))
            self.tids = <int *> malloc(max(sum(map(len, runs)), 1) * sizeof(int))
            if not self.width or not self.tids:
                raise MemoryError()
            self.first, self.kid = self.width + self.peeks, self.width + 2 * self.peeks
            self.keys, self.tests = [], []
            for k, (kind, arg) in enumerate(peek):
                key = span_key(*arg) if kind == "span" else None
                self.keys.append(key)
                self.kid[k] = _key_id(key) if kind == "span" else -1
                self.width[k] = 0 if kind == "span" else len(arg)
                self.first[k] = len(self.tests)
                for test in (() if kind == "span" else arg):
                    t = len(self.tests)
                    self.tids[t] = _test_id(test)
                    self.tests.append(test)
        self.program = look.program
        self.anchored = None if look.anchored is None else _code(look.anchored)
        self.key = look.key
        self.required = _key_sets(look.required)
        self.required_spans = _span_sets(look.required_spans)
        self.ahead = look.ahead
        self.negate = look.negate

    def __dealloc__(self):
        free(self.width)  # first and kid share its block
        free(self.tids)


cdef inline object _slot(list slots, int key):
    return slots[key] if key < len(slots) else None


cdef inline void _set_slot(list slots, int key, object value):
    """slots[key] = value, the list grown to hold it: at least doubled, as a sentence's
    lists grow a key at a time from empty (a list made and copied per key cost 1% of a pass)."""
    cdef Py_ssize_t size = len(slots)
    if key >= size:
        slots.extend([None] * (max(key + 1, 2 * size, 16) - size))
    slots[key] = value


cdef bint _peek(MatchContext ctx, _Look look, int pos) except -1:
    """vm.MatchContext.peek: whether a way of a lookaround's body matches at `pos`, its
    tokens' tests read off the per-form memo."""
    cdef int way, start, k, t, width
    cdef SpanTable spans
    for way in range(look.peeks):
        width = look.width[way]
        if width == 0:
            table = _keyed_table(ctx, look.kid[way], look.keys[way])
            if type(table) is SpanTable:
                spans = <SpanTable> table
                if look.ahead:
                    k = spans.first_from(pos)
                    if k < spans.count and spans.s[k] == pos:
                        return True
                else:
                    k = spans.first_to(pos)
                    if k < spans.count and spans.ends[k] == pos:
                        return True
            elif _others(table, pos, not look.ahead):
                return True
            continue
        start = pos if look.ahead else pos - width
        if start < 0 or start + width > ctx.n:
            continue
        for k in range(width):
            t = look.first[way] + k
            if not _passes_at(look.tests, t, look.tids[t], ctx.tokens, start + k,
                              _form_id(ctx, start + k)):
                break
        else:
            return True
    return False


cdef bint _look(MatchContext ctx, _Look look, int pos) except -1:
    """MatchContext.look, step for step, on the same memos kept per look key in lists (an
    anchored body's results in a byte per position here, 0 for not run yet, 1 false, 2 true):
    whether a lookaround holds."""
    cdef int first, last
    cdef bint found
    cdef bytearray known
    if look.peeks >= 0:
        return _peek(ctx, look, pos) != look.negate
    if look.required:  # the body needs a token that is not on its side of `pos`
        bounds = _slot(ctx._bounds, look.key)
        if bounds is None:
            _bounds(ctx, look.required, ctx.n, &first, &last)
            bounds = (first, last)
            _set_slot(ctx._bounds, look.key, bounds)
        if (<int> bounds[1] < pos) if look.ahead else (<int> bounds[0] >= pos):
            return look.negate
    # nor where a span the body needs is absent (vm.MatchContext.look): asked once, as the
    # memo is made (tables are whole once made, and the memos are dropped when spans are
    # added: spans_changed), not at every position (93,000 asks in a warm pass over 300
    # FA-KES texts, 1% of its instructions)
    memo = _slot(ctx._looks, look.key)
    if look.anchored is not None:
        if memo is None:
            memo = bytearray(ctx.n + 1)
            if not _holds_spans(ctx, look.required_spans):  # the body matches nowhere
                memset(<char *> (<bytearray> memo), 2 if look.negate else 1, ctx.n + 1)
            _set_slot(ctx._looks, look.key, memo)
        known = <bytearray> memo
        if not known[pos]:
            found = _anchored(look.anchored, ctx, pos)
            known[pos] = 2 if found != look.negate else 1
        return known[pos] == 2
    if memo is None:
        if _holds_spans(ctx, look.required_spans):
            memo = scan(look.program, ctx, look.ahead)
        else:
            memo = [False] * (ctx.n + 1)
        if look.negate:
            memo = [not v for v in memo]
        _set_slot(ctx._looks, look.key, memo)
    return (<list> memo)[pos]


cdef class _Pivot:
    """One way of a program's pivots (compiler.Program.pivots), read once: its prefix
    reversed, and where the pivot is (tokens passing its tests, starts of its spans)."""

    cdef Code prefix
    cdef _KeySet lookups  # None where the pivot has none
    cdef tuple others  # (test, its memo index)
    cdef tuple spans  # (key id, key)

    def __cinit__(self, prefix, lookups, others, spans):
        self.prefix = _code(prefix)
        self.lookups = _KeySet(lookups) if lookups else None
        self.others = tuple((test, _test_id(test)) for test in others)
        self.spans = tuple((_key_id(key), key) for key in [span_key(*key) for key in spans])


cdef class Code:
    """A program's instructions as C arrays: op, and the integer operands (jump targets,
    capture slots, assert kinds, look indexes); `args` keeps the Python ones (token tests,
    span keys)."""

    cdef int size
    cdef int spans  # how many SPAN instructions: bounds the span-waiting threads
    cdef int *slot  # per SPAN, its index among them (-1 elsewhere): _Threads.hold_span
    cdef int *op
    cdef int *a
    cdef int *b
    cdef int *tid  # per TOK, its test's memo index (_test_id); per SPAN, its key's _key_id
    cdef list args
    cdef list looks  # the program's lookarounds (_Look), by index
    cdef list names  # capture names by slot
    cdef bint reverse  # consumes tokens right to left (a lookahead body)
    # The program's search plan (compiler.Program), read once: the key sets every match
    # needs (_key_sets), and where a match can start (see _mark_starts).
    cdef tuple required
    cdef tuple required_spans  # per set, (key id, key) pairs (_span_sets)
    cdef bint skips
    cdef _KeySet first_lookups  # None where the program has none
    cdef tuple first_others  # (test, its memo index)
    cdef tuple first_spans  # (key id, key)
    # Working memory, reused by the program's runs instead of allocated and cleared for each
    # (its stamps stay valid from run to run); `busy` while a run uses it.
    cdef _Threads clist
    cdef _Threads nlist
    cdef _Search search
    cdef _Body body
    cdef bint busy
    cdef bint depth_first  # compiler.backtracks: finditer runs it by _depth_first
    cdef _DepthFirst depth_run  # its working memory (first_* say where matches start)
    cdef tuple pivots  # compiler.Program.pivots, as _Pivot (_mark_pivot_starts)

    def __cinit__(self, program):
        cdef int pc, op
        cdef list code = program.code
        self.looks = [_Look(look) for look in program.looks]
        self.names = list(program.names)
        self.reverse = program.reverse
        self.required = _key_sets(program.required)
        self.required_spans = _span_sets(program.required_spans)
        self.skips = program.skips
        self.first_lookups = _KeySet(program.first_lookups) if program.first_lookups else None
        self.first_others = tuple((test, _test_id(test)) for test in program.first_others)
        self.first_spans = keyed([span_key(*key) for key in program.first_spans])
        self.pivots = tuple(_Pivot(*way) for way in program.pivots)
        self.size = len(code)
        self.op = <int *> malloc(max(self.size, 1) * sizeof(int))
        self.a = <int *> malloc(max(self.size, 1) * sizeof(int))
        self.b = <int *> malloc(max(self.size, 1) * sizeof(int))
        self.tid = <int *> malloc(max(self.size, 1) * sizeof(int))
        self.slot = <int *> malloc(max(self.size, 1) * sizeof(int))
        if not self.op or not self.a or not self.b or not self.tid or not self.slot:
            raise MemoryError()
        self.args = []
        self.spans = 0
        for pc in range(self.size):
            op, a, b = code[pc]
            self.op[pc] = op
            self.a[pc] = a if isinstance(a, int) else 0
            self.b[pc] = b if isinstance(b, int) else 0
            self.tid[pc] = _test_id(a) if op == TOK else -1
            self.slot[pc] = -1
            if op == SPAN:
                a = span_key(*a)  # the process's own key object (programs may be unpickled)
                self.tid[pc] = _key_id(a)
                self.slot[pc] = self.spans
                self.spans += 1
            self.args.append(a)
        self.depth_first = backtracks(program)

    def __dealloc__(self):
        free(self.op)
        free(self.a)
        free(self.b)
        free(self.tid)
        free(self.slot)


cdef class _DepthFirst:
    """A finditer run depth-first (vm._depth_first): the states entered, a bit per
    instruction and position; the paths waiting (a split's second branch, a span's other
    ends) with their positions and capture events; the run's capture events and steps. A
    program keeps one from run to run (Code.depth_run), as it keeps its thread lists."""

    cdef unsigned int *entered  # bits by position, then instruction: `words` ints a position
    cdef int words
    cdef int entered_size
    cdef int *wait_pc
    cdef int *wait_pos
    cdef int *wait_caps
    cdef int waiting
    cdef _Events events
    cdef long steps

    def __cinit__(self):
        self.entered = NULL
        self.entered_size = 0
        self.wait_pc = self.wait_pos = self.wait_caps = NULL
        self.waiting = 0
        self.events = _Events()

    def __dealloc__(self):
        self.release()

    cdef void release(self) noexcept:
        free(self.entered)
        free(self.wait_pc)
        free(self.wait_pos)
        free(self.wait_caps)
        self.entered = NULL
        self.wait_pc = self.wait_pos = self.wait_caps = NULL
        self.entered_size = self.waiting = 0

    cdef int begin(self, int size, int n) except -1:
        """No state entered yet, for a program of `size` instructions on n tokens."""
        self.words = (size + 31) >> 5
        cdef int need = self.words * (n + 1)
        if need > self.entered_size:
            free(self.entered)
            self.entered = <unsigned int *> malloc(need * sizeof(int))
            if not self.entered:
                self.entered_size = 0
                raise MemoryError()
            self.entered_size = need
        memset(self.entered, 0, need * sizeof(int))
        self.events.reset()
        self.steps = 0
        return 0

    cdef inline int wait(self, int depth, int pc, int pos, int caps) except -1:
        """Path `depth` waits at pc, at pos, with these capture events; the next depth."""
        if depth == self.waiting:
            self.grow()
        self.wait_pc[depth], self.wait_pos[depth], self.wait_caps[depth] = pc, pos, caps
        return depth + 1

    cdef int grow(self) except -1:
        """Room for twice as many waiting paths."""
        cdef int capacity = max(64, 2 * self.waiting)
        cdef int *grown = <int *> realloc(self.wait_pc, capacity * sizeof(int))
        if not grown:
            raise MemoryError()
        self.wait_pc = grown
        grown = <int *> realloc(self.wait_pos, capacity * sizeof(int))
        if not grown:
            raise MemoryError()
        self.wait_pos = grown
        grown = <int *> realloc(self.wait_caps, capacity * sizeof(int))
        if not grown:
            raise MemoryError()
        self.wait_caps = grown
        self.waiting = capacity
        return 0


cdef int _first_match(Code code, _DepthFirst run, MatchContext ctx, int start, int *end,
                      int *caps_out) except -1:
    """vm._first_match: 1, with the match's end and capture events, if a path from `start`
    reaches MATCH (the first in priority order); else 0."""
    cdef int depth, pc, pos, caps, op, k, word, e, count
    cdef unsigned int bit
    cdef unsigned int *entered = run.entered
    cdef int words = run.words
    cdef int *ops = code.op
    cdef int *a = code.a
    cdef int *b = code.b
    cdef int n = ctx.n
    cdef long steps = 0
    cdef SpanTable spans
    cdef object tokens = ctx.tokens
    depth = run.wait(0, 0, start, -1)
    while depth:
        depth -= 1
        pc, pos, caps = run.wait_pc[depth], run.wait_pos[depth], run.wait_caps[depth]
        while True:
            word = pos * words + (pc >> 5)
            bit = (<unsigned int> 1) << (pc & 31)
            if entered[word] & bit:
                break
            entered[word] |= bit
            steps += 1
            op = ops[pc]
            if op == TOK:
                if pos < n and _passes_at(code.args, pc, code.tid[pc], tokens, pos,
                                          _form_id(ctx, pos)):
                    pc += 1
                    pos += 1
                    continue
                break
            if op == SPLIT:
                depth = run.wait(depth, b[pc], pos, caps)
                pc = a[pc]
                continue
            if op == JMP:
                pc = a[pc]
                continue
            if op == OPEN or op == CLOSE:
                caps = run.events.add(caps, a[pc], pos, op == OPEN)
                pc += 1
                continue
            if op == MATCH:
                if pos == start:
                    break  # empty matches are never reported
                end[0], caps_out[0] = pos, caps
                run.steps += steps
                return 1
            if op == SPAN:
                # each end a path of its own, the first (the longest) on top
                table = _span_table(ctx, code, pc)
                if type(table) is SpanTable:
                    spans = <SpanTable> table
                    k = spans.first_from(pos)
                    count = 0
                    while k + count < spans.count and spans.s[k + count] == pos:
                        count += 1
                    for k in range(k + count - 1, k - 1, -1):
                        e = spans.e[k]
                        if e > pos:
                            depth = run.wait(depth, pc + 1, e, caps)
                else:
                    ends = _others(table, pos, False)
                    if ends:
                        for k in range(len(ends) - 1, -1, -1):
                            e = ends[k]
                            if e > pos:
                                depth = run.wait(depth, pc + 1, e, caps)
                break
            if _holds(ctx, code, a[pc], b[pc], pos):  # ASSERT
                pc += 1
                continue
            break
    run.steps += steps
    return 0


cdef object _depth_first(Code code, MatchContext ctx, int limit, char *can_start,
                         object out):
    """vm._depth_first, its matches going to `out` (a Match to a list; a span alone to a
    SpanTable, for fill)."""
    cdef int n = ctx.n, start = 0, end = 0, caps = -1
    cdef _DepthFirst run = _take_run(code)
    try:
        run.begin(code.size, n)
        while start < n and start <= limit:
            if can_start != NULL and not can_start[start]:
                start += 1
                continue
            if not _first_match(code, run, ctx, start, &end, &caps):
                start += 1
                continue
            if type(out) is SpanTable:
                (<SpanTable> out).add(start, end, None)
            else:
                (<list> out).append(_match(start, end, run.events.captures(code.names, caps)))
            # the states at the match's end, the only ones its path may have left unfinished
            memset(run.entered + end * run.words, 0, run.words * sizeof(int))
            start = end
        ctx.steps += run.steps
    finally:
        _give_back(code, run)
    return out


cdef _DepthFirst _take_run(Code code):
    """The program's depth-first working memory, marked busy; fresh memory for a run of the
    same program inside one of its own (a helper that asks for its own type)."""
    if code.busy:
        return _DepthFirst()
    if code.depth_run is None:
        code.depth_run = _DepthFirst()
    code.busy = True
    return code.depth_run


cdef void _give_back(Code code, _DepthFirst run) noexcept:
    """_take_run's memory back to the program, trimmed where a long sentence grew it."""
    if run.entered_size > KEEP_CAPACITY:
        run.release()
    if run.events.capacity > KEEP_EVENTS:
        run.events.release()
    if run is code.depth_run:
        code.busy = False


cdef struct Event:
    int prev  # the thread's event before this one, -1 for none
    int slot
    int pos
    bint open


cdef class _Events:
    """The capture events of one run: what vm.py keeps as linked tuples ((op, slot, pos),
    earlier), kept here as an arena of C structs: a thread holds the index of its newest
    event (-1: none). Events are only appended during a run, and all dropped when the next
    run begins, so a thread's chain stays valid as long as the run needs it."""

    cdef Event *items
    cdef int count
    cdef int capacity

    def __dealloc__(self):
        free(self.items)

    cdef inline void reset(self) noexcept:
        self.count = 0

    cdef void release(self) noexcept:
        """Give the arena back (after a run that needed a very large one)."""
        free(self.items)
        self.items = NULL
        self.count = self.capacity = 0

    cdef int add(self, int prev, int slot, int pos, bint open) except -2:
        cdef Event *grown
        cdef int capacity
        if self.count == self.capacity:
            capacity = max(64, 2 * self.capacity)
            grown = <Event *> realloc(self.items, capacity * sizeof(Event))
            if not grown:
                raise MemoryError()
            self.items, self.capacity = grown, capacity
        self.items[self.count] = Event(prev, slot, pos, open)
        self.count += 1
        return self.count - 1

    cdef dict captures(self, list names, int last):
        """vm._captures: capture name -> its (start, end) spans, from the chain ending at
        `last`, oldest event first."""
        if last < 0:
            return {}  # no capture event (most programs capture nothing)
        cdef list chain = []
        cdef dict open_at = {}, out = {}
        cdef Event event
        cdef Py_ssize_t k
        while last >= 0:
            chain.append(last)
            last = self.items[last].prev
        for k in range(len(chain) - 1, -1, -1):
            event = self.items[<int> chain[k]]
            if event.open:
                open_at.setdefault(event.slot, []).append(event.pos)
            else:
                start = open_at[event.slot].pop()
                out.setdefault(names[event.slot], []).append((start, event.pos))
        return out


cdef class _Threads:
    """One list of threads (pc, search id, start, capture events, span end or -1), and the
    states it holds: a stamp per instruction, a set of (pc, end) for span waits. Lookaround
    runs use it as a plain set of states (pc, the span's other end or -1)."""

    cdef int count
    cdef int capacity
    cdef int size
    cdef int *pc
    cdef int *sid
    cdef int *start
    cdef int *wait
    cdef int *caps  # the newest capture event of each thread (_Events), -1 for none
    cdef int *held  # held[pc] == stamp: a thread of this list is at pc
    cdef int stamp
    # waiting[slot[pc] * width + end] == stamp: a thread of this list waits at SPAN pc for
    # a span ending at `end` (a stamp per SPAN instruction and position, as held is per pc)
    cdef int *slot  # the program's Code.slot, copied
    cdef int spans
    cdef int *waiting
    cdef int waiting_size
    cdef int width  # n + 2

    def __cinit__(self, Code code):
        self.size = code.size
        self.spans = code.spans
        self.held = <int *> calloc(max(self.size, 1), sizeof(int))
        self.slot = <int *> malloc(max(self.size, 1) * sizeof(int))
        if not self.held or not self.slot:
            raise MemoryError()
        memcpy(self.slot, code.slot, self.size * sizeof(int))
        self.waiting = NULL
        self.waiting_size = 0
        self.capacity = 0
        self.stamp = 1
        self.count = 0

    def __dealloc__(self):
        self.release()
        free(self.held)
        free(self.slot)

    cdef int reserve(self, int capacity, int width) except -1:
        """Room for `capacity` threads, in a sentence of width - 2 tokens."""
        cdef int needed = self.spans * width
        self.width = width
        if capacity > self.capacity:
            self.release()
            self.pc = <int *> malloc(capacity * sizeof(int))
            self.sid = <int *> malloc(capacity * sizeof(int))
            self.start = <int *> malloc(capacity * sizeof(int))
            self.wait = <int *> malloc(capacity * sizeof(int))
            self.caps = <int *> malloc(capacity * sizeof(int))
            if not (self.pc and self.sid and self.start and self.wait and self.caps):
                self.release()
                raise MemoryError()
            self.capacity = capacity
        if needed > self.waiting_size:
            # zeroed, so that no stamp is held (clear() zeroes them when stamps restart)
            free(self.waiting)
            self.waiting = <int *> calloc(needed, sizeof(int))
            if not self.waiting:
                self.waiting_size = 0
                raise MemoryError()
            self.waiting_size = needed
        return 0

    cdef void release(self) noexcept:
        """Give the thread arrays back (after a very long sentence, or at the end)."""
        free(self.pc)
        free(self.sid)
        free(self.start)
        free(self.wait)
        free(self.caps)
        free(self.waiting)
        self.pc = self.sid = self.start = self.wait = self.caps = self.waiting = NULL
        self.capacity = self.waiting_size = 0

    cdef void clear(self) noexcept:
        self.count = 0
        self.stamp += 1
        if self.stamp == STAMP_LIMIT:
            memset(self.held, 0, self.size * sizeof(int))
            memset(self.waiting, 0, self.waiting_size * sizeof(int))
            self.stamp = 1

    cdef inline bint hold(self, int pc) noexcept:
        """Whether pc was free (a thread at a token test or MATCH); it is held now."""
        if self.held[pc] == self.stamp:
            return False
        self.held[pc] = self.stamp
        return True

    cdef inline bint hold_span(self, int pc, int end) noexcept:
        """Whether (pc, end) was free (a thread waiting for a span's end); held now."""
        cdef int key = self.slot[pc] * self.width + end
        if self.waiting[key] == self.stamp:
            return False
        self.waiting[key] = self.stamp
        return True

    cdef inline int add(self, int pc, int other) except -1:
        """A state of a lookaround run, unless held already."""
        if self.hold(pc) if other < 0 else self.hold_span(pc, other):
            self.push(pc, 0, 0, -1, other)
        return 0

    cdef inline void push(self, int pc, int sid, int start, int caps, int wait) noexcept:
        cdef int k = self.count
        self.pc[k] = pc
        self.sid[k] = sid
        self.start[k] = start
        self.wait[k] = wait
        self.caps[k] = caps
        self.count = k + 1


cdef class _Search:
    """A finditer run: the closures' working memory and the steps counted."""

    cdef Code code
    cdef MatchContext ctx
    cdef int n
    cdef int *visited  # visited[pc] == closure: this closure passed pc already
    cdef int closure
    cdef int *stack
    cdef int *stack_caps  # the capture events at each waiting split branch
    cdef _Events events
    cdef long steps
    # Per search id, the best match found so far and not yet reported (vm.finditer's
    # `pending`): whether there is one, its start, end and capture events.
    cdef char *held
    cdef int *m_start
    cdef int *m_end
    cdef int *m_caps
    cdef int size

    def __cinit__(self, Code code):
        self.code = code
        self.held = NULL
        self.m_start = self.m_end = self.m_caps = NULL
        self.size = 0
        self.visited = <int *> calloc(max(code.size, 1), sizeof(int))
        self.stack = <int *> malloc((code.size + 1) * sizeof(int))
        self.stack_caps = <int *> malloc((code.size + 1) * sizeof(int))
        if not self.visited or not self.stack or not self.stack_caps:
            raise MemoryError()
        self.closure = 0
        self.events = _Events()

    def __dealloc__(self):
        free(self.visited)
        free(self.stack)
        free(self.stack_caps)
        self.release()

    cdef void release(self) noexcept:
        free(self.held)
        free(self.m_start)
        free(self.m_end)
        free(self.m_caps)
        self.held = NULL
        self.m_start = self.m_end = self.m_caps = NULL
        self.size = 0

    cdef int reserve(self, int size) except -1:
        """Room for search ids below `size`, none pending (the ids a run uses: the arrays
        may be longer, kept from a longer sentence, and only these are cleared)."""
        if size > self.size:
            self.release()
            size = max(size, 64)
            self.held = <char *> malloc(size)
            self.m_start = <int *> malloc(size * sizeof(int))
            self.m_end = <int *> malloc(size * sizeof(int))
            self.m_caps = <int *> malloc(size * sizeof(int))
            if not (self.held and self.m_start and self.m_end and self.m_caps):
                self.release()
                raise MemoryError()
            self.size = size
        memset(self.held, 0, size)
        return 0

    cdef int begin(self, MatchContext ctx, int n) except -1:
        self.ctx = ctx
        self.n = n
        self.steps = 0
        self.events.reset()
        # a search starts at each position at most, and one after each match: sids stay
        # below 2n + 3
        self.reserve(2 * n + 4)
        return 0

    cdef void end(self) noexcept:
        self.ctx = None
        if self.size > KEEP_CAPACITY:
            self.release()

    cdef inline void hold(self, int sid, int start, int end, int caps, int last) noexcept:
        """Search `sid`'s best match so far; those of the later searches (up to the newest,
        `last`) are dropped."""
        cdef int s
        self.held[sid] = 1
        self.m_start[sid], self.m_end[sid], self.m_caps[sid] = start, end, caps
        for s in range(sid + 1, last + 1):
            self.held[s] = 0

    cdef int report(self, int sid, list names, object out) except -1:
        """Search `sid` is decided: its match goes out (a Match to a list; its span alone to a
        SpanTable, for fill)."""
        self.held[sid] = 0
        if type(out) is SpanTable:
            (<SpanTable> out).add(self.m_start[sid], self.m_end[sid], None)
        else:
            (<list> out).append(_match(self.m_start[sid], self.m_end[sid],
                                       self.events.captures(names, self.m_caps[sid])))
        return 0

    cdef int add(self, _Threads threads, int pc, int pos, int sid, int start,
                 int caps) except -1:
        """vm._add: the epsilon closure from `pc` at `pos`, in priority order, appending the
        consuming states reached to `threads`."""
        cdef Code code = self.code
        cdef int depth = 0, op, end, k
        cdef SpanTable spans
        self.closure += 1
        if self.closure == STAMP_LIMIT:
            memset(self.visited, 0, self.code.size * sizeof(int))
            self.closure = 1
        cdef int closure = self.closure
        # the arrays read at each step, in locals: through `self` and `code`, every store to an
        # int array would make the compiler load their addresses again (as it would the count
        # of steps, kept here and added once)
        cdef int *visited = self.visited
        cdef int *ops = code.op
        cdef int *a = code.a
        cdef int *b = code.b
        cdef int *stack = self.stack
        cdef int *stack_caps = self.stack_caps
        cdef long steps = 0
        while True:
            steps += 1
            op = ops[pc]
            if op == TOK or op == MATCH:
                if threads.hold(pc):
                    threads.push(pc, sid, start, caps, -1)
            elif op == SPAN:
                table = _span_table(self.ctx, code, pc)
                if type(table) is SpanTable:
                    spans = <SpanTable> table
                    k = spans.first_from(pos)
                    while k < spans.count and spans.s[k] == pos:
                        end = spans.e[k]
                        if threads.hold_span(pc, end):
                            threads.push(pc, sid, start, caps, end)
                        k += 1
                else:
                    ends = _others(table, pos, False)
                    if ends:
                        for end in ends:
                            if threads.hold_span(pc, end):
                                threads.push(pc, sid, start, caps, end)
            elif visited[pc] != closure:
                visited[pc] = closure
                if op == SPLIT:
                    stack[depth] = b[pc]
                    stack_caps[depth] = caps
                    depth += 1
                    pc = a[pc]
                    continue
                if op == JMP:
                    pc = a[pc]
                    continue
                if op == OPEN or op == CLOSE:
                    caps = self.events.add(caps, a[pc], pos, op == OPEN)
                    pc += 1
                    continue
                if _holds(self.ctx, code, a[pc], b[pc], pos):  # ASSERT
                    pc += 1
                    continue
            if depth == 0:
                self.steps += steps
                return 0
            depth -= 1
            pc = stack[depth]
            caps = stack_caps[depth]


cdef class _KeySet:
    """A key set (compiler: field -> values) as a token test: does the token hold one of its
    keys? Like a token test it reads only a word form's fields, so it is memoised per form
    under a memo index of its own (_passes; equal sets share one), and whether a sentence
    holds the set, and where, takes a byte read per token: no per-sentence index of field
    values."""

    cdef tuple keys  # (the field's index in Form or -1, its name, the values)
    cdef int tid

    def __cinit__(self, keys):
        self.keys = tuple(sorted((_FORM_FIELDS.get(name, -1), name, frozenset(values))
                                 for name, values in keys))
        self.tid = _test_id(("keys", self.keys))

    def __call__(self, tok) -> bool:
        for index, name, values in self.keys:
            value = (<tuple> tok)[index] if index >= 0 and type(tok) is _FORM else getattr(
                tok, name)
            if value in values:
                return True
        return False


cdef tuple _key_sets(sets):
    """Key sets (Program.required, Look.required) as _bounds reads them."""
    return tuple(_KeySet(keys) for keys in sets)


cdef int _next_passing(MatchContext ctx, object test, int tid, object tokens, int pos,
                       int stop, int step) except -2:
    """The first position from `pos` on, by `step`, before `stop`, whose token passes `test`
    (memo index `tid`); `stop` if none does. Reads the memo byte first: the token itself is
    fetched only for a form not decided yet."""
    cdef Py_ssize_t fid
    cdef unsigned char known
    while pos != stop:
        fid = _form_id(ctx, pos)
        known = _known(tid, fid)
        if known == 2:
            return pos
        if known == 1:
            pos += step
            continue
        if _passes(test, tid, tokens[pos], fid):
            return pos
        pos += step
    return stop


cdef dict _where(MatchContext ctx, str name):
    """MatchContext.where: value of field `name` -> positions of the tokens that have it,
    made once per sentence."""
    cdef dict where = ctx._where.get(name)
    cdef int i = 0
    cdef Py_ssize_t index
    cdef list positions
    if where is None:
        where = ctx._where[name] = {}
        index = _FORM_FIELDS.get(name, -1)
        for tok in ctx.tokens:
            if index >= 0 and type(tok) is _FORM:
                value = (<tuple> tok)[index]
            else:
                value = getattr(tok, name)
            positions = where.get(value)
            if positions is None:
                where[value] = [i]
            else:
                positions.append(i)
            i += 1
    return where


cdef int _bounds(MatchContext ctx, tuple required, int n, int *first, int *last) except -1:
    """MatchContext.bounds(required): the first position by which every required set has
    occurred, and the last at which each still occurs; (n, -1) where one is absent."""
    cdef int lo, hi
    cdef _KeySet keys
    tokens = ctx.tokens
    first[0], last[0] = -1, n
    for keys in required:
        lo = _next_passing(ctx, keys, keys.tid, tokens, 0, n, 1)
        if lo == n:
            first[0], last[0] = n, -1
            return 0
        hi = _next_passing(ctx, keys, keys.tid, tokens, n - 1, lo, -1)
        first[0], last[0] = max(first[0], lo), min(last[0], hi)
    return 0


cdef int _limit(MatchContext ctx, tuple required, int n) except -2:
    """_bounds' last position alone, which is all finditer needs of it (no match starts after
    it): one backward scan per set, none forward; -1 where a set is absent."""
    cdef int last = n, hi
    cdef _KeySet keys
    tokens = ctx.tokens
    for keys in required:
        hi = _next_passing(ctx, keys, keys.tid, tokens, n - 1, -1, -1)
        if hi < 0:
            return -1
        if hi < last:
            last = hi
    return last


cdef int _mark_passing(MatchContext ctx, object test, int tid, int stop,
                       char *can_start) except -1:
    """Flag every position before `stop` whose token passes `test` (memo index `tid`)."""
    tokens = ctx.tokens
    cdef int i = _next_passing(ctx, test, tid, tokens, 0, stop, 1)
    while i < stop:
        can_start[i] = 1
        i = _next_passing(ctx, test, tid, tokens, i + 1, stop, 1)
    return 0


cdef int _mark_starts(Code code, MatchContext ctx, char *can_start, int limit) except -1:
    """vm.search_plan's starts, as a flag per position up to `limit`."""
    cdef int i, k, tid, kid, stop = min(limit + 1, ctx.n)
    cdef SpanTable spans
    cdef _KeySet keys = code.first_lookups
    if keys is not None:
        _mark_passing(ctx, keys, keys.tid, stop, can_start)
    for check, tid in code.first_others:
        _mark_passing(ctx, check, tid, stop, can_start)
    for kid, key in code.first_spans:
        table = _keyed_table(ctx, kid, key)
        if type(table) is SpanTable:
            spans = <SpanTable> table
            for k in range(spans.count):
                if spans.s[k] <= limit:
                    can_start[spans.s[k]] = 1
        else:
            for i in table.by_start:
                if i <= limit:
                    can_start[i] = 1
    return 0


cdef int _mark_pivot_starts(Code code, MatchContext ctx, char *can_start,
                            int limit) except -1:
    """vm._pivot_starts, as a flag per position up to `limit`."""
    cdef int n = ctx.n, tid, k, kid
    cdef char *pivots = <char *> malloc(n + 1)
    if not pivots:
        raise MemoryError()
    cdef _Pivot way
    cdef SpanTable spans
    try:
        for way in code.pivots:
            memset(pivots, 0, n + 1)
            if way.lookups is not None:
                _mark_passing(ctx, way.lookups, way.lookups.tid, n, pivots)
            for check, tid in way.others:
                _mark_passing(ctx, check, tid, n, pivots)
            for kid, key in way.spans:
                table = _keyed_table(ctx, kid, key)
                if type(table) is SpanTable:
                    spans = <SpanTable> table
                    for k in range(spans.count):
                        pivots[spans.s[k]] = 1
                else:
                    for k in table.by_start:
                        pivots[k] = 1
            _reach_all(way.prefix, ctx, pivots, can_start, limit)
    finally:
        free(pivots)
    return 0


cdef int _reach_all(Code prefix, MatchContext ctx, char *pivots, char *can_start,
                    int limit) except -1:
    """vm._reach: flag the positions (up to `limit`) the reversed prefix reaches from the
    flagged pivots, on the prefix's working memory (its own, inside a run of its own)."""
    cdef int p
    cdef _DepthFirst run = _take_run(prefix)
    try:
        run.begin(prefix.size, ctx.n)
        for p in range(ctx.n):
            if pivots[p]:
                _reach(prefix, run, ctx, p, can_start, limit)
        ctx.steps += run.steps
    finally:
        _give_back(prefix, run)
    return 0


cdef int _reach(Code code, _DepthFirst run, MatchContext ctx, int pivot, char *starts,
                int limit) except -1:
    """Flag, up to `limit`, every position where the reversed prefix `code` reaches MATCH from
    `pivot`: a depth-first walk of all its paths, states already entered (from this pivot or
    another) left alone (vm._pivot_starts)."""
    cdef int depth, pc, pos, op, k, word, other
    cdef unsigned int bit
    cdef unsigned int *entered = run.entered
    cdef int words = run.words
    cdef int *ops = code.op
    cdef int *a = code.a
    cdef int *b = code.b
    cdef long steps = 0
    cdef SpanTable spans
    cdef object tokens = ctx.tokens
    depth = run.wait(0, 0, pivot, -1)
    while depth:
        depth -= 1
        pc, pos = run.wait_pc[depth], run.wait_pos[depth]
        while True:
            word = pos * words + (pc >> 5)
            bit = (<unsigned int> 1) << (pc & 31)
            if entered[word] & bit:
                break
            entered[word] |= bit
            steps += 1
            op = ops[pc]
            if op == TOK:
                if pos > 0 and _passes_at(code.args, pc, code.tid[pc], tokens, pos - 1,
                                          _form_id(ctx, pos - 1)):
                    pc += 1
                    pos -= 1
                    continue
                break
            if op == SPLIT:
                depth = run.wait(depth, b[pc], pos, -1)
                pc = a[pc]
                continue
            if op == JMP:
                pc = a[pc]
                continue
            if op == OPEN or op == CLOSE:
                pc += 1
                continue
            if op == MATCH:
                if pos <= limit:
                    starts[pos] = 1
                break
            if op == SPAN:
                table = _span_table(ctx, code, pc)
                if type(table) is SpanTable:
                    spans = <SpanTable> table
                    k = spans.first_to(pos)
                    while k < spans.count and spans.ends[k] == pos:
                        if spans.starts[k] < pos:
                            depth = run.wait(depth, pc + 1, spans.starts[k], -1)
                        k += 1
                else:
                    others = _others(table, pos, True)
                    if others:
                        for other in others:
                            if other < pos:
                                depth = run.wait(depth, pc + 1, other, -1)
                break
            if _holds(ctx, code, a[pc], b[pc], pos):  # ASSERT
                pc += 1
                continue
            break
    run.steps += steps
    return 0


def finditer(program, MatchContext ctx) -> list:
    """All non-overlapping leftmost-first matches of `program` in the sentence, in order
    (vm.finditer)."""
    return _search(program, ctx, [])


def finditer_each(list programs, needs, held, MatchContext ctx) -> list:
    """vm.finditer_each: (k, match) for each of a rule's programs that the sentence holds the
    needs of."""
    cdef list found = []
    cdef Py_ssize_t k
    for k in range(len(programs)):
        if needs is not None:
            need = (<list> needs)[k]
            if held & need != need:
                continue
        for match in <list> _search(programs[k], ctx, []):
            found.append((k, match))
    return found


def fill(program, MatchContext ctx, SpanTable table) -> None:
    """vm.fill: the spans of finditer's matches added to `table`, with no Match made."""
    _search(program, ctx, table)


cdef object _search(program, MatchContext ctx, object out):
    """finditer, its matches going to `out` (_Search.report)."""
    cdef int n = ctx.n
    cdef int limit = n
    cdef Code code = _code(program)
    if code.required:
        limit = _limit(ctx, code.required, n)
    if limit < 0:
        return out  # a token every match needs is not in the sentence
    if code.required_spans and not _holds_spans(ctx, code.required_spans):
        return out  # nor is a span of some set every match needs one of
    cdef char *can_start = NULL
    if code.skips or code.pivots:
        can_start = <char *> calloc(n + 1, 1)
        if not can_start:
            raise MemoryError()
        try:
            if code.pivots:
                _mark_pivot_starts(code, ctx, can_start, limit)
            else:
                _mark_starts(code, ctx, can_start, limit)
        except BaseException:
            free(can_start)
            raise
        can_start[n] = 1
    try:
        if code.depth_first:
            return _depth_first(code, ctx, limit, can_start, out)
        return _finditer(code, ctx, limit, can_start, out)
    finally:
        free(can_start)


cdef object _finditer(Code code, MatchContext ctx, int limit, char *can_start, object out):
    cdef int n = ctx.n
    cdef int capacity = code.size + code.spans * (n + 2) + 1
    cdef _Threads clist, nlist
    cdef _Search search
    cdef bint own = not code.busy
    if not own:  # a run of the same program inside this one: memory of its own
        clist, nlist, search = _Threads(code), _Threads(code), _Search(code)
    else:
        if code.search is None:
            code.clist, code.nlist, code.search = (
                _Threads(code), _Threads(code), _Search(code))
        clist, nlist, search = code.clist, code.nlist, code.search
        code.busy = True
    try:
        clist.reserve(capacity, n + 2)
        nlist.reserve(capacity, n + 2)
        clist.clear()
        nlist.clear()
        search.begin(ctx, n)
        _run(code, search, clist, nlist, ctx, limit, can_start, out)
        ctx.steps += search.steps
    finally:
        search.end()
        if search.events.capacity > KEEP_EVENTS:
            search.events.release()
        if capacity > KEEP_CAPACITY:
            clist.release()
            nlist.release()
        if own:
            code.busy = False
    return out


cdef int _run(Code code, _Search search, _Threads clist, _Threads nlist, MatchContext ctx,
              int limit, char *can_start, object out) except -1:
    """The search loop of vm.finditer."""
    cdef int n = search.n
    cdef object tokens = ctx.tokens
    cdef _Threads swap
    cdef int head = 0, last = 0, pos = -1, i, j, pc, sid, start, wait, op, caps
    cdef list names = code.names
    cdef Py_ssize_t fid = -1
    cdef bint alive, fresh
    cdef long steps = 0  # added to the search's once: a local stays in a register
    while pos < n:
        pos += 1
        # whether the newest search has no match yet
        fresh = not search.held[last]
        if can_start != NULL and clist.count == 0 and fresh:
            while not can_start[pos]:  # idle: skip to where a match can start
                pos += 1
        # the newest search looks for its start, where one can be (vm.finditer)
        if fresh and pos <= limit and (can_start == NULL or can_start[pos]):
            search.add(clist, 0, pos, last, pos, -1)
        nlist.clear()
        if pos < n:
            fid = _form_id(ctx, pos)
        i = 0
        while i < clist.count:
            pc = clist.pc[i]
            sid = clist.sid[i]
            start = clist.start[i]
            wait = clist.wait[i]
            caps = clist.caps[i]
            i += 1
            steps += 1
            op = code.op[pc]
            if op == MATCH:
                if pos == start:
                    continue  # empty matches are never reported
                search.hold(sid, start, pos, caps, last)
                # Lower-priority threads of this search and all later searches are cut; a
                # new search for the next match starts here, behind the survivors.
                clist.count = i
                clist.stamp += 1  # (STAMP_LIMIT is far: clear() resets before it is reached)
                for j in range(clist.count):
                    if clist.wait[j] < 0:
                        clist.hold(clist.pc[j])
                    else:
                        clist.hold_span(clist.pc[j], clist.wait[j])
                last = sid + 1
                search.add(clist, 0, pos, last, pos, -1)
                continue
            if pos == n:
                continue
            if wait < 0:  # TOK
                if _passes_at(code.args, pc, code.tid[pc], tokens, pos, fid):
                    search.add(nlist, pc + 1, pos + 1, sid, start, caps)
            elif wait == pos + 1:  # a span ends with this token
                search.add(nlist, pc + 1, pos + 1, sid, start, caps)
            elif nlist.hold_span(pc, wait):
                nlist.push(pc, sid, start, caps, wait)
        # Searches with no thread left are decided, oldest first.
        while search.held[head]:
            alive = False
            for j in range(nlist.count):
                if nlist.sid[j] == head:
                    alive = True
                    break
            if alive:
                break
            search.report(head, names, out)
            head += 1
        swap = clist
        clist = nlist
        nlist = swap
    while search.held[head]:
        search.report(head, names, out)
        head += 1
    search.steps += steps
    return 0


cdef object _match(int start, int end, dict captures):
    """A Match, made without running its dataclass __init__ as Python (slots set directly)."""
    match = _new(_MATCH_TYPE)
    match.start = start
    match.end = end
    match.captures = captures
    return match


cdef class _Body:
    """A run of a lookaround body (vm._closure_set, _advance, _scan, _anchored), on working
    memory its program keeps between runs."""

    cdef Code code
    cdef MatchContext ctx
    cdef int n
    cdef int *visited
    cdef int closure
    cdef int *stack
    cdef long steps
    cdef _Threads states
    cdef _Threads spare

    def __cinit__(self, Code code):
        self.code = code
        self.visited = <int *> calloc(max(code.size, 1), sizeof(int))
        self.stack = <int *> malloc((2 * code.size + 2) * sizeof(int))
        if not self.visited or not self.stack:
            raise MemoryError()
        self.closure = 0
        self.states = _Threads(code)
        self.spare = _Threads(code)

    def __dealloc__(self):
        free(self.visited)
        free(self.stack)

    cdef int begin(self, MatchContext ctx) except -1:
        self.ctx = ctx
        self.n = ctx.n
        self.steps = 0
        capacity = self.code.size + self.code.spans * (self.n + 2) + 1
        self.states.reserve(capacity, self.n + 2)
        self.spare.reserve(capacity, self.n + 2)
        self.states.clear()
        self.spare.clear()
        return 0

    cdef void end(self) noexcept:
        self.ctx = None
        if self.states.capacity > KEEP_CAPACITY:
            self.states.release()
            self.spare.release()

    cdef bint close(self, _Threads states, int pc, int pos) except -1:
        """Add the consuming states reachable from `pc` at `pos`; True if MATCH is."""
        cdef Code code = self.code
        cdef int depth = 1, op, other, k
        cdef SpanTable spans
        cdef bint matched = False
        self.closure += 1
        if self.closure == STAMP_LIMIT:
            memset(self.visited, 0, code.size * sizeof(int))
            self.closure = 1
        cdef int closure = self.closure
        self.stack[0] = pc
        while depth:
            depth -= 1
            pc = self.stack[depth]
            if self.visited[pc] == closure:
                continue
            self.visited[pc] = closure
            self.steps += 1
            op = code.op[pc]
            if op == TOK:
                states.add(pc, -1)
            elif op == MATCH:
                matched = True
            elif op == SPAN:
                table = _span_table(self.ctx, code, pc)
                if type(table) is not SpanTable:
                    others = _others(table, pos, code.reverse)
                    if others:
                        for other in others:
                            states.add(pc, other)
                elif code.reverse:
                    spans = <SpanTable> table
                    k = spans.first_to(pos)
                    while k < spans.count and spans.ends[k] == pos:
                        states.add(pc, spans.starts[k])
                        k += 1
                else:
                    spans = <SpanTable> table
                    k = spans.first_from(pos)
                    while k < spans.count and spans.s[k] == pos:
                        states.add(pc, spans.e[k])
                        k += 1
            elif op == SPLIT:
                self.stack[depth] = code.a[pc]
                self.stack[depth + 1] = code.b[pc]
                depth += 2
            elif op == JMP:
                self.stack[depth] = code.a[pc]
                depth += 1
            elif op == OPEN or op == CLOSE or _holds(self.ctx, code, code.a[pc],
                                                     code.b[pc], pos):
                self.stack[depth] = pc + 1
                depth += 1
        return matched

    cdef bint advance(self, int pos) except -1:
        """Consume the token between `pos` and the next position in the program's
        direction: `states` becomes the states after it; True if MATCH was reached."""
        cdef Code code = self.code
        cdef int nxt = pos - 1 if code.reverse else pos + 1
        cdef int at = nxt if code.reverse else pos
        cdef object tokens = self.ctx.tokens
        cdef Py_ssize_t fid = _form_id(self.ctx, at)
        cdef _Threads now = self.states, out = self.spare
        cdef bint matched = False
        cdef int i, pc, other
        out.clear()
        for i in range(now.count):
            self.steps += 1
            pc = now.pc[i]
            other = now.wait[i]
            if other < 0:
                if _passes_at(code.args, pc, code.tid[pc], tokens, at, fid):
                    matched |= self.close(out, pc + 1, nxt)
            elif other == nxt:
                matched |= self.close(out, pc + 1, nxt)
            else:
                out.add(pc, other)
        self.states = out
        self.spare = now
        return matched


cdef Code _code(object program):
    """The program's instructions as a Code, made the first time (a Code is its own)."""
    if type(program) is Code:
        return <Code> program
    cdef Code code = program.native
    if code is None:
        code = program.native = Code(program)
    return code


def native(program) -> Code:
    """What finditer and fill run a program as (vm.native): its Code, which they take in its
    place without reading the program's attributes to find it on every run."""
    return _code(program)


cdef _Body _body(Code code, MatchContext ctx):
    """The program's lookaround runner, ready for a run (a fresh one inside a run of its own)."""
    cdef _Body body
    if code.busy:
        body = _Body(code)
    else:
        if code.body is None:
            code.body = _Body(code)
        body = code.body
        code.busy = True
    body.begin(ctx)
    return body


cdef void _done(_Body body) noexcept:
    body.ctx.steps += body.steps
    body.end()
    if body.code.body is body:
        body.code.busy = False


def scan(program, MatchContext ctx, bint ahead) -> list:
    """vm._scan: for every position p, does the body match some span ending at p (behind) or
    starting at p (ahead, program reversed and run from the sentence end)? One pass."""
    cdef _Body body = _body(_code(program), ctx)
    cdef int n = body.n, pos, step = -1 if ahead else 1
    cdef list result = [False] * (n + 1)
    cdef bint carried = False, matched
    pos = n if ahead else 0
    try:
        while True:
            matched = body.close(body.states, 0, pos) or carried
            result[pos] = matched
            if (pos == 0) if ahead else (pos == n):
                break
            carried = body.advance(pos)
            pos += step
    finally:
        _done(body)
    return result


def anchored(program, MatchContext ctx, int pos) -> bool:
    """vm._anchored: does the body match a span starting at `pos` (forward program) or ending
    there (reversed program)?"""
    return _anchored(_code(program), ctx, pos)


cdef bint _anchored(Code code, MatchContext ctx, int pos) except -1:
    cdef _Body body = _body(code, ctx)
    cdef int step = -1 if body.code.reverse else 1
    cdef bint found = False
    try:
        if body.close(body.states, 0, pos):
            found = True
        else:
            while body.states.count and (pos > 0 if body.code.reverse else pos < body.n):
                if body.advance(pos):
                    found = True
                    break
                pos += step
    finally:
        _done(body)
    return found


cdef unsigned long long *_or_rows = NULL  # sentence_rules' two accumulators, kept
cdef Py_ssize_t _or_words = 0


cdef int _or_row(unsigned long long *acc, object row, Py_ssize_t words) except -1:
    """OR a form's row (bytes, `words` 64-bit words, little-endian) into `acc`."""
    cdef const unsigned char *raw = <bytes> row
    cdef unsigned long long word
    cdef Py_ssize_t w
    if len(<bytes> row) != words * 8:
        raise ValueError("rows of unequal length")
    for w in range(words):
        memcpy(&word, raw + 8 * w, 8)
        acc[w] |= word
    return 0


def sentence_rules(list fids, bytearray kinds, list masks, list slots, untriggered,
                   bint raw=False) -> tuple:
    """vm.sentence_rules in one C loop: the rules a sentence's tokens trigger (OR-ed with
    `untriggered`) and the condition slots they hold, read off the engine's per-form rows
    where the form's kind byte says it has one (bit 1: rules, bit 2: slots; a few forms per
    sentence), OR-ed a machine word at a time: as Python ints, each OR made a new int of
    up to 600 bits. Every form has both rows (all of a list of the same length), a shared
    row of zeros where it has nothing."""
    global _or_rows, _or_words
    cdef Py_ssize_t i, fid, size = len(kinds), mw = -1, sw = -1
    cdef unsigned char *kind = kinds
    cdef unsigned long long *acc
    for i in range(len(fids)):
        fid = <Py_ssize_t> fids[i]
        if fid < 0 or fid >= size:
            raise IndexError("form id out of range")
        if not kind[fid]:
            continue
        if mw < 0:  # the first form with a row: room for both accumulators, zeroed
            mw = len(<bytes> masks[fid]) // 8
            sw = len(<bytes> slots[fid]) // 8
            if mw + sw > _or_words:
                acc = <unsigned long long *> realloc(_or_rows, (mw + sw) * 8)
                if acc == NULL:
                    raise MemoryError()
                _or_rows, _or_words = acc, mw + sw
            memset(_or_rows, 0, (mw + sw) * 8)
        if kind[fid] & 1:
            _or_row(_or_rows, masks[fid], mw)
        if kind[fid] & 2:
            _or_row(_or_rows + mw, slots[fid], sw)
    if raw:  # (sentence_candidates: the sums left in _or_rows, their sizes in words)
        return None if mw < 0 else (mw, sw)
    if mw < 0:
        return untriggered, 0
    triggered = untriggered | int.from_bytes(
        (<char *> _or_rows)[:mw * 8], "little") if mw else untriggered
    held = int.from_bytes((<char *> (_or_rows + mw))[:sw * 8], "little") if sw else 0
    return triggered, held


cdef inline unsigned long long _word_at(unsigned long long *bits, Py_ssize_t words,
                                        Py_ssize_t offset) noexcept:
    """The 64 bits of an array of `words` words from bit `offset` on (zeros past its end)."""
    cdef Py_ssize_t q = offset >> 6, r = offset & 63
    cdef unsigned long long low = bits[q] if q < words else 0
    if r == 0:
        return low
    return (low >> r) | ((bits[q + 1] if q + 1 < words else 0) << (64 - r))


def sentence_candidates(list fids, bytearray kinds, list masks, list slots, bytes untriggered,
                        list fewer, Py_ssize_t width, Py_ssize_t sets_shift) -> tuple:
    """vm.sentence_candidates: sentence_rules' rows OR-ed, then each condition slot's rules
    kept where they hold it, a machine word at a time, with no Python int made but the two
    returned (wide ones, with a thousand rules: each shift and AND made a new one)."""
    cdef tuple got = sentence_rules(fids, kinds, masks, slots, 0, True)
    cdef Py_ssize_t mw = len(untriggered) // 8, sw, w, j, size
    cdef unsigned long long word
    cdef const unsigned char *raw = untriggered
    cdef const unsigned char *less
    if got is None:  # no form with a row: the untriggered rules, kept as they are filtered
        return _candidates_of_untriggered(untriggered, fewer, mw), 0
    if got[0] != mw:
        raise ValueError("rows of unequal length")
    sw = got[1]
    cdef unsigned long long *rules = _or_rows
    cdef unsigned long long *held = _or_rows + mw
    for w in range(mw):
        memcpy(&word, raw + 8 * w, 8)
        rules[w] |= word
    for j in range(len(fewer)):
        less = <bytes> fewer[j]
        if len(<bytes> fewer[j]) != mw * 8:
            raise ValueError("rows of unequal length")
        for w in range(mw):
            memcpy(&word, less + 8 * w, 8)
            rules[w] &= _word_at(held, sw, j * width + 64 * w) | word
    size = max(sw - (sets_shift >> 6), 0)
    out = bytearray(8 * size)
    for w in range(size):
        word = _word_at(held, sw, sets_shift + 64 * w)
        memcpy(<unsigned char *> out + 8 * w, &word, 8)
    return (int.from_bytes((<char *> rules)[:mw * 8], "little"),
            int.from_bytes(out, "little"))


cdef object _candidates_of_untriggered(bytes untriggered, list fewer, Py_ssize_t mw):
    """sentence_candidates where no form holds a condition: the untriggered rules that have
    none in any slot (`fewer`)."""
    found = int.from_bytes(untriggered, "little")
    for less in fewer:
        found &= int.from_bytes(<bytes> less, "little")
    return found


cdef inline bint _row_bit(object row, Py_ssize_t bit) except -1:
    """Bit `bit` of a row (bytes, little-endian), False past its end."""
    cdef Py_ssize_t size = len(<bytes> row)
    cdef const unsigned char *raw = <bytes> row
    if bit >> 3 >= size:
        return False
    return (raw[bit >> 3] >> (bit & 7)) & 1


def near(list fids, list masks, list slots, Py_ssize_t rule, Py_ssize_t width,
         Py_ssize_t inside, Py_ssize_t reach) -> bool:
    """vm.near in C: a pass over the sentence's forms per condition, the trigger positions
    in an array, not lists of boxed positions."""
    cdef Py_ssize_t n = len(fids), i, j, k, count = 0, last, bit
    cdef Py_ssize_t *triggers = <Py_ssize_t *> malloc(max(n, 1) * sizeof(Py_ssize_t))
    cdef bint found
    if not triggers:
        raise MemoryError()
    try:
        for i in range(n):
            if _row_bit(masks[<Py_ssize_t> fids[i]], rule):
                triggers[count] = i
                count += 1
        for j in range(inside):
            bit = j * width + rule
            found = False
            k = 0
            for i in range(n):
                if not _row_bit(slots[<Py_ssize_t> fids[i]], bit):
                    continue
                # the triggers before i - reach + 1 are too far from every later token
                while k < count and triggers[k] <= i - reach:
                    k += 1
                if k < count and triggers[k] < i + reach:
                    found = True
                    break
            if not found:
                return False
        return True
    finally:
        free(triggers)


def flagged(list fids, bytearray flags):
    """vm.flagged in one C loop: the positions whose form is flagged 2 in `flags`, None as
    soon as one is not known yet."""
    cdef Py_ssize_t i, fid, size = len(flags)
    cdef unsigned char *flag = flags
    cdef list out = []
    for i in range(len(fids)):
        fid = <Py_ssize_t> fids[i]
        if fid < 0 or fid >= size or not flag[fid]:
            return None
        if flag[fid] == 2:
            out.append(i)
    return out


def bit_positions(mask) -> list:
    """The positions of the set bits of `mask` (an int >= 0), ascending: a sentence's
    candidate rules, read off its rule mask a byte at a time in C."""
    cdef bytes raw = mask.to_bytes((mask.bit_length() + 7) >> 3, "little")
    cdef const unsigned char *byte = raw
    cdef Py_ssize_t i, size = len(raw)
    cdef int bit
    cdef unsigned char b
    cdef list out = []
    for i in range(size):
        b = byte[i]
        bit = 0
        while b:
            if b & 1:
                out.append(8 * i + bit)
            b >>= 1
            bit += 1
    return out


def bit_flags(mask, Py_ssize_t n) -> bytearray:
    """vm.bit_flags: a byte per position below `n`, 1 where `mask` has that bit set."""
    cdef bytes raw = mask.to_bytes((mask.bit_length() + 7) >> 3, "little")
    cdef const unsigned char *byte = raw
    cdef Py_ssize_t i, k, size = min(len(raw), (n + 7) >> 3)
    cdef bytearray out = bytearray(n)
    cdef unsigned char *flags = out
    cdef unsigned char b
    for i in range(size):
        b = byte[i]
        k = 8 * i
        while b and k < n:
            flags[k] = b & 1
            b >>= 1
            k += 1
    return out


def flagged_learning(list fids, bytearray flags, says) -> list:
    """vm.flagged_learning: flagged(), the forms not known yet learnt first (`says(fid)`: is
    form `fid` flagged yes), compiled so that a sentence of known forms costs one call."""
    cdef Py_ssize_t i, fid, size
    found = flagged(fids, flags)
    if found is not None:
        return found
    size = max(fids) + 1
    if size > len(flags):  # to its own length: threads may share the memo
        flags.extend(bytes(size - len(flags)))
    for i in range(len(fids)):
        fid = <Py_ssize_t> fids[i]
        if not flags[fid]:
            flags[fid] = 2 if says(fid) else 1
    return flagged(fids, flags)
