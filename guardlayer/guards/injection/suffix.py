"""Optimiser-made jailbreak suffixes (GCG, DSN and kin: ``... Herezak({[HTMLsvg | Sure] Sure,].[``)
glue token soup to a request. Their tell is a closing bracket that meets an open bracket of
another kind: code and prose close what they open. Only lines of prose count (six or more plain
words); quoted spans and intervals (``[0, 1)``) are skipped, so regular expressions and string
literals in pasted code, and half-open ranges in maths, do not."""
from __future__ import annotations

from ...guard import REGEX_TIMEOUT
from ...timed_regex import timed_compile

_OPENER = {")": "(", "]": "[", "}": "{"}
_MARKS = frozenset("()[]{}'\"`")
_MIN_WORDS = 6
_INTERVAL = timed_compile(r"[\[(] ?[-+]?[\w.∞]{1,20} ?, ?[-+]?[\w.∞]{1,20} ?[\])]")


def crossed_brackets(text: str) -> int:
    """How many closing brackets meet an open bracket of another kind, on lines of prose."""
    return sum(_crossed(line) for line in text.splitlines() if _closes(line) and _is_prose(line))


def _closes(line: str) -> bool:
    return ")" in line or "]" in line or "}" in line


def _is_prose(line: str) -> bool:
    words = 0
    for token in line.split():
        word = token.rstrip(",.")
        if len(word) >= 3 and word.isalpha():
            words += 1
            if words >= _MIN_WORDS:
                return True
    return False


def _crossed(line: str) -> int:
    marks = "".join(filter(_MARKS.__contains__, _INTERVAL.sub(" ", line, timeout=REGEX_TIMEOUT)))
    opened: list[str] = []
    crossed = 0
    for ch in _unquoted(marks):
        if ch in "([{":
            opened.append(ch)
        elif opened:
            if opened[-1] != _OPENER[ch]:
                crossed += 1
                if _OPENER[ch] in opened:  # unwind to its own opener
                    while opened[-1] != _OPENER[ch]:
                        opened.pop()
            opened.pop()
    return crossed


def _unquoted(marks: str) -> str:
    """``marks`` without what lies between a pair of equal quotes (a lone quote stays open text)."""
    for quote in "'\"`":
        parts = marks.split(quote)
        kept = parts[0::2]
        if len(parts) % 2 == 0:  # an odd number of quotes: the text after the last one is open
            kept.append(parts[-1])
        marks = "".join(kept)
    return marks
