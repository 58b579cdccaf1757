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

The backtracking lint that rule files' patterns pass at load is `guardlayer.regex_lint`.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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
