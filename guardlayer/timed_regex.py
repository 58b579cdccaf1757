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

    def search(self, *args: Any, **kwargs: Any) -> regex.Match[str] | None:
        return _timed(self.compiled.search, args, kwargs)

    def match(self, *args: Any, **kwargs: Any) -> regex.Match[str] | None:
        return _timed(self.compiled.match, args, kwargs)

    def fullmatch(self, *args: Any, **kwargs: Any) -> regex.Match[str] | None:
        return _timed(self.compiled.fullmatch, args, kwargs)

    def findall(self, *args: Any, **kwargs: Any) -> list[Any]:
        return _timed(self.compiled.findall, args, kwargs)

    def split(self, *args: Any, **kwargs: Any) -> list[str]:
        return _timed(self.compiled.split, args, kwargs)

    def sub(self, *args: Any, **kwargs: Any) -> str:
        return _timed(self.compiled.sub, args, kwargs)

    def subn(self, *args: Any, **kwargs: Any) -> tuple[str, int]:
        return _timed(self.compiled.subn, args, kwargs)

    def finditer(self, *args: Any, **kwargs: Any) -> Iterator[regex.Match[str]]:
        return iter(_timed(self._all, args, kwargs))

    def _all(self, *args: Any, **kwargs: Any) -> list[regex.Match[str]]:
        return list(self.compiled.finditer(*args, **kwargs))


def _timed(method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    limit = kwargs.pop("timeout", None) or REGEX_TIMEOUT
    try:
        return method(*args, timeout=limit, **kwargs)
    except TimeoutError:
        pass  # perhaps other threads' time: measure this thread's share on a second try
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
