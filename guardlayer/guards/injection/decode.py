"""Embedded encodings, decoded so that what they hide is scanned too: base64, base32, hex, binary,
ASCII85 / base85, ``\\x``/``\\u`` escapes, URL percent-encoding, HTML entities, Unicode tag
characters, Morse code, rot13, reversed text, and text spaced out character by character
(punctuation included, which folding alone does not undo).

``decode_layers(text)`` returns the readable text found in each encoding, with the span of the
encoded run in ``text`` (the whole text for rot13/URL/entities/spacing), one level of nesting deep."""
from __future__ import annotations

import base64
import binascii
import codecs
import html
import urllib.parse
from collections.abc import Iterable, Iterator
from itertools import islice
from dataclasses import dataclass

import regex

from ...guard import REGEX_TIMEOUT

_ESCAPES = regex.compile(r"(?:\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}){4,}")
_ESCAPE_ONE = regex.compile(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
_PERCENT = regex.compile(r"%[0-9a-fA-F]{2}")
_ENTITY = regex.compile(r"&#(?:x[0-9a-fA-F]{1,6}|[0-9]{1,7});")
_TAGS = regex.compile(r"[\U000e0020-\U000e007e]{3,}")
_TAG_CHARS = {code: code - 0xE0000 for code in range(0xE0020, 0xE007F)}
_ROT13_HINT = regex.compile(r"rot[\s_-]?13|caesar", regex.IGNORECASE)

MAX_RUNS = 64
"""At most this many encoded runs per encoding are decoded (bounds the work on long input)."""
MAX_RUN_CHARS = 8192
"""Only the first this-many characters of one encoded run (or of a whole-text reading) are decoded."""
# Encoded runs are found in the text's "shape": its ASCII bytes mapped to one letter per character
# class (anything else, non-ASCII included, to "x"). A base64 run is a maximal run of >= 16 base64
# characters and up to two "=" (what `[A-Za-z0-9+/_-]{16,}={0,2}` matches, found with bytes.find);
# a hex run is what `(?:[0-9a-fA-F]{2}[ :]?){8,}` matches, i.e. `_HEX_RUN` on the shape.
_B64_SHAPE = bytes(ord("b") if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "+/_-") else ord("x")
                   for c in range(256))
_HEX_SHAPE = bytes(ord("h") if chr(c) in "0123456789abcdefABCDEF" else ord("s") if chr(c) in " :" else ord("x")
                   for c in range(256))
_B64_RUN = b"b" * 16
_HEX_RUN = regex.compile(rb"(?:hhs?){8,}")
_BINARY = regex.compile(r"(?:[01]{8}[ ,]?){6,}")
_MORSE = regex.compile(r"(?:[.-]{1,7}(?: / | {1,3}|/|$)){8,}")
_A85 = regex.compile(r"<~[!-u\s]{8,}~>")
_B85_SHAPE = bytes(ord("b") if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "!#$%&()*+-;<=>?@^_`{|}~")
                   else ord("x") for c in range(256))
_B85_RUN = b"b" * 20
_B32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_MORSE_CODE = dict(zip(
    ".- -... -.-. -.. . ..-. --. .... .. .--- -.- .-.. -- -. --- .--. --.- .-. ... - ..- ...- .-- -..- -.-- --.. "
    "----- .---- ..--- ...-- ....- ..... -.... --... ---.. ----. .-.-.- --..-- ..--.. -.-.-- -..-. ---... .----."
    .split(), "abcdefghijklmnopqrstuvwxyz0123456789.,?!/:'"))
_COMMON = frozenset("the and you to of is in it that for your this with are be not on all me as do".split())


@dataclass(frozen=True, slots=True)
class Layer:
    """Readable text recovered from one encoding; ``start``/``end`` locate the encoded run."""

    encoding: str
    text: str
    start: int
    end: int


def _readable(raw: bytes, words: bool) -> str | None:
    """Decoded bytes as text, if printable (and, with ``words``, looking like language rather
    than an identifier or binary noise)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 6 or sum(ch.isprintable() or ch in "\n\t\r" for ch in text) < 0.95 * len(text):
        return None
    if words and (sum(ch.isalpha() for ch in text) < 0.5 * len(text.replace(" ", "")) or " " not in text.strip()):
        return None
    return text


def _b64(run: str, words: bool) -> str | None:
    if len(run.rstrip("=")) % 4 == 1:
        return None
    padded = run + "=" * (-len(run) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if ("-" in run or "_" in run) else None,
                               validate=True)
    except (binascii.Error, ValueError):
        return None
    return _readable(raw, words)


def _hex(run: str, words: bool) -> str | None:
    digits = "".join(ch for ch in run if ch not in " :")
    try:
        return _readable(bytes.fromhex(digits), words)
    except ValueError:
        return None


def _b32(run: str, words: bool) -> str | None:
    body = run.rstrip("=")
    if not body.isupper() or not set(body) <= _B32_ALPHABET:
        return None
    try:
        return _readable(base64.b32decode(body + "=" * (-len(body) % 8)), words)
    except (binascii.Error, ValueError):
        return None


def _binary(run: str, words: bool) -> str | None:
    bits = "".join(ch for ch in run if ch in "01")
    return _readable(int(bits, 2).to_bytes(len(bits) // 8, "big"), words)


def _base85(run: str, words: bool) -> str | None:
    """ASCII85 (``<~...~>``) or base85; Python decodes these slowly, so a long run is decoded
    whole only when its first 100 characters decode to readable text."""
    adobe = run.startswith("<~")
    try:
        if len(run) > 200 and not _readable(base64.b85decode(run[:100]) if not adobe else
                                            base64.a85decode(run[2:102]), words):
            return None
        return _readable(base64.a85decode(run, adobe=True) if adobe else base64.b85decode(run), words)
    except ValueError:
        return None


def _morse(run: str, words: bool) -> str | None:
    letters = [" ".join(_MORSE_CODE.get(code, "") for code in word.split()).replace(" ", "")
               for word in run.replace(" / ", "/").split("/")]
    return _readable(" ".join(letters).encode(), words)


def _escapes(run: str, words: bool) -> str | None:
    def one(m: regex.Match[str]) -> str:
        return chr(int(next(g for g in m.groups() if g), 16))
    try:
        text = _ESCAPE_ONE.sub(one, run, timeout=REGEX_TIMEOUT)
    except (ValueError, OverflowError):
        return None
    return text if len(text) >= 4 else None


def _runs(spans: Iterable[tuple[int, int]], text: str, encoding: str, decoder, words: bool) -> list[Layer]:
    found = []
    for i, (start, end) in enumerate(spans):
        if i >= MAX_RUNS:
            break
        decoded = decoder(text[start:min(end, start + MAX_RUN_CHARS)], words)
        if decoded:
            found.append(Layer(encoding, decoded, start, end))
    return found


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


def _b85_spans(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the runs of >= 20 base85 characters of ``text`` that are not ASCII85 (``<~...~>``)."""
    return ((start, end) for start, end in _class_runs(_shape(text, _B85_SHAPE), _B85_RUN)
            if not text.startswith("<~", start))


def _hex_spans(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the hex runs of ``text`` (see `_HEX_SHAPE`), leftmost first."""
    shape = _shape(text, _HEX_SHAPE)
    if b"h" * 16 in shape.replace(b"s", b""):  # a run has >= 16 digits and only separators between
        yield from (m.span() for m in _HEX_RUN.finditer(shape, timeout=REGEX_TIMEOUT))


def _tags(run: str) -> str:
    return run.translate(_TAG_CHARS)


def _rot13_reading(text: str) -> str | None:
    """The rot13 reading of ``text`` when it reads more like English than the text itself, or
    when the text mentions rot13 / Caesar."""
    head = text[:MAX_RUN_CHARS]
    lower = head.lower()
    if ("rot" in lower or "caesar" in lower) and _ROT13_HINT.search(head, timeout=REGEX_TIMEOUT):
        return codecs.encode(head, "rot13")
    # rot13 commutes with lower() and split(): only the short distinct words need turning
    plain_words = {w for w in set(lower.split()) if len(w) <= 4}
    rot_common = len(_COMMON.intersection(codecs.encode(w, "rot13") for w in plain_words))
    if rot_common >= 2 and rot_common > len(_COMMON & plain_words):
        return codecs.encode(head, "rot13")
    return None


_SPACED_WORDS = regex.compile(r"\s{2,}")


def _despaced(text: str) -> str | None:
    """Text written with a space between every character (punctuation too: "i g n o r e   < | s y s | >"),
    read back: single spaces dropped, wider gaps kept as word breaks."""
    tokens = text[:MAX_RUN_CHARS].split()
    if len(tokens) < 8 or sum(len(t) == 1 for t in tokens) < 0.8 * len(tokens):
        return None
    return " ".join(part.replace(" ", "") for part in _SPACED_WORDS.split(text[:MAX_RUN_CHARS], timeout=REGEX_TIMEOUT))


def _reversed_reading(text: str) -> str | None:
    """``text`` read backwards, when that reads more like English than the text itself."""
    head = text[:MAX_RUN_CHARS]
    short = {w for w in set(head.lower().split()) if len(w) <= 4}
    backwards = len(_COMMON.intersection(w[::-1] for w in short))
    if backwards >= 2 and backwards > len(_COMMON & short):
        return head[::-1]
    return None


def _whole(text: str) -> list[Layer]:
    layers = []
    despaced = _despaced(text)
    if despaced is not None:
        layers.append(Layer("spacing", despaced, 0, len(text)))
    if text.count("%") >= 3 and sum(1 for _, _ in zip(range(3), _PERCENT.finditer(text, timeout=REGEX_TIMEOUT))) == 3:
        layers.append(Layer("url", urllib.parse.unquote(text[:MAX_RUN_CHARS]), 0, len(text)))
    if "&#" in text and _ENTITY.search(text, timeout=REGEX_TIMEOUT):
        layers.append(Layer("html-entities", html.unescape(text[:MAX_RUN_CHARS]), 0, len(text)))
    rot = _rot13_reading(text)
    if rot is not None:
        layers.append(Layer("rot13", rot, 0, len(text)))
    backwards = _reversed_reading(text)
    if backwards is not None:
        layers.append(Layer("reversed", backwards, 0, len(text)))
    return layers


def _spans(text: str, words: bool) -> list[Layer]:
    layers: list[Layer] = []
    if len(text) >= 16:
        b64_spans = list(islice(_b64_spans(text), MAX_RUNS))
        layers += _runs(b64_spans, text, "base64", _b64, words)
        layers += _runs(b64_spans, text, "base32", _b32, words)
        layers += _runs(_hex_spans(text), text, "hex", _hex, words)
        if "01" in text:
            layers += _runs((m.span() for m in _BINARY.finditer(text, timeout=REGEX_TIMEOUT)), text, "binary",
                            _binary, words)
        if "<~" in text:
            layers += _runs((m.span() for m in _A85.finditer(text, timeout=REGEX_TIMEOUT)), text, "ascii85",
                            _base85, words)
        layers += _runs(_b85_spans(text), text, "base85", _base85, words)
        if "-" in text and "." in text:
            layers += _runs((m.span() for m in _MORSE.finditer(text, timeout=REGEX_TIMEOUT)), text, "morse",
                            _morse, words)
    if "\\" in text:
        layers += _runs((m.span() for m in _ESCAPES.finditer(text, timeout=REGEX_TIMEOUT)), text, "escapes",
                        _escapes, words)
    if not text.isascii():
        layers += [Layer("unicode-tags", _tags(m.group()), m.start(), m.end())
                   for m in _TAGS.finditer(text, timeout=REGEX_TIMEOUT)]
    return layers


def decode_layers(text: str, *, words: bool = True) -> list[Layer]:
    """Every readable layer hidden in ``text`` (rot13 included as a whole-text reading), plus one
    level of nesting (e.g. base64 inside URL encoding); spans refer to ``text``. With ``words``
    (the default) only decodings that look like prose count; ``words=False`` also keeps
    identifiers such as tokens and keys."""
    layers = _spans(text, words) + _whole(text)
    seen = {layer.text for layer in layers}
    nested: list[Layer] = []
    for layer in layers:
        if layer.encoding == "rot13":
            continue
        inside = layer.text[:MAX_RUN_CHARS]
        for inner in _spans(inside, words) + [x for x in _whole(inside) if x.encoding != "rot13"]:
            if inner.text not in seen:
                seen.add(inner.text)
                nested.append(Layer(f"{layer.encoding}+{inner.encoding}", inner.text, layer.start, layer.end))
    return layers + nested
