"""Running slow Presidio recognisers on less of the text, with the same results.

- A *gate* is something every match of a recogniser contains (``GATES``; for URLs read from
  the recogniser's own top-level domains): without a gate hit in the text it is not run.
- A recogniser is *local* when none of its patterns can match white space or an empty string,
  look across white space, or test for the start or end of the text or of a line (read from
  each pattern's parse tree; anything unknown says no). Each match then lies inside one
  white-space-free stretch, and the recogniser finds the same in a *view* that holds only some
  stretches, joined by single spaces: a neighbour that is white space and one that is the end
  of the text look the same to such a pattern.
- A recogniser is *line-local* when the same holds for line breaks instead of all white space
  (``^`` and ``$`` allowed when they mean a line's edges): each match lies inside one line, and
  it finds the same in a view of some lines joined by line breaks (credit cards, SSNs...).
- A local recogniser whose every match needs a digit runs on the view of the stretches that
  hold as many digits as its matches need at least (read from the parse trees: 13 for credit
  cards), a line-local one on the view of such lines, and one whose matches may hold one line
  break with a digit after it (UK postcodes: "SW1A\\n1AA") on the view of those lines and the
  line before each. A local gated one (URLs, IP addresses, emails) runs on the stretches that
  hold a gate hit, a line-local gated one (credit cards, SSNs) on the lines that do. Views are
  built once per call (kept on Presidio's per-call ``NlpArtifacts``).
- On a view, a pattern that needs one of some punctuation ("/" in "mm/dd/yyyy") is run only
  when the view holds one (`_narrowed`).
"""
from __future__ import annotations

import bisect
import re._constants as sre
import re._parser as sre_parse
import string
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import regex

from ...guard import REGEX_TIMEOUT
from ...timed_regex import TimedPattern, timed_compile
from .patterns import is_plain, pattern_analyze

_DIGIT_RUN = timed_compile(r"\d(?:[\- .]?\d){8}")
"""Nine digits or more, one optional separator between two: the digits of every card (13 to
19), NHS number (10), SSN and ITIN (9) are such a run. One gate for the four: its hits and
view are found once per call."""
AFTER_A_BREAK: dict[str, TimedPattern] = {
    # the inward code ("1AA"), after the optional white space in each of the pattern's forms
    "UkPostcodeRecognizer": timed_compile(r"(?i)[0-9][ABD-HJLNP-UW-Z]{2}\b"),
}
"""Gates of recognisers whose matches may hold one line break (`is_line_pair_local`), each
found after that break in every match: a match then lies in the view of the lines that hold
a hit, with the line before each (see `digit_view`)."""
GATES: dict[str, Any] = {
    "UrlRecognizer": timed_compile(r"(?i)[a-z0-9.\-]\.[a-z]|://"),
    "IpRecognizer": timed_compile(r":|(?<=\d)\.(?=\d)"),  # (a digit, a dot and a digit)
    "IbanRecognizer": timed_compile(r"(?i)(?<=[a-z]{2})\d{2}"),  # (two letters and two digits)
    "OfflineEmailRecognizer": timed_compile("@"),
    # (two hex digits, a separator and two more: "aa:bb:..", "aa-bb-..", "abcd.ef01...")
    "MacAddressRecognizer": timed_compile(r"(?i)[:.\-](?<=[0-9a-f]{2}.)(?=[0-9a-f]{2})"),
    **dict.fromkeys(("CreditCardRecognizer", "NhsRecognizer", "UsSsnRecognizer", "UsItinRecognizer"),
                    _DIGIT_RUN),
    **AFTER_A_BREAK,
}
"""Something every match of a slow Presidio recogniser contains: without it in the text the
recogniser is not run (its URL pattern alone cost a tenth of the regex-only mode). Each is
written to start with what is rarest (a colon, a dot, two digits): the rest is looked for only
there, and a hit lies in the same white-space-free stretch as it would without the rewrite.
No gate matches a line break: a hit inside a match lies in the match's line, and an earlier
hit that overlaps it instead lies in that line too."""

_TLD = timed_compile(r"\(\?:([a-z0-9\-]+)\)")
_CHARS = "".join(map(chr, range(0x3001)))
_SPACES = frozenset(c for c in _CHARS if c.isspace()) | frozenset(
    timed_compile(r"\s").findall(_CHARS))
"""Every white-space character (none lies above U+3000; a test checks)."""
_FLAGS = regex.IGNORECASE | regex.MULTILINE | regex.DOTALL | regex.UNICODE
"""Flags whose effect the reading of patterns models (not VERBOSE: `_UNREAD_FLAGS`)."""
_PYTHON_ONLY_SPACES = "\x1c\x1d\x1e\x1f"  # white space to str.split, not to \s (a test checks)
_DIGIT_STRETCH = timed_compile(r"(?<!\S)[^\s\d]*+\d\S*+")
_SPACE = timed_compile(r"\s")
_SPACE_BEFORE = timed_compile(r"\s", regex.REVERSE)


def gate_for(recognizer: Any) -> Any:
    """The gate of a Presidio recogniser (None: no gate): a compiled pattern, or a `DotGate`.
    For URLs, every pattern needs a letter, digit, dot or hyphen, a dot and one of its top-level
    domains: the gate is exactly that (the domains read from the recogniser's own patterns), so
    "e.g." or "Mr.Smith" no longer wake it; ``GATES`` has a looser one if the domains cannot be
    read."""
    gate = GATES.get(recognizer.name)
    if recognizer.name == "UrlRecognizer":
        patterns = [p.regex for p in getattr(recognizer, "patterns", [])]
        tlds = [set(_TLD.findall(p, timeout=REGEX_TIMEOUT)) for p in patterns]
        if patterns and all(tlds) and all(r"[a-z0-9.\-]{1,253}[.](?:" in p for p in patterns):
            names = sorted(set().union(*tlds), key=lambda t: (-len(t), t))
            gate = timed_compile(r"(?i)[a-z0-9.\-]\.(?:" + "|".join(map(regex.escape, names)) + ")")
            if all(name[:1].isascii() and name[:1].isalpha() for name in names):
                gate = DotGate(gate)
    return gate


class DotGate:
    """A gate whose every match is a character, a dot and then a letter (the URL gate): it is
    tried only at such dots, found with ``str.find``. A search with the pattern costs 0.1 ms
    per KB: it holds all top-level domains, and each step of a search costs as much as trying
    them. (A character that matches a letter without case is a letter to ``str.isalpha``.)"""

    def __init__(self, pattern: TimedPattern) -> None:
        self.pattern = pattern

    def finditer(self, text: str, *, timeout: float = REGEX_TIMEOUT) -> Iterator[regex.Match[str]]:
        return tried_at(self.pattern, text, self._starts(text), timeout)

    def search(self, text: str, *, timeout: float = REGEX_TIMEOUT) -> regex.Match[str] | None:
        return next(self.finditer(text, timeout=timeout), None)

    @staticmethod
    def _starts(text: str) -> Iterator[int]:
        dot = text.find(".", 1)
        while dot > 0:
            if text[dot + 1:dot + 2].isalpha():
                yield dot - 1
            dot = text.find(".", dot + 1)


def tried_at(pattern: TimedPattern, text: str, starts: Iterable[int],
             timeout: float = REGEX_TIMEOUT) -> Iterator[regex.Match[str]]:
    """What ``pattern.finditer(text)`` finds when each of its matches can only start at one of
    ``starts`` (ascending): the pattern tried at each start outside an earlier match. Within
    ``timeout`` seconds of this thread's CPU time in all, as for one search (`TimeoutError`
    otherwise: fail closed; wall time would count other threads' turns)."""
    limit = time.thread_time() + timeout
    end = 0
    for start in starts:
        if start >= end and (m := pattern.match(text, start, timeout=timeout)):
            end = m.end()
            yield m
        if time.thread_time() > limit:
            raise TimeoutError(f"pattern tried at too many places in {len(text)} characters")


# --- reading patterns ---------------------------------------------------------------------
def _parse(pattern: str, flags: int) -> Any:
    """The parse tree of ``pattern`` (Python's own parser), or None when it cannot be read, uses
    flags whose effect is not modelled here (given or inline: `_sets_unread_flags`), or syntax
    ``regex`` reads otherwise (`_nests_a_set`, `_FUZZY`)."""
    if flags & ~_FLAGS or _nests_a_set(pattern) or any(
            m["fuzzy"] for m in _FUZZY.finditer(pattern, timeout=REGEX_TIMEOUT)):
        return None
    try:
        tree = sre_parse.parse(pattern, flags & _FLAGS)
    except (sre.error, ValueError, TypeError, OverflowError):
        return None
    return None if tree.state.flags & _UNREAD_FLAGS or _sets_unread_flags(tree.data) else tree


_UNREAD_FLAGS = sre.SRE_FLAG_ASCII | sre.SRE_FLAG_VERBOSE
"""Inline flags under which a pattern is not read. ASCII: ``\\S`` matches a no-break space, which
the views read as white space (they split there). VERBOSE: a comment may hold a ``[`` that
`_FUZZY` reads as opening a class, hiding a fuzzy ``{e<=1}`` after it."""


def _sets_unread_flags(items: Any) -> bool:
    """Does a group among parse ``items`` set one of `_UNREAD_FLAGS` (``(?a:...)``, ``(?x:...)``)?"""
    for item in items:
        if isinstance(item, tuple) and item[0] is sre.SUBPATTERN and item[1][1] & _UNREAD_FLAGS:
            return True
        if isinstance(item, (tuple, list, sre_parse.SubPattern)) and _sets_unread_flags(item):
            return True
    return False


_FUZZY = timed_compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*+\]|(?P<fuzzy>\{)(?![0-9]+(?:,[0-9]*)?\}|,[0-9]+\})", regex.S)
"""An escape, a class, or a ``{`` outside a class that opens no counted repeat (``fuzzy``): ``regex``
reads ``(?:password){e<=1}`` as a fuzzy match, Python's parser as the text "{e<=1}", whose "1"
said every match needs a digit (the recogniser then ran only where digits were)."""


def _nests_a_set(pattern: str) -> bool:
    """Does a ``[`` stand inside a character class of ``pattern``? The ``regex`` module reads
    ``[[:alpha:]]`` as a POSIX class, Python's parser as the characters ``[:alph`` and a ``]``,
    so such a pattern is not read. A ``[`` anywhere else opens a class, in which a first ``]``
    (after an optional ``^``) is a character, not the end: ``([:-])`` is a colon or a hyphen.
    A ``[`` in a verbose comment may be taken for a class: that only rejects more patterns."""
    inside = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            if inside:
                return True
            inside = True
            i += 1 + pattern.startswith("^", i + 1)
            i += pattern.startswith("]", i)  # a member, not the end
            continue
        if c == "]":
            inside = False
        i += 1
    return False


def _in_class(items: list[Any], char: str) -> bool:
    """Does a parsed character class ``[...]`` match ``char``?"""
    negate = bool(items) and items[0][0] is sre.NEGATE
    code = ord(char)
    hit = False
    for op, arg in items[negate:]:
        if op is sre.LITERAL:
            hit = arg == code
        elif op is sre.RANGE:
            hit = arg[0] <= code <= arg[1]
        elif op is sre.CATEGORY:
            hit = _CATEGORIES[arg](char)
        else:
            return True  # unknown: assume the worst
        if hit:
            break
    return hit != negate


def _is_word(c: str) -> bool:
    return bool(timed_compile(r"\w").match(c))


def _is_digit(c: str) -> bool:
    return bool(timed_compile(r"\d").match(c))


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    sre.CATEGORY_SPACE: lambda c: c in _SPACES, sre.CATEGORY_NOT_SPACE: lambda c: c not in _SPACES,
    sre.CATEGORY_WORD: _is_word, sre.CATEGORY_NOT_WORD: lambda c: not _is_word(c),
    sre.CATEGORY_DIGIT: _is_digit, sre.CATEGORY_NOT_DIGIT: lambda c: not _is_digit(c),
}
_SAFE_AT = frozenset({sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY})
_LINE_EDGES = frozenset({sre.AT_BEGINNING, sre.AT_END})  # ^ and $: line edges with MULTILINE
_LINE_BREAK = frozenset("\n")


def _avoids(tree: Any, chars: frozenset[str], edges: frozenset[Any]) -> bool:
    """True when nothing in ``tree`` (a parsed sequence) can match one of ``chars`` or test for
    an edge other than ``edges``. Lookarounds are held to the same rule, back references are
    safe (their group is checked), anything not listed is not."""
    for op, arg in tree:
        if op is sre.LITERAL:
            ok = chr(arg) not in chars
        elif op is sre.IN:
            ok = not any(_in_class(arg, c) for c in chars)
        elif op is sre.AT:
            ok = arg in edges
        elif op is sre.BRANCH:
            ok = all(_avoids(branch, chars, edges) for branch in arg[1])
        elif op is sre.SUBPATTERN:
            ok = _avoids(arg[3], chars, edges)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            ok = _avoids(arg[2], chars, edges)
        elif op in (sre.ATOMIC_GROUP,):
            ok = _avoids(arg, chars, edges)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            ok = _avoids(arg[1], chars, edges)
        else:
            ok = op is sre.GROUPREF
        if not ok:
            return False
    return True


def _min_digits(tree: Any) -> int:
    """The fewest characters that only a digit can match (``[0-9]``, ``\\d``, a digit) in any
    match of ``tree`` (a parsed sequence): each is one that `count_digits` counts."""
    total = 0
    for op, arg in tree:
        if op is sre.LITERAL:
            total += chr(arg).isdigit() and chr(arg).isascii()
        elif op is sre.IN:
            total += bool(arg) and arg[0][0] is not sre.NEGATE and all(
                (o is sre.LITERAL and 48 <= a <= 57) or (o is sre.RANGE and 48 <= a[0] <= a[1] <= 57)
                or (o is sre.CATEGORY and a is sre.CATEGORY_DIGIT) for o, a in arg)
        elif op is sre.BRANCH:
            total += min(_min_digits(branch) for branch in arg[1])
        elif op is sre.SUBPATTERN:
            total += _min_digits(arg[3])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            total += arg[0] * _min_digits(arg[2])
        elif op is sre.ATOMIC_GROUP:
            total += _min_digits(arg)
    return total


def _trees(recognizer: Any) -> list[Any] | None:
    patterns = getattr(recognizer, "patterns", None)
    if not patterns:
        return None
    trees = [_parse(p.regex, recognizer.global_regex_flags or 0) for p in patterns]
    return None if any(t is None for t in trees) else trees


def is_local(recognizer: Any) -> bool:
    """Do all patterns of ``recognizer`` stay inside one white-space-free stretch (and never
    match an empty string)? Only plain Presidio pattern recognisers qualify: an overridden
    ``analyze`` may look at more than its patterns."""
    return _plain_and_all(recognizer, lambda t, flags: _avoids(t, _SPACES, _SAFE_AT))


def is_line_local(recognizer: Any) -> bool:
    """Do all patterns of ``recognizer`` stay inside one line (never match a line break, test
    for the text's edges, or ``^``/``$`` unless they mean a line's edges) and never match an
    empty string? Plain Presidio pattern recognisers only, as for `is_local`."""
    def inside_a_line(tree: Any, flags: int) -> bool:
        edges = _SAFE_AT | (_LINE_EDGES if flags & regex.MULTILINE else frozenset())
        return _avoids(tree, _LINE_BREAK, edges)

    return _plain_and_all(recognizer, inside_a_line)


def _plain_and_all(recognizer: Any, test: Callable[[Any, int], bool]) -> bool:
    from presidio_analyzer import PatternRecognizer

    trees = _trees(recognizer)
    flags = getattr(recognizer, "global_regex_flags", 0) or 0
    return (trees is not None and type(recognizer).analyze is PatternRecognizer.analyze
            and not getattr(recognizer, "deny_list", None)
            and all(test(t, flags) and t.getwidth()[0] >= 1 for t in trees))


def _breaks_once(tree: Any, after: int = 0) -> bool:
    """Can a match of ``tree`` (a parsed sequence, followed by ``after`` digits) hold one line
    break at most, and then only as a single optional character with a digit after it? Edges
    and lookarounds as in `is_local`."""
    for i, (op, arg) in enumerate(tree):
        if _avoids([(op, arg)], _LINE_BREAK, _SAFE_AT):
            continue
        rest = tree[i + 1:]
        if not _avoids(rest, _LINE_BREAK, _SAFE_AT):
            return False
        digits = _min_digits(rest) + after
        if op is sre.SUBPATTERN:
            return _breaks_once(arg[3], digits)
        if op is sre.BRANCH:
            return all(_breaks_once(branch, digits) for branch in arg[1])
        one = arg[2] if op in (sre.MAX_REPEAT, sre.POSSESSIVE_REPEAT) and arg[1] <= 1 else [(op, arg)]
        return len(one) == 1 and one[0][0] in (sre.IN, sre.LITERAL) and digits >= 1
    return True


def is_line_pair_local(recognizer: Any) -> bool:
    """Does every match of every pattern of ``recognizer`` lie in one line, or in two with one
    optional white-space character between them and a digit on the second ("SW1A\n1AA")?
    Plain Presidio pattern recognisers only, as for `is_local`."""
    return _plain_and_all(recognizer, lambda tree, flags: _breaks_once(tree))


_PUNCTUATION = frozenset(string.punctuation)  # (no case: matched as written, with or without IGNORECASE)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _needed_punctuation(tree: Any) -> frozenset[str] | None:
    """ASCII punctuation of which every match of ``tree`` (a parsed sequence) holds at least one
    character: the smallest such set read from the parts every match goes through (None: none
    found). The date patterns need "/", "-" or "."; the IP ones ":" or "."."""
    best: frozenset[str] | None = None
    for op, arg in tree:
        found: frozenset[str] | None = None
        if op is sre.LITERAL:
            found = frozenset(chr(arg)) & _PUNCTUATION or None
        elif op is sre.IN and arg and all(o is sre.LITERAL and chr(a) in _PUNCTUATION for o, a in arg):
            found = frozenset(chr(a) for _, a in arg)
        elif op is sre.SUBPATTERN:
            found = _needed_punctuation(arg[3])
        elif op is sre.ATOMIC_GROUP:
            found = _needed_punctuation(arg)
        elif op is sre.BRANCH:
            branches = [_needed_punctuation(branch) for branch in arg[1]]
            found = None if None in branches else frozenset().union(*branches)  # type: ignore[arg-type]
        elif op in _REPEATS and arg[0] >= 1:
            found = _needed_punctuation(arg[2])
        if found and (best is None or len(found) < len(best)):
            best = found
    return best


def _narrowed(recognizer: Any) -> Callable[[str], Callable[..., list[Any]]]:
    """For a plain Presidio pattern recogniser (see `is_local`): given the text it is about to
    run on, its ``analyze`` with only the patterns that can match there (a pattern that needs
    one of some punctuation is left out when the text holds none: it would find nothing).
    The narrowed ``analyze`` (`patterns.pattern_analyze`) are kept per set of punctuation found
    (at most 2 to the number of distinct needs), made when first needed; the recogniser itself
    is not changed."""
    needs = [_needed_punctuation(tree) for tree in _trees(recognizer) or []]
    distinct = list({need for need in needs if need})
    full = pattern_analyze(recognizer)
    narrowed: dict[frozenset[frozenset[str]], Callable[..., list[Any]]] = {}

    def for_text(text: str) -> Callable[..., list[Any]]:
        present = frozenset(need for need in distinct if any(c in text for c in need))
        analyze = narrowed.get(present)
        if analyze is None:
            patterns = [p for p, need in zip(recognizer.patterns, needs) if not need or need in present]
            analyze = narrowed[present] = full if len(patterns) == len(needs) else pattern_analyze(
                recognizer, patterns)
        return analyze

    return for_text if distinct else lambda text: full


def min_digits(recognizer: Any) -> int:
    """The fewest digits a match of any pattern of ``recognizer`` holds (0: unknown)."""
    trees = _trees(recognizer)
    return min(map(_min_digits, trees)) if trees is not None else 0


def needs_digit(recognizer: Any) -> bool:
    """Does every match of every pattern of ``recognizer`` hold an ASCII digit?"""
    return min_digits(recognizer) >= 1


# --- views --------------------------------------------------------------------------------
class View:
    """Some stretches of a text (white-space-free ones, or lines), joined by ``sep`` (a space,
    or a line break), and the way back to the text's offsets."""

    def __init__(self, text: str, stretches: list[tuple[int, int]], sep: str = " ") -> None:
        self.stretches = stretches
        self.text = sep.join(text[s:e] for s, e in stretches)
        self._starts: list[int] = []  # where each stretch begins in the view
        self._shift: list[int] = []  # text offset - view offset, per stretch
        pos = 0
        for s, e in stretches:
            self._starts.append(pos)
            self._shift.append(s - pos)
            pos += e - s + len(sep)

    def to_text(self, start: int, end: int) -> tuple[int, int]:
        shift = self._shift[bisect.bisect_right(self._starts, start) - 1]
        return start + shift, end + shift


def lines_around(text: str, hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The lines of ``text`` (without their line breaks) that hold ``hits`` (in order), merged. A
    hit inside the lines found last adds nothing: it is not looked for again."""
    out: list[tuple[int, int]] = []
    for s, e in hits:
        if out and out[-1][0] <= s and e <= out[-1][1]:
            continue
        end = text.find("\n", e)
        out.append((text.rfind("\n", 0, s) + 1, len(text) if end < 0 else end))
    return merged(out)


def lines_holding(text: str, sub: str) -> list[tuple[int, int]]:
    """The lines of ``text`` (without their line breaks) that hold ``sub`` (no line break in it)."""
    out: list[tuple[int, int]] = []
    at = text.find(sub)
    while at >= 0:
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        out.append((text.rfind("\n", 0, at) + 1, end))
        at = text.find(sub, end)
    return out


def stretches_around(text: str, hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The white-space-free stretches of ``text`` around ``hits`` (in order), merged. A hit
    inside the stretch found last has that stretch: it is not looked for again."""
    out: list[tuple[int, int]] = []
    for s, e in hits:
        if out and out[-1][0] <= s and e <= out[-1][1]:
            continue
        before = _SPACE_BEFORE.search(text, 0, s, timeout=REGEX_TIMEOUT)
        after = _SPACE.search(text, e, timeout=REGEX_TIMEOUT)
        out.append((before.end() if before else 0, after.start() if after else len(text)))
    return merged(out)


def merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` (in order of their starts) with the overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def call_views(text: str, artifacts: Any) -> dict[Any, Any]:
    """What is made once per call for several recognisers, such as views (kept on Presidio's
    per-call ``NlpArtifacts``; a new dict when there are none)."""
    views = getattr(artifacts, "guardlayer_views", None)
    if views is None or views["text"] is not text:
        views = {"text": text}
        if artifacts is not None:
            artifacts.guardlayer_views = views
    return views


def _gate_view(text: str, artifacts: Any, gate: Any, kind: str) -> View:
    """The view of the stretches, lines or line pairs (``kind``, as for `digit_view`) around
    the hits of ``gate``, made once per call."""
    views = call_views(text, artifacts)
    if (gate, kind) not in views:
        hits = [m.span() for m in gate.finditer(text, timeout=REGEX_TIMEOUT)]
        spans = stretches_around(text, hits) if kind == "words" else lines_around(text, hits)
        views[gate, kind] = View(text, _pairs(text, spans) if kind == "pairs" else spans,
                                 " " if kind == "words" else "\n")
    return views[gate, kind]


def _pairs(text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``lines`` (spans of whole lines) each with the line before it, merged."""
    return merged((text.rfind("\n", 0, max(s - 1, 0)) + 1, e) for s, e in lines)


def digit_view(views: dict[Any, Any], kind: str = "words", least: int = 1) -> View:
    """The view of the stretches (``kind`` "words"), of the lines ("lines"), or of the lines and
    the line before each ("pairs") of the call's text (in ``views``, see `call_views`) that hold
    ``least`` digits or more (by `count_digits`, so at least those with a ``\\d``), made once per
    call. A match in two lines with a digit on the second (`is_line_pair_local`) lies in one
    span of pairs, and none joins the end of one span to the start of the next: the line before
    a span's first line is in no span, so that first line holds no digit."""
    text = views["text"]
    if "words" not in views:
        views["words"] = _digit_stretches(text)
    if (kind, least) not in views:
        if "lines" not in views:  # the lines that hold a digit stretch
            views["lines"] = lines_around(text, views["words"])
        if kind == "pairs" and kind not in views:
            views[kind] = _pairs(text, views["lines"])
        spans = views[kind]
        if least > 1:
            if (kind, "counts") not in views:
                views[kind, "counts"] = [count_digits(text[s:e]) for s, e in spans]
            spans = [span for span, n in zip(spans, views[kind, "counts"]) if n >= least]
        views[kind, least] = View(text, spans, " " if kind == "words" else "\n")
    return views[kind, least]


def count_digits(text: str) -> int:
    """How many characters of ``text`` a ``\\d`` can match, at most (see `has_digit`)."""
    count = sum(map(str.isdecimal, text))
    return count if text.isascii() else count + sum(c > "\uffff" for c in text)


def has_digit(text: str) -> bool:
    """True when ``text`` holds a ``\\d``, and for a few more: the ``regex`` module knows digits
    beyond the Basic Multilingual Plane that Python's Unicode tables do not yet (a test checks)."""
    return any(map(str.isdecimal, text)) or (not text.isascii() and max(text, default="") > "\uffff")


def may_hold(text: str, words: tuple[str, ...]) -> bool:
    """Can a case-insensitive pattern, every match of which holds one of ``words`` (lower-case
    ASCII), match in ``text``? False only when none is in the lower-cased text. Characters that
    match an ASCII letter without case lower-case to it (the Kelvin sign to "k"), but for two,
    looked for apart: the long s, and the capital I with a dot (lower-cased to "i" and a dot)
    (a test checks)."""
    low = text.lower()
    return any(w in low for w in words) or any(
        odd in text and any(letter in w for w in words) for odd, letter in _ODD_CASES)


_ODD_CASES = (("\u017f", "s"), ("\u0130", "i"))


def _digit_stretches(text: str) -> list[tuple[int, int]]:
    """The white-space-free stretches of ``text`` that hold a digit (see `has_digit`: perhaps
    a few more, which is harmless, as nothing that needs a digit matches there). Found with
    ``str.split``, faster than the regex, unless the text holds white space to Python that is
    none to ``\\s`` (U+001C..U+001F). Only those stretches are looked up: the first place of
    one after the one before is its own, as no stretch skipped holds it (it would hold a digit)."""
    if any(c in text for c in _PYTHON_ONLY_SPACES):
        return [m.span() for m in _DIGIT_STRETCH.finditer(text, timeout=REGEX_TIMEOUT)]
    out: list[tuple[int, int]] = []
    pos = 0
    for chunk in text.split():
        if not chunk.isalpha() and has_digit(chunk):
            pos = text.find(chunk, pos)
            out.append((pos, pos + len(chunk)))
            pos += len(chunk)
    return out


def _run_on(analyze_for: Callable[[str], Callable[..., list[Any]]], view: View, *args: Any,
            **kwargs: Any) -> list[Any]:
    if not view.text:
        return []
    found = analyze_for(view.text)(view.text, *args, **kwargs)
    for result in found:
        result.start, result.end = view.to_text(result.start, result.end)
    return found


def _kind(recognizer: Any, digit: bool | None) -> str | None:
    """The view ``recognizer`` can run on: its matches' stretches ("words"), lines ("lines"),
    lines and the lines before them ("pairs"), or None (the whole text). ``digit``: every
    match needs a digit (None: it has a gate instead), for pairs the digit or the gate hit
    after the line break (gates for that are listed in ``AFTER_A_BREAK``)."""
    if digit is False:
        return None
    if is_local(recognizer):
        return "words"
    if is_line_local(recognizer):
        return "lines"
    if (digit or recognizer.name in AFTER_A_BREAK) and is_line_pair_local(recognizer):
        return "pairs"
    return None


def gated(recognizer: Any) -> Any:
    """``recognizer`` run only where its gate or its need for a digit says it can match (see
    the module's docstring). A plain Presidio pattern recogniser runs our loop of its patterns
    (`patterns.pattern_analyze`) either way; another is unchanged when neither applies."""
    gate = gate_for(recognizer)
    least = min_digits(recognizer)
    kind = _kind(recognizer, least >= 1 if gate is None else None)
    plain = is_plain(recognizer)
    analyze = pattern_analyze(recognizer) if plain else recognizer.analyze
    if gate is None and not (least and kind):
        if plain:
            recognizer.analyze = analyze
        return recognizer
    analyze_for = _narrowed(recognizer) if kind else lambda text: analyze

    def gated_analyze(text: str, entities: list[str], nlp_artifacts: Any = None,
                      *args: Any, **kwargs: Any) -> list[Any]:
        if gate is not None and kind:
            view = _gate_view(text, nlp_artifacts, gate, kind)
        elif gate is not None and not gate.search(text, timeout=REGEX_TIMEOUT):
            return []
        elif kind:  # (needs a digit)
            view = digit_view(call_views(text, nlp_artifacts), kind, least)
        else:
            return analyze(text, entities, nlp_artifacts, *args, **kwargs)
        return _run_on(analyze_for, view, entities, nlp_artifacts, *args, **kwargs)

    recognizer.analyze = gated_analyze
    return recognizer
