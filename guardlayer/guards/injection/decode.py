"""Embedded encodings, decoded so that what they hide is scanned too: base64, base32, hex, binary,
ASCII85 / base85, ``\\x``/``\\u`` escapes, URL percent-encoding, HTML entities, Unicode tag
characters, Morse code, rot13, reversed text, and text spaced out character by character
(punctuation included, which folding alone does not undo).

``decode_layers(text)`` returns the readable text found in each encoding, as `Layer`s. The first
texts decoded in a call make a layer each (`ALONE_LAYERS`); after those, what the runs of one
encoding in a text decode to is joined into one text, in the runs' order, by `SEPARATOR`, and
returned in windows of at most ``MAX_RUN_CHARS``: every layer is scanned again at a fixed cost
besides its characters', paid so once per encoding rather than once per run, and thousands of short
runs cost about what their characters do. A layer spans the encoded runs it came from in ``text``
and maps each part of its text back to its own run (`Layer.span`; for whole-text readings such as
rot13, URL or entities, to the window read). What a layer decodes to is searched again,
``MAX_DEPTH`` layers deep (base64 inside base64, rot13 or hex inside base64, ...); a layer is named
by its chain, outermost first (``"base64+hex"``). A long encoded run is decoded in overlapping
chunks; a `Budget` bounds the work of one call (characters kept, characters decoded and thrown away,
decodings tried), so adversarial input costs a bounded amount. Binary chunks keep only their
printable stretches.

The budget goes to the most promising runs first, so that neither junk around an attack (commit
hashes, random tokens, binary blobs) nor harmless decoys hide it. Runs are ranked before any is
decoded: a run whose groups start with digits that begin ASCII text (`_leads`: for base64 of ASCII
text, the first digit of every 4-digit group is one of "CDI-Za-f"; for hex, the first digit of every
byte is 0 or 2-7) is text-like, a run whose groups start with digits that begin other UTF-8 text
next, and the rest look like junk (ranked lower, not dropped). Runs are taken from both ends of the
text inwards, in turn from each tier and encoding, and the first and last chunks of every run before
the inner ones. Runs that look like junk are decoded only once every other run has been, at every
depth, and what is decoded and thrown away is charged first to an allowance of its own
(`MAX_JUNK_CHARS`). Each depth but the last leaves a share of the budget (`DEEPER_SHARE`) to the
deeper ones until they have had their turn: junk or decoys at the first layer do not use up what an
attack nested deeper needs."""
from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import heapq
import html
import itertools
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import TypeVar

import regex

from ...guard import REGEX_TIMEOUT
from ...timed_regex import TimedPattern, each_match, timed_compile

_ESCAPES = timed_compile(r"(?:\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}){4,}")
_PERCENT = timed_compile(r"%[0-9a-fA-F]{2}")
_URL_GAP = 64
"""Percent-escapes further apart than this (stray ones in noise) do not make a text URL-encoded."""
_ENTITY = timed_compile(r"&#(?:x[0-9a-fA-F]{1,6}|[0-9]{1,7});")
_TAGS = timed_compile(r"[\U000e0020-\U000e007e]{3,}")
_TAG_CHARS = {code: code - 0xE0000 for code in range(0xE0020, 0xE007F)}
_ROT13_HINT = timed_compile(r"rot[\s_-]?13|caesar", regex.IGNORECASE)

TEXT_SHARE = 0.8
"""A run looks like text when at least this share of its groups start with digits that begin text
(`_leads`): every group of ASCII text does, 37-44% of the groups of random data or of a hex hash
read as base64. Ranked as ASCII text by chance: 1.2% of random base64 runs of 16-100 digits, 0.7% of
hashes; as other UTF-8 text: 2.1% and 21% (a hash's digits 0-9 begin UTF-8 groups in base64)."""
MAX_RUN_CHARS = 8192
"""Decoded text is returned in windows of at most this many characters (what is scanned at once),
and a text is read whole-text ways (rot13, URL, ...) in windows this long."""
WINDOW_OVERLAP = 512
"""Consecutive windows of a text read whole-text ways share this many characters, so a phrase cut
by a window edge is whole in one (decoded text is never cut: its chunks overlap, `CHUNK_OVERLAP`)."""
MAX_DEPTH = 3
"""Decoded text is searched for further encodings until a chain is this many layers long."""
MAX_DECODED_CHARS = 48 * 1024
"""Characters one call may decode and keep, summed over every run and reading at every depth. Kept text
is scanned again (signatures, cues, classifier), which costs about as much per KB as the text
itself (0.6-0.8 ms per KB of noise-like text on one core): with 64 KB, 100 KB of base64-encoded
noise took 85-96 ms of the 100 ms allowed, with 48 KB 55-85 ms. It still covers a whole base64 run
of 64 KB, or an 11 KB message three base64 layers deep. What is decoded and thrown away (nothing
readable in it) counts here only once `MAX_JUNK_CHARS` is spent."""
MAX_JUNK_CHARS = 32 * 1024
"""Characters one call may decode and throw away before the rest are charged to `MAX_DECODED_CHARS`;
once they are spent, runs that do not look like text (`_ranked`) are no longer tried. Junk is not
scanned again, only decoded and searched for printable stretches: 0.07 ms per KB decoded from base64
or hex, 0.2-0.26 ms from base85 or base32, on one core."""
SEPARATOR = "\n\n"
"""Joins what the runs of one encoding decode to into one text, in their order: a paragraph break,
so that two runs never make one word (nor one run of a further encoding), and the scan reads them
as it reads two paragraphs of plain text (an attack cut into two runs is read whole). Each text
kept is charged a separator (`Budget.keep`)."""
ALONE_LAYERS = 64
"""The first texts decoded in a call, up to this many, make a layer each, as when a text holds few
runs; the later ones of each encoding are joined. The classifier reads a layer as a whole, and a
joined one dilutes what it reads: of 19 paraphrased attacks in base64 that only the classifier
catches, put amid runs of harmless phrases, all 19 were caught read alone, 12 or 13 joined with 5
to 100 phrases on each side. Decoys up to this many cost an attack nothing; more, its own reading
(signatures still find it), not its decoding. 64 short runs took 8.8 ms to check alone, 1.8 joined."""
MAX_LAYERS = 256
"""Readable layers one call returns at most: each is scanned again (signatures, cues, classifier)
at a cost of its own besides its characters'. Past `ALONE_LAYERS`, the runs of one encoding in one
text make one layer (in windows), so this bounds layers of many encodings and chains, not of runs."""
MAX_DECODINGS = 4096
"""Decodings one call may try (each chunk of a run and each whole-text reading of a window counts
one): about as many as `MAX_DECODED_CHARS` holds of the shortest runs (16 base64 digits: 12
characters and a separator). A short run takes 5-10 microseconds to decode and join, on one core."""
DEEPER_SHARE = 1 / 6
"""The share of a call's budget (characters kept, decodings) that each depth leaves to each depth
below it until those have had their turn: the first layer stops at 2/6 of the budget left, the
second at 1/6, the third takes the rest, and what the deeper layers leave goes back to the first
ones. Without it, text at the first layer (100 KB of base64 of phrases, or 64 KB of one run) spends
it all before an attack three layers deep is reached."""
CHUNK_STEP = 7680
"""A long run is decoded in chunks starting this many characters apart (a multiple of every
decoder's block: 2 hex digits, 3 with a separator, 4 base64, 5 base85, 8 base32 or bits, so that
each chunk decodes like the whole run; 5760 characters of base64-decoded text)."""
CHUNK_OVERLAP = 480
"""Consecutive chunks share this many encoded characters (360 base64-decoded ones), so that a phrase
cut by a chunk edge is whole in one. A chunk decodes to at most `MAX_RUN_CHARS`: one window."""
MIN_STRETCH = 20
"""In a decoded chunk that is mostly binary, printable stretches this long are kept (random bytes
almost never give one; an instruction is longer)."""
_READABLE = timed_compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]" + f"{{{MIN_STRETCH},}}")
# Encoded runs are found in the text's "shape": its ASCII bytes mapped to one letter per character
# class (anything else, non-ASCII included, to "x"). A base64 run is a maximal run of >= 16 base64
# characters and up to two "=" (what `[A-Za-z0-9+/_-]{16,}={0,2}` matches, found with bytes.find);
# a hex run is what `(?:[0-9a-fA-F]{2}[ :]?){8,}` matches, i.e. `_HEX_RUN` on the shape.
_B64_SHAPE = bytes(ord("b") if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "+/_-") else ord("x")
                   for c in range(256))
_HEX_SHAPE = bytes(ord("h") if chr(c) in "0123456789abcdefABCDEF" else ord("s") if chr(c) in " :" else ord("x")
                   for c in range(256))
_B64_RUN = b"b" * 16
_HEX_RUN = timed_compile(rb"(?:hhs?){8,}")
_BINARY = timed_compile(r"(?:[01]{8}[ ,]?){6,}")
_MORSE = timed_compile(r"(?:[.-]{1,7}(?: / | {1,3}|/|$)){8,}")
_A85 = timed_compile(r"<~[!-u\s]{8,}~>")
# base85's alphabet but "?", which a shape writes for a character that is not ASCII (`_b85_spans`)
_B85_SHAPE = bytes(ord("b") if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "!#$%&()*+-;<=>@^_`{|}~")
                   else ord("x") for c in range(256))
_B85_RUN = b"b" * 20
_B85_MARKS = bytes(ord("m") if chr(c) in "!#$%&()*;<>@^`{|}~" else ord("x") for c in range(256))
"""Marks only base85 uses ("=" ends base64; "?" stands for non-ASCII characters in a shape)."""
_B32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_B32_DIGITS = frozenset("234567")
_MORSE_CODE = dict(zip(
    ".- -... -.-. -.. . ..-. --. .... .. .--- -.- .-.. -- -. --- .--. --.- .-. ... - ..- ...- .-- -..- -.-- --.. "
    "----- .---- ..--- ...-- ....- ..... -.... --... ---.. ----. .-.-.- --..-- ..--.. -.-.-- -..-. ---... .----."
    .split(), "abcdefghijklmnopqrstuvwxyz0123456789.,?!/:'"))
_COMMON = frozenset("the and you to of is in it that for your this with are be not on all me as do".split())


Decoder = Callable[[str], str | None]
"""Text in an encoding -> the text it encodes (None: not that encoding)."""
Spans = Callable[[str], Iterable[tuple[int, int]]]
"""Text -> the spans of the runs of one encoding in it, leftmost first."""


Parts = tuple[tuple[int, int, int], ...]
"""Where the parts of a text joined from several decoded runs came from: ``(offset, start, end)``
for each part in order, the text from its ``offset`` to the next part's having been decoded from
``start:end`` of the text `decode_layers` was given."""
_offset = itemgetter(0)


@dataclass(frozen=True, slots=True)
class Layer:
    """Readable text recovered from one chain of encodings; ``start``/``end`` span the encoded runs
    it was decoded from (for a nested layer, the outermost ones), and ``runs`` locates each of them
    (`Parts`, its offsets into ``text``)."""

    encoding: str
    text: str
    start: int
    end: int
    runs: Parts = ()

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        """The span of the encoded runs that ``text[lo:hi]`` was decoded from, in the scanned text."""
        return _covering(self.runs, lo, hi) if self.runs else (self.start, self.end)


@dataclass(slots=True)
class Budget:
    """Work one `decode_layers` call may still do: characters it may decode and keep, characters it
    may decode and throw away (``junk``), decodings it may try."""

    chars: int = MAX_DECODED_CHARS
    decodings: int = MAX_DECODINGS
    junk: int = MAX_JUNK_CHARS

    @classmethod
    def keeping(cls, chars: int) -> Budget:
        """A budget keeping ``chars`` characters, with decodings in proportion (`MAX_DECODINGS` to
        `MAX_DECODED_CHARS`: the defaults for the default)."""
        return cls(chars, chars * MAX_DECODINGS // MAX_DECODED_CHARS)

    @property
    def spent(self) -> bool:
        return self.decodings <= 0 or self.chars <= 0

    def try_one(self) -> bool:
        """Count one decoding about to be tried; False once the budget is spent."""
        if self.spent:
            return False
        self.decodings -= 1
        return True

    def keep(self, decoded: str, *, tail: bool = False) -> str:
        """What may be kept of one decoding's output: the characters still in the budget at most,
        less a `SEPARATOR` (which joins it to others: it is scanned too), from its start (from its
        end with ``tail``)."""
        room = max(self.chars - len(SEPARATOR), 0)
        kept = decoded[len(decoded) - room:] if tail and len(decoded) > room else decoded[:room]
        self.chars -= len(kept) + len(SEPARATOR)
        return kept

    def waste(self, count: int) -> None:
        """Charge ``count`` characters decoded and thrown away: to ``junk`` while it lasts, then to ``chars``."""
        spill = max(count - max(self.junk, 0), 0)
        self.junk -= count - spill
        self.chars -= spill


def _text(raw: bytes) -> str:
    """Decoded bytes as text; invalid UTF-8 becomes U+FFFD, which `_printable` counts against it."""
    return raw.decode("utf-8", "replace")


def _printable(text: str) -> bool:
    """At least 6 characters, 95% of them printable (line breaks and tabs count as printable)."""
    if len(text) < 6:
        return False
    if text.isprintable() and "\ufffd" not in text:
        return True
    if text.count("\ufffd") > 0.05 * len(text):  # binary read as UTF-8: no need for a pass per character
        return False
    bad = len(text) - sum(map(str.isprintable, text)) + text.count("\ufffd") - sum(map(text.count, "\n\t\r"))
    return bad <= 0.05 * len(text)


def _readable(text: str) -> str | None:
    """``text`` when it looks printable, else its printable stretches of at least `MIN_STRETCH`
    characters, one a line (None: it has none)."""
    if _printable(text):
        return text
    return "\n".join(_READABLE.findall(text)) or None


def _wordy(text: str) -> bool:
    """Looks like language rather than an identifier or binary noise: mostly letters, and spaces."""
    return " " in text.strip() and sum(map(str.isalpha, text)) >= 0.5 * (len(text) - text.count(" "))


def _b64(run: str) -> str | None:
    if len(run.rstrip("=")) % 4 == 1:
        return None
    padded = run + "=" * (-len(run) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if ("-" in run or "_" in run) else None,
                               validate=True)
    except (binascii.Error, ValueError):
        return None
    return _text(raw)


def _hex(run: str) -> str | None:
    digits = run.replace(" ", "").replace(":", "")
    try:
        return _text(bytes.fromhex(digits[:len(digits) // 2 * 2]))
    except ValueError:
        return None


def _b32(run: str) -> str | None:
    body = run.rstrip("=")
    if not body.isupper() or not set(body) <= _B32_ALPHABET:
        return None
    try:
        return _text(base64.b32decode(body + "=" * (-len(body) % 8)))
    except (binascii.Error, ValueError):
        return None


def _binary(run: str) -> str | None:
    bits = "".join(ch for ch in run if ch in "01")
    bits = bits[:len(bits) // 8 * 8]
    return _text(int(bits, 2).to_bytes(len(bits) // 8, "big")) if bits else None


def _base85(run: str) -> str | None:
    """ASCII85 (``<~...~>``, the closing mark optional so that a prefix decodes too) or base85."""
    try:
        if run.startswith("<~"):
            return _text(base64.a85decode(run[2:].removesuffix("~>")))
        return _text(base64.b85decode(run))
    except ValueError:
        return None


def _morse(run: str) -> str | None:
    letters = [" ".join(_MORSE_CODE.get(code, "") for code in word.split()).replace(" ", "")
               for word in run.replace(" / ", "/").split("/")]
    return " ".join(letters)


def _escapes(run: str) -> str | None:
    whole = _ESCAPES.search(run, timeout=REGEX_TIMEOUT)  # a chunk of a long run may cut an escape at an end
    if whole is None:
        return None
    try:  # nothing but \x, \u and \U escapes: Python's own escape decoder reads them
        text = codecs.decode(whole.group(), "unicode_escape")
    except UnicodeDecodeError:
        return None
    return text if len(text) >= 4 else None


def _tags(run: str) -> str:
    return run.translate(_TAG_CHARS)


def _shape(text: str, table: bytes) -> bytes:
    return text.encode("ascii", "replace").translate(table)


def _class_runs(shape: bytes, run: bytes) -> Iterator[tuple[int, int]]:
    """Maximal runs of ``run``'s class letter in ``shape`` at least as long as ``run``, leftmost first."""
    start = shape.find(run)
    while start >= 0:
        end = shape.find(b"x", start)
        end = len(shape) if end < 0 else end
        yield start, end
        start = shape.find(run, end)


def _b64_spans(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the base64 runs of ``text`` (see `_B64_SHAPE`), leftmost first."""
    for start, end in _class_runs(_shape(text, _B64_SHAPE), _B64_RUN):
        yield start, end + (2 if text.startswith("==", end) else 1 if text.startswith("=", end) else 0)


def _b32_spans(text: str) -> Iterator[tuple[int, int]]:
    """The base64 runs of ``text`` that could be base32: upper case, with one of its digits 2-7
    (16 base32 characters of any data lack them 4% of the time; long words always do)."""
    return ((start, end) for start, end in _b64_spans(text)
            if text[start:end].isupper() and not _B32_DIGITS.isdisjoint(text[start:end]))


def _b85_spans(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the runs of >= 20 base85 characters of ``text`` that are not ASCII85 (``<~...~>``)
    and hold one of the punctuation marks that only base85 uses (20 base85 characters of any data
    lack them 1% of the time; words and base64 almost always do)."""
    # A shape writes "?" for a character that is not ASCII: a real "?", one of base85's, is read
    # as "=" (also base85's, and no mark either), and "?" in the shape stays outside the alphabet.
    text85 = text.replace("?", "=")
    marks = _shape(text85, _B85_MARKS)
    return ((start, end) for start, end in _class_runs(_shape(text85, _B85_SHAPE), _B85_RUN)
            if not text.startswith("<~", start) and marks.find(b"m", start, end) >= 0)


def _hex_spans(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the hex runs of ``text`` (see `_HEX_SHAPE`), leftmost first."""
    shape = _shape(text, _HEX_SHAPE)
    if b"h" * 16 in shape.replace(b"s", b""):  # a run has >= 16 digits and only separators between
        yield from (m.span() for m in _HEX_RUN.finditer(shape, timeout=REGEX_TIMEOUT))


def _matches(pattern: TimedPattern, *needles: str, run: tuple[str, int] | None = None) -> Spans:
    """Spans of ``pattern`` in a text, looked for only when the text holds every one of ``needles``
    and, with ``run`` (characters, length), a run of that many of those characters (which every
    match is made of, and is at least as long as: a byte search rules out 100 KB of noise, where
    the regex took 0.6 ms)."""
    table = bytes(ord("r") if chr(c) in run[0] else ord("x") for c in range(256)) if run else b""
    def spans(text: str) -> Iterable[tuple[int, int]]:
        if not all(needle in text for needle in needles) or run and b"r" * run[1] not in _shape(text, table):
            return ()
        return (m.span() for m in pattern.finditer(text, timeout=REGEX_TIMEOUT))
    return spans


def _tag_spans(text: str) -> Iterable[tuple[int, int]]:
    return () if text.isascii() else (m.span() for m in _TAGS.finditer(text, timeout=REGEX_TIMEOUT))


@lru_cache(maxsize=4)
def _short_words(text: str) -> frozenset[str]:
    """The distinct words of ``text`` of up to 4 letters, lower-cased (where common words are)."""
    return frozenset(w for w in set(text.lower().split()) if len(w) <= 4)


def _rot13_reading(text: str) -> str | None:
    """The rot13 reading of ``text`` when it reads more like English than the text itself, or
    when the text mentions rot13 / Caesar."""
    lower = text.lower()
    if ("rot" in lower or "caesar" in lower) and _ROT13_HINT.search(text, timeout=REGEX_TIMEOUT):
        return codecs.encode(text, "rot13")
    # rot13 commutes with lower() and split(): only the short distinct words need turning
    plain_words = _short_words(text)
    rot_common = len(_COMMON.intersection(codecs.encode(w, "rot13") for w in plain_words))
    if rot_common >= 2 and rot_common > len(_COMMON & plain_words):
        return codecs.encode(text, "rot13")
    return None


_SPACED_WORDS = timed_compile(r"\s{2,}")


def _despaced(text: str) -> str | None:
    """Text written with a space between every character (punctuation too: "i g n o r e   < | s y s | >"),
    read back: single spaces dropped, wider gaps kept as word breaks."""
    tokens = text.split()
    if len(tokens) < 8 or list(map(len, tokens)).count(1) < 0.8 * len(tokens):
        return None
    return " ".join(part.replace(" ", "") for part in _SPACED_WORDS.split(text, timeout=REGEX_TIMEOUT))


def _reversed_reading(text: str) -> str | None:
    """``text`` read backwards, when that reads more like English than the text itself."""
    short = _short_words(text)
    backwards = len(_COMMON.intersection(w[::-1] for w in short))
    if backwards >= 2 and backwards > len(_COMMON & short):
        return text[::-1]
    return None


def _url(text: str) -> str | None:
    """``text`` URL-decoded, when it holds three percent-escapes close together."""
    count, last = 0, -_URL_GAP
    for m in each_match(_PERCENT, text) if text.count("%") >= 3 else ():
        count = count + 1 if m.start() - last <= _URL_GAP else 1
        if count == 3:
            return urllib.parse.unquote(text)
        last = m.end()
    return None


def _entities(text: str) -> str | None:
    return html.unescape(text) if "&#" in text and _ENTITY.search(text, timeout=REGEX_TIMEOUT) else None


_ASCII_TEXT = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_UTF8_TEXT = bytes(range(0x80, 0xF5))
"""The bytes of UTF-8 characters that are not ASCII (continuation and lead bytes)."""


def _leads(encode: Callable[[bytes], str], first: bytes) -> bytes:
    """The digits that start a group of an encoding when the group's first byte is one of ``first``:
    a group's first digit depends on its first byte (base85's, on its first byte and a little on
    the next ones, which zeros stand for)."""
    return bytes(sorted({ord(encode(bytes([byte, 0, 0, 0, 0]))[0]) for byte in first}))


Leads = tuple[int, bytes, bytes]
"""How to tell a run of encoded text before decoding it: its group size in digits (separators
aside), the digits that start a group of ASCII text and those that start a group of other UTF-8
text (`_leads`)."""
_SEPARATORS = b" :,"
"""What may stand between the groups of a run (of hex or binary), not counted as digits."""


def _text_leads(group: int, encode: Callable[[bytes], str]) -> Leads:
    """The `Leads` of an encoding with groups of ``group`` digits written by ``encode``."""
    return group, _leads(encode, _ASCII_TEXT), _leads(encode, _UTF8_TEXT)


_RUNS: tuple[tuple[str, Spans, Decoder, bool, Leads | None], ...] = (
    # (encoding, where its runs are, decoder, whether its output must look printable to count,
    #  how to rank its runs: None ranks every run as ASCII text)
    ("base64", _b64_spans, _b64, True, _text_leads(4, lambda data: base64.b64encode(data).decode())),
    ("base32", _b32_spans, _b32, True, _text_leads(8, lambda data: base64.b32encode(data).decode())),
    ("hex", _hex_spans, _hex, True, _text_leads(2, bytes.hex)),
    ("binary", _matches(_BINARY, "01", run=("01", 8)), _binary, True, _text_leads(8, lambda data: f"{data[0]:08b}")),
    ("ascii85", _matches(_A85, "<~"), _base85, True, None),
    ("base85", _b85_spans, _base85, True, _text_leads(5, lambda data: base64.b85encode(data).decode())),
    ("morse", _matches(_MORSE, "-", ".", run=(".- /", 15)), _morse, True, None),
    ("escapes", _matches(_ESCAPES, "\\"), _escapes, False, None),
    ("unicode-tags", _tag_spans, _tags, False, None),
)
_READINGS: tuple[tuple[str, Decoder], ...] = (
    ("spacing", _despaced), ("url", _url), ("html-entities", _entities), ("rot13", _rot13_reading),
    ("reversed", _reversed_reading),
)
_INVOLUTIONS = frozenset({"rot13", "reversed"})
"""Readings that undo themselves: never applied to their own output."""


def _windows(text: str) -> Iterator[tuple[int, str]]:
    """``text`` in windows of `MAX_RUN_CHARS` overlapping by `WINDOW_OVERLAP`, with their offsets."""
    step = MAX_RUN_CHARS - WINDOW_OVERLAP
    for start in range(0, max(len(text) - WINDOW_OVERLAP, 1), step):
        yield start, text[start:start + MAX_RUN_CHARS]


def _chunks(start: int, end: int) -> list[tuple[int, int]]:
    """The run ``start:end`` in chunks `CHUNK_STEP` apart, overlapping by `CHUNK_OVERLAP`."""
    return [(lo, min(end, lo + CHUNK_STEP + CHUNK_OVERLAP))
            for lo in range(start, max(end - CHUNK_OVERLAP, start + 1), CHUNK_STEP)]


_T = TypeVar("_T")


def _ends_first(items: list[_T]) -> list[_T]:
    """``items`` from both ends inwards: first, last, second, second last..."""
    return [items[i // 2] if i % 2 == 0 else items[-1 - i // 2] for i in range(len(items))]


_JUNK = 2
"""The tier of runs that look like neither ASCII text (tier 0) nor other UTF-8 text (tier 1)."""


def _ranked(raw: bytes, runs: Iterable[tuple[int, int]], leads: Leads | None,
            limit: int) -> list[tuple[int, int, int, int]]:
    """``(tier, run_rank, start, end)`` for up to ``limit`` of one encoding's runs per tier in a text
    (``raw``: its characters as ASCII bytes): runs that look like ASCII text (tier 0), like other
    UTF-8 text (tier 1), or like neither (`_JUNK`), each tier from both ends inwards (``run_rank``
    0 for its first run, 1 for its last, 2 for its second...)."""
    runs = list(runs)
    if not runs:  # (most texts: ranking costs nothing then)
        return []
    tiers: list[list[tuple[int, int]]] = [runs if leads is None else [], [], []]
    if leads is not None:
        group, ascii_leads, utf8_leads = leads
        for start, end in runs:  # (thousands of runs: this loop is kept to a few byte operations)
            heads = raw[start:end].translate(None, _SEPARATORS)[::group]  # the first digit of each group
            most = TEXT_SHARE * len(heads)
            tier = (0 if len(heads) - len(heads.translate(None, ascii_leads)) >= most
                    else 1 if len(heads) - len(heads.translate(None, utf8_leads)) >= most else _JUNK)
            tiers[tier].append((start, end))
    return [(tier, run_rank, start, end) for tier, spans in enumerate(tiers)
            for run_rank, (start, end) in enumerate(_ends_first(spans)[:limit])]


_Piece = tuple[int, int, int, int, int, int, int, int]
"""One decoding to try: ``(rank, run_rank, tier, order, start, end, lo, hi)``, ``text[lo:hi]`` being
a chunk of the run ``start:end`` of the encoding ``_RUNS[order]``, or for ``order == len(_RUNS)`` a
window of the text (tier 0), read every whole-text way. Pieces are tried in order of ``rank`` (0 for
the first chunk or window, 1 for the last, 2 for the second...), then ``run_rank`` (see `_ranked`),
then ``tier``, then ``order``: the runs of every tier and encoding in turn, so that runs of one
cannot crowd out another; no two pieces share all four."""


def _pieces(text: str, limit: int) -> tuple[list[_Piece], list[_Piece]]:
    """Every decoding worth trying on ``text``, last first: those of runs that look like text and
    the whole-text readings, and apart those of runs that look like junk (`_JUNK`). ``limit``: the
    decodings left, and so the most runs of a tier that can be reached."""
    pieces: tuple[list[_Piece], list[_Piece]] = ([], [])
    raw = text.encode("ascii", "replace")  # one byte a character, as the runs' spans count
    for order, (_, spans, _, _, leads) in enumerate(_RUNS):
        for tier, run_rank, start, end in _ranked(raw, spans(text), leads, limit):
            if end - start <= CHUNK_STEP + CHUNK_OVERLAP:  # one chunk (thousands of short runs: kept quick)
                pieces[tier == _JUNK].append((0, run_rank, tier, order, start, end, start, end))
            else:
                pieces[tier == _JUNK].extend((rank, run_rank, tier, order, start, end, lo, hi)
                                             for rank, (lo, hi) in enumerate(_ends_first(_chunks(start, end))))
    windows = [(offset, offset + len(window)) for offset, window in _windows(text)]
    pieces[0].extend((rank, 0, 0, len(_RUNS), lo, hi, lo, hi) for rank, (lo, hi) in enumerate(_ends_first(windows)))
    for group in pieces:
        group.sort(reverse=True)  # (taken from the end)
    return pieces


def _decodings(text: str, pieces: list[_Piece], last: str, budget: Budget,
               floor: tuple[int, int] = (0, 0)) -> Iterator[tuple[str, str, int, int, int, bool]]:
    """``(encoding, decoded, start, end, lo, checked)`` for each of ``pieces`` of ``text`` (`_pieces`:
    a chunk ``lo:`` of the encoded run ``start:end``, or a window ``lo:end`` read a whole-text way),
    taken from the end of the list while the budget's characters and decodings are above ``floor``
    (what is left in ``pieces`` was not tried); ``last`` is the encoding ``text`` came out of,
    ``checked`` says the output must look printable to count."""
    while pieces and budget.chars > floor[0] and budget.decodings > floor[1]:
        rank, _, tier, order, start, end, lo, hi = pieces.pop()
        if tier == _JUNK and budget.junk <= 0:  # the rest look like junk, and junk is spent
            return
        tail = rank % 2 == 1
        if order == len(_RUNS):  # a window: each whole-text reading counts only when it reads something
            for encoding, reading in _READINGS:
                decoded = None if encoding == last and encoding in _INVOLUTIONS else reading(text[lo:hi])
                if decoded is not None:
                    if not budget.try_one():
                        return
                    if kept := budget.keep(decoded, tail=tail):
                        yield encoding, kept, start, end, lo, False
            continue
        encoding, _, decoder, checked, _ = _RUNS[order]
        if not budget.try_one():
            return
        decoded = decoder(text[lo:hi]) or ""
        readable = (_readable(decoded) or "") if decoded and checked else decoded
        if readable and (kept := budget.keep(readable, tail=tail)):
            yield encoding, kept, start, end, lo, checked
        budget.waste(len(decoded) - len(readable))  # decoded too, though not kept


_Decoded = tuple[int, str, tuple[int, int]]
"""A decoded text: ``(lo, text, (start, end))``, ``lo`` where it was decoded from in its node, and
``start:end`` the encoded run(s) of the scanned text it comes from."""


def _covering(parts: Parts | None, lo: int, hi: int) -> tuple[int, int]:
    """The span of the scanned text that ``lo:hi`` of a text made of ``parts`` was decoded from
    (``parts`` None: the scanned text itself): the span of every part it overlaps."""
    if parts is None:
        return lo, hi
    first = max(bisect.bisect_right(parts, lo, key=_offset) - 1, 0)
    inside = parts[first:max(bisect.bisect_left(parts, hi, key=_offset), first + 1)]
    return min(start for _, start, _ in inside), max(end for _, _, end in inside)


def _join(decoded: list[_Decoded]) -> tuple[str, Parts]:
    """Decoded texts, in the order they were decoded from, joined by `SEPARATOR`; and their `Parts`."""
    decoded = sorted(decoded)
    offsets = itertools.accumulate((len(text) + len(SEPARATOR) for _, text, _ in decoded), initial=0)
    return (SEPARATOR.join(text for _, text, _ in decoded),
            tuple((offset, *where) for offset, (_, _, where) in zip(offsets, decoded)))


def _layer(name: str, decoded: list[_Decoded]) -> Layer:
    """One layer: decoded texts joined."""
    text, runs = _join(decoded)
    return Layer(name, text, min(start for _, start, _ in runs), max(end for _, _, end in runs), runs)


def _layers(name: str, decoded: list[_Decoded]) -> Iterator[Layer]:
    """The layers of one chain's decoded texts: joined in the order they were decoded from, in
    windows of at most `MAX_RUN_CHARS` that never cut one (none is longer: see `CHUNK_OVERLAP`)."""
    window: list[_Decoded] = []
    size = 0
    for part in sorted(decoded):
        size += len(SEPARATOR) + len(part[1])
        if window and size - len(SEPARATOR) > MAX_RUN_CHARS:
            yield _layer(name, window)
            window, size = [], len(SEPARATOR) + len(part[1])
        window.append(part)
    if window:
        yield _layer(name, window)


_Node = tuple[int, int, int, str, str, "Parts | None", "list[_Piece] | None"]
"""A text to decode: ``(phase, depth, order found, chain, text, parts, pieces)``; ``pieces`` None
until its runs are found. Phase 0: its runs that look like text and its readings, down to the part
of the budget kept for deeper layers; 1: the rest of those; 2: its runs that look like junk."""


def decode_layers(text: str, *, words: bool = True, budget: Budget | None = None) -> list[Layer]:
    """Every readable layer hidden in ``text``, up to `MAX_DEPTH` encodings deep, in windows of at
    most `MAX_RUN_CHARS`; spans refer to ``text``. With ``words`` (the default) only byte decodings
    that look like prose count; ``words=False`` also keeps identifiers such as tokens and keys (an
    encoding nested in another is followed either way). ``budget`` bounds the work (a fresh
    `Budget` by default) and is spent by the call."""
    budget = Budget() if budget is None else budget
    share = (int(budget.chars * DEEPER_SHARE), int(budget.decodings * DEEPER_SHARE))
    layers: list[Layer] = []
    seen = {text}  # texts decoded: each searched again once
    alone = ALONE_LAYERS
    found = itertools.count(1)
    queue: list[_Node] = [(0, 1, 0, "", text, None, None)]
    while queue and not budget.spent:  # (finding runs costs too)
        phase, depth, _, chain, node, parts, pieces = heapq.heappop(queue)
        if pieces is None:
            pieces, junk = _pieces(node, budget.decodings)
            if junk:
                heapq.heappush(queue, (2, depth, next(found), chain, node, parts, junk))
        floor = (share[0] * (MAX_DEPTH - depth), share[1] * (MAX_DEPTH - depth)) if phase == 0 else (0, 0)
        groups: dict[str, tuple[list[_Decoded], list[_Decoded]]] = {}  # chain -> (to show joined, to search again)
        for encoding, decoded, start, end, lo, checked in _decodings(node, pieces, chain.rpartition("+")[2],
                                                                      budget, floor):
            if chain and decoded in seen:
                continue
            name = f"{chain}+{encoding}" if chain else encoding
            shown, searched = groups.setdefault(name, ([], []))
            part = (lo, decoded, _covering(parts, start, end))
            if not (checked and words) or _wordy(decoded):  # (`_decodings` kept only printable text)
                if alone:  # read alone, as in a text with few runs
                    alone -= 1
                    layers.append(_layer(name, [part]))
                else:
                    shown.append(part)
            if depth < MAX_DEPTH and decoded not in seen:
                searched.append(part)
            seen.add(decoded)
        if pieces and phase == 0:  # stopped at the floor: the rest once deeper layers had their turn
            heapq.heappush(queue, (1, depth, next(found), chain, node, parts, pieces))
        for name, (shown, searched) in groups.items():
            layers += _layers(name, shown)
            if len(layers) >= MAX_LAYERS:
                return layers[:MAX_LAYERS]
            if searched:
                heapq.heappush(queue, (0, depth + 1, next(found), name, *_join(searched), None))
    return layers
