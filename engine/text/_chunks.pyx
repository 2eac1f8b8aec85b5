# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The kept chunks (Tokenizer.chunks) as a C hash table, and document.from_chunks over it.

A warm document is made of chunks (runs between spaces) whose tokens are kept: one lookup
per chunk, 250,000 a pass over FA-KES. Through a dict each lookup sliced the chunk out of
the text (a new string), hashed it with SipHash and probed: a tenth of a warm pass. Here a
chunk is hashed and compared where it lies in the text, by code point (so a chunk of a text
that holds wider characters finds the key stored narrow), and nothing is made.
document.py keeps the reference: a dict and the same loop in Python, used where this
extension was not built; tests/test_chunks.py checks the two against each other.
"""

from cpython.object cimport PyObject
from cpython.ref cimport Py_XDECREF, Py_XINCREF
from cpython.unicode cimport PyUnicode_KIND, PyUnicode_DATA, PyUnicode_READ
from libc.stdint cimport uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcmp

cdef extern from "Python.h":
    int PyUnicode_1BYTE_KIND
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)


cdef struct Slot:
    uint64_t hash  # 0: empty (ChunkMap.hash_of makes them odd)
    PyObject *key  # the chunk (a str), a reference held
    PyObject *entry  # its tokens (a tuple), or None where never kept


cdef inline uint64_t _hash(int kind, const void *data, Py_ssize_t start,
                           Py_ssize_t end) noexcept:
    """FNV-1a over the code points of data[start:end]. (One byte per code point, most texts'
    kind, has a loop of its own: PyUnicode_READ tests the kind at every character.)"""
    cdef uint64_t h = 14695981039346656037ULL
    cdef Py_ssize_t i
    cdef const unsigned char *bytes
    if kind == PyUnicode_1BYTE_KIND:
        bytes = <const unsigned char *> data
        for i in range(start, end):
            h = (h ^ <uint64_t> bytes[i]) * 1099511628211ULL
        return h
    for i in range(start, end):
        h = (h ^ <uint64_t> PyUnicode_READ(kind, data, i)) * 1099511628211ULL
    return h


cdef inline bint _same(str key, int kind, const void *data, Py_ssize_t start,
                       Py_ssize_t end) noexcept:
    cdef Py_ssize_t n = end - start, i
    if len(key) != n:
        return False
    cdef int key_kind = PyUnicode_KIND(key)
    cdef const void *key_data = PyUnicode_DATA(key)
    if key_kind == kind == PyUnicode_1BYTE_KIND:
        return memcmp(key_data, <const unsigned char *> data + start, n) == 0
    for i in range(n):
        if PyUnicode_READ(key_kind, key_data, i) != PyUnicode_READ(kind, data, start + i):
            return False
    return True


cdef class ChunkMap:
    """A dict from chunk to its kept tokens (a tuple) or None, for the operations
    Tokenizer uses: get, in, [], setting, len, clear, ==."""

    cdef Slot *slots
    cdef Py_ssize_t mask  # capacity - 1 (a power of two)
    cdef Py_ssize_t count
    cdef uint64_t hash_mask  # the bits of a hash kept (all; fewer for tests: collisions)

    def __cinit__(self, int hash_bits=64):
        self.slots = NULL
        self.count = 0
        self.hash_mask = <uint64_t> -1 if hash_bits >= 64 else (<uint64_t> 1 << hash_bits) - 1
        self._allocate(64)

    cdef inline uint64_t hash_of(self, int kind, const void *data, Py_ssize_t start,
                                 Py_ssize_t end) noexcept:
        return (_hash(kind, data, start, end) & self.hash_mask) | 1

    def __dealloc__(self):
        self._release()

    cdef int _allocate(self, Py_ssize_t capacity) except -1:
        self.slots = <Slot *> calloc(capacity, sizeof(Slot))
        if not self.slots:
            raise MemoryError()
        self.mask = capacity - 1
        return 0

    cdef void _release(self) noexcept:
        cdef Py_ssize_t k
        if self.slots:
            for k in range(self.mask + 1):
                if self.slots[k].hash:
                    Py_XDECREF(self.slots[k].key)
                    Py_XDECREF(self.slots[k].entry)
            free(self.slots)
            self.slots = NULL
        self.count = 0

    cdef Slot *_find(self, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
                     uint64_t h) noexcept:
        """The slot holding the chunk data[start:end] (hash h), or the empty one it would
        go in."""
        cdef Py_ssize_t k = <Py_ssize_t> (h & <uint64_t> self.mask)
        cdef Slot *slot
        while True:
            slot = &self.slots[k]
            if slot.hash == 0:
                return slot
            if slot.hash == h and _same(<str> slot.key, kind, data, start, end):
                return slot
            k = (k + 1) & self.mask

    cdef Slot *_slot(self, str key) noexcept:
        cdef int kind = PyUnicode_KIND(key)
        cdef const void *data = PyUnicode_DATA(key)
        cdef Py_ssize_t n = len(key)
        return self._find(kind, data, 0, n, self.hash_of(kind, data, 0, n))

    cdef int _grow(self) except -1:
        cdef Slot *old = self.slots
        cdef Py_ssize_t old_size = self.mask + 1, k, j
        self._allocate(2 * old_size)
        for k in range(old_size):
            if old[k].hash:
                j = <Py_ssize_t> (old[k].hash & <uint64_t> self.mask)
                while self.slots[j].hash:
                    j = (j + 1) & self.mask
                self.slots[j] = old[k]
        free(old)
        return 0

    def get(self, str key, default=None):
        cdef Slot *slot = self._slot(key)
        if slot.hash == 0:
            return default
        return <object> slot.entry

    def __getitem__(self, str key):
        cdef Slot *slot = self._slot(key)
        if slot.hash == 0:
            raise KeyError(key)
        return <object> slot.entry

    def __contains__(self, key) -> bool:
        return type(key) is str and self._slot(<str> key).hash != 0

    def __setitem__(self, str key, entry):
        if entry is not None and type(entry) is not tuple:
            raise TypeError("a chunk's entry is a tuple or None")
        cdef Slot *slot = self._slot(key)
        cdef PyObject *old
        if slot.hash:
            old = slot.entry
            Py_XINCREF(<PyObject *> entry)
            slot.entry = <PyObject *> entry
            Py_XDECREF(old)
            return
        if 2 * (self.count + 1) > self.mask + 1:  # at most half full: short probes
            self._grow()
            slot = self._slot(key)
        cdef int kind = PyUnicode_KIND(key)
        slot.hash = self.hash_of(kind, PyUnicode_DATA(key), 0, len(key))
        Py_XINCREF(<PyObject *> key)
        Py_XINCREF(<PyObject *> entry)
        slot.key = <PyObject *> key
        slot.entry = <PyObject *> entry
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def clear(self) -> None:
        self._release()
        self._allocate(64)

    def items(self) -> list:
        cdef Py_ssize_t k
        return [(<object> self.slots[k].key, <object> self.slots[k].entry)
                for k in range(self.mask + 1) if self.slots[k].hash]

    def __eq__(self, other):
        if isinstance(other, ChunkMap):
            other = dict(other.items())
        return isinstance(other, dict) and dict(self.items()) == other

    def __repr__(self) -> str:
        return f"ChunkMap({len(self)} chunks)"


def from_chunks(str text, ChunkMap chunks, list table, list missing, bytes kinds,
                object kinds_for, int space_kind, int break_kind, int terminal_kind):
    """document._from_chunks over a ChunkMap, with its kinds and their constants passed in."""
    cdef list fids = [], starts = [], terminals = [], breaks = []
    cdef Py_ssize_t n = len(text), i, start = 0, k, fid, entry_size
    cdef int kind = PyUnicode_KIND(text)
    cdef const void *data = PyUnicode_DATA(text)
    cdef Py_UCS4 char = 32
    cdef bint in_space, space
    cdef Slot *slot
    cdef tuple entry
    cdef int form_kind
    if n == 0:
        return fids, starts, terminals, breaks
    in_space = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, 0))
    for i in range(n + 1):
        if i < n:
            char = PyUnicode_READ(kind, data, i)
            space = Py_UNICODE_ISSPACE(char)
            if space == in_space:
                continue
        if start < i:
            slot = chunks._find(kind, data, start, i, chunks.hash_of(kind, data, start, i))
            if slot.hash == 0 or not <object> slot.entry:  # not met, or never kept
                missing.append((start, i))
            elif not missing:
                entry = <tuple> slot.entry
                entry_size = len(entry)
                for k in range(0, entry_size, 2):
                    form = entry[k]
                    fid = form
                    if fid >= len(kinds):
                        kinds = kinds_for(table)
                    form_kind = kinds[fid]
                    if form_kind >= space_kind:
                        if form_kind == break_kind:
                            breaks.append(len(fids))
                        continue
                    if form_kind == terminal_kind:
                        terminals.append(len(fids))
                    fids.append(form)
                    starts.append(start + <Py_ssize_t> entry[k + 1])
        if i < n:
            start = i + 1 if char == 32 else i
            in_space = not in_space
    return None if missing else (fids, starts, terminals, breaks)
