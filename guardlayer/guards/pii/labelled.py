"""Values under keys that say what they are, whatever their words: ``{"name": "Olivia Brown"}``,
``customer_name=Olivia Brown``, ``Full name: Olivia Brown``, ``dob: 1984-03-02``, and the cells
of a CSV/TSV (or Markdown) table under a header such as ``first_name,last_name,phone``.

A key is a known head (name, surname, address, city, zip, dob, phone, email, ssn, passport,
licence number, iban, account number, ip...) after qualifiers such as "customer", "patient",
"billing" (``customerName``, ``patient.name`` and ``Billing Address`` too); the entity type
comes from the head. A bare ``name`` says less (``name: Build`` in a CI file): it counts only
when the text has another key of this kind whose value counts. Values are taken conservatively: quoted,
the quoted text; unquoted, to the line's end or the next key; and each must have its
entity's shape (a name is capitalised words, a phone number has digits...), so that numbers
where a name is expected, placeholders (``null``, ``n/a``, ``<redacted>``), the names of
tasks (``name: Run Tests``) and labels are never flagged.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator

from ...guard import REGEX_TIMEOUT
from ...timed_regex import TimedPattern, timed_compile

Labelled = tuple[int, int, float, str]
"""``(start, end, score, entity)`` of a value."""

_HEADS: dict[str, str] = {
    **dict.fromkeys(("name", "full name", "fullname", "first name", "firstname", "fname",
                     "last name", "lastname", "lname", "surname", "given name", "family name",
                     "middle name", "maiden name"), "PERSON"),
    **dict.fromkeys(("address", "street", "street address", "address line 1", "address line 2",
                     "address1", "address2", "addr", "zip", "zip code", "zipcode", "postcode",
                     "post code", "postal code"), "STREET_ADDRESS"),
    **dict.fromkeys(("city", "town"), "LOCATION"),
    **dict.fromkeys(("dob", "date of birth", "birthdate", "birth date", "birthday"), "DATE_TIME"),
    **dict.fromkeys(("phone", "phone number", "phone no", "mobile", "mobile number", "cell",
                     "cell phone", "tel", "telephone", "fax"), "PHONE_NUMBER"),
    **dict.fromkeys(("email", "e mail", "email address", "mail"), "EMAIL_ADDRESS"),
    **dict.fromkeys(("ssn", "social security number", "social security no"), "US_SSN"),
    **dict.fromkeys(("passport", "passport number", "passport no"), "US_PASSPORT"),
    **dict.fromkeys(("licence number", "license number", "licence no", "license no",
                     "driver license", "drivers license", "driving licence", "dl number"),
                    "US_DRIVER_LICENSE"),
    "iban": "IBAN_CODE",
    **dict.fromkeys(("account number", "account no", "bank account", "bank account number"),
                    "US_BANK_NUMBER"),
    **dict.fromkeys(("ip", "ip address", "ip addr", "client ip", "remote ip", "source ip"),
                    "IP_ADDRESS"),
}
STEMS = ("name", "addr", "street", "zip", "post", "city", "town", "dob", "birth", "phone", "mobile",
         "cell", "tel", "fax", "mail", "ssn", "social", "passport", "licen", "iban", "account", "ip", "dl")
"""Every head holds one of these: a key cannot end where none is just before (a test checks)."""
ENTITIES = sorted(set(_HEADS.values()))
"""The entity types a key can name."""
_QUALIFIERS = frozenset((
    "customer", "customers", "patient", "patients", "employee", "employees", "contact",
    "client", "clients", "member", "guest", "holder", "account", "cardholder", "card", "owner",
    "applicant", "recipient", "sender", "beneficiary", "student", "parent", "guardian",
    "spouse", "emergency", "billing", "shipping", "delivery", "home", "work", "office",
    "mailing", "postal", "residential", "legal", "personal", "primary", "secondary", "my",
    "your", "his", "her", "their", "s"))
"""Words a key may start with before its head ("customer name", "billing address")."""
_BARE = "name"
_MAX_KEY_WORDS = 6

_KEY_WORD = timed_compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")  # camelCase and snake_case parts
_BEFORE_KEY = "{[(,;|&?="
"""Marks a key written without blanks starts after (``{name: ...}``, ``?id=7&name=...``)."""
_LABEL_KEY = timed_compile(r"[ \t>*\-•#]*(?P<key>[A-Za-z][A-Za-z .'’\-]{0,60}?)[ \t]*")  # a line's "Full name"
_QUOTED_VALUE = timed_compile(r"""[ \t]*(["'“])(?P<value>[^"'”\n]{0,120})["'”]""")
_BARE_VALUE = timed_compile(r"[ \t]*(?P<value>[^\s\"'{}\[\]<>;|&][^\n\r\t\"'{}\[\]<>;|&]{0,119})")
_NEXT_KEY = timed_compile(r",?[ \t]+[A-Za-z_][\w.\-]*[ \t]*[:=]|,[ \t]*[A-Za-z_][\w.\-]*[ \t]*[:=]")

_PLACEHOLDERS = frozenset((
    "null", "none", "nil", "n/a", "na", "nan", "unknown", "redacted", "hidden", "removed",
    "masked", "tbd", "todo", "string", "str", "text", "required", "optional", "missing",
    "invalid", "empty", "blank", "test", "example", "sample", "default", "value", "undefined",
    "anonymous", "anon", "xxx", "private", "confidential"))
_ACTIONS = frozenset((
    "add", "analyze", "apply", "archive", "build", "bump", "cache", "check", "checkout", "clean",
    "cleanup", "clone", "compile", "configure", "copy", "create", "delete", "deploy", "download",
    "enable", "ensure", "export", "fetch", "format", "generate", "get", "import", "init",
    "initialize", "install", "lint", "load", "login", "log", "make", "merge", "migrate", "notify",
    "package", "prepare", "publish", "pull", "push", "release", "remove", "restore", "run", "save",
    "scan", "send", "set", "setup", "show", "start", "stop", "sync", "tag", "test", "update",
    "upload", "use", "validate", "verify", "wait"))
"""Verbs that start the name of a task rather than a person's (``name: Run Tests``, the steps
of a CI file); verbs that are also first names (Bill, Mark, Will, Grant) are not listed."""
_NAME = timed_compile(r"\p{Lu}[\p{L}'’.\-]*(?:,?[ \t]+\p{L}[\p{L}'’.\-]*){0,3}")
_PLACE = timed_compile(r"\p{Lu}[\p{L}'’.\-]*(?:[ \t]+\p{L}[\p{L}'’.\-]*){0,3}")
_SHAPES: dict[str, TimedPattern] = {
    "PERSON": _NAME,
    "LOCATION": _PLACE,
    "DATE_TIME": timed_compile(r"(?=(?:\D*\d){2})[\p{L}\d][\p{L}\d ,./\-]{4,28}"),
    "PHONE_NUMBER": timed_compile(r"(?=(?:\D*\d){5,15}\D*\Z)\+?[\d(][\d ().\-]{3,22}(?:[ \t]*(?:x|ext\.?)[ \t]*\d{1,6})?"),
    "EMAIL_ADDRESS": timed_compile(r"[^\s@]{1,64}@[^\s@]{1,100}"),
    "US_SSN": timed_compile(r"\d{3}[ \-]?\d{2}[ \-]?\d{4}"),
    "US_PASSPORT": timed_compile(r"(?=(?:\D*\d){5})[A-Z0-9]{6,12}"),
    "US_DRIVER_LICENSE": timed_compile(r"(?=(?:[^\d]*\d){3})[A-Z0-9][A-Z0-9 \-]{4,19}"),
    "IBAN_CODE": timed_compile(r"[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}"),
    "US_BANK_NUMBER": timed_compile(r"\d(?:[ \-]?\d){5,19}"),
    "IP_ADDRESS": timed_compile(r"\d{1,3}(?:\.\d{1,3}){3}|(?=[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:)[0-9A-Fa-f:]{2,39}"),
}
"""What a value under each entity's key must be, whole."""
_STREET = timed_compile(r"(?=.*\d)(?=.*\p{L}{2})(?=.*\s)[\p{L}\d#][\p{L}\d ,.'’#/\-]{3,118}")
_ZIP = timed_compile(r"(?=.*\d)[A-Za-z0-9][A-Za-z0-9 \-]{2,9}")
_ZIP_HEADS = frozenset(("zip", "zip code", "zipcode", "postcode", "post code", "postal code"))
_ONE_TOKEN = frozenset(("EMAIL_ADDRESS", "US_PASSPORT", "IP_ADDRESS"))
"""Entities whose unquoted value ends at a blank ("ip=10.0.0.7 ok")."""

SCORE = 0.9
"""The score of a value found under its key: above an NER guess, whose span Presidio keeps
otherwise when it holds this one (spaCy's ``customer_name="Ana Silva`` would hide the name,
and is then dropped as code), below a checksum."""


@functools.lru_cache(maxsize=4096)
def key_entity(key: str) -> tuple[str, str] | None:
    """``(entity, head)`` for a key such as ``customer_name``, ``Date of birth`` or ``ipAddress``
    (a known head after known qualifiers); None for any other key."""
    words = [w.lower() for w in _KEY_WORD.findall(key, timeout=REGEX_TIMEOUT)]
    if not words or len(words) > _MAX_KEY_WORDS:
        return None
    for i in range(len(words)):
        head = " ".join(words[i:])
        if head in _HEADS and _QUALIFIERS.issuperset(words[:i]):
            if head == _BARE and i:  # "customer name": qualified, no longer bare
                return _HEADS[head], "qualified name"
            return _HEADS[head], head
    return None


def _placeholder(value: str) -> bool:
    folded = value.strip(" .*-_#?").lower()
    return not folded or folded in _PLACEHOLDERS


def names_no_one(value: str) -> bool:
    """Is ``value``, found where a name or place is expected, a placeholder (``TBD``,
    ``Unknown``) or a task's name (``Run Tests``, ``Set up Python``)?"""
    return _placeholder(value) or value.split(None, 1)[0].lower() in _ACTIONS


def value_counts(value: str, entity: str, head: str) -> bool:
    """Has ``value`` (under a key of ``entity``) its entity's shape, and is it no placeholder,
    task name or label?"""
    if (names_no_one(value) if entity == "PERSON" else _placeholder(value)) or key_entity(value):
        return False
    if entity == "STREET_ADDRESS":
        shape = _ZIP if head in _ZIP_HEADS else _STREET
    else:
        shape = _SHAPES[entity]
    return shape.fullmatch(value, timeout=REGEX_TIMEOUT) is not None


def find_labelled(text: str, timeout: float = REGEX_TIMEOUT) -> list[Labelled]:
    """Values under labelled keys, in ``key: value`` / ``key=value`` / ``"key": "value"`` form
    and in tables with a header."""
    if ":" not in text and "=" not in text and "\n" not in text:
        return []
    found: list[tuple[int, int, str, str]] = _pairs(text, timeout) + _table_cells(text, timeout)
    personal = any(head != _BARE for _, _, _, head in found)
    return sorted((s, e, SCORE, entity) for s, e, entity, head in found if personal or head != _BARE)


def _pairs(text: str, timeout: float) -> list[tuple[int, int, str, str]]:
    """``(start, end, entity, head)`` of the values after keys and a colon or equals sign."""
    found = []
    for at in _separators(text):
        known = _key_before(text, at, timeout)
        if not known:
            continue
        value = _value_at(text, at + 1, timeout, known[0] in _ONE_TOKEN)
        if value and value_counts(text[value[0]:value[1]], *known):
            found.append((*value, *known))
    return found


def _separators(text: str) -> Iterator[int]:
    """Where the colons and equals signs of ``text`` are (found without a regex: a scan of the
    ``regex`` module with a time limit costs more than all else here)."""
    for mark in ":=":
        at = text.find(mark)
        while at >= 0:
            yield at
            at = text.find(mark, at + 1)


def _key_before(text: str, at: int, timeout: float) -> tuple[str, str] | None:
    """``(entity, head)`` of the key that ends at ``at``: a quoted key, one identifier (the
    last word before ``at``), or a label that starts its line (which can qualify a bare
    "name": "Emergency contact name")."""
    newline = text.rfind("\n", max(0, at - 81), at)  # a longer line has no label key
    line_start = newline + 1 if newline >= 0 else max(0, at - 81)
    before = text[max(line_start, at - 80):at].rstrip(" \t")
    if not (before[-1:].isalnum() or before[-1:] in "\"'."):  # a key ends in a letter, a quote or a dot
        return None
    folded = before.lower()
    if not any(stem in folded for stem in STEMS):
        return None
    if before[-1:] in ("\"", "'"):
        opening = before.rfind(before[-1], 0, len(before) - 1)
        key = before[opening + 1:-1] if opening >= 0 else ""
    else:
        key = before.rsplit(None, 1)[-1] if before.strip() else ""
        for mark in _BEFORE_KEY:
            key = key.rsplit(mark, 1)[-1]
        key = key if _is_token_key(key) else ""
    known = key_entity(key) if key else None
    if ((known is None or known[1] == _BARE) and " " in before and at - line_start <= 80
            and before.count(" ") <= 2 * _MAX_KEY_WORDS):
        label = _LABEL_KEY.fullmatch(text, line_start, at, timeout=timeout)
        known = (label and key_entity(label.group("key"))) or known  # "contact name: ..."
    return known


def _is_token_key(key: str) -> bool:
    """Is ``key`` one identifier (``customer_name``, ``patient.name``, ``first-name``)?"""
    return (len(key) <= 61 and key[:1].isascii() and key[:1].isalpha()
            and key.replace("_", "").replace(".", "").replace("-", "").isalnum())


def _value_at(text: str, at: int, timeout: float, one_token: bool) -> tuple[int, int] | None:
    """The span of the value that starts at ``at`` (after a separator): the quoted text, or
    the rest of the line up to the next key (``one_token``: up to a blank), trimmed."""
    quoted = _QUOTED_VALUE.match(text, at, timeout=timeout)
    if quoted:
        return quoted.span("value")
    bare = _BARE_VALUE.match(text, at, timeout=timeout)
    if not bare:
        return None
    start, end = bare.span("value")
    cut = _NEXT_KEY.search(text, start, end, timeout=timeout)
    end = cut.start() if cut else end
    if one_token:
        end = next((i for i in range(start, end) if text[i] in " \t"), end)
    while end > start and text[end - 1] in " \t\r,.":
        end -= 1
    return (start, end) if end > start else None


_DELIMITERS = (",", "\t", ";", "|")
_MAX_CELL = 48
_CELL_KEY = timed_compile(r"[ \t]*[\"']?(?P<key>[A-Za-z][\w .\-]{0,40}?)[\"']?[ \t]*")


def _table_cells(text: str, timeout: float) -> list[tuple[int, int, str, str]]:
    """``(start, end, entity, head)`` of the cells under known columns of tables: a header line
    of two or more keys, one known, then rows of as many cells (until a line that is not).
    Only a line followed by one with as many of a delimiter can head a table with rows."""
    found: list[tuple[int, int, str, str]] = []
    lines = text.split("\n")
    tried: dict[int, list[str]] = {}
    for delimiter in _DELIMITERS:
        if text.count(delimiter) >= 2:
            counts = [line.count(delimiter) for line in lines]
            for i in range(len(lines) - 1):
                if counts[i] and counts[i] == counts[i + 1]:
                    tried.setdefault(i, []).append(delimiter)
    if not tried:
        return found
    starts = list(itertools.accumulate(map(len, lines), lambda at, n: at + n + 1, initial=0))
    after = 0  # the first line after the last table's rows
    for i in sorted(tried):
        if i < after:
            continue
        columns, delimiter = _header(text, starts[i], lines[i], tried[i], timeout)
        if not columns:
            continue
        after = i + 1
        while after < len(lines):
            cells = _cells(text, starts[after], starts[after] + len(lines[after]), delimiter)
            if len(cells) != len(columns):
                break
            for (start, end), known in zip(cells, columns):
                if known and end > start and value_counts(text[start:end], *known):
                    found.append((start, end, *known))
            after += 1
    return found


def _header(text: str, start: int, line: str, delimiters: list[str], timeout: float
            ) -> tuple[list[tuple[str, str] | None], str]:
    """The columns' ``(entity, head)`` (None: not a known key) of a header ``line`` that
    starts at ``start``, and which of ``delimiters`` it uses; no columns when it is no such
    header."""
    for delimiter in delimiters:
        if any(len(part) > _MAX_CELL for part in line.split(delimiter)):
            continue
        cells = _cells(text, start, start + len(line), delimiter)
        if len(cells) >= 2 and all(
                _CELL_KEY.fullmatch(text, s, e, timeout=timeout) for s, e in cells):
            columns = [key_entity(text[s:e]) for s, e in cells]
            if any(columns):
                return columns, delimiter
    return [], ""


def _cells(text: str, start: int, end: int, delimiter: str) -> list[tuple[int, int]]:
    """The cells of a line, trimmed of blanks and quotes (a Markdown row's outer pipes
    dropped)."""
    line = text[start:end]
    if delimiter == "|" and line.strip().startswith("|"):
        first = line.index("|")
        last = line.rstrip().rindex("|")
        start, line = start + first + 1, line[first + 1:last]
    spans, at = [], start
    for cell in line.split(delimiter):
        s, e = at, at + len(cell)
        while s < e and text[s] in " \t\"'":
            s += 1
        while e > s and text[e - 1] in " \t\r\"'":
            e -= 1
        spans.append((s, e))
        at += len(cell) + 1
    return spans
