"""Tokens with every attribute a pattern can test, computed once per distinct word form.

spaCy's blank English tokenizer splits the text. The attributes of a word form never depend on
its context, so they are made once per form, which gets a small dense id (FORM_IDS) that spaCy
itself then hands back for every token of the form (Tokenizer.form_id): building a token costs
a list index and a tuple, and documents only build the tokens of sentences some rule may match.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from collections.abc import Callable
from functools import lru_cache
from math import isfinite
from typing import Any, NamedTuple

# Boolean lexical attributes mirrored from spaCy, under spaCy's own names.
SPACY_FLAGS = (
    "is_alpha", "is_ascii", "is_digit", "is_lower", "is_upper", "is_title", "is_punct",
    "is_left_punct", "is_right_punct", "is_space", "is_bracket", "is_quote", "is_currency",
    "is_stop", "like_num", "like_url", "like_email",
)

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 1_000_000, "billion": 1_000_000_000, "dozen": 12,
}
# Word forms get small dense ids, in the order this process meets them, by spaCy orth id (a
# hash of the text, the same in every vocabulary, but a large int and looked up by hashing):
# per-form tables indexed by id (lists, bytearrays, C arrays) replace dicts keyed by orth in
# the sentence pass. Ids belong to the process: what crosses processes carries orth ids.
FORM_IDS: dict[int, int] = {}  # spaCy orth id -> form id
FORMS: list[Form] = []  # form id -> attributes
_FORMS_LOCK = threading.Lock()  # an id and its place in FORMS are given together
MAX_TEXT_CHARS = 10_000_000  # the longest text tokenised: a document's limit (api.py)
# The compiled matcher memoises token tests for the first MAX_FORM_IDS forms (most of any
# corpus's tokens; engine/matching/_vm.pyx).
MAX_FORM_IDS = 1 << 16
# A corpus keeps bringing new words (names, numbers, misspellings): every form costs its
# tables here, in the engines and the matcher's memo, and in spaCy's vocabulary some 1.5-3 KB
# in all. Past MAX_FORMS forms, they are all forgotten at once (forget_forms_if_full): spaCy's
# pipeline is made anew, the ids start again from 0 and each table is emptied, so that memory
# stays bounded over an archive of any size; the forms still in use are learnt again. As many
# as the matcher memoises: no form goes without its memo for long.
MAX_FORMS = MAX_FORM_IDS
# Text chunks (between spaces) whose tokens spaCy's tokenizer keeps, instead of splitting their
# affixes again each time they come back. spaCy keeps 10,000 (from 3.8), fewer than FA-KES's
# 15,326 alone: past them every new chunk is split anew, which made the bare tokenisation of
# FA-KES cost 66% more instructions than with room for all (docs/performance.md, sixteenth
# session). A kept chunk costs about 260 bytes; this bounds the cache at ~26 MB, against the
# lexemes spaCy's vocabulary keeps for every word it has met (~350 bytes each, unbounded).
TOKENIZER_CACHE_CHUNKS = 100_000
_DIGITS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[+-]?\d+(?:\.\d+)?$")


class Token(NamedTuple):
    """One token of a sentence. `start`/`end` index the original document text."""

    i: int
    start: int
    end: int
    text: str
    lower: str
    norm: str  # lowercased, accents stripped, quotes and unicode normalised (as textacy does)
    lemma: str  # lookup lemma, lowercased
    shape: str
    spacy_norm: str  # spaCy's own NORM, for spaCy Matcher patterns
    flags: frozenset[str]
    num: float | None  # numeric value of a single-token number ("3,000", "seven")


class Form(NamedTuple):
    """Context-free attributes of one word form, shared by all its occurrences."""

    text: str
    lower: str
    norm: str
    lemma: str
    shape: str
    spacy_norm: str
    flags: frozenset[str]
    num: float | None


class _Gate:
    """Who may read the form tables (tokenising, matching) and when they are forgotten: any
    number of threads read at once, and forgetting waits until none reads, no new reader
    entering meanwhile. Reading blocks do not nest (a thread would wait for itself)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._readers = 0
        self._forgetting = False

    # (acquire and release, not `with`: compiled, a `with` makes two bound methods each time,
    # and a document passes the gate twice)
    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            while self._forgetting:
                self._idle.wait()
            self._readers += 1
        finally:
            self._lock.release()

    def __exit__(self, *_exc) -> None:
        self._lock.acquire()
        try:
            self._readers -= 1
            if self._forgetting and not self._readers:
                self._idle.notify_all()
        finally:
            self._lock.release()

    def forget(self, still_full: Callable[[], bool], forget: Callable[[], None]) -> bool:
        """Run `forget` once no thread reads, if `still_full()` then; whether it ran."""
        with self._lock:
            while self._forgetting:
                self._idle.wait()
            self._forgetting = True
            while self._readers:
                self._idle.wait()
        try:
            if not still_full():
                return False
            forget()
            return True
        finally:
            with self._lock:
                self._forgetting = False
                self._idle.notify_all()


# `with FORMS_IN_USE:` around whatever makes or reads form ids (tokenising, a sentence pass)
FORMS_IN_USE = _Gate()
_generation = 0  # how many times the forms were forgotten: the age of a document's ids
_forgetters: list = []  # what empties each table kept by form id (on_forget)


def generation() -> int:
    """The current age of form ids: a document made at another age has ids that mean nothing
    now, and is tokenised again before it is matched (api.Engine.extract_document)."""
    return _generation


def on_forget(callback: Callable[[], None]) -> None:
    """Have `callback` empty a table kept by form id when the forms are forgotten. A bound
    method is held weakly: an engine that is dropped is not kept alive for this."""
    _forgetters.append(weakref.WeakMethod(callback) if hasattr(callback, "__self__")
                       else (lambda: callback))


def forget_forms_if_full() -> bool:
    """Forget every word form if there are MAX_FORMS or more; whether they were forgotten.
    Called before a document is made, outside any reading block."""
    if len(FORMS) < MAX_FORMS:
        return False
    return FORMS_IN_USE.forget(lambda: len(FORMS) >= MAX_FORMS, _forget_all)


def _forget_all() -> None:
    global FORMS, FORM_IDS, _generation
    # new objects: the documents made so far keep the table their ids index (Sentence.table)
    FORMS, FORM_IDS = [], {}
    _generation += 1
    live = []
    for ref in _forgetters:
        callback = ref()
        if callback is not None:
            callback()
            live.append(ref)
    _forgetters[:] = live


def _register(orth: int, form: Form) -> None:
    """Give a form its id (once: another thread or tokenizer may have given it already)."""
    with _FORMS_LOCK:
        if orth not in FORM_IDS:
            FORM_IDS[orth] = len(FORMS)
            FORMS.append(form)


def visible(text: str) -> str:
    """A word without its invisible format characters (Unicode category Cf: soft hyphens,
    zero-width spaces and joiners, direction marks, byte-order marks), which web text leaves
    inside words ("civil\u00adians") and spaCy keeps in its tokens: what the word's lower
    case, norm, lemma and number are read from. Its text and offsets keep them."""
    if text.isascii():
        return text
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def _is_space(text: str) -> bool:
    return text.isspace() or not visible(text).strip()


def normalize(text: str) -> str:
    """The matching form of a word: what bare pattern words and lexicon aliases compare on."""
    return _normalize_cached(text)


# The typographic quotes and apostrophes that stand for ' and " (textacy's table).
_QUOTES = str.maketrans({"ʼ": "'", "‘": "'", "’": "'", "´": "'", "`": "'", "“": '"', "”": '"'})


@lru_cache(maxsize=200_000)
def _normalize_cached(text: str) -> str:
    """textacy's preprocessing, step for step (NFKC, quotes, accents, then lower case;
    tests/test_text.py checks every code point against it), on `unicodedata`: importing textacy
    takes 1.4 s (scikit-learn, SciPy), once in every process that meets a non-ASCII word."""
    if text.isascii() and "`" not in text:
        return text.lower()  # the three steps are the identity here
    out = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    out = "".join(char for char in unicodedata.normalize("NFKD", out)
                  if not unicodedata.combining(char))
    return out.lower()


def number_value(text: str) -> float | None:
    """Value of a token that is a number on its own: digits with separators, or a number word."""
    if _DIGITS.match(text):
        value = float(text.replace(",", ""))
        if not isfinite(value):
            return None  # over 308 digits: no number a fact can carry (nor JSON write)
        return int(value) if value.is_integer() else value
    return _NUMBER_WORDS.get(text.lower())


# A lexeme's flags (SPACY_FLAGS it has), by spaCy's bit field of them (Lexeme.flags): a few
# dozen combinations in all, each set made once and shared by the forms that have it.
_FLAG_SETS: dict[int, frozenset[str]] = {}


def _flags(lex) -> frozenset[str]:
    """The SPACY_FLAGS a lexeme has (each of them one of its bits)."""
    found = _FLAG_SETS.get(lex.flags)
    if found is None:
        found = _FLAG_SETS[lex.flags] = frozenset(name for name in SPACY_FLAGS
                                                  if getattr(lex, name))
    return found


class Tokenizer:
    """spaCy `blank("en")` tokenisation plus lookup lemmas; picklable (rebuilt lazily)."""

    def __init__(self) -> None:
        self._nlp: Any = None
        self._lemmas: Any = None
        self.forms: dict[int, Form] = {}  # spaCy orth id -> attributes
        self._lock = threading.Lock()
        on_forget(self._forget)

    def _forget(self) -> None:
        """Drop the forms and spaCy's pipeline, whose vocabulary holds every word met and
        the form ids written into it (forget_forms_if_full): it is made again when next used."""
        self.forms = {}
        self._nlp = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    def _load(self) -> None:
        from engine.heap import collector_paused

        with self._lock, collector_paused():
            if self._nlp is None:
                import spacy
                from spacy.attrs import IS_SPACE

                self._lemmas = lemma_table()
                nlp = spacy.blank("en")
                # A token of invisible format characters alone (a zero-width space between
                # words) is space, as documents are split and matched: it carries nothing.
                nlp.vocab.lex_attr_getters[IS_SPACE] = _is_space
                # spaCy refuses texts over 1M characters for the memory its parser and NER
                # take; its tokenizer alone is linear. The engine has its own limit
                # (api.MAX_DOCUMENT_CHARS), said in its own words.
                nlp.max_length = MAX_TEXT_CHARS
                if hasattr(nlp.tokenizer, "max_cache_size"):  # spaCy 3.8 on; unbounded before
                    nlp.tokenizer.max_cache_size = TOKENIZER_CACHE_CHUNKS
                self._nlp = nlp

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._load()
        return self._nlp

    def lemma(self, text: str) -> str:
        """Lookup lemma, retrying in lowercase so that "Forces" gives "force"."""
        if self._lemmas is None:
            self._load()
        lemma = self._lemmas.get(text)
        if lemma is None:
            lower = text.lower()
            lemma = self._lemmas.get(lower, lower)
        return lemma.lower()

    def form(self, orth: int) -> Form:
        """The attributes of the word form with spaCy orth id `orth` (memoised)."""
        form = self.forms.get(orth)
        if form is None:
            lex = self.nlp.vocab[orth]
            text = lex.text
            seen = visible(text)
            lower = lex.lower_ if seen == text else seen.lower()
            form = self.forms[orth] = Form(
                text, lower, normalize(seen), self.lemma(seen), lex.shape_, lex.norm_,
                _flags(lex), number_value(seen))
            _register(orth, form)
        return form

    def form_id(self, orth: int) -> int:
        """The form id (FORM_IDS) of spaCy orth id `orth`, the form made if it is new. The id
        is also written into the lexeme's rank, which `Doc.to_array([ID])` reads in C, so
        that documents find their tokens' form ids without a dict lookup per token
        (text.document). The vocabulary is this tokenizer's own (spacy.blank, no vectors): no
        rank in it means anything else, and OOV_RANK marks the lexemes not seen yet."""
        self.form(orth)  # registers the form it makes
        fid = self.nlp.vocab[orth].rank = FORM_IDS[orth]
        return fid

    def spacy_doc(self, text: str) -> Any:
        return self.nlp.make_doc(text)

    @staticmethod
    def build(fids, starts, table: list[Form]) -> tuple[Token, ...]:
        """Tokens for parallel lists of form ids (of the forms `table`) and start offsets,
        indexed from 0."""
        out = []
        for i, (fid, start) in enumerate(zip(fids, starts, strict=True)):
            f = table[fid]
            out.append(Token(i, start, start + len(f.text), *f))
        return tuple(out)

    def tokens(self, text: str, offset: int = 0) -> tuple[Token, ...]:
        """Non-space tokens of `text`, offsets shifted by `offset`, indexed from 0."""
        with FORMS_IN_USE:
            doc = self.spacy_doc(text)
            kept = [t for t in doc if not t.is_space]
            return self.build([self.form_id(t.orth) for t in kept],
                              [t.idx + offset for t in kept], FORMS)


@lru_cache(maxsize=1)
def lemma_table() -> dict[str, str]:
    """spacy-lookups-data's English lemma table (form -> lemma) as a plain dict, read the way
    spaCy's `load_lookups` reads it. spaCy's own Table hashes its 41,582 keys one by one as it is
    made (0.09 s, in every process that tokenises) and every key it is asked for."""
    from spacy.lookups import load_lookups
    from spacy.util import load_language_data, registry

    if "en" not in registry.lookups:
        return load_lookups("en", ["lemma_lookup"])  # raises spaCy's own error: not installed
    return load_language_data(registry.lookups.get("en")["lemma_lookup"])


_TOKENIZER: Tokenizer | None = None


def get_tokenizer() -> Tokenizer:
    """The process-wide tokenizer (spaCy's pipeline is loaded once, on first use)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = Tokenizer()
    return _TOKENIZER
