"""What replaces a found value (as Presidio's anonymizer names its operators), and the `Vault` that keeps
the originals of one call (or one session) so the answer can be restored.

- ``redact``: ``<EMAIL_ADDRESS>`` (Presidio's ``replace``).
- ``mask``: every letter and digit but the last ``keep`` becomes ``*`` (``***-***-0134``).
- ``hash``: ``<PERSON_1f0c...>``, a keyed HMAC-SHA256, so equal values stay linkable.
- ``pseudonymize``: ``<PERSON_1>``, stable per value within the vault; restorable.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import regex

from ...guard import REGEX_TIMEOUT
from ...structured.strings import json_escape, json_unescape, rewrite
from ...timed_regex import timed_compile
from .people import TITLES
from .spellings import normalised

Operator = Literal["redact", "mask", "hash", "pseudonymize"]

NAME_CHAR = r"(?:[A-Za-z0-9_]|\\u00(?:3[0-9]|4[1-9a-fA-F]|5[0-9aAfF]|6[1-9a-fA-F]|7[0-9aA]))"
"""A character of a placeholder's name in either case, perhaps written as a JSON escape."""
OPENING = r"(?:<|\\u003[cC]|&lt;)"
CLOSING = r"(?:>|\\u003[eE]|&gt;)"

PLACEHOLDER = timed_compile(rf"{OPENING}[ \t]{{0,2}}(?P<name>{NAME_CHAR}+?)[ \t]{{0,2}}{CLOSING}")
"""A pseudonym (``<PERSON_1>``, as `Vault.placeholder` writes it) as an answer may write it: in
either case (``<person_1>``), with a blank or two inside its brackets (``< PERSON_1 >``), its
brackets HTML-escaped (``&lt;PERSON_1&gt;``), any of its characters perhaps a JSON escape (some
encoders write ``<`` and ``>`` as ``\\u003c`` and ``\\u003e``). `placeholder_name` reads it as
written; only those the vault issued are put back."""


def placeholder_name(m: regex.Match[str]) -> str:
    """The placeholder a `PLACEHOLDER` match stands for, as `Vault.placeholder` writes it."""
    name = m.group("name")
    name = json_unescape(name) if "\\" in name else name
    return f"<{name.upper()}>"


@dataclass
class Vault:
    """Placeholder <-> original value, and every value seen (`known`), for one call or one session.

    One person, one placeholder: values of `CASELESS` entities are told apart case-folded and
    with blanks made one space (`same_value`), so "John Smith" and "JOHN SMITH" are both
    ``<PERSON_1>``; others (keys, tokens, IDs, URLs) as written. Each is put
    back as written: in a text restored, the n-th ``<PERSON_1>`` gets the spelling of the n-th
    in the text last scrubbed (an echo comes back exact), any further one the first spelling.
    A placeholder already written in a text scrubbed (a template's ``<PERSON_1>``, a page about
    this guard: see `reserve`) is never handed out, so it stays as written in the answer.

    Lives in ``ctx.slot`` (one call) or ``Scope.state`` (one session); never on a guard.
    """

    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _by_placeholder: dict[str, str] = field(default_factory=dict)
    _spelled: dict[str, list[str]] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    _seen_folded: set[str] = field(default_factory=set)
    _names: set[frozenset[str]] = field(default_factory=set)  # each person's name, as its words
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def placeholder(self, entity: str, value: str) -> str:
        """The pseudonym for ``value``; the same value (`_key`) always gets the same one, and no
        value one that `reserve` noted."""
        with self._lock:
            key = _key(entity, value)
            if key not in self._by_value:
                name = ""
                while not name or name in self._taken:
                    self._counts[entity] = self._counts.get(entity, 0) + 1
                    name = f"<{entity}_{self._counts[entity]}>"
                self._by_value[key] = name
                self._by_placeholder[name] = value
            self._see(entity, value)
            return self._by_value[key]

    def reserve(self, text: str) -> None:
        """Note the placeholders written in ``text`` (as `PLACEHOLDER` reads them) that stand for
        no value: `placeholder` skips them, in this text and in any scrubbed later with this
        vault (a session's later turns)."""
        if "<" not in text and "\\u003" not in text and "&lt;" not in text:
            return
        written = {placeholder_name(m) for m in PLACEHOLDER.finditer(text, timeout=REGEX_TIMEOUT)}
        with self._lock:
            self._taken.update(name for name in written if name not in self._by_placeholder)

    def scrubbed(self, found: Iterable[tuple[str, str]]) -> list[str]:
        """The placeholders of the ``(entity, value)`` pairs replaced in one text, in its order
        (numbered so); notes how each was spelled there, for `rewrite`."""
        spelled: dict[str, list[str]] = {}
        names = []
        for entity, value in found:
            names.append(self.placeholder(entity, value))
            spelled.setdefault(names[-1], []).append(value)
        with self._lock:
            self._spelled.update(spelled)
        return names

    def remember(self, found: Iterable[tuple[str, str]]) -> None:
        """Note ``(entity, value)`` pairs as seen (found and left as they are: a hash, a mask)."""
        with self._lock:
            for entity, value in found:
                self._see(entity, value)

    def _see(self, entity: str, value: str) -> None:
        self.seen.update((value, as_read(value)))
        if entity in CASELESS:
            self._seen_folded.add(same_value(as_read(value)))
        if entity == "PERSON":
            if words := name_words(value):
                self._names.add(frozenset(words))

    def known(self, entity: str, value: str) -> bool:
        """Whether ``value`` was seen as written, or (a `CASELESS` entity) in another case, or
        is a part of ONE person's name seen ("Mr. Smith", "Smith John" after "John Smith": no new
        person; "Mary Smith" after "John Smith" and "Mary Jones" is one)."""
        read = as_read(value)
        if value in self.seen or read in self.seen or (entity in CASELESS and same_value(read) in self._seen_folded):
            return True
        words = name_words(value) if entity == "PERSON" else set()
        return bool(words) and any(words <= name for name in self._names)

    def restore(self, text: str, *, escaped: bool = True) -> tuple[str, list[tuple[int, int]]]:
        """``text`` with known placeholders put back, and the spans of restored values (see
        `rewrite`)."""
        restored, moves = self.rewrite(text, escaped=escaped)
        return restored, [(start, end) for _, _, start, end in moves]

    def rewrite(self, text: str, literals: Sequence[tuple[int, int]] = (), *, escaped: bool = True
                ) -> tuple[str, list[tuple[int, int, int, int]]]:
        """``text`` with known placeholders put back, and each as ``(start, end, new_start,
        new_end)``. A placeholder written with JSON escapes, or standing in one of ``literals``
        (where the contents of JSON string literals stand, in order), is in a JSON string: its
        original is written there JSON-escaped, so that the JSON stays valid. ``escaped=False``:
        ``text`` is a string decoded from JSON, where a backslash is only a backslash."""
        if "<" not in text and "&lt;" not in text and not (escaped and "\\u003" in text):
            return text, []
        starts = [start for start, _ in literals]
        edits = []
        nth: dict[str, int] = {}
        for m in PLACEHOLDER.finditer(text, timeout=REGEX_TIMEOUT):
            written = m.group()
            if "\\" in written and (not escaped or _escaped(text, m.start())):
                continue  # (in JSON, "\\\\u003c" is the text "\\u003c", not "<")
            name = placeholder_name(m)
            original = self._by_placeholder.get(name)
            if original is None:
                continue
            spelled, nth[name] = self._spelled.get(name, ()), nth.get(name, -1) + 1
            original = spelled[nth[name]] if nth[name] < len(spelled) else original
            i = bisect_right(starts, m.start()) - 1
            in_literal = "\\" in written or (i >= 0 and m.end() <= literals[i][1])
            edits.append((m.start(), m.end(), _in_json(original) if in_literal else original))
        return rewrite(text, edits)


_NAME_WORD = timed_compile(r"\p{L}[\p{L}'’\-]*")


def name_words(name: str) -> set[str]:
    """The words of a person's ``name``, case-folded, without titles ("Mr. Smith": {"smith"})."""
    return {w.casefold() for w in _NAME_WORD.findall(name, timeout=REGEX_TIMEOUT)
            if w.capitalize() not in TITLES}


def _in_json(original: str) -> str:
    """``original`` written in a JSON string; one found written with JSON escapes (``\\u0040``,
    in a JSON prompt) is read first, not escaped twice."""
    return json_escape(json_unescape(original) if "\\u" in original else original)


CASELESS = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "EMAIL_ADDRESS", "STREET_ADDRESS"})
"""Entities whose values name the same thing in any case or spacing (a key, a token, an ID, a
URL's path do not)."""


def same_value(value: str) -> str:
    """``value`` as values of `CASELESS` entities are told apart: case-folded, each run of
    blanks one space."""
    return " ".join(value.casefold().split())


def as_read(value: str) -> str:
    """``value`` as the finders read it (`spellings.normalised`): ``ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ``
    and ``j\\u006fhn@example.com`` are ``john@example.com``, one value."""
    return normalised(value).text


def _key(entity: str, value: str) -> tuple[str, str]:
    read = as_read(value)
    return entity, same_value(read) if entity in CASELESS else read


def _escaped(text: str, at: int) -> bool:
    """Whether the character at ``at`` follows an odd run of backslashes (JSON escapes it)."""
    run = at
    while run > 0 and text[run - 1] == "\\":
        run -= 1
    return (at - run) % 2 == 1


def mask(value: str, keep: int = 4, char: str = "*") -> str:
    """Mask letters and digits except the last ``keep`` of them; keep separators."""
    alnum = sum(c.isalnum() for c in value)
    keep = keep if alnum > 2 * keep else 0
    out, seen = [], 0
    for c in value:
        if c.isalnum():
            seen += 1
            out.append(c if seen > alnum - keep else char)
        else:
            out.append(c)
    return "".join(out)


def keyed_hash(entity: str, value: str, key: bytes) -> str:
    digest = hmac.new(key, f"{entity}\x00{as_read(value)}".encode(), hashlib.sha256).hexdigest()
    return f"<{entity}_{digest[:16]}>"


def replacement(entity: str, value: str, operator: Operator, *, hash_key: bytes, mask_keep: int = 4,
                mask_char: str = "*") -> str:
    """What replaces one ``value`` of ``entity`` found in an answer, as `anonymize` would write
    it (``pseudonymize`` is not for answers: nothing would restore it, so it redacts)."""
    if operator == "mask":
        return mask(value, mask_keep, mask_char)
    if operator == "hash":
        return keyed_hash(entity, value, hash_key)
    return f"<{entity}>"


def anonymize(text: str, results: list[Any], operator: Operator, *, vault: Vault,
              hash_key: bytes, mask_keep: int = 4, mask_char: str = "*") -> str:
    """Replace each of ``results`` (Presidio results; overlapping ones are replaced as one, the
    first's kind) in ``text``, as Presidio's anonymizer would with these operators (written
    here: it cost an eighth of the regex-only mode's time)."""
    spans: list[tuple[int, int, str]] = []
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if spans and r.start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], r.end), spans[-1][2])
        else:
            spans.append((r.start, r.end, r.entity_type))
    found = [(entity, text[start:end]) for start, end, entity in spans]
    if operator == "pseudonymize":
        new = vault.scrubbed(found)
    else:
        vault.remember(found)
        new = [replacement(entity, value, operator, hash_key=hash_key, mask_keep=mask_keep,
                           mask_char=mask_char) for entity, value in found]
    return rewrite(text, [(start, end, written) for (start, end, _), written in zip(spans, new)])[0]
