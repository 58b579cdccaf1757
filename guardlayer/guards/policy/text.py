"""Text matching for policy rules: a combined phrase matcher over folded text, and the
link finder behind URL allow-lists."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, urlsplit

import regex

from ...guard import REGEX_TIMEOUT
from ...normalize import Folded, fold, is_invisible
from ...timed_regex import timed_compile

_ASCII_NON_WORD = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))


def _letters_only(text: str) -> str:
    """``text`` without anything but letters and digits (``str.isalnum``)."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD)
    return "".join(c for c in text if c.isalnum())


def fold_text(text: str) -> Folded:
    """How policy rules fold text: `guardlayer.normalize.fold` without its spaced-letter pass
    (phrases are matched on the letters alone, see `Letters`)."""
    return fold(text, spacing=False)


def folded_phrase(phrase: str) -> str:
    """The letters and digits of a phrase, folded as text is (``ValueError`` when none)."""
    out = _letters_only(fold_text(phrase).text)
    if not out:
        raise ValueError(f"phrase {phrase!r} has no letters or digits once folded")
    return out


class Letters:
    """The folded text's letters and digits only, so "g u a r a n t e e d", "guaranteed-refund"
    and "gua.ran.teed" all read "guaranteed..."; maps positions back to ``original``, the text
    that was folded."""

    __slots__ = ("text", "_folded", "_original", "_keep", "_same")

    def __init__(self, folded: Folded, original: str) -> None:
        self._folded = folded
        self._original = original
        self.text = _letters_only(folded.text)
        self._keep: list[int] | None = None
        self._same: bool | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``self.text[start:end]``."""
        if self._same_letters():
            # Letter i is the original's letter i: look there, without asking the folded
            # text for its offsets (which costs a full folding pass on ASCII text).
            first = _nth_letter(self._original, start)
            return first, _after_letters(self._original, first, end - start)
        offsets = self._folded.offsets
        return offsets[self._to_folded(start)], offsets[self._to_folded(end - 1)] + 1

    def _same_letters(self) -> bool:
        """True when the original is ASCII and has as many letters and digits as the folded
        text: folding ASCII maps letters and digits one to one and drops only other
        characters, except leetspeak turning symbols into letters ("p@ss"), which adds some."""
        if self._same is None:
            text = self._original
            self._same = text.isascii() and len(text.translate(_ASCII_NON_WORD)) == len(self.text)
        return self._same

    def _to_folded(self, i: int) -> int:
        """Index in the folded text of letter ``i``."""
        folded = self._folded.text
        if not folded.isascii():
            if self._keep is None:
                self._keep = [k for k, c in enumerate(folded) if c.isalnum()]
            return self._keep[i]
        return _nth_letter(folded, i)


def _after_letters(text: str, pos: int, n: int) -> int:
    """The index just past the ``n``-th letter or digit of ``text`` from ``pos`` on (a phrase
    is short: a walk is cheaper than a bisection)."""
    for k in range(pos, len(text)):
        if text[k].isalnum():
            n -= 1
            if not n:
                return k + 1
    raise ValueError(f"fewer than {n} letters from {pos}")


def _nth_letter(text: str, i: int) -> int:
    """Index in ASCII ``text`` of its letter or digit number ``i``. Bisects on the count of
    letters before a position (each count is one C-level pass): cheaper than an index of every
    letter when, as usual, there are few hits."""
    lo, hi = i, len(text) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if len(text[:mid + 1].translate(_ASCII_NON_WORD)) < i + 1:
            lo = mid + 1
        else:
            hi = mid
    return lo


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase of ``owner`` found at ``start:end`` of the original text."""

    owner: Any
    start: int
    end: int


class PhraseIndex:
    """Many phrases, one scan: a prefix-factored regex finds where any phrase starts in the
    letters of the text; the phrases that begin with that letter are then tried there, so a
    short phrase of one rule is not hidden by a longer phrase of another. Word boundaries are
    checked in the original text, skipping invisible characters. Spacing and punctuation
    between the letters of a phrase do not matter ("no refund" also matches "norefund")."""

    def __init__(self, entries: list[tuple[str, Any]]) -> None:
        phrases = sorted({(folded_phrase(p), owner) for p, owner in entries}, key=lambda e: (-len(e[0]), str(e[1])))
        self._by_first: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for phrase, owner in phrases:
            self._by_first[phrase[0]].append((phrase, owner))
        distinct = {p for p, _ in phrases}
        # A few phrases are found faster by plain substring search than by the regex.
        self._few = tuple(sorted(distinct)) if len(distinct) <= _FEW else None
        self._any = timed_compile(_trie_pattern(distinct), regex.VERSION1) if phrases and self._few is None else None

    def find(self, letters: Letters, original: str) -> list[Hit]:
        if self._any is None and not self._few:
            return []
        text = letters.text
        starts: Iterable[int]
        if self._few is not None:
            starts = sorted({s for p in self._few for s in _occurrences(text, p)})
        else:
            starts = (m.start() for m in self._any.finditer(text, overlapped=True, timeout=REGEX_TIMEOUT))
        hits: list[Hit] = []
        for s in starts:
            for phrase, owner in self._by_first[text[s]]:
                if text.startswith(phrase, s):
                    start, end = letters.original(s, s + len(phrase))
                    if _edge(original, start - 1, -1) and _edge(original, end, 1):
                        hits.append(Hit(owner, start, end))
        return hits


_FEW = 16


def _occurrences(text: str, phrase: str) -> Iterator[int]:
    """Every start of ``phrase`` in ``text``, overlapping ones included."""
    i = text.find(phrase)
    while i >= 0:
        yield i
        i = text.find(phrase, i + 1)


def _trie_pattern(phrases: set[str]) -> str:
    """One regex for many phrases, factored by common prefixes (much faster than a flat
    alternation)."""
    trie: dict[str, Any] = {}
    for p in phrases:
        node = trie
        for ch in p:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [regex.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _edge(original: str, i: int, step: int) -> bool:
    """True when the first visible character from ``i`` (going by ``step``) is not a letter
    or digit, or there is none: a word boundary."""
    while 0 <= i < len(original) and is_invisible(original[i]):
        i += step
    return not (0 <= i < len(original) and original[i].isalnum())


# --- links ---------------------------------------------------------------------------------

# Each finder starts with a literal, so the regex engine can skip ahead quickly.
_MD = timed_compile(r"""\]\(\s*<?(?P<url>[^)\s>]{1,4000})>?(?:\s+["'][^"'\n]{0,300}["'])?\s*\)""")
_RAW = timed_compile(r"""[:][/\\]{2,3}[^\s<>"'`)\]]{1,4000}""")
_SCHEME = timed_compile(r"(?i)(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]{0,20}$")
_WWW = timed_compile(r"""(?i)(?<![\w@.\-/])www\.[^\s<>"'`)\]]{1,4000}""")
_ATTR = timed_compile(r"""=\s*["']?(?P<url>[^"'\s>]{1,4000})""")
_ATTR_NAME = timed_compile(r"(?i)\b(?:src|href|action|poster|data|srcset|formaction)\s*$")
_REF = timed_compile(r"^[ \t]{0,3}\[[^\]\n]{1,200}\]:[ \t]*<?(?P<url>[^\s>]{1,4000})", regex.MULTILINE)
_URL_SCHEME = timed_compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)$", regex.DOTALL)
_TRAILING = ".,;:!?*_~'\""
_SPECIAL = {"http", "https", "ftp", "ws", "wss"}


@dataclass(frozen=True, slots=True)
class Link:
    start: int
    end: int
    url: str


def find_links(text: str) -> list[Link]:
    """Links in markdown (links, images, reference definitions), HTML attributes and raw
    URLs, with the span to remove (a whole markdown construct where there is one)."""
    t = REGEX_TIMEOUT
    found: list[Link] = []
    if "](" in text:
        for m in _MD.finditer(text, timeout=t):
            s = text.rfind("[", max(0, m.start() - 1000), m.start())
            s = m.start() if s < 0 else s - (s > 0 and text[s - 1] == "!")
            found.append(Link(s, m.end(), m.group("url")))
    if "]:" in text:
        found += [Link(m.start("url"), m.end("url"), m.group("url")) for m in _REF.finditer(text, timeout=t)]
    if "=" in text:
        for m in _ATTR.finditer(text, timeout=t):
            if _ATTR_NAME.search(text, max(0, m.start() - 30), m.start(), timeout=t):
                found.append(Link(m.start("url"), m.end("url"), m.group("url")))
    raw = []
    if ":/" in text or ":\\" in text:
        for m in _RAW.finditer(text, timeout=t):
            sm = _SCHEME.search(text, max(0, m.start() - 21), m.start(), timeout=t)
            if sm is not None:
                raw.append((sm.start(), m.end()))
    if "www." in text or "WWW." in text.upper():
        raw += [m.span() for m in _WWW.finditer(text, timeout=t)]
    for s, e in raw:
        url = text[s:e].rstrip(_TRAILING)
        if not any(f.start <= s < f.end for f in found):
            found.append(Link(s, s + len(url), url))
    found.sort(key=lambda f: f.start)
    return found


def link_host(url: str) -> tuple[str, str | None]:
    """``(scheme, host)`` the way a browser reads the link: invisible characters dropped,
    back slashes as slashes, extra slashes after the scheme ignored, user info and port
    removed, percent escapes decoded, trailing dot dropped. ``host`` is None for relative
    links; ``scheme`` is "" for those."""
    url = "".join(c for c in url if not is_invisible(c)).strip()
    if url.lower().startswith("www."):
        url = "http://" + url
    m = _URL_SCHEME.match(url, timeout=REGEX_TIMEOUT)
    if m is None:
        if url.startswith(("//", "\\\\", "/\\", "\\/")):
            return "", _host_of("http:" + url.replace("\\", "/"))
        return "", None
    scheme, rest = m.group(1).lower(), m.group(2)
    if scheme == "mailto":
        addr = unquote(rest.split("?", 1)[0]).rsplit("@", 1)
        return scheme, addr[1].strip().lower().rstrip(".") if len(addr) == 2 else ""
    if scheme in _SPECIAL:
        rest = "//" + rest.replace("\\", "/").lstrip("/")
    return scheme, _host_of(f"{scheme}:{rest}")


def _host_of(url: str) -> str:
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return ""
    host = unquote(netloc.rsplit("@", 1)[-1])
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].strip().lower().rstrip(".")


def domain_allowed(host: str, allowed: list[str]) -> bool:
    """True when ``host`` is an allowed domain or a subdomain of one (label-wise: neither
    ``evilexample.com`` nor ``example.com.evil.com`` counts as ``example.com``)."""
    if not host or not host.isascii():
        return False
    return any(host == d or host.endswith("." + d) for d in allowed)


def strip_invisible(text: str) -> tuple[str, list[int]]:
    """``text`` without invisible characters, and for each kept character its original index."""
    gone = {c for c in set(text) if is_invisible(c)}
    keep = [i for i, c in enumerate(text) if c not in gone]
    return "".join(text[i] for i in keep), keep
