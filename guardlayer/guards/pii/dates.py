"""Dates and times: a finder for written dates (``2013-03-14 12:53:39``, ``5/19/1937``,
``12 March 1990``, ``March 12th, 1990``, ``14:30``), and the test that keeps spaCy's DATE
and TIME hits only when they name a specific day or time.

spaCy tags durations, ages and vague references as DATE ("50 year old", "this morning",
"monthly", "the 60s", "10th year", a bare year): none of them identifies anyone, and
scrubbing them mangles prompts. `is_specific` keeps a hit that holds a month or weekday name,
a numeric date or a clock time.
"""
from __future__ import annotations

from typing import Any

from ...guard import REGEX_TIMEOUT
from ...timed_regex import timed_compile
from .gates import digit_view

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_WEEKDAY = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?"
_TIME = (r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?![\d:])(?:[ \t]*(?i:[ap]\.m\.|[ap]m\b))?"
         r"(?:[ \t]*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\b)?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATES = timed_compile(
    rf"\b(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}(?!\d)(?:[T \t]{_TIME})?"                 # ISO
    rf"|(?<![\d.\-/])\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})(?!\d|[.\-/]\d)"
    rf"(?:[ \t,]+{_TIME})?"
    rf"|{_DAY}[ \t]+(?:of[ \t]+)?{_MONTH}\b\.?(?:,?[ \t]+\d{{4}}\b)?"          # 12 March 1990
    rf"|{_MONTH}\.?[ \t]+{_DAY}\b(?:,?[ \t]+\d{{4}}\b)?(?![\d:])"             # March 12, 1990
    rf"|{_MONTH}[ \t]+\d{{4}}\b"                                             # March 1990
    rf"|(?<!\.\w{{1,5}}:){_TIME}"                  # 14:30, 9:05 pm (not a line and column: "app.js:18:27")
    rf"|\d{{1,2}}[ \t]*(?i:[ap]\.m\.|[ap]m\b))")
_TIME_ONLY = timed_compile(rf"{_TIME}|\d{{1,2}}[ \t]*(?i:[ap]\.m\.|[ap]m)")
_SPECIFIC = timed_compile(
    rf"(?i:\b{_MONTH}\b\.?|\b{_WEEKDAY}s?\b)|\d{{1,4}}[/.\-]\d{{1,2}}(?:[/.\-]\d{{1,4}})?"
    rf"|\d:\d\d|\d[ \t]*(?i:[ap]\.?m\b)|(?i:\b(?:noon|midnight)\b)")


def find_dates(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
               ) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of written dates (0.6) and clock times alone (0.45), looked for
    on the lines that hold a digit (`gates.digit_view`; ``views``: a dict made for this call):
    every match holds one and lies in one line, and looks no further than its line's edges."""
    lines = digit_view({"text": text} if views is None else views, "lines")
    if not lines.text:  # (a regex call costs microseconds even on nothing)
        return []
    return [(*lines.to_text(*m.span()), 0.45 if _TIME_ONLY.fullmatch(m.group(), timeout=REGEX_TIMEOUT) else 0.6)
            for m in _DATES.finditer(lines.text, timeout=timeout)]


def is_specific(value: str, timeout: float = REGEX_TIMEOUT) -> bool:
    """Does a DATE/TIME hit name a day or a time (not "today", "a year", "the 60s")?"""
    return _SPECIFIC.search(value, timeout=timeout) is not None
