"""json-repair, guarded: it answers ``""`` when it finds nothing, which is not a parse; its
time grows with the square of the nesting (measured: 2,000 levels of ``["`` in 4 KB, 4 s; 5,000
levels of ``{'``, 10-19 s), so it is not given a text nested more than `MAX_DEPTH` levels or
longer than `MAX_CHARS` characters; flat shapes can be quadratic too (unclosed quotes, ``'[' +
"'a " * n``: 12 KB, 16 s), so it reads the text through `Counted`, and a `Budget` stops it once
its reads outrun its progress through the text; it reads NaN and Infinity as strings, which are
refused as the JSON reader refuses them, and a number too large for a float, which is refused
too (`Unreadable` says why, for the model to fix). `read_float` is every reader's float: exact
where a float is not (a `Decimal`)."""
from __future__ import annotations

import json
import math
import sys
from decimal import Decimal
from functools import cache
from typing import Any, NoReturn, Self, SupportsIndex

import regex

from ..extras import need
from ..guard import REGEX_TIMEOUT
from ..timed_regex import timed_compile
from ..verdict import MISSING
from .quoting import elide

MAX_DEPTH = 200
"""The deepest nesting of brackets handed to json-repair (valid JSON nested deeper is still read)."""
MAX_CHARS = 100_000
"""The longest text handed to json-repair: about 0.3 s of its time on ordinary broken JSON
(measured: 200 KB in 0.6 s). The fast reader in `lenient` has no such limit."""

READS_PER_CHAR = 2
"""json-repair's character reads allowed per character of the answer, however far its parser
has got: its look-ahead (measured on broken JSON up to 100 KB: at most 0.2 per character before
the parser moves past it)."""
READS_PER_STEP = 6
"""The further reads allowed per character its parser has moved past (measured on broken JSON
up to 100 KB: 1.1 to 3 per character in all; 5.2 and 6.1 on strings with no commas between
them). The quadratic shapes re-read the rest of the text at every quote while the parser moves
a few characters, and are refused after about `READS_PER_CHAR` passes: 0.1 s of json-repair at
100 KB, against 2.3 s with the former budget of 50 reads per character."""
MIN_READS = 20_000
"""The reads allowed to any answer, however short (a few milliseconds of json-repair)."""
BULK = 16
"""Characters of a slice or ``find`` (C speed) counted as one read (a read in Python costs about
0.5 us, a character copied or passed in C a few ns)."""


# Each match runs to the next bracket that is not inside a string, skipping double-quoted
# strings, Python-style single-quoted ones (after { [ , :; an apostrophe in a word is not a
# quote), and lone quotes; group 1 is the bracket ("" at the end of the text).
# (Alternatives that start with different characters: the commonest first, and the quote
# matched before the lookbehind that qualifies it, which is then tried only at quotes.)
SKIP = (r"""[^{}\[\]"']++|"(?:[^"\\]++|\\.)*+"|'(?<=[{\[,:]\s*')(?:[^'\\]++|\\.)*+'"""
         r"""|["']""")
INSIDE = timed_compile(rf"(?:{SKIP})*+([{{}}\[\]]|\Z)", regex.S)
_NOT_BRACKETS = timed_compile(rf"(?:{SKIP})++", regex.S)  # what `INSIDE` skips, as one match
OPEN = {"{": "}", "[": "]"}
# A NaN or Infinity outside strings (group 1); a string cut off by the end of the text counts.
# The tokens `_written_twice` reads: strings (cut off by the end of the text too), brackets, colons
# and commas, and the text between them.
_KEY_TOKENS = timed_compile(r""""(?:[^"\\]++|\\.)*+"?|'(?:[^'\\]++|\\.)*+'?|[][{}:,]|[^"'{}[\]:,]++""", regex.S)
_CONSTANT = timed_compile(r""""(?:[^"\\]++|\\.)*+(?:"|\Z)|'(?<=[{\[,:]\s*')(?:[^'\\]++|\\.)*+(?:'|\Z)"""
                          r"""|(?<![\w.$])(-?(?:NaN|Infinity))(?![\w$])""")


class Unreadable(Exception):
    """JSON that is not read: too deep, too long or too costly to repair, or holding NaN,
    Infinity or a number too large for a float (not JSON values a reader can hold). The message
    says why, for the model to fix."""


def not_json(constant: str) -> NoReturn:
    """Refuses a NaN, Infinity or -Infinity (Python's JSON reader takes them: ``parse_constant``)."""
    raise Unreadable(f"{constant} is not a JSON value: write a number, or null")


class Written(float):
    """A float read from a number written with zeros ending its fraction (``0.10``, ``12.50``):
    the float, which it is everywhere (comparisons, arithmetic, ``json.dumps``), and ``text``,
    the number as written, for a field where those digits carry meaning (a `Decimal`)."""

    text: str

    def __new__(cls, text: str) -> Self:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.text,)


def plain(value: Any) -> Any:
    """``value`` with every `Written` float in its lists and mappings a plain ``float`` (what a
    caller gets: serialisers such as orjson and PyYAML refuse float subclasses); the same object
    when it holds none."""
    if type(value) is Written:
        return float(value)
    if isinstance(value, dict):
        items = {k: plain(v) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, list):
        items = [plain(v) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    return value


def read_float(text: str, _float: type = float, _low: float = sys.float_info.min,
               _high: float = sys.float_info.max) -> float | Decimal:
    """A JSON number with a fraction or an exponent: a float when the float is the number
    written (it reads back as the same number), a `Written` float when that number is written
    with zeros ending its fraction, else a `Decimal` holding it exactly
    (``12345678901234567890.125``, ``1e-400``). Raises `Unreadable` for a number beyond the
    largest float (``1e999``), which Python's readers make infinity. (The defaults are locals
    for speed: the JSON reader calls this for every float.)"""
    value = _float(text)
    if len(text) < 16 and (_low <= value <= _high or -_high <= value <= -_low):
        # (15 digits or fewer, a normal float: always the number written; "7.0" as repr writes it)
        if text[-1] != "0" or text[-2] == "." or _as_written(value, text):
            return value
        return Written(text)
    if math.isinf(value):
        raise Unreadable(f"{elide(text, 40)} is too large for a JSON number (the largest is about "
                         "1.8e308): write a smaller number, or the number as a string")
    exact = Decimal(text)
    if Decimal(repr(value)) != exact:
        return exact
    return value if text[-1] != "0" or _as_written(value, text) else Written(text)


def _as_written(value: float, text: str) -> bool:
    """Whether the float ``value`` writes the number as ``text`` does (``1.0``), or ``text`` has
    an exponent (``1e10``: its zeros end no fraction)."""
    return repr(value) == text or "e" in text or "E" in text


DECODER = json.JSONDecoder(parse_constant=not_json, parse_float=read_float)
"""Python's JSON reader, refusing NaN and Infinity, with `read_float`'s floats."""


class Budget:
    """The reads json-repair may make on one answer, shared by the blocks repaired in it:
    `MIN_READS` and `READS_PER_CHAR` per character of the answer, and `READS_PER_STEP` more for
    each character its parser has moved past. `Counted` takes the reads from ``left``;
    `renew` gives what the parser's progress has earned since, or refuses."""

    __slots__ = ("left", "allowed", "base", "moved", "parser")

    def __init__(self, chars: int) -> None:
        self.base = MIN_READS + READS_PER_CHAR * chars
        self.allowed = self.base  # the reads allowed so far
        self.left = self.base  # of which not yet made
        self.moved = 0  # the characters moved past by the parsers of finished repairs
        self.parser: Any = None  # the parser at work (its ``index``: where it is)

    @property
    def spent(self) -> int:
        return self.allowed - self.left

    def charge(self, reads: int) -> None:
        """Takes ``reads``; `renew` when none are left."""
        self.left -= reads
        if self.left < 0:
            self.renew()

    def renew(self) -> None:
        """Allows the reads earned by the parser's progress; raises `Unreadable` if that is none."""
        moved = self.moved + (self.parser.index if self.parser is not None else 0)
        allowed = self.base + READS_PER_STEP * moved
        if self.spent > allowed:
            raise Unreadable("the broken JSON is too costly to repair (its quotes or brackets "
                             "are left open): write valid JSON, closing every string and bracket")
        self.left += allowed - self.allowed
        self.allowed = allowed


class Counted(str):
    """The text as json-repair reads it, counting what it reads against a `Budget`: an index
    one read, a slice or a ``find`` one per `BULK` characters copied or passed. The text
    json-repair rebuilds (``prefix + "{" + rest``) stays counted: a slice from the start and a
    concatenation share the budget."""

    budget: Budget

    def __new__(cls, text: str, budget: Budget) -> Self:
        counted = super().__new__(cls, text)
        counted.budget = budget
        return counted

    def __getitem__(self, key: SupportsIndex | slice) -> str:  # type: ignore[override]
        if not isinstance(key, slice):  # (the charge inline: the commonest read, by far)
            budget = self.budget
            budget.left -= 1
            if budget.left < 0:
                budget.renew()
            return str.__getitem__(self, key)
        part = str.__getitem__(self, key)
        self.budget.charge(1 + len(part) // BULK)
        return Counted(part, self.budget) if key.start is None else part

    def __add__(self, other: str) -> str:
        return Counted(str.__add__(self, other), self.budget)

    def find(self, sub: str, start: SupportsIndex | None = None,  # type: ignore[override]
             end: SupportsIndex | None = None) -> int:
        found = str.find(self, sub, start, end)
        stop = len(self) if found == -1 else found
        self.budget.charge(1 + (stop - (0 if start is None else int(start))) // BULK)
        return found


def repair(text: str, *, stream_stable: bool = False, budget: Budget | None = None) -> Any:
    """The value json-repair recovers from ``text``, or ``MISSING`` when it recovers nothing.

    json-repair returns ``""`` both for "nothing found" and for a genuine empty string; only
    a text that really is an empty JSON string (``""`` or ``''``) keeps that answer. Raises
    `Unreadable` for a text beyond `MAX_CHARS` or `MAX_DEPTH`, or beyond its ``budget`` of reads
    (by default the text's own; give the answer's to share it between its blocks), or with NaN,
    Infinity or a number too large for a float outside its strings.
    """
    value, _ = _parsed(_parser_class(), text, stream_stable, budget)
    if value == "" and text.strip() not in ('""', "''"):
        return MISSING
    _finite(value)
    return value


def keys_given_twice(text: str) -> frozenset[str]:
    """The keys an object gives twice in the broken JSON ``text`` (one reader keeps one value,
    another the other): as written (`_written_twice`, at every level of every object, whichever
    reader read it) and, for a text json-repair may have read (up to `MAX_CHARS`), as
    json-repair reads it (`_keys_parser_class`, whatever path it takes). Raises `Unreadable` as
    `repair` does, and when json-repair drops a value it read (a later one with the same keys
    replaces it: a reader taking the first value reads the dropped one)."""
    twice = _written_twice(text)
    if len(text) > MAX_CHARS:  # (read by the fast reader, `lenient`, not json-repair)
        return twice
    parser = _parsed(_keys_parser_class(), text, False, None)[1]
    if parser.dropped:
        raise Unreadable("the broken JSON holds two values and a repairing reader keeps only the last: "
                         "write one JSON value")
    return twice | parser.twice


def _parsed(cls: type, text: str, stream_stable: bool, budget: Budget | None) -> tuple[Any, Any]:
    """What the parser ``cls`` (json-repair's) reads in ``text``, within the limits `repair`
    gives, and the parser."""
    if len(text) > MAX_CHARS:
        raise Unreadable(f"the broken JSON is {len(text.strip()):,} characters long; broken JSON "
                         f"is repaired up to {MAX_CHARS:,}: write valid JSON")
    if "NaN" in text or "Infinity" in text:
        for match in _CONSTANT.finditer(text, timeout=REGEX_TIMEOUT):
            if match.group(1):
                not_json(match.group(1))
    if too_deep(text):
        raise Unreadable(f"the broken JSON is nested too deeply to repair (more than {MAX_DEPTH} "
                         "levels): write valid JSON, nested less deeply")
    budget = Budget(len(text)) if budget is None else budget
    parser = cls(Counted(text, budget), None, False, stream_stable=stream_stable,
                 try_valid_json_suffix=True)  # (as json-repair's own repair_json)
    budget.parser = parser
    try:
        value = parser.parse()
    except RecursionError as exc:
        raise Unreadable(f"the broken JSON is nested too deeply to repair ({exc})") from exc
    finally:
        budget.moved += parser.index
        budget.parser = None
    return value, parser


@cache
def _parser_class() -> type:
    """json-repair's parser, its floats read by `read_float`."""
    parser: type = need("json_repair.json_parser", "json", "JSON repair").JSONParser

    class Parser(parser):  # type: ignore[misc, valid-type]
        def parse_number(self) -> Any:
            start = self.index
            value = super().parse_number()
            if isinstance(value, float):  # read again from its text (json-repair drops "_")
                value = read_float(str.__getitem__(self.json_str, slice(start, self.index))
                                   .replace("_", ""))
            return value

    return Parser


@cache
def _keys_parser_class() -> type:
    """json-repair's parser (`_parser_class`), noting in ``twice`` the keys an object it read gave
    twice (its keys are the strings it reads as keys; a top-level object it continues after its
    closing brace, ``{"a": 1}, "a": 2}``, is one object; an object it reads with Python's reader,
    valid JSON before more text, is read again keeping every pair; a key it takes back, splitting an
    object in a list at a repeated key, is not the object's), and in ``dropped`` whether it dropped
    a top-level value it read (a later one with the same keys replaces it)."""
    key = need("json_repair.utils.json_context", "json", "JSON repair").ContextValues.OBJECT_KEY

    class KeysParser(_parser_class()):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.objects: list[list[tuple[int, str]]] = []  # the keys (and where each starts) of each object being read
            self.twice: set[str] = set()
            self.dropped = False

        def parse(self) -> Any:
            read: list[Any] = []

            def element() -> Any:
                read.append(self.parse_json())
                return read[-1]

            value = self._parse_top_level(element)
            kept = {id(item) for item in (value if len(read) > 1 and isinstance(value, list) else [value])}
            self.dropped = any(item and id(item) not in kept for item in read)
            return value

        def parse_object(self, *args: Any, **kwargs: Any) -> Any:
            continued = bool(self.objects) and self.context.empty
            if not continued:
                self.objects.append([])
            try:
                return super().parse_object(*args, **kwargs)
            finally:
                # keys read at or after where it stopped were taken back (an object split at a
                # repeated key, read again as the next object)
                self.objects[-1] = [(at, k) for at, k in self.objects[-1] if at < self.index]
                if not continued:
                    keys, seen = [k for _, k in self.objects.pop()], set()
                    self.twice.update(k for k in keys if k in seen or seen.add(k))

        def parse_string(self) -> Any:
            start = self.index
            value = super().parse_string()
            if self.objects and self.context.current is key and isinstance(value, str) and value:
                self.objects[-1].append((start, value))
            return value

        def _try_parse_valid_json_value(self) -> tuple[bool, Any]:
            start = self.index
            found = super()._try_parse_valid_json_value()
            if found[0]:
                self.twice |= _decoded_twice(str.__getitem__(self.json_str, slice(start, self.index)))
            return found

        def _try_parse_missing_opening_object(self, delimiter: str) -> tuple[bool, Any]:
            found = super()._try_parse_missing_opening_object(delimiter)
            if found[0]:
                self.twice |= _decoded_twice("{" + str(self.json_str), whole=False)
            return found

    return KeysParser


def _decoded_twice(text: str, *, whole: bool = True) -> set[str]:
    """The keys an object gives twice in the JSON value opening ``text`` (all of it when ``whole``)
    as Python's reader reads it, every pair kept."""
    twice: set[str] = set()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        kept = dict(items)
        if len(kept) != len(items):
            seen: set[str] = set()
            twice.update(k for k, _ in items if k in seen or seen.add(k))
        return kept

    decoder = json.JSONDecoder(object_pairs_hook=pairs)
    if whole:
        decoder.decode(text)
    else:
        decoder.raw_decode(text)
    return twice


def _written_twice(text: str) -> set[str]:
    """The keys (a string, or the text between a comma or bracket and a colon, not a word right
    after a colon: a value such as ``https://`` or ``10:30``) given twice at one level of one
    object as ``text`` writes them, whatever a reader makes of the rest; a key after
    the closing brace of a top-level object counts as that object's (json-repair continues it).
    Brackets that close nothing are skipped."""
    try:
        tokens = _KEY_TOKENS.findall(text, timeout=REGEX_TIMEOUT)
    except TimeoutError as exc:
        raise Unreadable("the broken JSON is too long to read for repeated keys: write valid JSON") from exc
    twice: set[str] = set()
    stack: list[set[str] | None] = []  # per open bracket: an object's keys, None for a list
    last: set[str] | None = None  # the keys of the last top-level object
    before = ""  # the significant token before this one
    value = False  # whether ``before`` is a word after a colon: a value (``https://``, ``10:30``)
    for token in tokens:
        if token in ("{", "["):
            stack.append(set() if token == "{" else None)
        elif token in ("}", "]"):
            if stack:
                closed = stack.pop()
                last = closed if closed is not None and not stack else last
        elif token == ":" and before not in ("", "{", "[", "}", "]", ",", ":") and not value:
            keys = stack[-1] if stack else last
            if keys is not None:
                name = _key_text(before)
                if name in keys:
                    twice.add(name)
                keys.add(name)
        elif token.isspace():
            continue
        value = before == ":" and token[:1] not in ('"', "'")
        before = token.strip()
    return twice


def _key_text(token: str) -> str:
    """The key a string or word token writes (escapes read as JSON reads them where it can)."""
    if token[:1] == '"':
        try:
            return json.loads(token)
        except ValueError:
            return token[1:].removesuffix('"')
    return token[1:].removesuffix("'") if token[:1] == "'" else token


def _finite(value: Any) -> None:
    """Refuses an infinite float in a repaired value (json-repair reads a valid JSON value inside
    broken text with Python's own reader, which makes ``1e999`` infinity)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and math.isinf(item):
            read_float("-1e999" if item < 0 else "1e999")  # (raises, saying why)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def too_deep(text: str) -> bool:
    """Whether brackets outside strings in ``text`` nest more than `MAX_DEPTH` levels."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return False  # (the common case, at C speed)
    depth = 0
    for bracket in _NOT_BRACKETS.sub("", text, timeout=REGEX_TIMEOUT):  # (one regex pass, in C)
        depth = depth + 1 if bracket in OPEN else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            return True
    return False
