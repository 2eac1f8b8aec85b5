"""Tokens with every attribute a pattern can test, computed once per distinct word form.

spaCy's blank English tokenizer splits the text. The attributes of a word form never depend on
its context, so they are made once per form, which gets a small dense id (FORM_IDS) that spaCy
itself then hands back for every token of the form (Tokenizer.form_id): building a token costs
a list index and a tuple, and documents only build the tokens of sentences some rule may match.
"""

from __future__ import annotations

import re
import string
import threading
import unicodedata
import warnings
import weakref
from collections.abc import Callable
from functools import lru_cache
from math import isfinite
from re import _compiler as sre_compile
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any, NamedTuple

from engine.sre_classes import class_matches_any

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
try:  # the kept chunks as a C hash table (text/_chunks.pyx), where it was built
    from engine.text import _chunks as native_chunks
except ModuleNotFoundError as exc:  # not built: a dict, read by document._from_chunks' loop
    if exc.name != "engine.text._chunks":
        raise
    native_chunks = None
except ImportError as exc:  # built, but not loadable here (another Python, a stale build)
    warnings.warn(f"the compiled chunk table could not be loaded ({exc}): a dict is used "
                  "instead, the same tokens more slowly; `pip install -e .` rebuilds it",
                  stacklevel=2)
    native_chunks = None
_ChunkMap = dict if native_chunks is None else native_chunks.ChunkMap
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


def _form_getters(getters: dict) -> tuple | None:
    """spaCy's attribute getters a form reads (lower case, norm, shape and SPACY_FLAGS), from a
    vocabulary's `lex_attr_getters`; None where one of them is missing."""
    from spacy.attrs import IDS

    names = ("LOWER", "NORM", "SHAPE", *(name.upper() for name in SPACY_FLAGS))
    if not all(IDS[name] in getters for name in names):
        return None
    lower, norm, shape, *flags = (getters[IDS[name]] for name in names)
    return lower, norm, shape, tuple(flags)


# Flag sets by the getters' answers, in SPACY_FLAGS's order (_word_form), made once each.
_FLAG_SETS_BY_ANSWERS: dict[tuple[bool, ...], frozenset[str]] = {}


def _word_form(text: str, lemma: str, getters: tuple) -> Form:
    """The form of `text`, a word of ASCII letters (so `visible` leaves it as it is), from
    spaCy's attribute getters (_form_getters), read as a lexeme reads what they gave it:
    strings as they are, flags as true or false."""
    lower, norm, shape, flag_getters = getters
    answers = tuple([bool(getter(text)) for getter in flag_getters])
    flags = _FLAG_SETS_BY_ANSWERS.get(answers)
    if flags is None:
        flags = _FLAG_SETS_BY_ANSWERS[answers] = frozenset(
            name for name, yes in zip(SPACY_FLAGS, answers, strict=True) if yes)
    return Form(text, lower(text), normalize(text), lemma, shape(text), norm(text), flags,
                number_value(text))


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
        self._columns_read: list[int] = []  # the attributes _columns reads (set by _load)
        self.forms: dict[int, Form] = {}  # spaCy orth id -> attributes
        # A chunk of text between spaces (what spaCy's tokenizer splits alone) -> its tokens,
        # (form id, offset in the chunk) pairs one after the other: see chunk(). A chunk met
        # whose tokens are not kept maps to None. None where spaCy's special cases could make
        # any chunk's tokens depend on its neighbours.
        self.chunks: Any = _ChunkMap()  # a ChunkMap, or a dict where it was not built
        self._special_cases: _SpecialCases | None = None
        self._whole_words = False  # whether a chunk of ASCII letters is one token (_load)
        self._getters: tuple | None = None  # spaCy's attribute getters a form reads (_load)
        self._lock = threading.Lock()
        on_forget(self._forget)

    def _forget(self) -> None:
        """Drop the forms and spaCy's pipeline, whose vocabulary holds every word met and
        the form ids written into it (forget_forms_if_full): it is made again when next used."""
        self.forms = {}
        self._nlp = None
        if self.chunks is not None:
            self.chunks = _ChunkMap()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    def _load(self) -> None:
        from engine.heap import collector_paused

        with self._lock, collector_paused():
            if self._nlp is None:
                import spacy
                from spacy.attrs import ID, IDX, IS_SPACE, ORTH

                self._lemmas = lemma_table()
                nlp = spacy.blank("en", config={"nlp": {"tokenizer": {
                    "@tokenizers": _tokenizer_factory()}}})
                # A token of invisible format characters alone (a zero-width space between
                # words) is space, as documents are split and matched: it carries nothing.
                nlp.vocab.lex_attr_getters[IS_SPACE] = _is_space
                # spaCy refuses texts over 1M characters for the memory its parser and NER
                # take; its tokenizer alone is linear. The engine has its own limit
                # (api.MAX_DOCUMENT_CHARS), said in its own words.
                nlp.max_length = MAX_TEXT_CHARS
                if hasattr(nlp.tokenizer, "max_cache_size"):  # spaCy 3.8 on; unbounded before
                    nlp.tokenizer.max_cache_size = TOKENIZER_CACHE_CHUNKS
                self._columns_read = [ID, ORTH, IDX]  # (ID: the lexeme's rank)
                self._special_cases = _SpecialCases.of(nlp.tokenizer)
                if self._special_cases is None:
                    self.chunks = None
                self._whole_words = _letters_stay_whole(nlp.tokenizer)
                self._getters = _form_getters(nlp.vocab.lex_attr_getters)
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

    def word_form_id(self, orth: int, text: str) -> int:
        """form_id for `text`, a word of ASCII letters with orth id `orth`, its form made from
        spaCy's attribute getters themselves, as spaCy makes a lexeme's attributes, but with no
        lexeme: a lexeme (its 22 getters, its strings added to the store, a struct in the
        vocabulary) took 9.6 µs of a new word's 13, and a word met in a kept chunk needs only its
        form. spaCy makes the lexeme if it ever tokenises the word (_from_spacy then writes
        its rank). Where the getters are not all there, the lexeme's form (form_id)."""
        form = self.forms.get(orth)
        if form is None:
            getters = self._getters
            if getters is None:
                return self.form_id(orth)
            form = self.forms[orth] = _word_form(text, self.lemma(text), getters)
            _register(orth, form)
        return FORM_IDS[orth]

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

    def chunk(self, text: str) -> tuple[int, ...] | None:
        """The tokens spaCy makes of `text`, a chunk between spaces (or a run of white space),
        as (form id, offset in the chunk) pairs one after the other, kept in `chunks`; None
        where they could depend on the text around the chunk.

        spaCy splits a text at spaces and each chunk alone, keeping every chunk's tokens
        (that is its cache), except for one pass over the whole text: its special cases with
        affixes (emoticons like ">:(", "'s", "a.m.") are matched as token sequences, and a
        match across chunks, though it changes nothing itself, can hide a shorter one inside a
        chunk that would have changed its tokens (">" + ":(Sen." gives ":", "(" where ":(Sen."
        alone gives ":("). A chunk in which no such match can change anything has the same
        tokens in any text: those are kept, and a document made of kept chunks is tokenised
        without spaCy (text.document.make_document)."""
        doc = self.spacy_doc(text)
        chunks = self.chunks  # (None once spaCy's pipeline, loaded by the line above, says so)
        if chunks is None:
            return None
        if not self._special_cases.context_free(text, doc):
            self.keep(text, None)  # known, so as not to be asked again: never kept
            return None
        return self.keep(text, self._entry(*self._columns(doc), 0))

    def _columns(self, doc: Any) -> list[list[int]]:
        """A spaCy doc's tokens as three lists, read in C (Doc.to_array): their lexemes'
        ranks (the form id, where the form was met before: form_id), orth ids and offsets."""
        return doc.to_array(self._columns_read).T.tolist()

    def _entry(self, ranks: list[int], orths: list[int], offsets: list[int],
               start: int) -> tuple[int, ...]:
        """What `chunks` keeps of the tokens (_columns) of a chunk at offset `start` of
        their text."""
        entry: list[int] = []
        known = len(FORMS)
        for rank, orth, offset in zip(ranks, orths, offsets, strict=True):
            entry.append(rank if rank < known else self.form_id(orth))
            entry.append(offset - start)
        return tuple(entry)

    def learn(self, texts: list[str]) -> bool:
        """Learn the tokens of chunks `texts` (chunk), not known yet; whether every one is
        kept now. A chunk of ASCII letters that is no special case is one token, where the
        affixes are known to leave letters whole (_letters_stay_whole): two thirds of a news
        corpus's new chunks, which spaCy's affix searches took a fifth of the time to learn
        (docs/performance.md). Other chunks of words go to spaCy together, a space between
        each, as one text: a chunk whose tokens there hold no suspect (_SpecialCases) has
        them in any text, the others are tokenised alone and checked."""
        strings = self.nlp.vocab.strings
        chunks, cases = self.chunks, self._special_cases
        if chunks is None:
            return False
        whole = self._whole_words
        words = []
        for text in texts:
            known = chunks.get(text, False)  # (one read: threads may empty it meanwhile)
            if known is None:
                return False
            if known is not False:
                continue
            if text[0].isspace():
                if self.chunk(text) is None:
                    return False
            elif (whole and text.isascii() and text.isalpha() and text not in cases.rules
                  and (orth := strings.add(text)) not in cases.suspect_orths):
                self.keep(text, (self.word_form_id(orth, text), 0))
            else:
                words.append(text)
        if not words:
            return True
        doc = self.spacy_doc(" ".join(words))
        chunks = self.chunks  # (threads may have forgotten them meanwhile)
        if chunks is None:
            return False
        # the tokens as lists, not Token objects: most chunks only need their ids and offsets
        ranks, orths, offsets = self._columns(doc)
        kept, k, count = True, 0, len(offsets)
        start = 0
        for text in words:
            end = start + len(text)
            first = k
            while k < count and offsets[k] < end:
                k += 1
            if text in chunks:  # (a chunk twice in `texts`)
                pass
            elif cases.suspect_orths.isdisjoint(orths[first:k]):  # (most: no run of either)
                self.keep(text, self._entry(ranks[first:k], orths[first:k], offsets[first:k],
                                            start))
            else:
                found = [token.text for token in doc[first:k]]
                if not cases.among(found, cases.made):
                    # no run the pass makes: as before it, the same alone (context_free)
                    entry = None if cases.among(found, cases.change) else self._entry(
                        ranks[first:k], orths[first:k], offsets[first:k], start)
                    kept = self.keep(text, entry) is not None and kept
                elif self.chunk(text) is None:  # tokenised alone, and checked
                    kept = False
            start = end + 1
        return kept

    def keep(self, text: str, entry: tuple[int, ...] | None) -> tuple[int, ...] | None:
        """Keep `entry`, the tokens of chunk `text` (chunk; None for a chunk whose tokens are
        not kept), within TOKENIZER_CACHE_CHUNKS."""
        chunks = self.chunks
        if len(chunks) >= TOKENIZER_CACHE_CHUNKS:
            chunks.clear()
        chunks[text] = entry
        return entry

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


def _tokenizer_factory() -> str:
    """The name of spaCy's own tokenizer factory ("spacy.Tokenizer.v1", registered under
    another name the first time), with a suffix search that reads only the end of long
    chunks (_SuffixSearch). Set while the tokenizer is made, not after: spaCy reloads its two
    thousand special cases each time an affix function is set (0.08 s)."""
    from spacy import util
    from spacy.tokenizer import Tokenizer as SpacyTokenizer

    name = "assay.Tokenizer.v1"
    if name in util.registry.tokenizers:
        return name

    def create_tokenizer() -> Callable[[Any], Any]:
        def tokenizer_factory(nlp: Any) -> Any:
            defaults = nlp.Defaults
            prefixes, suffixes, infixes = defaults.prefixes, defaults.suffixes, defaults.infixes
            return SpacyTokenizer(
                nlp.vocab, rules=defaults.tokenizer_exceptions,
                prefix_search=util.compile_prefix_regex(prefixes).search if prefixes else None,
                suffix_search=(_SuffixSearch(util.compile_suffix_regex(suffixes))
                               if suffixes else None),
                infix_finditer=util.compile_infix_regex(infixes).finditer if infixes else None,
                token_match=defaults.token_match, url_match=defaults.url_match)

        return tokenizer_factory

    util.registry.tokenizers.register(name, func=create_tokenizer)
    return name


class _SuffixSearch:
    """`pattern.search` for spaCy's suffix pattern (its suffixes, each ending the text: `$`),
    giving the same match while trying each of the suffixes with a bound only at the end of
    a long text.

    spaCy splits a chunk's suffixes off one at a time and searches the whole rest each time,
    trying each of English's 82 suffixes at each position: a run of 8,000 "!" (or quotes,
    stars, brackets...) took 4.8 s, in bare spaCy as here. A match must end the text, so a
    suffix of at most `width`
    characters can only start in its last `width`: the bounded suffixes are searched from
    there (lookbehinds and anchors still see the whole text, as `search(text, pos)` does),
    the unbounded ones ("\\.\\.+" in English) over the whole text, as before; the leftmost
    match of either is the pattern's. Each is made on the first long text."""

    LONG = 256  # shorter texts are searched whole: as fast, and nothing to make

    def __init__(self, pattern: re.Pattern) -> None:
        self.pattern = pattern
        self._search = pattern.search
        self._parts: tuple | None = None  # (width, bounded search, unbounded search or None)

    def __call__(self, text: str) -> Any:
        if len(text) <= self.LONG or "\n" in text:  # ($ also matches before a last \n)
            return self._search(text)
        parts = self._parts
        if parts is None:
            parts = self._parts = self._split()
        if not parts:
            return self._search(text)
        width, bounded, unbounded = parts
        found = bounded(text, max(0, len(text) - width))
        if unbounded is not None:
            other = unbounded(text)
            if other is not None and (found is None or other.start() < found.start()):
                found = other
        return found

    def _split(self) -> tuple:
        """(width, bounded, unbounded), or () where the pattern is not a choice of suffixes
        that each end the text."""
        try:
            parsed = sre_parse.parse(self.pattern.pattern, self.pattern.flags)
        except (re.error, RecursionError):
            return ()
        items = list(parsed.data)
        options = items[0][1][1] if len(items) == 1 and items[0][0] == sre.BRANCH else [items]
        if not all(option and option[-1] == (sre.AT, sre.AT_END) for option in options):
            return ()
        bounded = [option for option in options if option.getwidth()[1] < sre.MAXREPEAT]
        unbounded = [option for option in options if option.getwidth()[1] >= sre.MAXREPEAT]
        if not bounded:
            return ()

        def search(chosen: list) -> Callable:
            branch = sre_parse.SubPattern(parsed.state, [(sre.BRANCH, (None, chosen))])
            return sre_compile.compile(branch, self.pattern.flags).search

        width = max(option.getwidth()[1] for option in bounded)
        return width, search(bounded), search(unbounded) if unbounded else None


def _pattern_of(function: Any) -> re.Pattern | None:
    """The regular expression behind an affix function (`pattern.search`, `.finditer` or a
    _SuffixSearch), or None for a function of the user's own."""
    if isinstance(function, _SuffixSearch):
        return function.pattern
    pattern = getattr(function, "__self__", None)
    return pattern if isinstance(pattern, re.Pattern) else None


def _letters_stay_whole(tokenizer: Any) -> bool:
    """Whether spaCy's affix functions leave a chunk of ASCII letters whole ("forces",
    "ISIS"): whether every match of its prefix, suffix and infix patterns must read some
    character that is not one. Such a chunk is then one token, spaCy's or a special case's
    (Tokenizer.learn): shown on the patterns themselves, so that a tokenizer whose affixes
    could split letters (a custom suffix "ing", a zero-width infix between cases) is never
    assumed to. False where it cannot be shown."""
    for function in (tokenizer.prefix_search, tokenizer.suffix_search,
                     tokenizer.infix_finditer):
        if function is None:
            continue
        pattern = _pattern_of(function)
        if pattern is None:
            return False  # a function of the user's own: nothing known of it
        try:
            parsed = sre_parse.parse(pattern.pattern, pattern.flags)
        except (re.error, RecursionError):
            return False
        if not _reads_non_letter(parsed.data, parsed.state, pattern.flags):
            return False
    return True


def _reads_non_letter(items, state: Any, flags: int) -> bool:
    """Whether every match of a parsed pattern's items (sre's (op, argument) pairs) reads a
    character that is not an ASCII letter: one of them must, and no ASCII letter is one it
    can read. Negative lookarounds, anchors and references show nothing."""
    return any(_item_reads_non_letter(op, arg, state, flags) for op, arg in items)


def _item_reads_non_letter(op: Any, arg: Any, state: Any, flags: int) -> bool:
    """_reads_non_letter of one item."""
    if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY, sre.CATEGORY):
        return not _reads_letter(op, arg, state, flags)
    if op == sre.BRANCH:
        return all(_reads_non_letter(option, state, flags) for option in arg[1])
    if op == sre.SUBPATTERN:
        _group, add, remove, body = arg
        return _reads_non_letter(body, state, (flags | add) & ~remove)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        return arg[0] >= 1 and _reads_non_letter(arg[2], state, flags)
    if op == sre.ATOMIC_GROUP:
        return _reads_non_letter(arg, state, flags)
    if op == sre.ASSERT:  # a lookaround that must read a non-letter holds nowhere in letters
        return _reads_non_letter(arg[1], state, flags)  # (nor can it read outside them)
    return False


_LETTER_CODES = frozenset(map(ord, string.ascii_letters))
# What a character class's category says of an ASCII letter (sre's CATEGORY codes).
_LETTER_IN_CATEGORY = {
    sre.CATEGORY_DIGIT: False, sre.CATEGORY_NOT_DIGIT: True, sre.CATEGORY_SPACE: False,
    sre.CATEGORY_NOT_SPACE: True, sre.CATEGORY_WORD: True, sre.CATEGORY_NOT_WORD: False,
    sre.CATEGORY_LINEBREAK: False, sre.CATEGORY_NOT_LINEBREAK: True,
    sre.CATEGORY_UNI_DIGIT: False, sre.CATEGORY_UNI_NOT_DIGIT: True,
    sre.CATEGORY_UNI_SPACE: False, sre.CATEGORY_UNI_NOT_SPACE: True,
    sre.CATEGORY_UNI_WORD: True, sre.CATEGORY_UNI_NOT_WORD: False,
    sre.CATEGORY_UNI_LINEBREAK: False, sre.CATEGORY_UNI_NOT_LINEBREAK: True,
}


def _reads_letter(op: Any, arg: Any, state: Any, flags: int) -> bool:
    """Whether a one-character test of a parsed pattern matches some ASCII letter: worked out
    from its items where its case is exact (a class of the whole alphabet has thousands of
    ranges, which compiling takes 0.04 s over spaCy's affixes), else compiled as the
    pattern's own, case flags and all, and tried on each letter."""
    if not flags & re.IGNORECASE:
        if op == sre.LITERAL:
            return arg in _LETTER_CODES
        if op == sre.IN:
            found = class_matches_any(arg, _LETTER_CODES, _LETTER_IN_CATEGORY)
            if found is not None:
                return found
    test = sre_compile.compile(sre_parse.SubPattern(state, [(op, arg)]), flags).match
    return any(test(letter) is not None for letter in string.ascii_letters)


class _Affixes:
    """One of a tokenizer's affix functions (prefix_search, suffix_search, infix_finditer),
    switched off while a tokenizer is made with it: see _SpecialCases.unapplied."""

    def __init__(self, function: Callable, off: Any) -> None:
        self.function, self.off, self.on = function, off, False

    def __call__(self, text: str) -> Any:
        return self.function(text) if self.on else self.off


class _SpecialCases:
    """What spaCy's pass of special cases over a whole text can do to a chunk's tokens
    (Tokenizer.chunk).

    spaCy decides which special cases that pass matches as it loads them: those whose text
    its affix functions split (or that hold a space), each matched as the tokens the affix
    functions make of its text and replaced by its own tokens. A match changes tokens only
    where the two differ ("'s": "'", "s" -> "'s"; "Mr.": "Mr", "." -> "Mr."): `change` holds
    the tokens such cases are matched as, `made` those they make. A chunk whose tokens hold
    no run of either has the same tokens in any text; `suspect_orths`, the first tokens of those
    runs, rule out most chunks at a glance."""

    def __init__(self, tokenizer: Any, change: frozenset[tuple[str, ...]],
                 made: frozenset[tuple[str, ...]]) -> None:
        self.tokenizer, self.change, self.made = tokenizer, change, made
        self.longest = max(map(len, change | made), default=0)
        # (as spaCy's orth ids: hashes of the text, the same in every vocabulary)
        self.suspect_orths = frozenset(tokenizer.vocab.strings.add(tokens[0])
                                       for tokens in change | made)
        self.rules = dict(tokenizer.rules or {})  # special case text -> its tokens

    @classmethod
    def of(cls, tokenizer: Any) -> _SpecialCases | None:
        """Those of a spaCy tokenizer; None where chunks cannot be told apart this way."""
        from spacy.attrs import ORTH
        from spacy.tokenizer import Tokenizer as SpacyTokenizer

        rules = tokenizer.rules or {}
        if not tokenizer.faster_heuristics or any(
                len(text) > 1 and any(char.isspace() for char in text) for text in rules):
            return None  # special cases across spaces, or every one matched by the pass
        bare = SpacyTokenizer(tokenizer.vocab, {}, tokenizer.prefix_search,
                              tokenizer.suffix_search, tokenizer.infix_finditer,
                              tokenizer.token_match, tokenizer.url_match)
        change, made = set(), set()
        for text, tokens in rules.items():
            if (" " in text or tokenizer.find_prefix(text) or tokenizer.find_suffix(text)
                    or tokenizer.find_infix(text)):
                own = tuple(str(token.get(ORTH, token.get("ORTH", ""))) for token in tokens)
                matched = tuple(token.text for token in bare(text))
                if own != matched:
                    change.add(matched)
                    made.add(own)
        return cls(tokenizer, frozenset(change), frozenset(made))

    def unapplied(self, text: str) -> list[str]:
        """The tokens the tokenizer makes of `text` before its pass of special cases
        (before_pass), loaded with the special cases whose text is in `text` alone: spaCy
        looks them up by the text of the chunk and of the pieces its affixes leave, all
        within it, and loading all of them (two thousand in English) took 0.05 s, for the few
        chunks a corpus asks about."""
        within = {case: tokens for case, tokens in self.rules.items() if case in text}
        return [token.text for token in self.before_pass(within)(text)]

    def before_pass(self, rules: dict) -> Any:
        """A copy of the tokenizer with special cases `rules`, none of them in its pass:
        loaded while its affix functions find nothing, which then find as the original's."""
        from spacy.tokenizer import Tokenizer as SpacyTokenizer

        original = self.tokenizer
        affixes = [None if f is None else _Affixes(f, off) for f, off in (
            (original.prefix_search, None), (original.suffix_search, None),
            (original.infix_finditer, ()))]
        tokenizer = SpacyTokenizer(original.vocab, rules, *affixes, original.token_match,
                                   original.url_match)
        for switch in affixes:
            if switch is not None:
                switch.on = True
        return tokenizer

    def context_free(self, text: str, doc: Any) -> bool:
        """Whether chunk `text`, whose tokens alone are `doc`'s, has them in any text: the
        pass changed none of them here, and no case that changes tokens is among them
        before the pass (a match across chunks could hide one that the pass makes here)."""
        words = [token.text for token in doc]
        if self.among(words, self.made) and words != self.unapplied(text):
            return False
        return not self.among(words, self.change)

    def among(self, words: list[str], runs: frozenset[tuple[str, ...]]) -> bool:
        """Whether one of `runs` (`change` or `made`) is among `words`, as a run of them."""
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + self.longest) + 1):
                if tuple(words[start:end]) in runs:
                    return True
        return False


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
