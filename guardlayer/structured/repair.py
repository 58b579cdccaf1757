"""json-repair, guarded: it answers ``""`` when it finds nothing, which is not a parse; its
time grows with the square of the nesting (measured: 2,000 levels of ``["`` in 4 KB, 4 s; 5,000
levels of ``{'``, 10-19 s), so it is not given a text nested more than `MAX_DEPTH` levels or
longer than `MAX_CHARS` characters; flat shapes can be quadratic too (unclosed quotes, ``'[' +
"'a " * n``: 12 KB, 16 s), so it reads the text through `Counted`, which stops it after
`READS_PER_CHAR` reads per character; and it reads NaN and Infinity as strings, which are refused
as the JSON reader refuses them (`Unreadable` says why, for the model to fix)."""
from __future__ import annotations

from typing import Any, NoReturn, Self, SupportsIndex

import regex

from ..extras import need
from ..guard import REGEX_TIMEOUT
from ..timed_regex import timed_compile
from ..verdict import MISSING

MAX_DEPTH = 200
"""The deepest nesting of brackets handed to json-repair (valid JSON nested deeper is still read)."""
MAX_CHARS = 100_000
"""The longest text handed to json-repair: about 0.3 s of its time on ordinary broken JSON
(measured: 200 KB in 0.6 s). The fast reader in `lenient` has no such limit."""

READS_PER_CHAR = 50
"""json-repair's character reads allowed per character of the text (at most 12 measured on the
350 cases of the JSON benchmarks and on flat broken shapes; unclosed quotes take 2,200 per
character at 20 KB, and more the longer the text). A refusal costs about 25 ms per KB."""
MIN_READS = 20_000
"""The reads allowed to any text, however short (a few milliseconds of json-repair)."""


# Each match runs to the next bracket that is not inside a string, skipping double-quoted
# strings, Python-style single-quoted ones (after { [ , :; an apostrophe in a word is not a
# quote), and lone quotes; group 1 is the bracket ("" at the end of the text).
# (Alternatives that start with different characters: the commonest first, and the quote
# matched before the lookbehind that qualifies it, which is then tried only at quotes.)
INSIDE = timed_compile(r"""(?:[^{}\[\]"']++|"(?:[^"\\]++|\\.)*+"|'(?<=[{\[,:]\s*')(?:[^'\\]++|\\.)*+'"""
                       r"""|["'])*+([{}\[\]]|\Z)""", regex.S)
OPEN = {"{": "}", "[": "]"}
# A NaN or Infinity outside strings (group 1); a string cut off by the end of the text counts.
_CONSTANT = timed_compile(r""""(?:[^"\\]++|\\.)*+(?:"|\Z)|'(?<=[{\[,:]\s*')(?:[^'\\]++|\\.)*+(?:'|\Z)"""
                          r"""|(?<![\w.$])(-?(?:NaN|Infinity))(?![\w$])""")


class Unreadable(Exception):
    """JSON that is not read: too deep, too long or too costly to repair, or holding NaN or
    Infinity (not JSON values). The message says why, for the model to fix."""


def not_json(constant: str) -> NoReturn:
    """Refuses a NaN, Infinity or -Infinity (Python's JSON reader takes them: ``parse_constant``)."""
    raise Unreadable(f"{constant} is not a JSON value: write a number, or null")


class Counted(str):
    """The text as json-repair reads it, counting what it reads: an index or a slice (its
    length), a ``find`` (the characters it passes); raises `Unreadable` once more than ``budget``
    are read. The text json-repair rebuilds (``prefix + "{" + rest``) stays counted: a slice from
    the start and a concatenation share the count."""

    left: list[int]
    """The reads left, shared by the texts rebuilt from this one."""

    def __new__(cls, text: str, budget: int, left: list[int] | None = None) -> Self:
        counted = super().__new__(cls, text)
        counted.left = left if left is not None else [budget]
        return counted

    def charge(self, reads: int) -> None:
        """Takes ``reads`` from the reads left; raises `Unreadable` when none are left."""
        self.left[0] -= reads
        if self.left[0] < 0:
            raise Unreadable("the broken JSON is too costly to repair (its quotes or brackets "
                             "are left open): write valid JSON, closing every string and bracket")

    def __getitem__(self, key: SupportsIndex | slice) -> str:  # type: ignore[override]
        if not isinstance(key, slice):  # (charge(1) inline: the commonest read, by far)
            left = self.left
            left[0] -= 1
            if left[0] < 0:
                self.charge(0)
            return str.__getitem__(self, key)
        part = str.__getitem__(self, key)
        self.charge(len(part) + 1)
        return self.keep(part) if key.start is None else part

    def __add__(self, other: str) -> str:
        return self.keep(str.__add__(self, other))

    def find(self, sub: str, start: SupportsIndex | None = None,  # type: ignore[override]
             end: SupportsIndex | None = None) -> int:
        found = str.find(self, sub, start, end)
        stop = len(self) if found == -1 else found
        self.charge(stop - (0 if start is None else int(start)) + 1)
        return found

    def keep(self, text: str) -> Counted:
        """``text``, counted against this text's budget."""
        return Counted(text, 0, self.left)


def repair(text: str, *, stream_stable: bool = False) -> Any:
    """The value json-repair recovers from ``text``, or ``MISSING`` when it recovers nothing.

    json-repair returns ``""`` both for "nothing found" and for a genuine empty string; only
    a text that really is an empty JSON string (``""`` or ``''``) keeps that answer. Raises
    `Unreadable` for a text beyond `MAX_CHARS` or `MAX_DEPTH`, or beyond json-repair's budget of
    reads (`READS_PER_CHAR`), or with NaN or Infinity outside its strings.
    """
    if len(text) > MAX_CHARS:
        raise Unreadable(f"the broken JSON is {len(text):,} characters long; broken JSON is "
                         f"repaired up to {MAX_CHARS:,}: write valid JSON")
    if "NaN" in text or "Infinity" in text:
        for match in _CONSTANT.finditer(text, timeout=REGEX_TIMEOUT):
            if match.group(1):
                not_json(match.group(1))
    if too_deep(text):
        raise Unreadable(f"the broken JSON is nested too deeply to repair (more than {MAX_DEPTH} "
                         "levels): write valid JSON, nested less deeply")
    json_repair = need("json_repair", "json", "JSON repair")
    counted = Counted(text, max(MIN_READS, READS_PER_CHAR * len(text)))
    try:
        value = json_repair.repair_json(counted, return_objects=True, skip_json_loads=True,
                                        stream_stable=stream_stable)
    except (ValueError, RecursionError) as exc:  # (its only ValueError without a schema or strict)
        raise Unreadable(f"the broken JSON is nested too deeply to repair ({exc})") from exc
    if value == "" and text.strip() not in ('""', "''"):
        return MISSING
    return value


def too_deep(text: str) -> bool:
    """Whether brackets outside strings in ``text`` nest more than `MAX_DEPTH` levels."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return False  # (the common case, at C speed: the scan costs about 1 ms per 10 KB)
    depth = 0
    for token in INSIDE.finditer(text, timeout=REGEX_TIMEOUT):
        bracket = token.group(1)
        if bracket:
            depth = depth + 1 if bracket in OPEN else max(depth - 1, 0)
            if depth > MAX_DEPTH:
                return True
    return False
