"""What the analyzer found, tidied before anything is replaced.

- spaCy guesses that name a country are locations ("Cameroon was fun" is not an organisation),
  and one-word guesses of a firm or a place that are a given name people ("Why is Alena so
  impulsive?", `names.is_given_name`); people the text says are firms are organisations
  ("Morgan Stanley said its profit rose", `names.is_firm`), but those found after a title or a cue;
- spaCy guesses are cut at line breaks ("Crystal Grant\\nPhone" is the name on the first line),
  vague DATE hits ("this morning", "50 year old") are dropped unless asked for, and so are
  acronyms, software, error names and currency codes taken for a name, a place or an
  organisation ("SSN", "AI", "Android", "TypeError", "CVE-2024-3094", "EUR"), places,
  organisations and NRPs made of common words capitalised only as a sentence's first word or
  in capitals ("Refunds are final", "EXPLAIN ANALYZE"), an imperative verb that starts a sentence
  is cut from the guess it starts ("Compare Python"), numbered list items taken for domains
  ("1.Click"), domains cut out of a longer word ("psycopg2.co" of "psycopg2.connect") and
  guesses that hold links or code ("user=jsmith ip=..."), are a key ("PGPASSWORD=..."), are
  bytes of a hex dump ("ec", "b5 f2") or are a key's whole value naming a task, a placeholder
  or a group ("- name: Build Wheel", "To: Dev Team"), URL guesses that are names in code
  (``name = user.name``, ``logger.info(``, ``/app/main.py``), the loopback and unspecified IP addresses (``127.0.0.1``, ``0.0.0.0``) and
  numbers cut out of a longer number ("71.49927361529875" holds no card number);
- names the text gives again (in any case) or lists beside other people are added, the
  first name just before a surname found and the rest of a name cut at a particle
  (`people`), and the lines of a letterhead above a multi-line address (`addresses.lines_above`);
- overlapping results become one: the union span, labelled by the best member.
"""
from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import Any

import regex

from ...guard import REGEX_TIMEOUT
from ...timed_regex import timed_compile
from .addresses import STREET_ADDRESS, lines_above
from .dates import is_specific
from .labelled import names_no_one
from .names import is_firm, is_given_name, names, unowned
from .people import (
    AMBIGUOUS_COUNTRIES,
    TITLES,
    countries,
    currency_codes,
    english_words,
    given_names_before,
    is_common_word,
    is_cued_name,
    is_english,
    listed_names,
    repeated_names,
    starts_a_sentence,
    with_particles,
)
from .recognizers import hex_dumps

_NAME_NO_ONE = frozenset(
    "SSN IBAN ATM ASAP PIN ID FAQ CEO CFO CTO COO PDF URL API SMS OTP VAT DOB ZIP USB IP OK FYI "
    "TBD ETA HR IT AI LLM GPU CPU RAM DNS SQL JSON HTML CSS PII GDPR KYC AML CVV CVC SWIFT BIC "
    "EIN TIN ITIN MFA 2FA QR PO RSVP SEO ISO UTC GMT UI UX SDK CLI IDE VPN SSH TLS SSL HTTP HTTPS "
    "REST CRM ERP SaaS KPI ROI B2B B2C MVP NDA UUID CSV XML YAML "
    "Python JavaScript TypeScript Kotlin Golang Haskell Perl PHP Rust Django Flask React Angular "
    "Laravel Kubernetes Docker NGINX Nginx Linux Ubuntu Debian Android iOS macOS PostgreSQL Postgres "
    "MySQL MongoDB SQLite Terraform Actix".split())
"""Acronyms and software that spaCy's small model takes for an organisation, a place or a
person ("send my SSN ASAP", "act as an AI tutor", "my Android app"): none is a place (Java,
an island, is not listed) nor a first name (Ruby, Julia, Swift)."""
_NAMED_THING = timed_compile(r"\p{Lu}\w*(?:Error|Exception)|CVE-\d{4}-\d{4,7}")  # TypeError, a CVE id
_VERBS = frozenset((
    "add analyse analyze answer ask book buy calculate call cancel check classify compare contact "
    "convert create debug define describe design draft edit email explain extract find fix format "
    "forward generate give help identify imagine implement install invite list make meet notify "
    "order outline paraphrase pay plan please pretend proofread provide read recommend refund remind "
    "remove reply respond review rewrite run schedule search sell send set ship show sort suggest "
    "summarise summarize tell text thank transfer translate update use visit write").split())
"""Imperative verbs that start a request ("Compare Python and Rust", "Email Olivia Brown");
verbs that are also first names (Bill, Mark, Will, Grant, Chase) are not listed."""
_NUMBERED = timed_compile(r"\d{1,3}\.\p{L}+")  # "1.Click": a numbered list, not a domain
_SPREAD = "NameSpreadRecognizer"
_GIVEN_NAMES = "GivenNameRecognizer"
_LETTERHEAD = "LetterheadRecognizer"
_GUESSES = frozenset({"SpacyRecognizer", _LETTERHEAD, "CountryRecognizer"})
_NOT_PLACES = frozenset({"ORGANIZATION", "PERSON", "NRP"})
_NOT_PEOPLE = frozenset({"LOCATION", "ORGANIZATION", "NRP"})


# A spaCy guess that spans a link or an address-like token is not a name or a place, nor one
# that holds a character of code or markup ("user=jsmith ip=10.0.0.1 session=8f3a"), an
# identifier's underscore ("POSTGRES_PASSWORD") or a call's parenthesis ("VARCHAR(255").
_LINKISH = timed_compile(r"://|www\.|@|\.(?:com|net|org|io)\b")
_CODE_CHARS = frozenset("=<>{}[]|;_")  # (not a backslash: escaped quotes in names, "Mary\\'s")
_CALL = timed_compile(r"\w\(")  # not "Acme GmbH  (" before a phone number


def tidy(text: str, results: list[Any], *, vague_dates: bool = False, relabel: bool = True) -> list[Any]:
    """``results`` filtered as above, plus names and letterheads they imply (``relabel=False``, on
    answers: no one-word guess of a firm or a place is taken for a person, `_person`, and no
    person for a firm, `_firms`: a new name in an answer stays flagged)."""
    tidied = [_country(text, _trim_ner(text, _email_in_link(text, r))) for r in results]
    trimmed = (_firms(text, _uncrossed(text, [_person(text, r) for r in tidied])) if relabel
               else _uncrossed(text, tidied))
    bytes_read = {id(r) for r in _bytes_read(text, trimmed)}
    code = _Code(text)
    kept = [r for r in trimmed if id(r) not in bytes_read
            and (vague_dates or r.entity_type != "DATE_TIME" or not _is_guess(r)
                or is_specific(text[r.start:r.end]))
            and not (_is_guess(r) and (_names_a_thing(text[r.start:r.end]) or _common_words(text, r)
                                       or _a_word_no_one_is_named(text, r)))
            and not (r.entity_type == "URL" and (_NUMBERED.fullmatch(text, r.start, r.end, timeout=REGEX_TIMEOUT)
                                                 or _cut_from_a_word(text, r.end) or _in_code(text, r, code)))
            and not (_is_guess(r) and (_is_link_or_code(text[r.start:r.end]) or text[r.end:r.end + 1] == "="
                                       or _a_task_under_a_key(text, r)))
            and not (r.entity_type == "IP_ADDRESS" and _no_ones_address(text[r.start:r.end]))
            and not (r.entity_type != "DATE_TIME" and _in_a_longer_number(text, r.start, r.end))]
    return kept + _more_names(text, kept) + _letterheads(text, kept)


_BYTE_RUN = timed_compile(r"[0-9A-Fa-f]{2,16}:?(?:[ \t]+[0-9A-Fa-f]{2})*")  # bytes, perhaps an offset first


_SAME_THING = frozenset({("LOCATION", STREET_ADDRESS), ("ORGANIZATION", STREET_ADDRESS)})
"""(guess, match) kinds where the guess widens the match as before: a place across an address,
or a place spaCy takes for a firm ("Törneby 2" of "Törneby 2 street")."""


def _uncrossed(text: str, results: list[Any]) -> list[Any]:
    """``results`` with no guess across the edge of a pattern match of another kind: merged,
    the guess would carry the match's span over a label ("Card 4111" of "Card 4111 1111 1111
    1111", "IBAN DE89 3704"), which its placeholder would swallow. A person's guess keeps its
    words outside the match; any other is dropped, but a place's (or a firm's) across an address
    (its city or country, "... Larnaka\n Democratic Republic of the Congo") widens it (`_SAME_THING`)."""
    guesses = [r for r in results if _is_guess(r)]
    if not guesses:
        return results
    matches = sorted((r.start, r.end, r.entity_type) for r in results if not _is_guess(r))
    starts = [s for s, _, _ in matches]
    crossing = {}
    for r in guesses:
        for s, e, kind in matches[max(0, bisect_right(starts, r.start) - 1):bisect_left(starts, r.end)]:
            if kind != r.entity_type and (r.entity_type, kind) not in _SAME_THING and (
                    s < r.start < e < r.end or r.start < s < r.end < e):
                crossing[id(r)] = (s, e)
                break
    kept = []
    for r in results:
        if id(r) not in crossing:
            kept.append(r)
        elif r.entity_type == "PERSON":
            s, e = crossing[id(r)]
            a, b = (r.start, s) if r.start < s else (e, r.end)
            while a < b and not text[a].isalnum():
                a += 1
            while b > a and not text[b - 1].isalnum():
                b -= 1
            if a < b:
                r.start, r.end = a, b
                kept.append(r)
    return kept


_A_WORD = timed_compile(r"\p{L}+")


def _a_word_no_one_is_named(text: str, r: Any) -> bool:
    """Is ``r``, a one-word guess of a person, a field's label or a heading: an English word that
    is no listed given name or surname (`names`: "Email", "Invoice"; not "Smith", "Rose") before a
    colon, alone on its line or in a line listing such words ("Name, Email, Phone")? In a
    sentence or after a greeting it is a name ("Hi Colt, thanks", "ask Maverick")."""
    if r.entity_type != "PERSON" or not _is_label_word(text[r.start:r.end]):
        return False
    if text[r.end:r.end + _LABEL_LINE].lstrip(" \t").startswith(":"):
        return True
    start = text.rfind("\n", max(0, r.start - _LABEL_LINE), r.start) + 1
    end = text.find("\n", r.end, r.end + _LABEL_LINE)
    if (start == 0 and r.start > _LABEL_LINE) or (end < 0 and len(text) - r.end > _LABEL_LINE):
        return False  # a long line is no label's
    line = text[start:len(text) if end < 0 else end]
    for sep in _LIST_MARKS:
        line = line.replace(sep, ",")
    items = [item.strip(" \t-*#>.") for item in line.split(",")]
    return all(_is_label_word(item) for item in items if item)


_LABEL_LINE = 120  # the longest line read as a label's, or a list of labels
_LIST_MARKS = ";|/\t"  # (and commas) between the labels of a line


def _is_label_word(value: str) -> bool:
    """Is ``value`` one English word that is no listed given name or surname?"""
    folded = value.lower()
    return (_A_WORD.fullmatch(value, timeout=REGEX_TIMEOUT) is not None
            and folded not in names().given and folded not in names().surnames
            and is_english(folded, english_words()))


def agreed(results: list[Any]) -> list[Any]:
    """``results`` without the people the names lists found (`names.find_given_names`) where no
    spaCy guess of a person overlaps them: where precision counts more than recall (an answer:
    "Morgan Stanley", "Santa Barbara", "Jack Daniels" are no one to redact)."""
    listed = [r for r in results if _recognizer(r) == _GIVEN_NAMES]
    if not listed:
        return results
    spacy = sorted((r.start, r.end) for r in results
                   if _recognizer(r) == "SpacyRecognizer" and r.entity_type == "PERSON")
    starts, dropped = [s for s, _ in spacy], set()
    for r in listed:
        near = spacy[max(0, bisect_right(starts, r.start) - 1):bisect_left(starts, r.end)]
        if not any(s < r.end and r.start < e for s, e in near):
            dropped.add(id(r))
    return [r for r in results if id(r) not in dropped]


def _recognizer(r: Any) -> str | None:
    return (r.recognition_metadata or {}).get("recognizer_name")


def _bytes_read(text: str, results: list[Any]) -> list[Any]:
    """The guesses that are bytes (or the offset) of a hex dump read as words ("ec", "b5 f2",
    "000004f0": `hex_dumps`)."""
    suspects = [r for r in results if _is_guess(r) and _BYTE_RUN.fullmatch(text, r.start, r.end, timeout=REGEX_TIMEOUT)]
    if not suspects:
        return []
    dumps = hex_dumps(text)
    starts = [a for a, _ in dumps]
    return [r for r in suspects
            if (at := bisect_right(starts, r.start) - 1) >= 0 and r.end <= dumps[at][1]]


GENERAL_ENTITIES = frozenset({"DATE_TIME", "LOCATION", "ORGANIZATION", "NRP"})
"""Kinds that name no one by themselves: not flagged as new in an answer unless asked
(`PIIGuard`'s ``output_entities``)."""


_PARTS = {"EMAIL_ADDRESS": frozenset({"URL"})}
"""Kinds whose values hold a match of another kind as a part of what they are: an email's
domain is found as a URL (a URL's query may hold an email, which is no part of a link)."""


def without(results: list[Any], wanted: Callable[[str], bool]) -> list[Any]:
    """``results`` of the kinds ``wanted`` accepts; inside one of another kind (an excluded
    URL) only pattern matches of kinds that identify someone stay (an email in a link's query,
    not a spaCy guess that a word of its path is a person, nor a date in it), and not those
    that are a part of what the excluded kind is (`_PARTS`: an excluded email's domain)."""
    dropped = [r for r in results if not wanted(r.entity_type)]
    if not dropped:
        return results
    inside = _covered(dropped)
    own = [(parts, _covered([r for r in dropped if r.entity_type == kind]))
           for kind, parts in _PARTS.items() if any(r.entity_type == kind for r in dropped)]
    return [r for r in results if wanted(r.entity_type) and not (
        inside(r) and (_is_guess(r) or r.entity_type in GENERAL_ENTITIES))
        and not any(r.entity_type in parts and part_of(r) for parts, part_of in own)]


def _covered(spans: list[Any]) -> Callable[[Any], bool]:
    """Whether a result lies inside one of ``spans`` (results)."""
    ordered = sorted((r.start, r.end) for r in spans)
    starts = [s for s, _ in ordered]
    ends = list(accumulate((e for _, e in ordered), max))  # the furthest end of a span so far

    def inside(r: Any) -> bool:
        i = bisect_right(starts, r.start) - 1
        return i >= 0 and r.end <= ends[i]
    return inside


def merge_overlaps(results: list[Any]) -> list[Any]:
    """One result per overlapping group: the union span, labelled by the best member: a
    pattern match beats an NER guess (NER calls phone numbers dates), then the longer match
    (a phone number with its prefix over the 10 digits an NHS check accepts; an address over
    a name in it), then the higher score."""
    merged: list[Any] = []
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if merged and r.start < merged[-1].end:
            last = merged[-1]
            best = max((last, r), key=_rank)
            merged[-1] = type(r)(best.entity_type, last.start, max(last.end, r.end), best.score,
                                 best.analysis_explanation, best.recognition_metadata)
        else:
            merged.append(r)
    return merged


def _more_names(text: str, results: list[Any]) -> list[Any]:
    """People the text names again, or lists beside other people, the first names before the
    surnames found and the rest of names cut at a particle (see `people`)."""
    found = [(r.start, r.end, r.entity_type) for r in results]
    listed = listed_names(text, found)
    return _results(listed + repeated_names(text, found + listed) + given_names_before(text, found)
                    + with_particles(text, found), _SPREAD, 0.5)


def _letterheads(text: str, results: list[Any]) -> list[Any]:
    """The lines above a multi-line address: the top one a person, the others an organisation
    (guesses: NER and patterns that found something there win)."""
    spans = []
    for r in results:
        if r.entity_type == STREET_ADDRESS and "\n" in text[r.start:r.end]:
            lines = lines_above(text, r.start)
            spans += [(s, e, "PERSON" if i == 0 else "ORGANIZATION")
                      for i, (s, e) in enumerate(lines)]
    return _results(spans, _LETTERHEAD, 0.45)


def _results(spans: list[tuple[int, int, str]], name: str, score: float) -> list[Any]:
    from presidio_analyzer import AnalysisExplanation, RecognizerResult

    return [RecognizerResult(entity, s, e, score, AnalysisExplanation(name, score),
                             recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: name})
            for s, e, entity in spans]


def _names_a_thing(value: str) -> bool:
    """Is ``value`` an acronym, a piece of software, an error's name (`_NAME_NO_ONE`,
    `_NAMED_THING`) or a currency code ("EUR", `people.currency_codes`)?"""
    return (value in _NAME_NO_ONE or value in currency_codes()
            or _NAMED_THING.fullmatch(value, timeout=REGEX_TIMEOUT) is not None)


_WORDS_ONLY = timed_compile(r"\p{L}+(?:[ \t]+\p{L}+)*")
_LETTERS = timed_compile(r"\p{L}+")


def _common_words(text: str, r: Any) -> bool:
    """Is ``r`` a place, an organisation or an NRP made of common words (`people.is_common_word`)
    whose capitals say nothing: the first word starts a sentence, the others are written in
    capitals ("Decode this hex", "Refunds are final", "check it with EXPLAIN ANALYZE")?"""
    if r.entity_type not in _NOT_PEOPLE or not _WORDS_ONLY.fullmatch(text, r.start, r.end, timeout=REGEX_TIMEOUT):
        return False
    words = _LETTERS.finditer(text, r.start, r.end, timeout=REGEX_TIMEOUT)
    return all(is_common_word(w.group()) and ((len(w.group()) > 1 and w.group().isupper())
                                              or (i == 0 and starts_a_sentence(text, w.start())))
               for i, w in enumerate(words))


def _is_link_or_code(value: str) -> bool:
    return (not _CODE_CHARS.isdisjoint(value) or _is_linkish(value)
            or ("(" in value and bool(_CALL.search(value, timeout=REGEX_TIMEOUT))))


def _is_linkish(value: str) -> bool:
    return ("." in value or ":" in value or "@" in value) and bool(  # what _LINKISH needs
        _LINKISH.search(value, timeout=REGEX_TIMEOUT))


def _cut_from_a_word(text: str, end: int) -> bool:
    """Does an ASCII letter or digit follow ``end``? A domain found there was cut out of a longer
    word ("psycopg2.co" of "psycopg2.connect"). Other letters may follow a link in scripts
    written without spaces ("访问www.example.com获取")."""
    after = text[end:end + 1]
    return after.isascii() and after.isalnum()


_RECEIVERS = frozenset(("self", "this", "cls"))
# the key before a colon or equals sign: the last part of a name cut at "_" or "-" ("user_name": "name";
# "x-user_name": "user_name"). The cut is chosen once, in an atomic group: "(?:\w*[_\-])?\w+" split a
# run of "_" at every place, its time growing with the square of the run (`regex_lint` reads atomic
# groups as plain ones, so it still reports this pattern)
_KEY_BEFORE = timed_compile(r"(?:\A|[^\w.])(?>(?:\w*[_\-](?=\w))?)(?P<key>\w++)[\"']?[ \t]*+[:=][ \t]*\Z")


class _Code:
    """Where a text's line breaks and backticks stand, and which single letters stand alone in
    it, found once per text: `_in_code` asks about each of many results (a line of thousands of
    emails), in time that does not grow with the line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._marks: dict[str, list[int]] = {}
        self._alone: dict[str, bool] = {}

    def marks(self, mark: str) -> list[int]:
        """Where ``mark`` (one character) stands in the text, in order."""
        if mark not in self._marks:
            found, at = [], self.text.find(mark)
            while at >= 0:
                found.append(at)
                at = self.text.find(mark, at + 1)
            self._marks[mark] = found
        return self._marks[mark]

    def line(self, start: int, end: int) -> tuple[int, int]:
        """Where the line holding ``text[start:end]`` starts and ends."""
        breaks = self.marks("\n")
        i = bisect_left(breaks, start) - 1
        j = bisect_left(breaks, end)
        return (breaks[i] + 1 if i >= 0 else 0), (breaks[j] if j < len(breaks) else len(self.text))

    def stands_alone(self, word: str) -> bool:
        """Is ``word`` (one letter) somewhere in the text a word of its own, not before a dot?"""
        if word not in self._alone:
            self._alone[word] = timed_compile(rf"(?<![\w.]){regex.escape(word)}(?![\w.])").search(
                self.text, timeout=REGEX_TIMEOUT) is not None
        return self._alone[word]

    def blank_before(self, start: int, stop: int) -> int:
        """Where the white space before ``start`` (not before ``stop``) begins."""
        while start > stop and self.text[start - 1].isspace():
            start -= 1
        return start

    def blank_after(self, end: int, stop: int) -> int:
        """Where the white space after ``end`` (not after ``stop``) ends."""
        while end < stop and self.text[end].isspace():
            end += 1
        return end


_KEY_REACH = 256  # how far before the colon or equals sign a key is looked for


def _in_code(text: str, r: Any, code: _Code) -> bool:
    """Is a URL guess without a scheme, ``www`` or a path (a bare ``a.b``) a name in code rather
    than a host? It is when it is called or indexed (``logger.info(``), negated (``!user.name``),
    a file at the end of a path (``/app/main.py``), an attribute of ``self``/``this``/``cls``, a
    Go or C# member (``u.Name``, ``errors.New``), interpolated (``{args.name}``), part of a
    command or expression in a code span (`` `git config user.name` ``), a field copied from a
    field of the same name (``name = user.name``, ``email: req.body.email``), or a field of a
    one-letter name that stands alone in the text (``c.name`` after ``FROM customers c``).
    ``code``: the text's `_Code`."""
    start, end = r.start, r.end
    while end > start and text[start] in "\"'" and text[end - 1] in "\"'":
        start, end = start + 1, end - 1
    value = text[start:end]
    if "/" in value or value[:3].lower() == "www" or "." not in value:
        return False
    labels = value.split(".")
    before, after = text[start - 1:start], text[end:end + 1]
    line_start, line_end = code.line(start, end)
    opening = code.blank_before(start, line_start)  # the line before the value, blanks cut off
    key = None
    if text[opening - 1:opening] in (":", "=") and opening > line_start:
        key_blank = code.blank_before(opening - 1, line_start)  # (" \t" only, the key's pattern says)
        key = _KEY_BEFORE.search(text[max(line_start, key_blank - _KEY_REACH):start], timeout=REGEX_TIMEOUT)
    return (after in ("(", "[") or before == "!" or (before in ("/", "\\") and text[start - 2:start] != "//")
            or labels[0] in _RECEIVERS or (labels[-1][:1].isupper() and labels[0][:1].islower())
            or (text[opening - 1:opening] == "{" and opening > line_start
                and (closing := code.blank_after(end, line_end)) < line_end and text[closing] == "}")
            or _in_a_code_span(code, start, end, line_start, line_end)
            or (key is not None and key.group("key").lower() == labels[-1].lower())
            or (len(labels[0]) == 1 and code.stands_alone(labels[0])))


def _in_a_code_span(code: _Code, start: int, end: int, line_start: int, line_end: int) -> bool:
    """Is ``text[start:end]`` inside an inline code span on its line that holds more, a command or
    an expression (`` `git config user.name` ``)?"""
    ticks = code.marks("`")
    first, opened_at, closed_at = bisect_left(ticks, line_start), bisect_left(ticks, start), bisect_left(ticks, end)
    if (opened_at - first) % 2 == 0 or closed_at == len(ticks) or ticks[closed_at] >= line_end:
        return False
    opened, closed = ticks[opened_at - 1], ticks[closed_at]
    return code.blank_before(start, opened + 1) > opened + 1 or code.blank_after(end, closed) < closed


def _a_task_under_a_key(text: str, r: Any) -> bool:
    """Is ``r`` the whole value after a key (``- name: Build Wheel``) and a task's name or a
    placeholder (`labelled.names_no_one`), or, taken for a person, a group's ("To: Dev Team",
    `people.is_cued_name`)?"""
    line_end = text.find("\n", r.end)
    value = text[r.start:r.end]
    return (text[text.rfind("\n", 0, r.start) + 1:r.start].rstrip(" \t").endswith(":")
            and not text[r.end:len(text) if line_end < 0 else line_end].strip()
            and (not is_cued_name(value) if r.entity_type == "PERSON" else names_no_one(value)))


def _in_a_longer_number(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]`` cut out of a longer number: does it begin with a digit after a
    digit or after a digit and a dot, or end with one before a digit? The fraction of a decimal
    ("71.49927361529875") holds no card number, nor does the end of a dotted run of digits; a
    number written as a float ("4111111111111111.0") is still that number. (Dates, written
    with dots, are left to their finders.)"""
    head, tail = text[start:start + 1], text[end - 1:end]
    before = text[max(0, start - 2):start]
    return ((head.isdecimal() and (before[-1:].isdecimal() or (before[-1:] == "." and before[:1].isdecimal())))
            or (tail.isdecimal() and text[end:end + 1].isdecimal()))


def _no_ones_address(value: str) -> bool:
    """Is ``value`` the loopback or the unspecified address (``127.0.0.1``, ``0.0.0.0/0``,
    ``::1``), which every machine has, in configuration and logs, and so names no one's?"""
    try:
        address = ipaddress.ip_address(value.split("/", 1)[0])  # (a network: "0.0.0.0/0")
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _is_guess(r: Any) -> bool:
    """Is ``r`` a guess (spaCy, or a letterhead line) rather than a pattern match?"""
    return (r.recognition_metadata or {}).get("recognizer_name") in _GUESSES


def _trim_ner(text: str, r: Any) -> Any:
    """NER spans end at a line break: "Crystal Grant\nPhone" is the name on the first line; at
    an opening bracket: "Robert Tables (" is "Robert Tables"; and before a closing quote:
    "'Mark Rivers'" is "Mark Rivers" (a possessive's stays: "James' car"); and they start after
    an imperative verb that starts the sentence: "Compare Python" is "Python"."""
    value = text[r.start:r.end]
    verb, _, rest = value.partition(" ")
    if (_is_guess(r) and rest.strip() and verb[:1].isupper() and verb.lower() in _VERBS
            and starts_a_sentence(text, r.start)):
        r.start = r.end - len(rest.lstrip())
        value = text[r.start:r.end]
    if _is_guess(r) and "\n" in value:
        head = value.split("\n", 1)[0].rstrip()
        if head:
            r.end = r.start + len(head)
        else:
            r.start = r.end - len(value.rsplit("\n", 1)[1].lstrip())
    if _is_guess(r) and text[r.end - 1:r.end] in _OPENING:
        kept = text[r.start:r.end].rstrip(_OPENING + " \t")
        r.end = r.start + len(kept) if kept else r.end
    if _is_guess(r) and r.end - r.start > 1 and (quote := text[r.end - 1]) in _QUOTES:
        possessive = quote == "'" and text[r.end - 2] in "sxzSXZ" and text[r.start - 1:r.start] != quote
        if not possessive:
            r.end -= 1
    return r


_LINK_MARKS = "/?=&#:"


def _email_in_link(text: str, r: Any) -> Any:
    """An email starts after the last mark of a link before its ``@`` ("crm.example.com/c?email=
    alice@example.com" is "alice@example.com"): such marks are allowed in an address's local part,
    but no one's has them."""
    if r.entity_type == "EMAIL_ADDRESS" and (at := text.find("@", r.start, r.end)) > r.start:
        cut = max(text.rfind(mark, r.start, at) for mark in _LINK_MARKS)
        r.start = cut + 1 if 0 <= cut < at - 1 else r.start
    return r


_OPENING = "([{<"
_QUOTES = "'\"`"


def _country(text: str, r: Any) -> Any:
    """A spaCy guess that names a country is a LOCATION, whatever type it guessed (a person
    named like a country, "Jordan", stays a person)."""
    value = text[r.start:r.end]
    if r.entity_type in _NOT_PLACES and _is_guess(r) and value in countries() and not (
            r.entity_type == "PERSON" and value.lower() in AMBIGUOUS_COUNTRIES):
        r.entity_type = "LOCATION"
    return r


def _person(text: str, r: Any) -> Any:
    """A one-word spaCy guess of an organisation, a place or a group that is a given name
    (`names.is_given_name`) is a PERSON: "Why is Alena so impulsive?"."""
    if (r.entity_type in _NOT_PEOPLE and (r.recognition_metadata or {}).get("recognizer_name") == "SpacyRecognizer"
            and is_given_name(text[r.start:r.end])):
        r.entity_type = "PERSON"
    return r


def _firms(text: str, results: list[Any]) -> list[Any]:
    """``results`` with the people the text says are firms (`names.is_firm`) made organisations,
    with every other person's result that overlaps one of them (so the merged span is one) or
    names it again ("Kowalczyk Voss said its profit rose. Kowalczyk Voss also..."). A name after
    a title ("Mr. Stanley Johnson and its...") or a transcript's speaker stays a person."""
    people = [r for r in results if r.entity_type == "PERSON" and _recognizer(r) != "SpeakerRecognizer"
              and not _titled(text, r)]
    firms = sorted((r.start, r.end) for r in people if is_firm(text, r.start, r.end))
    if not firms:
        return results
    starts, ends = [s for s, _ in firms], list(accumulate((e for _, e in firms), max))
    named = {unowned(text[s:e]) for s, e in firms}
    for r in people:
        i = bisect_left(starts, r.end) - 1  # the last firm that starts before this ends
        if i >= 0 and ends[i] > r.start or unowned(text[r.start:r.end]) in named:
            r.entity_type = "ORGANIZATION"
    return results


def _titled(text: str, r: Any) -> bool:
    """Does ``r`` start with a title ("Mr. Stanley Johnson", `people.TITLES`)?"""
    first = _LETTERS.match(text, r.start, r.end, timeout=REGEX_TIMEOUT)
    return first is not None and first.group() in TITLES


def _rank(r: Any) -> tuple[bool, int, float]:
    return (not _is_guess(r), r.end - r.start, r.score)
