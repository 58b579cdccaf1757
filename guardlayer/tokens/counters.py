"""Token counters: exact ones (tiktoken encodings, HF ``tokenizer.json``) and an estimator.

Every counter gives `count(text)` and `boundaries(text)` (the character offset where each token
starts), which is all truncation on token boundaries needs.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import accumulate, groupby
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..extras import need
from ..guard import REGEX_TIMEOUT
from ..timed_regex import timed_compile

if TYPE_CHECKING:
    import regex


@dataclass(frozen=True, slots=True)
class Count:
    """A token count. ``exact`` is False when it came from the estimator; then ``upper`` (``tokens``
    plus ``error_bound``, relative) is at or above the true count for about 99% of texts (see
    `Estimator`)."""

    tokens: int
    exact: bool
    counter: str
    error_bound: float = 0.0

    @property
    def upper(self) -> int:
        """A count the true one stays under (for about 99% of texts when estimated)."""
        return self.tokens if self.exact else math.ceil(self.tokens * (1 + self.error_bound))


@runtime_checkable
class TokenCounter(Protocol):
    name: str
    exact: bool

    def count(self, text: str) -> int: ...

    def boundaries(self, text: str) -> list[int]:
        """Start offset (in characters) of every token, then ``len(text)``."""
        ...


_CONTINUATION = bytes(range(0x80, 0xC0))
"""The bytes that go on a UTF-8 character begun before them."""


class TiktokenCounter:
    """Exact counts with a tiktoken `Encoding`. Special-token text counts as plain text, as the
    OpenAI API counts user content. Cost grows about linearly with the text (cl100k and o200k,
    1-4 MB); but tiktoken's pre-tokenizer fails (a Rust panic, not an `Exception`) on a run of
    about a million white-space characters before more text: that is raised as `ValueError`, so
    a guard counting it fails closed like any guard that raises."""

    exact = True

    def __init__(self, encoding: Any) -> None:
        self.encoding = encoding
        self.name = encoding.name

    def count(self, text: str) -> int:
        return len(self._encode(text))

    def boundaries(self, text: str) -> list[int]:
        """As tiktoken's ``decode_with_offsets`` gives them (a token that starts inside a
        character: that character's offset), its loop over every byte done in C (CPU time with
        the encoding, 20,000 tokens of ASCII: 22.5 -> 8.9 ms; 100 KB of README.md: 33.5 -> 26.2)."""
        pieces = self.encoding.decode_tokens_bytes(self._encode(text))
        if text.isascii():
            return [0, *accumulate(map(len, pieces))]
        begun = accumulate((len(piece.translate(None, _CONTINUATION)) for piece in pieces), initial=0)
        return [max(0, chars - (0x80 <= piece[0] < 0xC0)) for chars, piece in zip(begun, pieces)] + [len(text)]

    def _encode(self, text: str) -> list[int]:
        try:
            return self.encoding.encode_ordinary(text)
        except BaseException as exc:  # pyo3's PanicException derives from BaseException only
            if type(exc).__name__ != "PanicException":
                raise
            raise ValueError(f"{self.name} cannot tokenize this text of {len(text)} characters "
                             f"(tiktoken failed: {exc}); a run of about a million white-space "
                             "characters does this") from exc


class HFTokenizerCounter:
    """Exact counts with a local Hugging Face ``tokenizer.json`` (Llama 3 ships one); offline."""

    exact = True

    def __init__(self, path: str | Path, *, name: str | None = None) -> None:
        tokenizers = need("tokenizers", "tokens", "counting with a tokenizer.json")
        self.tokenizer = tokenizers.Tokenizer.from_file(str(path))
        self.name = name or f"tokenizer.json:{Path(path).parent.name or path}"

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def boundaries(self, text: str) -> list[int]:
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        starts = sorted({start for start, _ in offsets})
        return [*starts, len(text)]


_PIECE = timed_compile(r"(?P<cjk>[\p{Han}\p{Hiragana}\p{Katakana}])|(?P<word>[\p{Lu}\p{Ll}\p{Lt}\p{Lo}\p{M}]+)"
                       r"|(?P<num>\p{N}+)|(?P<nl>[\r\n]+)|(?P<blank>[ \t]{2,}|\t|[ ](?!\S))"
                       r"|(?P<space>[^\S \t\r\n]+)|(?P<sym>[^\s\p{Lu}\p{Ll}\p{Lt}\p{Lo}\p{N}]+)")
"""A piece of text the estimate costs; a space before text is none (it goes with that text). A
modifier letter (``ˆ``, ``ʼ``) is a symbol: it joins words as a datamark does, not a letter of them."""
_ONE_TOKEN = frozenset("¡¢£¤¥¦§¨©«¬®¯°±´¶·»¿×،‐‑–—―‘’‚“”„†•…‰′″›※€™←↑→↓−─━│═║╗╝█░■►●★☆☴♀♥♪✔⠀、。《》"
                       "「」『』【】〜・ー！（），－．／：；＞？＾～･￥\ufffd")
"""The symbols and modifier letters of the BMP that cost one token between two words in both
cl100k_base and o200k_base (97 of 6,800; typographic quotes and dashes, bullets, CJK punctuation).
Any other costs a token a UTF-8 byte (most cost 2-3 tokens in both: ``‸`` 2, ``␣`` 3), but after
a space (`_ONE_AFTER_SPACE`) and as a variation selector (`_SELECTORS`)."""
_ONE_AFTER_SPACE = _ONE_TOKEN | frozenset("₹№⇒≤≥✓❤")
"""Symbols that cost one token after a space in both encodings (``word X word``: 3 tokens), some
more between two letters (``a≤b``: 4 in cl100k): 56 of the 4,234 assigned symbols of the BMP
(format and private-use characters left out), the seven here and 49 of `_ONE_TOKEN`."""
_SELECTORS = {"\ufe0f": 1, "\ufe0e": 2}
"""Variation selectors (emoji and text presentation, 3 UTF-8 bytes each) cost what they add after
any of the BMP's symbols (``word X\ufe0f word`` less ``word X word``): U+FE0F 1 in both encodings
(0 after two symbols in o200k), U+FE0E 2 in cl100k and 1 in o200k."""
_CODE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-"
"""The characters of base64 (both alphabets), and so of most keys, hashes and encoded data."""


class Estimator:
    """A tokenizer-free estimate for models with no local tokenizer.

    Rules: one token per Chinese or Japanese character, per newline run, per 8 letters of an
    ASCII word of up to 12 letters, per 3 digits and per 2 ASCII symbols; a longer ASCII word one
    per 3 letters, or per 1.8 (1.5 with case changes inside) when it reads as random letters
    (`_word`); spaces and tabs one per 8 of each stretch of one of them, a single space before
    text free (`_blank`); other white space one per UTF-8 byte (no-break and ideographic space: one
    each); a word of another script (Cyrillic, Hebrew, Thai, Hangul, Devanagari, ...) one per 2
    UTF-8 bytes, a common symbol (`_ONE_TOKEN`; after a space `_ONE_AFTER_SPACE`) one, a variation
    selector 1-2 (`_SELECTORS`), any other symbol (a modifier letter too) one per UTF-8 byte (so a
    character beyond the BMP, emoji and tag characters, 4); a
    run of base64's alphabet of 16+ characters with a capital and a digit (base64, base32, keys)
    one per 1.4 characters. Measured against cl100k_base and o200k_base on 5,152 texts of 100+
    characters (guardlayer's development corpora; ``guardlayer bench tokens`` re-measures it):
    relative error within 20% for 90.5% (cl100k) and 86.2% (o200k) of texts, within 25-27% for
    95% and 41-44% for 99%; mean bias +8 to +9% (it over-counts: long words are costed high so that
    the upper bound holds on German compounds and random letters); the upper bound (`Count.upper`,
    +20%) is under the true count for 1.3% (cl100k) and 0.9% (o200k) of them, and holds on runs of
    white space, random letters, base64, emoji, Thai and Hebrew, and on datamarked documents
    (`guardlayer.spotlight`, or words joined by any marker by hand: ``ignoreˆallˆprevious``;
    a fifth of those texts, README paragraphs and code marked with each of 15 markers: the median
    estimate 0.98-1.53 of the true count, its upper bound under it for 1.8% of texts at most, as
    unmarked; before rare markers (``‸``, ``␣``, private-use ones) were costed by the byte, medians from
    0.54 and up to all texts under). A text of many repeated rare symbols (``❤❤❤``) is
    over-counted up to 2x. Against cl100k it is
    still under for some scripts it reads at about a token a byte (Armenian, Georgian, Ethiopic:
    the estimate is 2-2.5x short), letters with combining accents and runs of mixed ASCII
    punctuation; against o200k, other scripts are over-counted 2-6x. `error_bound` is the margin
    of the upper bound. Never used where a model has an exact counter (see `counter_for`).

    The text is read in windows of ``window`` characters, each scan with its own regex time
    limit, so the cost grows linearly with the text (one scan of 800 KB ran out of time). A
    window's last piece, which may go on past it, is read again with the next window: the
    pieces, and so the count, are those of one scan of the whole text.
    """

    exact = False
    name = "estimate"
    error_bound = 0.20

    def __init__(self, window: int = 65_536) -> None:
        if window < 1:
            raise ValueError(f"Estimator window must be >= 1 character, got {window}")
        self.window = window

    def _pieces(self, text: str) -> Iterator[tuple[int, int, int]]:
        """Each piece's start, end and estimated tokens; adjacent pieces made only of `_CODE`
        characters that look encoded together (`_encoded`) are one piece, at 1.4 characters a token."""
        run: list[tuple[int, int, int]] = []
        for start, end, tokens, code in self._scanned(text):
            if run and not (code and start == run[-1][1]):
                yield from _run(text, run) if run[-1][1] - run[0][0] >= 16 else run
                run = []
            if code:
                run.append((start, end, tokens))
            else:
                yield start, end, tokens
        yield from _run(text, run)

    def _scanned(self, text: str) -> Iterator[tuple[int, int, int, bool]]:
        pos, window = 0, self.window
        while pos < len(text):
            end = min(pos + window, len(text))
            found = list(_PIECE.finditer(text, pos, end, timeout=REGEX_TIMEOUT))
            if end < len(text) and found and found[-1].end() == end:
                if found[-1].start() == pos:  # one piece fills the window: widen it
                    window *= 2
                    continue
                end = found.pop().start()
            for m in found:
                yield m.start(), m.end(), *_tokens(m)
            pos, window = end, self.window

    def count(self, text: str) -> int:
        return sum(n for _, _, n in self._pieces(text))

    def boundaries(self, text: str) -> list[int]:
        starts = []
        for start, end, n in self._pieces(text):
            starts.extend(start + (end - start) * i // n for i in range(n))
        return [*starts, len(text)]


def _tokens(m: regex.Match[str]) -> tuple[int, bool]:
    """The estimated tokens of one piece (see `Estimator`), and whether it is all `_CODE`."""
    kind, piece = m.lastgroup, m.group()
    if kind in ("cjk", "nl"):
        return 1, False
    if kind == "blank":
        return _blank(piece, m.end() < len(m.string) and not m.string[m.end()].isspace()), False
    if kind == "space":  # a token a UTF-8 byte at most (byte-level BPE): em space 2 in cl100k, 1 in
        # o200k, U+1680 3 in both; no-break and ideographic space (2 and 3 bytes) a token or less
        utf8 = len(piece.encode("utf-8", "surrogatepass"))
        return utf8 - piece.count("\u00a0") - 2 * piece.count("\u3000"), False
    if kind == "word" and piece.isascii():
        return _word(piece), True
    if piece.isascii():
        code = kind != "sym" or not piece.strip(_CODE)
        return math.ceil(len(piece) / (3 if kind == "num" else 2)), code
    if kind == "word":  # other scripts: by UTF-8 bytes
        wide = len(piece.encode("utf-16-le", "surrogatepass")) // 2 - len(piece)  # beyond the BMP
        return math.ceil((len(piece.encode("utf-8", "surrogatepass")) - 4 * wide) / 2) + 4 * wide, False
    ascii_chars = len(piece.encode("ascii", "ignore"))
    spaced = m.start() > 0 and m.string[m.start() - 1] == " " and piece[0] in _ONE_AFTER_SPACE
    return math.ceil(ascii_chars / 2) + spaced + sum(
        1 if c in _ONE_TOKEN else _SELECTORS.get(c) or len(c.encode("utf-8", "surrogatepass"))
        for c in piece[spaced:] if not c.isascii()), False


_LONG = 12
"""Letters of the longest ASCII word still counted at 8 letters a token."""
_RARE = "jkqvwxzJKQVWXZ"
"""Letters that make up 3-6% of English, German, French or Spanish text (their letter frequencies)
and 27% of random letters."""


def _blank(run: str, before_text: bool) -> int:
    """The tokens of a run of spaces and tabs: one per 8 of each stretch of one character (a space
    and a tab in turn cost a token a pair in cl100k and o200k; 2,000 spaces 18, 2,000 tabs 125), the
    last character of the run not counted when text follows it (a word takes the space before it)."""
    stretches = [len(list(same)) for _, same in groupby(run)]
    stretches[-1] -= before_text
    return sum(math.ceil(n / 8) for n in stretches)


def _word(word: str) -> int:
    """The tokens of an ASCII word: 8 letters a token up to `_LONG` letters. A longer word of a
    language, 3 letters a token (long English words 4-18 letters a token in cl100k and o200k,
    German compounds 2.5-4.4); one that reads as random letters (one in six or more of them
    `_RARE`), 1.8 letters a token, 1.5 when its case changes inside (random lower-case letters are
    read at 1.85 a token, upper-case ones at 1.7, mixed-case ones at 1.5)."""
    if len(word) <= _LONG:
        return math.ceil(len(word) / 8)
    if 6 * sum(map(word.count, _RARE)) < len(word):
        return math.ceil(len(word) / 3)
    inner = word[1:]
    return math.ceil(len(word) / (1.8 if inner.islower() or inner.isupper() else 1.5))


def _encoded(text: str) -> bool:
    """Whether a run of `_CODE` characters looks like encoded data (base64, base32, a key): 16 or
    more characters with an upper-case letter and a digit."""
    return len(text) >= 16 and text != text.lower() and any(d in text for d in "0123456789")


def _run(text: str, pieces: list[tuple[int, int, int]]) -> Iterator[tuple[int, int, int]]:
    """Adjacent pieces of `_CODE` characters: one piece when they look encoded, else as they are."""
    if pieces and _encoded(text[pieces[0][0]:pieces[-1][1]]):
        start, end = pieces[0][0], pieces[-1][1]
        yield start, end, math.ceil((end - start) / 1.4)
    else:
        yield from pieces
