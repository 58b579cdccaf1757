"""json-repair, guarded: it answers ``""`` when it finds nothing, which is not a parse; its
time grows with the square of the nesting (measured: 2,000 levels of ``["`` in 4 KB, 4 s; 5,000
levels of ``{'``, 10-19 s), so it is not given a text nested more than `MAX_DEPTH` levels or
longer than `MAX_CHARS` characters; and it reads NaN and Infinity as strings, which are refused
as the JSON reader refuses them (`Unreadable` says why, for the model to fix)."""
from __future__ import annotations

from typing import Any, NoReturn

import regex

from ..extras import need
from ..guard import REGEX_TIMEOUT
from ..timed_regex import timed_compile
from ..verdict import MISSING

MAX_DEPTH = 200
"""The deepest nesting of brackets handed to json-repair (valid JSON nested deeper is still read)."""
MAX_CHARS = 100_000
"""The longest text handed to json-repair: about 0.3 s of its time on ordinary broken JSON
(measured: 200 KB in 0.6 s). The fast reader in `lenient` has no such limit."""

# Each match runs to the next bracket that is not inside a string, skipping double-quoted
# strings, Python-style single-quoted ones (after { [ , :; an apostrophe in a word is not a
# quote), and lone quotes; group 1 is the bracket ("" at the end of the text).
# (Alternatives that start with different characters: the commonest first, and the quote
# matched before the lookbehind that qualifies it, which is then tried only at quotes.)
INSIDE = timed_compile(r"""(?:[^{}\[\]"']++|"(?:[^"\\]++|\\.)*+"|'(?<=[{\[,:]\s*')(?:[^'\\]++|\\.)*+'"""
                       r"""|["'])*+([{}\[\]]|\Z)""", regex.S)
OPEN = {"{": "}", "[": "]"}
# A NaN or Infinity outside strings (group 1); a string cut off by the end of the text counts.
_CONSTANT = timed_compile(r""""(?:[^"\\]++|\\.)*+(?:"|\Z)|'(?<=[{\[,:]\s*')(?:[^'\\]++|\\.)*+(?:'|\Z)"""
                          r"""|(?<![\w.$])(-?(?:NaN|Infinity))(?![\w$])""")


class Unreadable(Exception):
    """JSON that is not read: too deep or too long to repair, or holding NaN or Infinity (not
    JSON values). The message says why, for the model to fix."""


def not_json(constant: str) -> NoReturn:
    """Refuses a NaN, Infinity or -Infinity (Python's JSON reader takes them: ``parse_constant``)."""
    raise Unreadable(f"{constant} is not a JSON value: write a number, or null")


def repair(text: str, *, stream_stable: bool = False) -> Any:
    """The value json-repair recovers from ``text``, or ``MISSING`` when it recovers nothing.

    json-repair returns ``""`` both for "nothing found" and for a genuine empty string; only
    a text that really is an empty JSON string (``""`` or ``''``) keeps that answer. Raises
    `Unreadable` for a text beyond `MAX_CHARS` or `MAX_DEPTH`, or with NaN or Infinity outside
    its strings.
    """
    if len(text) > MAX_CHARS:
        raise Unreadable(f"the broken JSON is {len(text):,} characters long; broken JSON is "
                         f"repaired up to {MAX_CHARS:,}: write valid JSON")
    if "NaN" in text or "Infinity" in text:
        for match in _CONSTANT.finditer(text, timeout=REGEX_TIMEOUT):
            if match.group(1):
                not_json(match.group(1))
    if too_deep(text):
        raise Unreadable(f"the broken JSON is nested too deeply to repair (more than {MAX_DEPTH} "
                         "levels): write valid JSON, nested less deeply")
    json_repair = need("json_repair", "json", "JSON repair")
    try:
        value = json_repair.repair_json(text, return_objects=True, skip_json_loads=True,
                                        stream_stable=stream_stable)
    except (ValueError, RecursionError) as exc:  # (its only ValueError without a schema or strict)
        raise Unreadable(f"the broken JSON is nested too deeply to repair ({exc})") from exc
    if value == "" and text.strip() not in ('""', "''"):
        return MISSING
    return value


def too_deep(text: str) -> bool:
    """Whether brackets outside strings in ``text`` nest more than `MAX_DEPTH` levels."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return False  # (the common case, at C speed: the scan costs about 1 ms per 10 KB)
    depth = 0
    for token in INSIDE.finditer(text, timeout=REGEX_TIMEOUT):
        bracket = token.group(1)
        if bracket:
            depth = depth + 1 if bracket in OPEN else max(depth - 1, 0)
            if depth > MAX_DEPTH:
                return True
    return False
