"""Values of the built-in <date> grammar, resolved against the document's date.

The grammar recognises the expression; this module turns its parse into a query for
dateparser plus a precision (day, month or year), and resolves it preferring the past:
"On Monday" in an article dated Thursday 28 March 2024 is 2024-03-25.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from lark import Transformer, v_args

_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
                 "twelve": 12, "a few": 3, "several": 3}
_WEEKDAYS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
             "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}
_WEEKDAY_NUMBERS = {name: number for number, name in enumerate(_WEEKDAYS.values())}
_MONTHS = {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DATED = re.compile(r"(?:(\d{1,2}) )?(?:([A-Za-z]+) )?(\d{4})")


def _clean(token) -> str:
    return re.sub(r"\s+", " ", str(token)).strip().rstrip(".")


@v_args(inline=True)
class DateTransformer(Transformer):
    """Parse tree → {"query", "precision", "needs_base", "since"?, "relative"?}."""

    def day_month(self, day, *rest):
        month = next(t for t in rest if t.type == "MONTH")
        year = next((t for t in rest if t.type == "YEAR"), None)
        query = f"{int(day)} {_clean(month)}" + (f" {year}" if year else "")
        return {"query": query, "precision": "day", "needs_base": year is None}

    def month_day(self, month, day, *rest):
        year = next((t for t in rest if t.type == "YEAR"), None)
        return self.day_month(day, month, *([year] if year else []))

    def weekday_date(self, _weekday, inner):
        return inner

    def month_year(self, month, year):
        return {"query": f"{_clean(month)} {year}", "precision": "month", "needs_base": False}

    def month_only(self, month):
        return {"query": _clean(month), "precision": "month", "needs_base": True}

    def part_month(self, _part, month, year=None):
        if year is not None:
            return self.month_year(month, year)
        return self.month_only(month)

    def part_year(self, _part, year):
        return self.year(year)

    def part_this_year(self, _part, _word):
        return {"relative": ("this", "year"), "precision": "year", "needs_base": True}

    def part_last_year(self, _part, _word):
        return {"relative": ("last", "year"), "precision": "year", "needs_base": True}

    def year(self, year):
        return {"query": str(year), "precision": "year", "needs_base": False}

    def weekday(self, day, _daypart=None):
        name = _WEEKDAYS[str(day)[:3].lower()]
        return {"query": name, "precision": "day", "needs_base": True, "weekday": True}

    def relday(self, word, _daypart=None):
        word = _clean(word).lower()
        query = {"tonight": "today", "the day before yesterday": "2 days ago"}.get(word, word)
        return {"query": query, "precision": "day", "needs_base": True}

    def last_unit(self, unit):
        unit = str(unit).lower()
        if unit == "weekend":
            return {"query": "Saturday", "precision": "day", "needs_base": True, "weekday": True}
        if unit == "week":
            return {"query": "7 days ago", "precision": "month", "needs_base": True}
        return {"relative": ("last", unit), "precision": unit, "needs_base": True}

    def this_unit(self, unit):
        unit = str(unit).lower()
        precision = "month" if unit in ("week", "weekend") else unit
        return {"relative": ("this", unit), "precision": precision, "needs_base": True}

    def ago(self, amount, units):
        count = _WORD_NUMBERS.get(_clean(amount).lower()) or int(amount)
        unit = str(units).lower().rstrip("s")
        precision = {"day": "day", "week": "month", "month": "month", "year": "year"}[unit]
        return {"query": f"{count} {unit}s ago", "precision": precision, "needs_base": True}

    def dated(self, when):
        return when

    def since(self, when):
        return {**when, "since": True}


# The length of a date's ISO form at each precision (date.isoformat, sliced: strftime takes
# several microseconds a call, and leaves years before 1000 without their leading zeros).
_ISO_LENGTH = {"day": 10, "month": 7, "year": 4}


def _dated(query: str) -> date | None:
    """A query that carries its year, as the grammar writes them ("27 Jul 2016", "September
    2014", "2016"), read directly: dateparser takes 0.7 ms a date, and news dates them all.
    The month and day a year alone lacks are never shown (its precision is the year). Any
    other shape goes to dateparser, without a base: it has no need of one."""
    found = _DATED.fullmatch(query)
    if found is None:
        return _dateparser(query, None)
    day, name, year = found.groups()
    month = _MONTHS.get(name[:3].lower()) if name else None
    if (day or name) and month is None:  # a month word this table does not know
        return _dateparser(query, None)
    try:
        return date(int(year), month or 1, int(day or 1))
    except ValueError:
        return None  # "31 April 2016"


@lru_cache(maxsize=4096)
def _dateparser(query: str, base: date | None) -> date | None:
    from dateparser.date import DateDataParser

    settings = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first"}
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    found = DateDataParser(languages=["en"], settings=settings).get_date_data(query).date_obj
    return found.date() if found else None


_AGO = re.compile(r"(\d+) (day|week|month|year)s ago")
_DAY_MONTH = re.compile(r"(?:(\d{1,2}) )?([A-Za-z]+)")


def _counted_back(query: str, base: date):
    """The queries the grammar writes relative to the document's date, by calendar arithmetic:
    "today", "yesterday", "N days/weeks/months/years ago", "21 August", "July" (the latest
    such day up to the base, the 1st for a month). What dateparser would answer, without its
    0.2 s of start-up in every process and 0.7 ms a date (tests/test_values.py compares
    them); ... for any other query, which goes to dateparser."""
    if query == "today":
        return base
    if query == "yesterday":
        return base - timedelta(days=1)
    ago = _AGO.fullmatch(query)
    if ago:
        count, unit = int(ago.group(1)), ago.group(2)
        if unit in ("day", "week"):
            return base - timedelta(days=count * (7 if unit == "week" else 1))
        months = base.year * 12 + base.month - 1 - (count if unit == "month" else 12 * count)
        year, month = divmod(months, 12)
        return _clamped(year, month + 1, base.day)
    found = _DAY_MONTH.fullmatch(query)
    month = _MONTHS.get(found.group(2)[:3].lower()) if found else None
    if month is None:
        return ...
    day = int(found.group(1) or 1)
    try:
        this_year = date(base.year, month, day)
    except ValueError:
        return ...  # "30 February", "29 February" outside a leap year: as dateparser says
    if this_year <= base:
        return this_year
    try:
        return date(base.year - 1, month, day)
    except ValueError:
        return ...


def _clamped(year: int, month: int, day: int) -> date | None:
    """The day in that month, or its last day where the month is shorter."""
    if year < 1:
        return None
    for last in (day, 30, 29, 28):
        try:
            return date(year, month, min(day, last))
        except ValueError:
            continue
    return None


def resolve(expr: dict, base: date | None) -> str | None:
    """ISO date (YYYY-MM-DD, YYYY-MM or YYYY) of a parsed expression; None when unknown, or
    off the calendar ("last year" of a base date in year 1, a null date of SQL exports).
    Memoised by what _resolve reads of it: news repeats its dates from sentence to sentence."""
    key = (expr.get("query"), "relative" in expr, expr.get("relative"), expr["precision"],
           expr.get("needs_base"), expr.get("weekday"), base)
    found = _RESOLVED.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        if len(_RESOLVED) >= MAX_RESOLVED:
            _RESOLVED.clear()
        try:
            found = _resolve(expr, base)
        except (OverflowError, ValueError):
            found = None
        _RESOLVED[key] = found
    return found


MAX_RESOLVED = 50_000
_RESOLVED: dict = {}  # resolve's memo, emptied when full
_UNKNOWN = object()


def _resolve(expr: dict, base: date | None) -> str | None:
    if expr.get("needs_base") and base is None:
        return None
    precision = expr["precision"]
    if "relative" in expr:
        which, unit = expr["relative"]
        if unit == "year":
            found = date(base.year - (which == "last"), 1, 1)
        elif unit == "month":
            first = base.replace(day=1)
            found = (first - timedelta(days=1)).replace(day=1) if which == "last" else first
        else:  # this week
            found = base
    elif expr.get("weekday"):
        # "on Thursday": the last Thursday up to the document's date, that day included
        # (what dateparser gives, preferring the past, and a day's arithmetic to compute).
        back = (base.weekday() - _WEEKDAY_NUMBERS[expr["query"]]) % 7
        found = base - timedelta(days=back)
    elif not expr.get("needs_base"):
        found = _dated(expr["query"])  # it carries its year: the document's date is not read
        if found is None:
            return None
    else:
        found = _counted_back(expr["query"], base)
        if found is ...:
            found = _dateparser(expr["query"], base)
        if found is None:
            return None
        if expr.get("needs_base") and found > base:
            return None  # relative expressions resolve to the past only
    return found.isoformat()[:_ISO_LENGTH[precision]]


def maximal_spans(spans: list[tuple[int, int, dict]]) -> list[tuple[int, int, dict]]:
    """The date spans (start, end, value) that lie inside no other, "since …" left out (it
    dates no event), by start: "Monday" in "on Monday, March 25" is part of a date, not one.
    The spans come sorted by start, longest first (a span table's order, SpanTable.spans):
    one sweep, as a span lies inside another exactly when an earlier one reaches as far."""
    out, reach = [], -1
    for start, end, value in spans:
        if end > reach:
            reach = end
            if not value.get("since"):
                out.append((start, end, value))
    return out


def nearest_date(maximal: list[tuple[int, int, dict]], anchor: int) -> tuple | None:
    """Of `maximal_spans`, the one nearest token `anchor`, the one before it on a tie ("On
    Monday, X said forces recaptured …"). No two maximal spans tie exactly: ending (or
    starting) at the same token, one would lie inside the other."""
    best, nearest = None, None
    for span in maximal:
        start, end, _ = span
        key = (anchor - end + 1, 0) if end <= anchor else (start - anchor, 1)
        if best is None or key < best:
            best, nearest = key, span
    return nearest


def parse_metadata_date(text: str | None) -> date | None:
    """A document date from metadata: ISO, or US month/day/year as in the FA-KES corpus."""
    if not text:
        return None
    text = str(text).strip()
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?", text)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:  # US month/day/year
        try:
            return date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
        except ValueError:
            return None
    import dateparser

    found = dateparser.parse(text, languages=["en"],
                             settings={"DATE_ORDER": "MDY", "PREFER_DAY_OF_MONTH": "first"})
    return found.date() if found else None


def document_date(doc, grammar) -> date | None:
    """The date a document was written: its metadata, else a dateline starting one of its first
    three sentences ("Thursday, March 28, 2024", "Tue 05 Jul 2016 Syria attack …")."""
    found = parse_metadata_date(doc.date)
    if found is not None:
        return found
    for sentence in doc.sentences[:3]:
        words = [form.text for form in sentence.forms[:12]]
        if not words or grammar.inert(words[0]):
            continue  # a dateline's date is its first word's phrase, begun by a terminal
        for start, _end, expr in grammar.find_words(words, sentence.starts[:12], doc.text):
            if start == 0 and not expr.get("needs_base") and expr["precision"] == "day":
                iso = resolve(expr, None)
                if iso:
                    return date.fromisoformat(iso)
    return None
