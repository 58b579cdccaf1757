"""Text folding for matching, with a map back to the original text.

``fold(text)`` returns a `Folded`: the text after Unicode NFKC, removal of invisible characters
(zero-width, bidi controls, Unicode tag characters, variation selectors, control characters),
diacritic stripping, confusable/homoglyph folding (of Latin text: see `_fold_words`),
casefolding, leetspeak (``1gn0r3``), collapsing of spaced-out letters (``i g n o r e``) and
whitespace runs. With ``joiners=True`` it also folds a second copy, ``Folded.joined``, in which
five or more words joined by one repeated character (``ignore_all_previous_instructions_now``,
``ignore•all•…``) are words apart: a copy, because in the text itself joiners make identifiers,
paths and URLs that signatures read as such. (`invisible_as_spaces` and `in_word_symbols_hidden`
make texts for two more copies, which the injection guard folds.) ``offsets[i]`` is the index in the original text of
folded character ``i``, so a match found in the folded text can be mapped back (``Folded.span``) and the original span
redacted. Dependency-free; every regex runs with `REGEX_TIMEOUT`.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain, compress, repeat

import regex

from .guard import REGEX_TIMEOUT
from .timed_regex import TimedPattern, timed_compile

# Latin look-alikes from Cyrillic, Greek and IPA that NFKC leaves alone (lower case: folding
# casefolds first, so upper-case look-alikes arrive here as their lower-case forms).
_CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r",
    "ѕ": "s", "т": "t", "у": "y", "ў": "y", "х": "x", "ԝ": "w", "ь": "b", "п": "n", "и": "u",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin extensions, IPA and small capitals
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ɪ": "i", "ʏ": "y", "ʟ": "l", "ɴ": "n",
    "ʀ": "r", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ғ": "f", "ɢ": "g", "ʜ": "h",
    "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ꞯ": "q", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v",
    "ᴡ": "w", "ᴢ": "z", "ø": "o", "đ": "d", "ħ": "h", "ł": "l", "ŧ": "t", "ƀ": "b",
    # punctuation look-alikes
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-",
    "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
})

_LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LATIN_WORDS = timed_compile(r"([^\W\d_]*[a-z][^\W\d_]*)")  # (captured: `split` returns them too)
_SCRIPTS = ("CYRILLIC", "GREEK")  # whose letters a text of its own keeps (`_fold_words`)
_LATIN_CONFUSABLES = str.maketrans({k: v for k, v in _CONFUSABLES.items()
                                    if not unicodedata.name(chr(k), "").startswith(_SCRIPTS)})

# Characters that render as nothing (or nearly) beyond Unicode's format category Cf.
_INVISIBLE_EXTRA = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)] + [chr(c) for c in range(0xE0100, 0xE01F0)]
    + ["\u115f", "\u1160", "\u3164", "\uffa0", "\u180e", "\u034f", "\u2800"]
)
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
         "!": "i", "|": "l"}


_LEET_TABLE = str.maketrans(_LEET)
_NOT_LEET = str.maketrans(dict.fromkeys(_LEET))
_WORD_PUNCT = "\"'()[]{}<>.,;:?!*_`~"
# `_leet_words`: leetspeak characters -> "l", letters and punctuation dropped, other characters -> "0"
_LEET_SHAPE = bytes(b if b == 32 else ord("l") if chr(b) in _LEET else ord("0") for b in range(256))
_PLAIN = "".join(sorted(set(_LATIN + _WORD_PUNCT) - set(_LEET))).encode("ascii")

# Four or more single letters, each followed by one separator ("i g n o r e", "s.y.s.t.e.m",
# "i|g|n", "i, g, n"); two or three spaces separate spelled-out words ("i g n o r e  a l l"), and
# so does one space where the letters are joined by another separator ("i-g-n-o-r-e a-l-l": `_collapse`).
_SEPARATORS = " ._*-/|+,"
_SEPARATOR_SET = frozenset(_SEPARATORS)
# `_kept`: 1 for the letters of spaced letters; the separators other than spaces
_LETTER_FLAGS = bytes(int(chr(b) not in _SEPARATORS) for b in range(256))
_MARKS = tuple(_SEPARATORS.replace(" ", ""))
_SPACED_RE = timed_compile(r"(?<![a-z0-9])[a-z013457@$](?:(?:[ ._*\-/|+]|, ?| {2,3})[a-z013457@$](?![a-z0-9])){3,}")
# A cheap necessary condition for _SPACED_RE on ASCII text: map spaced-letter characters to "a",
# separators to "." and the rest to "x"; a match needs "a.a.a.a" once separator runs are merged.
_SPACED_GATE = bytes(
    ord("a") if chr(b) in "abcdefghijklmnopqrstuvwxyz013457@$" else ord(".") if chr(b) in _SEPARATORS else ord("x")
    for b in range(256))
# `_spaced_starts`: one byte per character, 1 for spaced letters, separators, spaces, commas, not [a-z0-9]
_SPACED_LETTER, _SPACED_SEP, _SPACED_SPACE, _SPACED_COMMA, _NOT_ALNUM = (
    bytes(int((chr(b) in chars) != negate) for b in range(256))
    for chars, negate in (("abcdefghijklmnopqrstuvwxyz013457@$", False), (_SEPARATORS, False), (" ", False),
                          (",", False), ("abcdefghijklmnopqrstuvwxyz0123456789", True)))
SPACED_TRIES = 256
"""Past this many places where spaced letters start, `_spaced` searches the text at once."""
# Joined words (`_joined`): `_JOINED_WORDS` or more words joined by one and the same joiner
# ("ignore_all_previous_instructions_now", "ignore.all.previous.instructions.now"); fewer are
# identifiers as often as not ("DEBUG_MODE_ENABLED", "show_system_prompt_flag" read as attacks
# when read apart, as they do written with spaces). A word is 1-24 letters and leetspeak digits
# (not modifier letters: "ignoreˆall" has one as its joiner, a spotlight marker; not 2, 6, 8, 9:
# base64 and hex runs are no words); a joiner is one character that is neither a letter, a digit,
# whitespace nor a leetspeak letter (@$!|). `_joined_re` makes the pattern of one joiner: it
# starts at the joiner (a literal the search skips to), the first word looked back at.
_ALNUM = r"[\w--[_\p{Lm}]]"
_WORD = rf"[\w--[_\p{{Lm}}2689]]{{1,24}}+(?!{_ALNUM})"
_NOT_JOINING = frozenset("@$!|")
_JOINED_WORDS = 5
_CONTEXT = 64  # characters of context around joined words in the ``joined`` copy
# A cheap necessary condition for joined words on ASCII text: word characters -> " ", other digits,
# whitespace and leetspeak letters -> "x", joiners kept; a match needs " J J J J " for some joiner J
# once runs of " " are merged (by bytes.split: no other byte is whitespace).
_JOINED_GATE = bytes(
    ord(" ") if chr(b).isalnum() and chr(b) not in "2689" else ord("x") if chr(b) in "2689"
    or chr(b).isspace() or chr(b) in _LEET else b for b in range(256))
_NOT_JOINERS = frozenset(b"x ")
_ASCII_CONTROLS = tuple(chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_WS_FLAGS = bytes(1 if chr(b) in " \t\n\r\x0b\x0c" else 0 for b in range(256))
_KEEP = bytes([1] + [0] * 255)

# Symbols inside words (`in_word_symbols_hidden`): a symbol, punctuation mark or modifier letter
# between two letters ("igˆnore", "pre·vious"), leetspeak digits counting as letters but for one
# of the two; not the ordinary in-word ones (apostrophes, dashes, . _ / @ : &) nor leetspeak
# letters ($ ! |). Not between letters of scripts written without spaces (Chinese, Japanese, Thai...): there every
# comma and full stop, and marks such as "ー" in "コーヒー", stand between two letters.
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_IN_WORD_LETTER = rf"[\p{{L}}\p{{M}}013457--[\p{{Lm}}{_UNSPACED}]]"
_IN_WORD_SYMBOL = r"[\p{S}\p{P}\p{Lm}--[\p{Pd}'\u2019._/@:&$!|]]"
_IN_WORD_REAL = rf"[{_IN_WORD_LETTER}--[013457]]"  # (one side a letter: "10%20", "3^4" are numbers)
_IN_WORD = timed_compile(rf"(?V1)(?:(?<={_IN_WORD_REAL}){_IN_WORD_SYMBOL}(?={_IN_WORD_LETTER})"
                         rf"|(?<={_IN_WORD_LETTER}){_IN_WORD_SYMBOL}(?={_IN_WORD_REAL}))")
IN_WORD_MIN = 3
"""How many times one symbol must sit inside words for `in_word_symbols_hidden` to hide it."""
# ... the same for ASCII, one byte per character: 1 for letters, real letters, symbols (`_in_word_positions`)
_IN_WORD_LETTERS, _IN_WORD_REALS, _IN_WORD_SYMBOLS = (
    bytes(int(bool(pattern.fullmatch(chr(b)))) for b in range(256))
    for pattern in (timed_compile(rf"(?V1){cls}") for cls in (_IN_WORD_LETTER, _IN_WORD_REAL, _IN_WORD_SYMBOL)))

_CHAR_CACHE: dict[str, str] = {chr(c): chr(c).lower() for c in range(0x20, 0x7f)}
_CHAR_CACHE.update({c: c for c in "\t\n\r\x0b\x0c"})
_CHAR_CACHE_MAX = 50_000


class Folded:
    """Folded text; ``offsets[i]`` is the original index of ``text[i]``; ``invisible`` counts
    the invisible characters that were removed. Immutable. `fold` leaves the offsets to be worked
    out when first asked for (most texts are never mapped back) from ``source``: the original text,
    its characters folded one by one, and the spaced-letter spans found in those. ``joined`` is
    the copy with joined words read apart (`fold` with ``joiners=True``), or None."""

    __slots__ = ("text", "invisible", "joined", "_offsets", "_source")

    def __init__(self, text: str, offsets: list[int] | None, invisible: int,
                 source: tuple[str, str, list[tuple[int, int]]] | None = None,
                 joined: Folded | None = None) -> None:
        if offsets is None and source is None:
            raise ValueError("Folded needs offsets or the source to compute them from")
        for name, value in (("text", text), ("invisible", invisible), ("joined", joined),
                            ("_offsets", offsets), ("_source", source)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Folded is immutable")

    @property
    def offsets(self) -> list[int]:
        if self._offsets is None:
            object.__setattr__(self, "_offsets", _offsets(*self._source))  # type: ignore[misc]
        return self._offsets  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Folded):
            return NotImplemented
        return (self.text, self.invisible, self.offsets) == (other.text, other.invisible, other.offsets)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Folded(text={self.text!r}, invisible={self.invisible})"

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span ``(start, end)`` covering folded ``text[start:end]``."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} is outside the folded text (length {len(self.text)})")
        offsets = self.offsets
        return offsets[start], offsets[end - 1] + 1


def is_invisible(ch: str) -> bool:
    """True for characters that render as nothing: format controls (zero-width, bidi, Unicode
    tags), variation selectors, fillers, and control characters other than whitespace."""
    if ch in _INVISIBLE_EXTRA:
        return True
    cat = unicodedata.category(ch)
    return cat == "Cf" or (cat == "Cc" and ch not in _WHITESPACE_CONTROLS)


def invisible_as_spaces(text: str) -> str | None:
    """``text`` with each invisible character a space (one for one: offsets stay), or None when
    none stands between two visible characters: folding drops invisible characters, so the copy
    would then fold as ``text`` does but for the length of some whitespace runs."""
    hidden = [ch for ch in set(text) if is_invisible(ch)]
    dropped, spaced = text, text
    if len(hidden) <= 4:  # (a few kinds: one replace each, else one translate)
        for ch in hidden:
            dropped, spaced = dropped.replace(ch, ""), spaced.replace(ch, " ")
    else:
        dropped, spaced = (text.translate(dict.fromkeys(map(ord, hidden), by)) for by in (None, " "))
    # spaces beside whitespace split no word: the copy has more words only where one joins two
    return spaced if len(spaced.split()) > len(dropped.split()) else None


def in_word_symbols_hidden(text: str) -> str | None:
    """``text`` with each symbol that sits between two letters (`_IN_WORD`) `IN_WORD_MIN` or more
    times made a zero-width space where it does so (folding drops it: "igˆnore" reads "ignore"),
    and all but the stretches around those (up to `_CONTEXT` characters each side) made spaces:
    one for one, so offsets stay. None when no symbol sits so: a model reads through such
    symbols, and in the text itself they cut words in two."""
    at = _in_word_positions(text)
    counts = Counter(map(text.__getitem__, at))
    hidden = {ch for ch, n in counts.items() if n >= IN_WORD_MIN}
    if not hidden:
        return None
    at = [i for i in at if text[i] in hidden]
    chars = list(text)
    for i in at:
        chars[i] = "\u200b"
    copy = "".join(chars)
    # only the stretches around them, the rest blanked (as in the ``joined`` copy: 100 KB read twice
    # is for hostile text, not for a long document with a few)
    pieces, end = [], 0
    for lo, hi in (_around(text, start, stop) for start, stop in _near((i, i + 1) for i in at)):
        pieces += [" " * (lo - end), copy[lo:hi]]
        end = hi
    return "".join(pieces) + " " * (len(text) - end)


def _in_word_positions(text: str) -> list[int]:
    """Where `_IN_WORD` matches in ``text``; in ASCII text worked out for every place at once by
    byte masks, as `_spaced_starts` does (100 KB of "%41%41..." took 15 ms searched)."""
    if not text.isascii():
        return [m.start() for m in _IN_WORD.finditer(text, timeout=REGEX_TIMEOUT)]
    raw = text.encode("ascii")
    symbol_flags = raw.translate(_IN_WORD_SYMBOLS)
    if symbol_flags.count(1) < IN_WORD_MIN:
        return []
    letters, reals = (int.from_bytes(raw.translate(table), "little") for table in (_IN_WORD_LETTERS, _IN_WORD_REALS))
    symbols = int.from_bytes(symbol_flags, "little")
    # a symbol after a letter, before a letter, one of them no digit
    between = symbols & (letters << 8) & (letters >> 8) & ((reals << 8) | (reals >> 8))
    return list(compress(range(len(raw)), between.to_bytes(len(raw), "little")))


def _fold_char(ch: str, confusables: bool = True) -> str:
    """One character -> its folded form ('' for invisible characters and combining marks);
    ``confusables=False`` leaves Cyrillic and Greek letters as they are."""
    if is_invisible(ch):
        return ""
    parts = []
    for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch)):
        if unicodedata.category(c) in ("Mn", "Me") or is_invisible(c):
            continue
        parts.append(c)
    out = "".join(parts).casefold()
    out = out.translate(_CONFUSABLES if confusables else _LATIN_CONFUSABLES)
    return " " if out and out.isspace() else out


def _fold_words(text: str, distinct: set[str], table: dict[str, str]) -> str:
    """``text`` mapped through ``table`` (``distinct``: its characters), except that a text
    written mostly in Cyrillic or Greek keeps those letters in its words: look-alike folding is
    for Latin text with foreign letters slipped in ("іgnоrе"); it turned Russian into gibberish
    ("все" -> "bce"). A word holding a Latin letter is folded all the same."""
    scripts = [ch for ch in distinct if _in_scripts(ch)]
    foreign = {ch: _fold_char(ch, confusables=False) for ch in scripts if _is_look_alike(table[ch])}
    foreign = {ch: own for ch, own in foreign.items() if len(own) == 1}  # one letter for one
    if not foreign or sum(map(text.count, distinct.intersection(_LATIN))) >= sum(map(text.count, scripts)):
        return text.translate({ord(ch): table[ch] for ch in distinct})
    native = text.translate({ord(ch): foreign.get(ch, table[ch]) for ch in distinct})
    # pieces between words at even indices, words at odd ones: the words' look-alikes replaced all
    # at once, the words joined by a character that is no letter, one replace per look-alike (they
    # are few: on 100 KB of mixed Latin and Cyrillic words, 4 ms so, 12 ms word by word)
    pieces = _LATIN_WORDS.split(native)
    if len(pieces) > 1:
        words = "\0".join(pieces[1::2])
        for own, latin in {own: table[ch] for ch, own in foreign.items()}.items():
            words = words.replace(own, latin)  # (``own`` is never ASCII, ``latin`` always)
        pieces[1::2] = words.split("\0")
    return "".join(pieces)


def _is_look_alike(folded_ch: str) -> bool:
    return len(folded_ch) == 1 and folded_ch.isascii() and folded_ch.isalpha()


def _in_scripts(ch: str) -> bool:
    """Is ``ch`` Cyrillic or Greek?"""
    return not ch.isascii() and unicodedata.name(ch, "").startswith(_SCRIPTS)


def _table(text: str) -> tuple[set[str], dict[str, str]]:
    """The distinct characters of ``text`` and a table folding each (cached across calls, up
    to ``_CHAR_CACHE_MAX`` characters)."""
    distinct = set(text)
    new = {ch: _fold_char(ch) for ch in distinct.difference(_CHAR_CACHE)}
    if not new:
        return distinct, _CHAR_CACHE
    if len(_CHAR_CACHE) + len(new) <= _CHAR_CACHE_MAX:
        _CHAR_CACHE.update(new)
        return distinct, _CHAR_CACHE
    return distinct, {**_CHAR_CACHE, **new}


def _invisible(text: str, distinct: set[str], table: dict[str, str]) -> int:
    """How many characters of ``text`` are invisible (``distinct``: its characters, ``table``: their
    folded forms): counted one by one when few kinds occur, else by deleting them all at once."""
    hidden = [ch for ch in distinct if not table[ch] and is_invisible(ch)]
    if len(hidden) <= 4:
        return sum(map(text.count, hidden))
    return len(text) - len(text.translate(dict.fromkeys(map(ord, hidden))))


def _map_chars(text: str) -> tuple[str, list[int], int]:
    if _plain_ascii(text):
        return text.lower(), list(range(len(text))), 0
    distinct, table = _table(text)
    folded, invisible = _map_text(text, distinct, table)
    return folded, _char_offsets(text, distinct, table, len(folded)), invisible


def _char_offsets(text: str, distinct: set[str], table: dict[str, str], length: int) -> list[int]:
    """Where each character of ``text`` mapped through ``table`` (``length`` long) comes from."""
    if length == len(text) and all(map(table.__getitem__, distinct)):
        return list(range(len(text)))
    if all(len(table[ch]) <= 1 for ch in distinct):  # characters kept or dropped: a 0/1 mask picks them
        kept = text.translate({ord(ch): "\x01" if table[ch] else "\x00" for ch in distinct}).encode("latin-1")
        return list(compress(range(len(text)), kept))
    return list(chain.from_iterable(map(repeat, range(len(text)), map(len, map(table.__getitem__, text)))))


def _unleet(text: str) -> str:
    """Replace leet characters in words made only of letters and leet characters with at least
    one real letter ("1gn0r3", "p@ssw0rd"), and in short all-leet words next to such a word
    ("70" in "h1570ry 70 h4ck"); "gpt-4", "2024", "2nd", "hi!", "70 apples" stay as they are."""
    if not any(ch in text for ch in _LEET):
        return text
    words = text.split(" ")
    converted: dict[str, str] = {}  # words with a real letter, converted wherever they occur
    short: dict[str, str] = {}  # short all-leet words, converted only next to a converted word
    for word in _leet_words(text, words):  # each distinct word once: long input repeats words
        turned = word.translate(_LEET_TABLE)
        if turned == word:
            continue
        head = len(word) - len(word.lstrip(_WORD_PUNCT))
        tail = len(word.rstrip(_WORD_PUNCT))
        core = turned[head:tail]
        if not core.isalpha():
            continue
        if word[head:tail].translate(_NOT_LEET):
            converted[word] = word[:head] + core + word[tail:]
        elif tail - head <= 3:
            short[word] = word[:head] + core + word[tail:]
    if not converted:
        return text
    out = [converted.get(word, word) for word in words]
    if short:
        last = len(words) - 1
        for i, word in enumerate(words):
            if word in short and ((i and words[i - 1] in converted) or (i < last and words[i + 1] in converted)):
                out[i] = short[word]
    return " ".join(out)


def _leet_words(text: str, words: list[str]) -> set[str]:
    """The distinct ``words`` of ``text`` that `_unleet` may change: of ASCII text, only those with
    a leetspeak character and nothing but those, letters and punctuation (picked out all at once
    by byte operations: word by word, 100 KB of noise took 4 ms)."""
    if not text.isascii():
        return set(words)
    shapes = text.encode("ascii").translate(_LEET_SHAPE, _PLAIN).split(b" ")  # "l"s: leetspeak only
    return set(compress(words, map(bytes.isalpha, shapes)))


def _spaced(folded: str) -> list[tuple[int, int]]:
    """Spans of the spaced-out letters (`_SPACED_RE`) in ``folded`` (lower case), found as
    ``_SPACED_RE.finditer`` finds them, but tried only where one can start (`_spaced_starts`):
    100 KB of noise took 5 ms searched whole, 0.5 ms so."""
    raw = folded.encode("ascii", "replace")  # _SPACED_RE matches ASCII only: "?" stands for the rest
    if not _may_be_spaced(raw.translate(_SPACED_GATE)):
        return []
    starts = _spaced_starts(raw)
    first = starts.find(1)
    if starts.count(1, first) > SPACED_TRIES:  # (dense: one search costs less than a try at each)
        return [m.span() for m in _SPACED_RE.finditer(folded, first, timeout=REGEX_TIMEOUT)]
    spans: list[tuple[int, int]] = []
    while first >= 0:
        m = _SPACED_RE.match(folded, first, timeout=REGEX_TIMEOUT)
        if m:
            spans.append(m.span())
        first = starts.find(1, m.end() if m else first + 1)
    return spans


def _spaced_starts(raw: bytes) -> bytes:
    """Byte ``i`` is 1 where `_SPACED_RE` matches at ``raw[i]`` (ASCII): a letter after no letter or
    digit, then three times a separator (or two or three spaces) and a letter before none. Worked out
    for every place at once, each character class a big integer with one byte per character."""
    def mask(table: bytes, pad: bytes = b"") -> int:
        return int.from_bytes(raw.translate(table) + pad, "little")

    letter, sep, space, comma = mask(_SPACED_LETTER), mask(_SPACED_SEP), mask(_SPACED_SPACE), mask(_SPACED_COMMA)
    apart = mask(_NOT_ALNUM, b"\x01")  # (past the end: nothing)
    ended = letter & (apart >> 8)  # a letter before no letter or digit

    def group_before(at: int) -> int:  # where a separator and a letter of ``at`` follow
        spaces = (space >> 8) & (space >> 16) & ((at >> 24) | ((space >> 24) & (at >> 32)))
        return ((sep >> 8) & (at >> 16)) | spaces | ((comma >> 8) & (space >> 16) & (at >> 24))

    after = ended
    for _ in range(2):
        after = ended & group_before(after)
    return (letter & ((apart << 8) | 1) & group_before(after)).to_bytes(len(raw), "little")


def _collapse(text: str, spans: list[tuple[int, int]],
              offsets: Sequence[int] | None = None) -> tuple[str, Sequence[int] | None]:
    """Rewrite the spaced letters at ``spans`` (from `_spaced`), keeping their letters and one
    space at each word break (`_kept`); ``offsets``, if given, follow along."""
    if not spans:
        return text, offsets
    parts: list[str] = []
    offs: list[int] = []
    pos = 0
    for s, e in spans:
        lead, trail = _stray_separators(text, s, e)
        parts.append(text[pos:lead])
        if text[s + 1] != "," and not text[s + 1:e:2].strip(text[s + 1]) and not set(text[s:e:2]) & _SEPARATOR_SET:
            kept: range | list[int] = range(s, e, 2)
            parts.append(text[s:e:2])
        else:
            kept = _kept(text, s, e)
            parts.append("".join(map(text.__getitem__, kept)))
        if offsets is not None:
            offs += offsets[pos:lead]
            offs += map(offsets.__getitem__, kept)
        pos = trail
    parts.append(text[pos:])
    if offsets is None:
        return "".join(parts), None
    offs += offsets[pos:]
    return "".join(parts), offs


def _stray_separators(text: str, start: int, end: int) -> tuple[int, int]:
    """``start`` and ``end`` of the spaced letters ``text[start:end]`` widened over the separator
    that joins their letters where it also stands between them and punctuation ("p_a_s_s_?",
    "[_i_n_s_t_]": read "pass?", "[inst]", not "pass_?", whose "_" is a word character)."""
    sep = text[start + 1]
    if sep in " ,":
        return start, end
    if start >= 1 and text[start - 1] == sep and (start < 2 or not text[start - 2].isalnum()):
        start -= 1
    if end < len(text) and text[end] == sep and (end + 1 == len(text) or not text[end + 1].isalnum()):
        end += 1
    return start, end


def _kept(text: str, start: int, end: int) -> list[int]:
    """Indices of the characters of the spaced letters ``text[start:end]`` that the collapsed
    text keeps: the letters, and the first space of each gap between words. Where most gaps hold
    another separator, a gap of spaces alone is a word break ("i-g-n-o-r-e a-l-l", "i, g, n a, l, l");
    where most are spaces, a gap of two or three spaces is ("i g n  a l l"). Worked out for the
    whole span at once by byte masks, as `_spaced_starts` does (a 100 KB run is a hostile input)."""
    span = text[start:end]
    raw = span.encode("ascii", "replace")
    flags = raw.translate(_LETTER_FLAGS)
    marked = sum(map(span.count, _MARKS)) * 2 > flags.count(1) - 1  # most gaps hold another separator
    letter = int.from_bytes(flags, "little")
    space = int.from_bytes(raw.translate(_SPACED_SPACE), "little")
    # gaps are 1-3 characters (`_SPACED_RE`): a space after a letter, then a letter 1, 2 or 3 on
    two, three = (space >> 8) & (letter >> 16), (space >> 8) & (space >> 16) & (letter >> 24)
    breaks = space & (letter << 8) & ((letter >> 8) * marked | two | three)
    return sorted(chain(compress(range(start, end), flags),
                        compress(range(start, end), breaks.to_bytes(len(raw), "little"))))


def _squeeze(text: str, offsets: Sequence[int]) -> tuple[str, list[int]]:
    """Whitespace runs -> one space (at the offset of the run's first character), ends stripped.
    ``text`` has only ASCII whitespace (as `_map_chars` leaves it), so the text is str.split /
    join and the kept offsets are picked by a byte mask: no per-character Python."""
    squeezed = " ".join(text.split())
    if len(squeezed) == len(text):
        return squeezed, list(offsets)
    flags = int.from_bytes(text.encode("ascii", "replace").translate(_WS_FLAGS), "big")
    # a whitespace character right after another one is dropped
    keep = (flags & (flags >> 8)).to_bytes(len(text), "big").translate(_KEEP)
    kept = list(compress(offsets, keep))
    start = 1 if text[:1].isspace() else 0
    return squeezed, kept[start:start + len(squeezed)]


def _plain_ascii(text: str) -> bool:
    """ASCII without control characters other than whitespace: only case, leetspeak, spaced
    letters and whitespace runs can change, all without Unicode work."""
    if not text.isascii():
        return False
    return text.isprintable() or not any(c in text for c in _ASCII_CONTROLS)


def _may_be_spaced(shape: bytes) -> bool:
    """False when a lower-case text whose shape (`_SPACED_GATE`) is ``shape`` certainly has no
    spaced-out letters for _SPACED_RE."""
    return b"a.a.a.a" in shape.replace(b"...", b".").replace(b"..", b".")


def fold(text: str, *, leet: bool = True, spacing: bool = True, joiners: bool = False) -> Folded:
    """Fold ``text`` for matching. ``leet`` and ``spacing`` can be turned off where digits or
    spaced letters carry meaning (e.g. matching identifiers); ``joiners`` adds the ``joined``
    copy (`_joined`). The offsets back into ``text`` are worked out (by `_offsets`) only when
    first asked for."""
    if not isinstance(text, str):
        raise TypeError(f"fold() needs a str, not {type(text).__name__}")
    if _plain_ascii(text):
        folded, invisible = text.lower(), 0
    else:
        folded, invisible = _map_text(text, *_table(text))
    mapped = folded
    spans = _spaced(mapped) if spacing else []
    folded = _collapse(mapped, spans)[0]
    if leet:
        folded = _unleet(folded)
    joined = _joined(text, mapped, invisible, leet, spacing) if joiners else None
    # `_squeeze`'s whitespace pass: after `_map_text` the only whitespace left is ASCII, where
    # "every run -> one space, ends stripped" is exactly str.split / join.
    return Folded(" ".join(folded.split()), None, invisible, (text, mapped, spans), joined)


def _joined(text: str, mapped: str, invisible: int, leet: bool, spacing: bool) -> Folded | None:
    """The ``joined`` copy of ``text`` (``mapped``: after `_map_text`), or None when no words
    are joined (`_joined_runs`): the stretches of text with joined words, up to `_CONTEXT`
    characters around them (cut at a space), one stretch a line, with the joiners that join
    words read as spaces throughout, folded on like the text itself. Only the stretches: the
    rest reads as in the text, and 100 KB of noise must not be read twice."""
    runs = _joined_runs(mapped)
    if not runs:
        return None
    regions = [_around(mapped, start, end) for start, end in _near((start, end) for start, end, _ in runs)]
    index = range(len(text)) if _plain_ascii(text) else _char_offsets(text, *_table(text), len(mapped))
    copy = "\n".join(mapped[lo:hi] for lo, hi in regions)
    for joiner in {joiner for _, _, joiner in runs}:
        copy = copy.replace(joiner, " ")
    offsets = [i for lo, hi in regions for i in chain(index[lo:hi], [index[hi - 1]])][:len(copy)]
    copy, offsets = _collapse(copy, _spaced(copy) if spacing else [], offsets)  # type: ignore[assignment]
    return Folded(*_squeeze(_unleet(copy) if leet else copy, offsets), invisible)  # type: ignore[arg-type]


def _near(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` (in order) merged where at most two `_CONTEXT` apart."""
    near: list[list[int]] = []
    for start, end in spans:
        if near and start - near[-1][1] <= 2 * _CONTEXT:
            near[-1][1] = max(end, near[-1][1])
        else:
            near.append([start, end])
    return [(start, end) for start, end in near]


def _around(mapped: str, start: int, end: int) -> tuple[int, int]:
    """``mapped[start:end]`` widened by up to `_CONTEXT` characters each side, cut at a space."""
    lo, hi = max(0, start - _CONTEXT), min(len(mapped), end + _CONTEXT)
    if lo:
        lo = mapped.find(" ", lo, start) + 1 or start
    if hi < len(mapped):
        cut = mapped.rfind(" ", end, hi)
        hi = cut if cut >= 0 else end
    return lo, hi


@lru_cache(maxsize=512)
def _joined_re(joiner: str) -> TimedPattern:
    j = regex.escape(joiner)
    letter = r"[\w--[_\p{Lm}2689]]"  # (tested first, one character each side: cheap, and most often false)
    return timed_compile(rf"(?V1)(?<={letter}){j}(?={letter})(?<=(?<!{_ALNUM})({_WORD}){j}){_WORD}"
                         rf"(?:{j}{_WORD}){{{_JOINED_WORDS - 2},}}")


def _joiners(mapped: str) -> list[str]:
    """The characters that may join words in ``mapped`` (on ASCII text, only those with a cheap
    necessary condition met)."""
    if not mapped.isascii():
        return [ch for ch in set(mapped) if ch not in _NOT_JOINING and not ch.isspace()
                and (not ch.isalnum() or unicodedata.category(ch) == "Lm")]
    shape = mapped.encode("ascii").translate(_JOINED_GATE)
    merged = b" ".join(shape.split())
    merged = b" " * shape.startswith(b" ") + merged + b" " * shape.endswith(b" ")
    # (" J J J J " is looked for only where "J J J J" is: a search for a rare first byte is quick)
    return [chr(j) for j in set(merged).difference(_NOT_JOINERS)
            if bytes([j, 32] * (_JOINED_WORDS - 2) + [j]) in merged and bytes([32, j] * (_JOINED_WORDS - 1) + [32]) in merged]


def _joined_runs(mapped: str) -> list[tuple[int, int, str]]:
    """``(start, end, joiner)`` of each run of joined words in ``mapped``, in order."""
    runs = [(m.start(1), m.end(), joiner) for joiner in _joiners(mapped) if mapped.count(joiner) >= _JOINED_WORDS - 1
            for m in _joined_re(joiner).finditer(mapped, timeout=REGEX_TIMEOUT)]
    return sorted(runs)


def _map_text(text: str, distinct: set[str], table: dict[str, str]) -> tuple[str, int]:
    """`_map_chars` without offsets: the folded characters and the invisible count (``distinct``
    and ``table`` from `_table`)."""
    return _fold_words(text, distinct, table), _invisible(text, distinct, table)


def _offsets(text: str, mapped: str, spans: list[tuple[int, int]]) -> list[int]:
    """The offsets of ``fold(text)``, given what it kept: the text after `_map_text` and the
    spaced-letter ``spans`` found in it (leetspeak changes characters, never their offsets)."""
    offsets = range(len(text)) if _plain_ascii(text) else _char_offsets(text, *_table(text), len(mapped))
    return _squeeze(*_collapse(mapped, spans, offsets))[1]  # type: ignore[arg-type]


def _fold_full(text: str, leet: bool, spacing: bool) -> Folded:
    """`fold` with offsets built as it goes; any text."""
    folded, offsets, invisible = _map_chars(text)
    folded, offsets = _collapse(folded, _spaced(folded) if spacing else [], offsets)
    if leet:
        folded = _unleet(folded)
    return Folded(*_squeeze(folded, offsets), invisible)  # type: ignore[arg-type]
