"""Compiled patterns whose time limit holds under threads.

The ``regex`` module's ``timeout=`` counts the process's CPU time, and it releases the GIL while
it matches: while one thread scans, every other thread's work counts against that scan's limit.
32 threads checking 30 KB texts on one core failed 28 of 64 PII checks with a time-out, on scans
that take milliseconds alone. A `TimedPattern` keeps the limit (``REGEX_TIMEOUT`` unless a call
gives one) and, when a call runs out of time, tries it again measuring what share of the
process's CPU time this thread had, then once more with the limit scaled by that share (up to
`MAX_SCALE` times): the limit is then about this thread's own time. A match that is slow on its
own fails on the second try. ``finditer`` returns its matches found all at once (an iterator's
clock runs from its making to its last match: the caller's work in between would count).

`lint` (and `backtracking_error`, the message a rule file gets) tries a pattern on probe texts that
make backtracking blow up; the injection signature files and the policy regex rules refuse at load
a pattern that runs out of time on one, instead of failing closed on every long text at check time.
"""
from __future__ import annotations

import re._constants as sre
import re._parser as sre_parse
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

import regex

from .guard import REGEX_TIMEOUT

MAX_SCALE = 256.0
"""The most a retried call's limit is scaled up by (a thread that had 1/256 of the process)."""


def timed_compile(pattern: str, flags: int = 0, **kwargs: Any) -> TimedPattern:
    """``regex.compile(pattern, flags, **kwargs)``, timed (see the module's docstring)."""
    return TimedPattern(regex.compile(pattern, flags, **kwargs))


class TimedPattern:
    """A compiled ``regex`` pattern whose matching methods time out on this thread's time."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: regex.Pattern[str]) -> None:
        self.compiled = compiled

    def __getattr__(self, name: str) -> Any:  # pattern, flags, groups, groupindex...
        if name.startswith("__"):  # copy and pickle protocols: this object's own, not the pattern's
            raise AttributeError(name)
        return getattr(self.compiled, name)

    # The first try is written out in the methods called most (a call less per match: 0.45 us).
    def search(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> regex.Match[str] | None:
        try:
            return self.compiled.search(*args, timeout=timeout or REGEX_TIMEOUT, **kwargs)
        except TimeoutError:
            return _again(self.compiled.search, args, kwargs, timeout)

    def match(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> regex.Match[str] | None:
        try:
            return self.compiled.match(*args, timeout=timeout or REGEX_TIMEOUT, **kwargs)
        except TimeoutError:
            return _again(self.compiled.match, args, kwargs, timeout)

    def fullmatch(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> regex.Match[str] | None:
        try:
            return self.compiled.fullmatch(*args, timeout=timeout or REGEX_TIMEOUT, **kwargs)
        except TimeoutError:
            return _again(self.compiled.fullmatch, args, kwargs, timeout)

    def finditer(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Iterator[regex.Match[str]]:
        try:
            return iter(list(self.compiled.finditer(*args, timeout=timeout or REGEX_TIMEOUT, **kwargs)))
        except TimeoutError:
            return iter(_again(self._all, args, kwargs, timeout))

    def findall(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> list[Any]:
        return _again(self.compiled.findall, args, kwargs, timeout, tries=3)

    def split(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> list[str]:
        return _again(self.compiled.split, args, kwargs, timeout, tries=3)

    def sub(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> str:
        return _again(self.compiled.sub, args, kwargs, timeout, tries=3)

    def subn(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> tuple[str, int]:
        return _again(self.compiled.subn, args, kwargs, timeout, tries=3)

    def _all(self, *args: Any, **kwargs: Any) -> list[regex.Match[str]]:
        return list(self.compiled.finditer(*args, **kwargs))


def _again(method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
           timeout: float | None, tries: int = 2) -> Any:
    """``method`` tried ``tries`` more times after a time-out (perhaps other threads' time):
    the next but last measuring this thread's share of the process's CPU time, the last with
    the limit scaled by it; a call that uses up the limit on its own time fails."""
    limit = timeout or REGEX_TIMEOUT
    for _ in range(tries - 2):
        try:
            return method(*args, timeout=limit, **kwargs)
        except TimeoutError:
            pass
    own, process = time.thread_time(), time.process_time()
    try:
        return method(*args, timeout=limit, **kwargs)
    except TimeoutError:
        own, process = time.thread_time() - own, time.process_time() - process
        if own >= limit * 0.9:
            raise  # slow on its own
    scale = min(MAX_SCALE, process / max(own, 1e-6))
    return method(*args, timeout=limit * scale, **kwargs)


def each_match(pattern: TimedPattern, text: str, pos: int = 0, *,
               timeout: float = REGEX_TIMEOUT) -> Iterator[regex.Match[str]]:
    """What ``pattern.finditer(text, pos)`` gives up to its first empty match (included), one
    search each, for a reader that may stop early (``finditer`` finds all matches first); as for
    one ``finditer``, within ``timeout`` seconds in all, of this thread's CPU time (the reader's
    work between matches included)."""
    limit = time.thread_time() + timeout
    while (m := pattern.search(text, pos, timeout=timeout)) is not None:
        yield m
        if m.end() == m.start():
            return
        if time.thread_time() > limit:
            raise TimeoutError(f"reading {len(text)} characters took too long")
        pos = m.end()


# --- Lint: patterns that backtrack catastrophically, refused when a rule file is loaded ---------
# Used by the injection signatures and the policy regex rules: a pattern that runs out of time on
# a probe text would fail closed on every long text at check time.

REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
# Syntax that Python's parser would read differently from the `regex` module (which it takes as
# literal text): fuzzy constraints "{e<=1}", POSIX classes, version flags.
_REGEX_ONLY = timed_compile(r"(?<!\\)\{(?!\d+(?:,\d*)?\})|\[\[:|\(\?[^:)]*V")


@lru_cache(maxsize=256)
def parse_pattern(pattern: str) -> sre_parse.SubPattern | None:
    """``pattern`` parsed by Python's own parser, or None for syntax only `regex` knows (or rejects)."""
    if _REGEX_ONLY.search(pattern, timeout=REGEX_TIMEOUT):
        return None
    try:
        return sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - anything Python's own parser rejects is read by `regex` alone
        return None



LINT_CHARS = 2048
"""Length of the probes a pattern is tried on when loaded: long enough that backtracking which
grows faster than the text (catastrophic, or quadratic per match attempt) takes far longer than a
scan, short enough to keep loading cheap."""
LINT_TIMEOUT = 0.05
"""Seconds a search of one probe may take; a pattern that needs more is refused (ordinary patterns
need well under 1 ms, fuzzy ones a few; at a pace slower than this a check of a long text would run
out of ``REGEX_TIMEOUT`` and fail closed)."""
LINT_ATTEMPT_TIMEOUT = 0.01
"""Seconds one match attempt at the start of a probe may take (an ordinary attempt reads the probe
about once: well under 1 ms)."""
_LINT_BOUND = 32
"""Repeats allowing at least this many iterations are pumped (smaller bounds cannot blow up much)."""
_MAX_LITERALS = 64
"""At most this many of a pattern's literal characters are put into its probes."""
_FUZZY = timed_compile(r"(?<!\\)\{(?!\d+(?:,\d*)?\})[^{}]*\}")
_META = timed_compile(r"\\[pPN]\{[^}]*\}|\\.|[\\^$.|?*+()\[\]{}]")
_CLASS = {sre.CATEGORY_WORD: lambda c: c.isalnum() or c == "_", sre.CATEGORY_DIGIT: str.isdigit,
          sre.CATEGORY_SPACE: str.isspace}
_CLASS.update({sre.CATEGORY_NOT_WORD: lambda c: not _CLASS[sre.CATEGORY_WORD](c),
               sre.CATEGORY_NOT_DIGIT: lambda c: not c.isdigit(), sre.CATEGORY_NOT_SPACE: lambda c: not c.isspace()})
Probe = tuple[str, str, bool]
"""``(what it is, text, whole)``: ``whole`` searches the text, else one attempt at its start."""


@lru_cache(maxsize=512)
def lint(source: str, flags: int = 0) -> str | None:
    """What the first probe that ``source`` (compiled with ``flags``) cannot finish in time is,
    or None when it finishes them all. Searched within `LINT_TIMEOUT`: `LINT_CHARS` of one letter,
    of words and spaces and of digits; one letter and digits also followed by NUL and the pattern's
    literal characters (what it waits for is there, but not where it waits for it). Then each
    repeat that allows many iterations is pumped after a text that leads up to it, in one attempt
    within `LINT_ATTEMPT_TIMEOUT` (fuzzy constraints are dropped to find those texts); where
    Python's parser cannot read the pattern, runs of each of its literal characters are searched
    instead. Cached: a pattern loaded again is not linted again."""
    pattern = timed_compile(source, flags)
    for name, text, whole in _probes(source):
        try:
            if whole:
                pattern.search(text, timeout=LINT_TIMEOUT)
            else:
                pattern.match(text, timeout=LINT_ATTEMPT_TIMEOUT)
        except TimeoutError:
            return name
    return None


def _probes(source: str) -> list[Probe]:
    """The probes `lint` tries ``source`` on."""
    literals = "".join(sorted(set("".join(_META.split(source, timeout=REGEX_TIMEOUT)))))[:_MAX_LITERALS]
    tail = "\x00" + literals
    probes = [(f"{LINT_CHARS} characters of {pump!r} repeated{', then NUL and its literal characters' * end}",
               (pump * LINT_CHARS)[:LINT_CHARS] + tail * end, True)
              for pump, end in (("a", False), ("a", True), ("ab ", False), ("1", True))]
    parsed = parse_pattern(_FUZZY.sub("", source, timeout=REGEX_TIMEOUT))  # exact matches lead up to fuzzy repeats too
    if parsed is None:  # other syntax only `regex` reads (POSIX classes...): its literal characters pumped
        run = max(64, 2 * LINT_CHARS // max(1, len(literals)))
        return probes + [(f"runs of {run} of each of its literal characters",
                          "\x00".join(ch * run for ch in literals) + tail, True)]
    return probes + [(f"{lead!r} then {body!r} repeated", lead + (body * LINT_CHARS)[:LINT_CHARS] + tail, False)
                     for lead, body in dict.fromkeys(_pump_points(parsed)) if body]


def _pump_points(items: list, before: str = "") -> Iterator[tuple[str, str]]:
    """``(lead, body)`` for each repeat in ``items`` (nested ones too) that allows at least
    `_LINT_BOUND` iterations: a text that leads up to it and one that its body matches."""
    lead = [before]
    for op, arg in items:
        if op in REPEATS:
            if arg[1] >= _LINT_BOUND:
                yield "".join(lead), _sample(arg[2])
            yield from _pump_points(arg[2], "".join(lead))
        elif op is sre.SUBPATTERN:
            yield from _pump_points(arg[-1], "".join(lead))
        elif op is sre.BRANCH:
            for alt in arg[1]:
                yield from _pump_points(alt, "".join(lead))
        lead.append(chr(arg) if op is sre.LITERAL else _sample_one(op, arg))


def _sample(items: Iterable) -> str:
    """A short text that ``items`` match (lookarounds and back-references read as empty)."""
    return "".join(_sample_one(op, arg) for op, arg in items)


def _sample_one(op: Any, arg: Any) -> str:
    if op is sre.LITERAL:
        return chr(arg)
    if op is sre.NOT_LITERAL or op is sre.ANY:
        return "b" if arg == ord("a") else "a"
    if op is sre.IN:
        return next((ch for ch in "a1 A_.-#\n" if _member(arg, ch)), "")
    if op is sre.SUBPATTERN:
        return _sample(arg[-1])
    if op is sre.ATOMIC_GROUP:
        return _sample(arg)
    if op is sre.BRANCH:
        return _sample(arg[1][0])
    if op in REPEATS:
        return _sample(arg[2]) * min(arg[0], LINT_CHARS)
    return ""


def _member(items: list, ch: str) -> bool:
    """Whether ``ch`` is in the character set ``items`` (an ``IN`` node's argument)."""
    negate = bool(items) and items[0][0] is sre.NEGATE
    code = ord(ch)
    found = any(kind is sre.LITERAL and value == code
                or kind is sre.RANGE and value[0] <= code <= value[1]
                or kind is sre.CATEGORY and value in _CLASS and _CLASS[value](ch)
                for kind, value in items[negate:])
    return found != negate


def backtracking_error(source: str, flags: int = 0) -> str | None:
    """The error a rule file gets for ``source`` when it fails the `lint`, or None."""
    slow = lint(source, flags)
    return slow and (f"the pattern backtracks catastrophically: it ran out of time on {slow} (rewrite nested or "
                     r"adjacent repeats that can match the same text, such as (a+)+ or (\w+\s?)+, so that each "
                     "character is matched one way)")
