"""The text as the finders read it: each character in its NFKC form (full-width digits and
letters as ASCII, no-break and thin spaces as spaces), invisible format characters (a soft
hyphen, a zero-width space) left out, and the escapes that write a character
of a value decoded (``\\u0040``, ``%40``, ``&#64;``: an email written in JSON, a URL or HTML),
with the way back, so that what replaces a value found covers the characters as written."""
from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from ...guard import REGEX_TIMEOUT
from ...structured.strings import rewrite
from ...timed_regex import timed_compile

_SPECIAL = timed_compile(
    r"[^\x00-\x7f]+|%(?P<pct>[0-9A-Fa-f]{2})|\\u(?P<json>[0-9A-Fa-f]{4})|&#(?:x(?P<hex>[0-9A-Fa-f]{1,6})|(?P<dec>[0-9]{1,7}));")
_VALUE_PUNCTUATION = frozenset("@.+-_")
"""Characters of values (an email's, a phone number's) besides letters and digits: an escape
of one is decoded; other escapes (``%20``, ``%2F``, ``\\n``) are left as written, so that
links and JSON keep their shape."""


_FORMAT = timed_compile(r"\p{Cf}")  # soft hyphens, zero-width spaces and joiners: read as nothing


def _read(c: str) -> str:
    return "" if unicodedata.category(c) == "Cf" else unicodedata.normalize("NFKC", c)


class Moves:
    """Positions between a text and a rewrite of it. ``edits``: ``(old_start, old_end,
    new_start, new_end)`` of each piece rewritten, in order; the text between them is kept. A
    span that starts or ends inside a rewritten piece grows to cover all of it."""

    def __init__(self, edits: list[tuple[int, int, int, int]]) -> None:
        self.edits = edits
        self._old = [e[0] for e in edits]
        self._new = [e[2] for e in edits]

    def back(self, pos: int, end: bool = False) -> int:
        """Where ``pos`` in the new text was in the old one."""
        return self._move(self._new, pos, end, 2)

    def forth(self, pos: int, end: bool = False) -> int:
        """Where ``pos`` in the old text is in the new one."""
        return self._move(self._old, pos, end, 0)

    def spans_forth(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Where ``spans`` of the old text are in the new one."""
        return [(self.forth(start), self.forth(end, end=True)) for start, end in spans]

    def _move(self, starts: list[int], pos: int, end: bool, side: int) -> int:
        """``pos`` from the text whose edits' starts are ``starts`` (``side`` 0: old, 2: new)."""
        i = (bisect_left(starts, pos) if end else bisect_right(starts, pos)) - 1
        if i < 0:
            return pos
        edit, other = self.edits[i], 2 - side
        if pos < edit[side + 1] or (end and pos == edit[side + 1]):
            return edit[other + 1] if end else edit[other]
        return pos - edit[side + 1] + edit[other + 1]


@dataclass(frozen=True)
class Spelling:
    """``text`` as the finders read it, and the way back to the text as written."""

    text: str
    moves: Moves | None  # None: read as written

    def span_back(self, start: int, end: int) -> tuple[int, int]:
        """Where ``text[start:end]`` stands in the text as written (grown over whole characters
        and escapes)."""
        if self.moves is None:
            return start, end
        return self.moves.back(start), self.moves.back(end, end=True)


def normalised(text: str) -> Spelling:
    """``text`` read as `Spelling` says; ASCII text with no escape is read as written."""
    if "%" not in text and "\\u" not in text and "&#" not in text and (text.isascii() or (
            unicodedata.is_normalized("NFKC", text) and not _FORMAT.search(text, timeout=REGEX_TIMEOUT))):
        return Spelling(text, None)
    edits = []
    for m in _SPECIAL.finditer(text, timeout=REGEX_TIMEOUT):
        written = m.group()
        if not written.isascii():  # a run of other characters: each read on its own
            if not unicodedata.is_normalized("NFKC", written) or _FORMAT.search(written, timeout=REGEX_TIMEOUT):
                edits += [(m.start() + i, m.start() + i + 1, read) for i, c in enumerate(written)
                          if (read := _read(c)) != c]
            continue
        code = int(m.group("pct") or m.group("json") or m.group("hex") or m.group("dec"),
                   10 if m.group("dec") else 16)
        if code >= (0x80 if m.group("pct") else 0x110000):  # (a URL's %XX above 7F: a UTF-8 byte)
            continue
        read = unicodedata.normalize("NFKC", chr(code))
        if read and (read.isalnum() or read in _VALUE_PUNCTUATION):
            edits.append((m.start(), m.end(), read))
    if not edits:
        return Spelling(text, None)
    read, moves = rewrite(text, edits)
    return Spelling(read, Moves(moves))
