"""Find the JSON values in what a model wrote.

Forms handled: plain JSON (fast path: one ``json.loads``), ```` ```json ```` / ```` ``` ```` /
``~~~`` fences, JSON inside prose, several blocks in one answer, a bare scalar (also after
"Here is the result:"), and truncated output (an unclosed block, closed by repair). A block is
read by the JSON decoder when valid, by `lenient` when broken in the common ways, and by
json-repair otherwise (within `repair`'s limits). NaN and Infinity, which Python's reader takes,
are refused on every path (`repair.Unreadable`), and so is a number too large for a float; a
number a float does not hold exactly is read as a `Decimal` (`repair.read_float`, and `dumps`
writes it back as it was), and one written with zeros ending its fraction as a `repair.Written`
float, which keeps its text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import regex

from ..guard import REGEX_TIMEOUT
from ..timed_regex import each_match, timed_compile
from ..verdict import MISSING
from .lenient import read
from .repair import DECODER, OPEN, SKIP, Budget, Unreadable, repair

# A fence (CommonMark) opens a line, after any indentation, with 3+ backticks or tildes and an
# optional language word (or, as models write it, ends a line of prose with a JSON language word,
# outside any double-quoted string on that line: "Here: ```json"); the body runs to a line holding
# only a fence of the same character at least as long, or to the end of the text (a cut-off
# answer). A fence inside a JSON string cannot end the body: valid JSON escapes its strings'
# newlines, so no line starts there.
FENCE = timed_compile(r"(?:^[ \t\ufeff]*+|(?=(?:`{3,}|~{3,})[ \t]*(?i:json[c5l]?)[ \t]*\r?$)"
                      r"(?<=^[^\"\n]*(?:\"[^\"\n]*\"[^\"\n]*)*))"  # (mid-line: not inside a "string")
                      r"(?:(?P<ticks>`{3,})|(?P<tildes>~{3,}))[ \t]*(?P<lang>[A-Za-z0-9_+-]*)"
                      r"(?P<body>.*?)(?:^[ \t]*+(?:(?P=ticks)`*+|(?P=tildes)~*+)[ \t\r]*+$|\Z)",
                      regex.S | regex.M)
_JSON_LANGS = {"", "json", "jsonc", "json5", "jsonl", "javascript", "js"}
_OPENER = timed_compile(r"[{\[]")
_SCALAR_START = frozenset('"-0123456789tfn')
_WINDOW = 4096  # the decoder's first window on a block (see `_decode`)
# What the bracket count skips inside a block: as `INSIDE`, and a pair of brackets with none
# inside (one match for "[1]", where the count would take three).
_INNER = timed_compile(rf"(?:{SKIP}|[{{\[](?:{SKIP})*+[}}\]])*+([{{}}\[\]]|\Z)", regex.S)
# A block: begin, end, cut off by the end of the text, value (MISSING: not read yet), repaired.
_Span = tuple[int, int, bool, Any, bool]


def loads(text: str) -> Any:
    """``json.loads``, refusing NaN, Infinity and -Infinity (not JSON values) and a number too
    large for a float with `Unreadable`; a float that does not hold the number written is a
    `Decimal` (`repair.read_float`)."""
    return DECODER.decode(text)


def dumps(value: Any) -> str:
    """``json.dumps`` (``ensure_ascii=False``), writing a `Decimal` as the number it holds."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return "{" + ", ".join(f"{dumps(str(k))}: {dumps(v)}" for k, v in value.items()) + "}"
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(map(dumps, value)) + "]"
        raise


@dataclass(frozen=True, slots=True)
class Candidate:
    """One JSON value found in a text. ``form``: plain | fenced | prose | scalar | text."""

    value: Any
    form: str
    start: int = 0
    end: int = 0
    repaired: bool = False
    truncated: bool = False


def candidates(text: str, *, allow_repair: bool = True) -> list[Candidate]:
    """Every JSON value found in ``text``, in order. Empty when there is none. json-repair's
    reads are budgeted for the whole text (`repair.Budget`), however many blocks it repairs."""
    stripped = text.strip()
    if stripped[:1] in _SCALAR_START or stripped[:1] in OPEN:
        try:
            return [Candidate(loads(stripped), "plain", 0, len(text))]
        except ValueError:
            pass
    budget = Budget(len(text)) if allow_repair else None
    if stripped[:1] in OPEN:
        found = _blocks(text, 0, "prose", budget)
        return found or _fenced(text, budget)
    return (_fenced(text, budget) or _blocks(text, 0, "prose", budget) or _scalar(text)
            or _tuple(stripped, budget))


def _fenced(text: str, budget: Budget | None) -> list[Candidate]:
    if "```" not in text and "~~~" not in text:
        return []  # no fence can open (a quicker test than the pattern's scan)
    found: list[Candidate] = []
    for match in FENCE.finditer(text, timeout=REGEX_TIMEOUT):
        if match.group("lang").lower() not in _JSON_LANGS:
            continue
        body_start, body_end = match.span("body")
        body = match.group("body")
        stripped = body.strip()
        if not stripped:
            continue
        try:
            found.append(Candidate(loads(stripped), "fenced", body_start, body_end))
            continue
        except ValueError:
            pass
        found.extend(_blocks(text[:body_end], body_start, "fenced", budget)
                     or _scalar(body, offset=body_start, form="fenced")
                     or _tuple(stripped, budget, form="fenced", offset=body_start))
    return found


def _blocks(text: str, start: int, form: str, budget: Budget | None) -> list[Candidate]:
    """The top-level ``{...}`` / ``[...]`` blocks of ``text[start:]``, parsed or repaired
    (within ``budget``; ``None``: not repaired)."""
    spans, stray_closer = _spans(text, start)
    if not spans:
        return []
    merged = stray_closer is not None and stray_closer > spans[0][0]
    if merged:
        # A closer with no opener ('{"a": 1}, "b": 2}'): the blocks are one broken value.
        spans = [(spans[0][0], max(stray_closer + 1, spans[-1][1]), spans[-1][2], MISSING, True)]
    found = []
    for begin, end, truncated, value, repaired in spans:
        if not repaired:
            found.append(Candidate(value, form, begin, end))
            continue
        chunk = text[begin:end]
        alone = len(spans) == 1 and not text[start:begin].strip() and not text[end:].strip()
        if budget is None or not (alone or _looks_like_json(chunk)):
            continue
        if value is MISSING:
            # The leading space spares json-repair a character-by-character Python pass it makes
            # over a text that opens with a bracket (looking for a valid value followed by more
            # text; a single block ends at its closing bracket and is not valid JSON, so that
            # pass finds nothing there and the result is the same). Merged blocks keep the pass:
            # it is what lets json-repair read '{"a": 1}, "b": 2}' as one object.
            value = repair(chunk if merged else " " + chunk, budget=budget)
        if value is not MISSING:
            found.append(Candidate(value, form, begin, end, repaired=True, truncated=truncated))
    return found


def _spans(text: str, start: int) -> tuple[list[_Span], int | None]:
    """The top-level blocks from ``start`` (see `_span`), and the position of the last closer
    found outside any block (quotes in the prose between blocks are ignored)."""
    spans: list[_Span] = []
    stray: int | None = None
    pos = unread = start  # the lenient reader is not tried again before where it gave up: it
    # may read past the end the bracket count finds, and must not read that text twice
    while True:
        opener = _OPENER.search(text, pos, timeout=REGEX_TIMEOUT)
        gap_end = opener.start() if opener else len(text)
        last_closer = max(text.rfind("}", pos, gap_end), text.rfind("]", pos, gap_end))
        if last_closer >= 0:
            stray = last_closer
        if opener is None:
            return spans, stray
        span, unread = _span(text, opener.start(), unread)
        spans.append(span)
        if span[2]:
            return spans, stray
        pos = span[1]


def _span(text: str, begin: int, unread: int) -> tuple[_Span, int]:
    """The block opening at ``begin``: ``(begin, end, truncated, value, repaired)``, and where
    the lenient reader last gave up. Valid JSON is read by the decoder, JSON broken in the
    common ways by `lenient.read` (neither loops over characters in Python); for anything else
    the value is ``MISSING`` (json-repair's to read) and the end is found by a string-aware
    bracket count."""
    decoded = _decode(text, begin)
    if decoded is not None:
        return (begin, decoded[1], False, decoded[0], False), unread
    if begin >= unread:
        value, end, truncated = read(text, begin)
        if value is not MISSING:
            return (begin, end, truncated, value, True), unread
        unread = end
    depth = 1
    try:
        for token in each_match(_INNER, text, begin + 1, timeout=REGEX_TIMEOUT):
            bracket = token.group(1)
            if not bracket:
                break
            depth += 1 if bracket in OPEN else -1
            if depth == 0:
                return (begin, token.end(), False, MISSING, True), unread
    except TimeoutError as exc:  # (some hundreds of thousands of brackets)
        raise Unreadable("the broken JSON has too many brackets to read: write valid JSON") from exc
    return (begin, len(text), True, MISSING, True), unread


def _decode(text: str, begin: int) -> tuple[Any, int] | None:
    """The valid JSON value opening at ``begin`` and its end, or ``None``. The decoder is given
    a window that grows until it holds the value or the error: its errors count the lines from
    the start of what it was given, so giving it the whole rest of a long text at every block
    would cost quadratic time."""
    size = _WINDOW
    while True:
        window = text[begin:begin + size]
        try:
            value, end = DECODER.raw_decode(window)
            return value, begin + end
        except json.JSONDecodeError as exc:
            # An error well inside the window is the text's; one near its end, or an open
            # string, may be the window's cut.
            if begin + size >= len(text) or exc.pos < len(window) - 16 and not exc.msg.startswith("Unterminated"):
                return None
        except RecursionError:
            return None
        size *= 16


def _looks_like_json(chunk: str) -> bool:
    """Prose in brackets ("[see below]", "{name}") is not worth repairing into a value."""
    return any(c in chunk for c in "\":'") or any(c.isdigit() for c in chunk)


def _scalar(text: str, *, offset: int = 0, form: str = "scalar") -> list[Candidate]:
    """A bare scalar: the whole text, or what follows the last colon ("Result: 42.")."""
    colon = text.rfind(":")
    for begin in (0, colon + 1) if colon >= 0 else (0,):
        piece = text[begin:].strip().rstrip(".")
        if piece[:1] in _SCALAR_START:
            try:
                value = loads(piece)
            except ValueError:
                continue
            return [Candidate(value, form, offset + begin, offset + len(text))]
    return []


def _tuple(text: str, budget: Budget | None, *, form: str = "prose", offset: int = 0) -> list[Candidate]:
    """A Python tuple written where JSON was wanted: ``(1, 2)`` -> ``[1, 2]`` (by repair)."""
    if budget is None or not text.startswith("(") or not text.endswith(")"):
        return []
    value = repair(text, budget=budget)
    return [] if value is MISSING else [Candidate(value, form, offset, offset + len(text), repaired=True)]
