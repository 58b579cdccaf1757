"""The attack-order look-ahead, found once per text rather than read again at every near-match.

The exceptions for the writer's own material ("the rules I gave you", "my earlier instructions")
do not hold before an order typical of attacks later in the sentence or early in the next one
(`ATTACK_ORDER`). A pattern reading that look-ahead reads up to ~200 characters, trying the
orders at each, every time it reaches an exception: 100 KB of "ignore the rules i gave you "
took 76 ms per pattern. Patterns name it as the fragment ``{attack_order}`` (rule files too,
see `guardlayer.guards.injection.signatures`), and `OrderedPattern` searches them exactly as the
expanded regex would, at the cost of two look-ahead-free twins: it finds the orders of a text
once, works out where the look-ahead holds (`order_reach`) and runs the full pattern only from
the start positions whose match attempt could reach one of those places.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex

from ...timed_regex import TimedPattern, timed_compile

SENTENCE = 120
"""Characters of its own sentence the look-ahead reads ..."""
NEXT_SENTENCE = 80
"""... and of the next one, after a stop followed by a space."""
ORDER = (r"\b(?:(?:send|forward|email|e-mail|wire|transfer|pay|execute|run|delete|remove|reveal|print|show|output"
         r"|leak|upload|push|approve|mark|recommend|append|export|exfiltrate|disclose|dump)(?:s|ed|ing)?\b"
         r"(?<!\b(?:a|an|the|my|your|his|her|our|their|this|that) \w+)|include (?:\w+ ){0,3}links?|you are now"
         r"|you're now|act as|pretend|from now on|developer mode|reply with|respond with|tell (?:me|us|the user))\b")
"""An order typical of attacks ("send ...", "you are now", "reply with"), not a noun ("my email
signature", "the print layout")."""
ATTACK_ORDER = (rf"(?:[^.!?\n]{{0,{SENTENCE}}}?(?:[.!?] [^.!?\n]{{0,{NEXT_SENTENCE}}}?)?" + ORDER + ")")
"""An order later in the same sentence (up to 120 characters on) or in the next one (up to 80
characters into it): the text of the fragment ``{attack_order}``, for a look-ahead
(``(?!{attack_order})`` after an exception: it does not hold before an order)."""
FRAGMENTS = {"attack_order": ATTACK_ORDER}
"""Named fragments a pattern may use, written ``{name}``."""
FRAGMENT = timed_compile(r"(?<!\\)\{([a-z][a-z_]+)\}")
"""A fragment's name in a pattern (fuzzy constraints such as ``{e<=1}`` and ``{i}`` are not names)."""
NEVER, ALWAYS = "(?!)", "(?:)"
"""What the fragment becomes in the twins: the look-ahead as if no order followed anywhere, and
as if one followed everywhere."""
_ORDER_AT = timed_compile(rf"(?={ORDER})")
_STOP = timed_compile(r"[.!?\n]")
_DENSE = 64  # an order's literal every this many characters or less: one scan for all orders


def expand(pattern: str, fragment: str | None = None) -> str:
    """``pattern`` with each ``{name}`` replaced by its fragment (``fragment``: by that text
    instead). Raises KeyError naming an unknown fragment."""
    def value(m: regex.Match[str]) -> str:
        if m[1] not in FRAGMENTS:
            raise KeyError(m[1])
        return FRAGMENTS[m[1]] if fragment is None else fragment
    return FRAGMENT.sub(value, pattern)


@lru_cache(maxsize=4)
def order_reach(text: str, pos: int, end: int, starts: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Merged ``(a, b)`` ranges of the positions of ``text[pos:end]`` at which `ATTACK_ORDER`
    matches (as in a search with ``pos`` and ``end``), from the places an `ORDER` starts: the 120
    characters before one in its sentence, and when it lies within 80 characters of the start of a
    sentence that follows ". ", "! " or "? ", the 120 before that stop in its own."""
    orders = _orders(text, pos, end, starts)
    stops = [m.start() for m in _STOP.finditer(text, pos, orders[-1])] if orders else []
    found: list[tuple[int, int]] = []
    i, last, before = 0, pos - 1, pos - 1  # the last stop before the order, and the one before that
    for q in orders:
        while i < len(stops) and stops[i] < q:
            before, last, i = last, stops[i], i + 1
        found.append((max(q - SENTENCE, last + 1), q))
        if max(pos, q - NEXT_SENTENCE - 2) <= last <= q - 2 and text[last] != "\n" and text[last + 1] == " ":
            found.append((max(last - SENTENCE, before + 1), last))
    found.sort()
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _orders(text: str, pos: int, end: int, starts: tuple[str, ...]) -> list[int]:
    """Where an `ORDER` starts in ``text[pos:end]``: the places one of ``starts`` (literals every
    order starts with; empty: unknown) occurs at, each tried, or when they are many (or unknown)
    every place, in one scan."""
    places: set[int] = set()
    for literal in starts:
        i = text.find(literal, pos, end)
        while i >= 0 and len(places) <= (end - pos) // _DENSE:
            places.add(i)
            i = text.find(literal, i + 1, end)
    if not starts or len(places) > (end - pos) // _DENSE:
        return [m.start() for m in _ORDER_AT.finditer(text, pos, end)]
    return [i for i in sorted(places) if _ORDER_AT.match(text, i, end)]


@lru_cache(maxsize=64)
def _spaces_back(spaces: int) -> TimedPattern:
    """A reverse pattern whose match ending at ``a`` starts at the ``spaces + 1``-th whitespace
    character before ``a``."""
    return timed_compile(rf"(?r)(?:\s\S*+){{{spaces + 1}}}")


class OrderedPattern(TimedPattern):
    """A pattern holding ``{attack_order}``, whose ``search`` finds what the expanded regex finds
    (the same leftmost match) without reading the look-ahead at every near-match.

    ``never`` and ``loose`` are the pattern with the fragment made never to hold and made to hold
    where that lets more match (``loose`` matches wherever the pattern does); ``spaces`` bounds
    the whitespace characters between a match attempt's start and any place it reads the fragment,
    ``stop`` (reversed) finds characters the pattern never reads forward (None: it can read any),
    which no attempt reaches past (`_reach_from`), and ``starts`` are literals every `ORDER` starts with.
    From a start none of whose such places is in `order_reach`, the pattern behaves exactly as
    ``never``, which is searched there; from the other starts where ``loose`` matches, the full
    pattern is tried. Texts (or windows) shorter than `PLAIN_BELOW` are searched plainly."""

    __slots__ = ("never", "loose", "spaces", "stop", "stopping", "starts")

    def __init__(self, compiled: regex.Pattern[str], never: TimedPattern, loose: TimedPattern, spaces: int,
                 stop: TimedPattern | None, starts: tuple[str, ...]) -> None:
        super().__init__(compiled)
        self.never, self.loose, self.spaces, self.stop, self.starts = never, loose, spaces, stop, starts
        self.stopping = frozenset(ch for ch in map(chr, range(128)) if stop and stop.fullmatch(ch))  # ASCII ones

    def search(self, text: str, pos: int = 0, endpos: int | None = None, *, timeout: float | None = None,
               **kwargs: Any) -> regex.Match[str] | None:
        end = len(text) if endpos is None else max(0, min(endpos, len(text)))
        pos = max(0, pos)
        if kwargs or end - pos < PLAIN_BELOW:
            return super().search(text, pos, end, timeout=timeout, **kwargs)
        loose = self.loose.search(text, pos, end, timeout=timeout)
        if loose is None:
            return None
        m = self.match(text, loose.start(), end, timeout=timeout)  # the first place it could match, in full
        if m is not None:
            return m
        walk = _Walk(self, text, end, timeout, loose)
        at = loose.start() + 1
        for a, b in order_reach(text, pos, end, self.starts):
            if b < at:
                continue
            if (c := walk.candidate(at)) is None:
                return None
            if c.start() > b:
                continue  # no start up to b can match
            lo = self._reach_from(text, pos, a)
            found = walk.cold(at, lo) if at < lo else None
            if found is not None or (found := walk.hot(max(lo, at), b)) is not None or walk.loose is None:
                return found
            at = b + 1
        return walk.cold(at, end + 1)

    def _reach_from(self, text: str, pos: int, a: int) -> int:
        """The first start (from ``pos`` on) whose match attempts could read the fragment at ``a``:
        no more than ``spaces`` whitespace characters and no ``stop`` lie between."""
        if a > pos and text[a - 1] in self.stopping:
            return a
        m = _spaces_back(self.spaces).match(text, pos, a)
        lo = m.start() + 1 if m else pos
        if self.stop is not None and (m := self.stop.search(text, lo, a)) is not None:
            lo = m.start() + 1
        return lo


class _Walk:
    """One `OrderedPattern.search` along the text: the next match of ``loose`` and of ``never``
    from where it has got to, each searched again only once passed."""

    __slots__ = ("pattern", "text", "end", "timeout", "loose", "plain", "searched", "tried")

    def __init__(self, pattern: OrderedPattern, text: str, end: int, timeout: float | None,
                 loose: regex.Match[str]) -> None:
        self.pattern, self.text, self.end, self.timeout = pattern, text, end, timeout
        self.loose: regex.Match[str] | None = loose
        self.plain: regex.Match[str] | None = None
        self.searched, self.tried = False, 0

    def candidate(self, at: int) -> regex.Match[str] | None:
        """The first match of ``loose`` from ``at`` on."""
        if self.loose is not None and self.loose.start() < at:
            self.loose = self.pattern.loose.search(self.text, at, self.end, timeout=self.timeout)
        return self.loose

    def cold(self, at: int, lo: int) -> regex.Match[str] | None:
        """The pattern's first match starting in ``[at, lo)``, where the fragment cannot hold: that
        of ``never``. Tried at each candidate of a short stretch (a search would read on past it,
        to the end of a text with no such match) while few have been, else searched for once and
        known until passed."""
        stale = not self.searched or self.plain is not None and self.plain.start() < at
        if stale and lo - at < COLD_SCAN and self.tried < COLD_TRIES:
            while (c := self.candidate(at)) is not None and c.start() < lo:
                self.tried += 1
                if (m := self.pattern.never.match(self.text, c.start(), self.end, timeout=self.timeout)) is not None:
                    return m
                at = c.start() + 1
            return None
        if stale:
            self.plain = self.pattern.never.search(self.text, at, self.end, timeout=self.timeout)
            self.searched = True
        return self.plain if self.plain is not None and self.plain.start() < lo else None

    def hot(self, at: int, hi: int) -> regex.Match[str] | None:
        """The pattern's first match starting in ``[at, hi]``: the full pattern tried at each candidate."""
        while (c := self.candidate(at)) is not None and c.start() <= hi:
            if (m := self.pattern.match(self.text, c.start(), self.end, timeout=self.timeout)) is not None:
                return m
            at = c.start() + 1
        return None


COLD_SCAN = 2048
"""Stretches of starts at least this long, where the fragment cannot hold, are searched with
``never`` in one go; shorter ones are tried candidate by candidate ..."""
COLD_TRIES = 64
"""... until this many have been."""
PLAIN_BELOW = 1024
"""Texts (or windows) shorter than this are searched with the full pattern: its look-ahead
costs little there, less than finding the orders."""
