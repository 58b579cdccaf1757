"""Injection signatures as data: YAML rule files under ``rules/injection/`` (and the user's own),
loaded into `Signature` objects and matched against folded text with a time limit.

A rule file::

    signatures:
      - id: override.ignore-previous          # unique across all loaded files
        category: instruction_override        # any name; the shipped ones are listed in CATEGORIES
        weight: 0.9                           # in (0, 1]: how sure one match alone makes us
        pattern: 'ignore (?:all )?previous instructions'   # `regex` syntax, fuzzy allowed: (?:ignore){e<=1}
        description: optional text for humans

Patterns see folded text (lower case, homoglyphs/leetspeak/spacing undone, one space between
words), so write them in lower case with single spaces (a pattern with capital letters is
matched case-insensitively, which is slower).

A pattern may name a fragment, written ``{name}`` (see `orders.FRAGMENTS`): ``{attack_order}``
is an order typical of attacks later in the sentence or early in the next one ("... and send
...", "you are now", "reply with"), for a look-ahead after an exception for the writer's own
material: ``(?!{attack_order})`` (the exception does not hold before one). Such a pattern is
searched as an `orders.OrderedPattern`: the same matches, without reading the look-ahead again at
every near-match. An unknown name is an error naming the file, the line and the field (a
backslash before the brace makes it a literal brace).

Each pattern gets a `Prefilter` derived from it: a formula over the literals every match must
contain (the regex is skipped when the text fails it), the literals every match starts with and a
bound on a match's span. On long texts the regex then runs only in windows around those literals'
occurrences, so its cost follows the few places where a match could be, not the text's length;
it finds the same leftmost match as a search of the whole text. Fuzzy or case-blind patterns get
no prefilter and are searched whole.

Each pattern of a user's file is linted when loaded (`guardlayer.regex_lint`, which policy regex rules
use too; the shipped ones in the tests): the pattern is read, not timed, for a repeat that can
match the same text two ways ((a+)+, (\\w+\\s?)*) or two repeats that can read the same text one
after the other (\\S+@\\S+), either shown on a text that makes every way fail. Such a pattern is
refused with a `RuleFileError` naming the file, the line and the field, instead of failing closed on
every long text at check time.
"""
from __future__ import annotations

import re._constants as sre
import re._parser as sre_parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import regex
import yaml

from ...errors import RuleFileError
from ...guard import REGEX_TIMEOUT
from ...paths import shipped_rules
from ...regex_lint import backtracking_error
from ...timed_regex import TimedPattern, timed_compile
from .orders import ALWAYS, FRAGMENT, FRAGMENTS, NEVER, ORDER, OrderedPattern, expand

CATEGORIES = ("instruction_override", "persona_jailbreak", "prompt_extraction", "role_tokens",
              "exfiltration", "encoding_trick", "indirect", "hijack")
_FIELDS = {"id", "category", "weight", "pattern", "description"}
_CAPITALS = timed_compile(r"(?<!\\)[A-Z]")


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    category: str
    weight: float
    pattern: TimedPattern
    description: str = ""
    file: str = ""
    line: int = 0
    prefilter: Prefilter = field(default_factory=lambda: Prefilter())


@dataclass(frozen=True, slots=True)
class Hit:
    """One signature match in a folded text: span in that folded text."""

    signature: Signature
    start: int
    end: int
    text: str


def _node_value(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _parse_file(path: Path, linted: bool) -> list[Signature]:
    name = str(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleFileError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=name,
                            line=mark.line + 1 if mark else None) from exc
    except OSError as exc:
        raise RuleFileError(f"cannot read: {exc}", file=name) from exc
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"not UTF-8 text: {exc.reason} at byte {exc.start}", file=name) from exc
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise RuleFileError("expected a mapping with a 'signatures' list", file=name, line=root.start_mark.line + 1)
    top = {k.value: v for k, v in root.value}
    unknown = set(top) - {"signatures"}
    if unknown:
        raise RuleFileError(f"unknown key {sorted(unknown)[0]!r}", file=name, line=root.start_mark.line + 1,
                            field=sorted(unknown)[0])
    items = top.get("signatures")
    if items is None:
        return []
    if not isinstance(items, yaml.SequenceNode):
        raise RuleFileError("'signatures' must be a list", file=name, line=items.start_mark.line + 1,
                            field="signatures")
    return [_parse_rule(node, name, linted) for node in items.value]


def _parse_rule(node: yaml.Node, file: str, linted: bool) -> Signature:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise RuleFileError("each signature must be a mapping", file=file, line=line)
    fields = {k.value: (v, v.start_mark.line + 1) for k, v in node.value}
    for key, (_, at) in fields.items():
        if key not in _FIELDS:
            raise RuleFileError(f"unknown field {key!r} (allowed: {', '.join(sorted(_FIELDS))})",
                                file=file, line=at, field=key)
    for key in ("id", "category", "weight", "pattern"):
        if key not in fields:
            raise RuleFileError(f"missing field {key!r}", file=file, line=line, field=key)
    values = {k: _node_value(v) for k, (v, _) in fields.items()}
    for key in ("id", "category", "pattern"):
        if not isinstance(values[key], str) or not values[key].strip():
            raise RuleFileError(f"{key!r} must be a non-empty string", file=file, line=fields[key][1], field=key)
    weight = values["weight"]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
        raise RuleFileError(f"'weight' must be a number in (0, 1], not {weight!r}", file=file,
                            line=fields["weight"][1], field="weight")
    # Folded text is lower case; patterns with capitals (other than escapes like \W) match case-blind.
    flags = regex.IGNORECASE if _CAPITALS.search(values["pattern"], timeout=REGEX_TIMEOUT) else 0
    try:
        pattern = compile_pattern(values["pattern"], flags)
    except KeyError as exc:
        raise RuleFileError(f"unknown fragment {{{exc.args[0]}}} (known: {', '.join(f'{{{k}}}' for k in FRAGMENTS)})",
                            file=file, line=fields["pattern"][1], field="pattern") from exc
    except regex.error as exc:
        raise RuleFileError(f"bad pattern: {exc}", file=file, line=fields["pattern"][1], field="pattern") from exc
    if linted and (slow := backtracking_error(pattern.pattern, flags)):
        raise RuleFileError(slow, file=file, line=fields["pattern"][1], field="pattern")
    description = values.get("description", "")
    if not isinstance(description, str):
        raise RuleFileError("'description' must be a string", file=file, line=fields["description"][1],
                            field="description")
    return Signature(values["id"], values["category"], float(weight), pattern, description, file, line,
                     Prefilter.of(pattern.pattern, flags))


def compile_pattern(source: str, flags: int = 0) -> TimedPattern:
    """``source`` compiled with its fragments expanded: one that names a fragment becomes an
    `OrderedPattern` (searched plainly when `_fragment_uses` cannot tell how it is used).
    Raises KeyError for an unknown fragment's name and ``regex.error`` for bad syntax."""
    full = expand(source)
    if full == source:
        return timed_compile(source, flags)
    timed = timed_compile(full, flags)
    uses = _fragment_uses(source)
    if uses is None:
        return timed
    spaces, negations, chars = uses
    parity = iter(negations)
    loose = FRAGMENT.sub(lambda m: NEVER if next(parity) % 2 else ALWAYS, source)
    stop = timed_compile(f"(?r)[^{chars}]", flags) if chars else None
    return OrderedPattern(timed.compiled, timed_compile(expand(source, NEVER), flags), timed_compile(loose, flags),
                          spaces, stop, Prefilter.of(ORDER).starts)


_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
# Syntax that Python's parser would read differently from the `regex` module (which it takes as
# literal text): fuzzy constraints "{e<=1}", POSIX classes, version flags.
_REGEX_ONLY = timed_compile(r"(?<!\\)\{(?!\d+(?:,\d*)?\})|\[\[:|\(\?[^:)]*V")


@lru_cache(maxsize=256)
def _parse_pattern(pattern: str) -> sre_parse.SubPattern | None:
    """``pattern`` parsed by Python's own parser (the prefilters read it), or None for syntax only
    `regex` knows (or rejects)."""
    if _REGEX_ONLY.search(pattern, timeout=REGEX_TIMEOUT):
        return None
    try:
        return sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - anything Python's own parser rejects is read by `regex` alone
        return None


_MARK = 0xFDD0  # noncharacters U+FDD0..U+FDEF stand for a pattern's fragments while it is parsed
_MARKS = 32


def _fragment_uses(source: str) -> tuple[int, list[int], str | None] | None:
    """For a pattern naming fragments: a bound on the whitespace characters between a match
    attempt's start and any place it reads a fragment; for each fragment the number of negative
    lookarounds around it (even: the fragment holding lets more match; odd: less); and the
    characters the pattern reads forward, as the inside of a character class (None: any). None
    when that cannot be worked out (syntax Python's parser does not read, a fragment in a
    look-behind, not all of a look-ahead, in an atomic group or a possessive repeat, unbounded
    whitespace before one)."""
    count = len(FRAGMENT.findall(source, timeout=REGEX_TIMEOUT))
    if count > _MARKS:
        return None
    marks = iter(range(_MARK, _MARK + count))
    parsed = _parse_pattern(FRAGMENT.sub(lambda m: chr(next(marks)), source, timeout=REGEX_TIMEOUT))
    if parsed is None:
        return None
    found: dict[int, int] = {}
    _, before = _spaces(list(parsed), 0, False, found)
    if before is None or len(found) != count or min(found.values()) < 0:
        return None
    pieces: set[str] = set()
    chars = "".join(sorted(pieces)) if _read_chars(list(parsed), pieces) else None
    return before, [found[i] for i in range(count)], chars


_CLASSES = {sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W", sre.CATEGORY_DIGIT: r"\d",
            sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s", sre.CATEGORY_NOT_SPACE: r"\S"}


def _read_chars(items: list, pieces: set[str]) -> bool:
    """Adds to ``pieces`` the characters that ``items`` read forward (look-aheads included, not
    look-behinds or fragment marks), as parts of a character class; False when one reads any."""
    for op, arg in items:
        if op is sre.LITERAL:
            if not _MARK <= arg < _MARK + _MARKS:
                pieces.add(f"\\U{arg:08x}")
        elif op is sre.IN:
            for kind, value in arg:
                if kind is sre.LITERAL:
                    pieces.add(f"\\U{value:08x}")
                elif kind is sre.RANGE:
                    pieces.add(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
                elif kind is sre.CATEGORY and value in _CLASSES:
                    pieces.add(_CLASSES[value])
                else:
                    return False
        elif op is sre.SUBPATTERN:
            if not _read_chars(list(arg[-1]), pieces):
                return False
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if arg[0] > 0 and not _read_chars(list(arg[1]), pieces):
                return False
        elif op is sre.BRANCH:
            if not all(_read_chars(list(alt), pieces) for alt in arg[1]):
                return False
        elif op in _REPEATS:
            if not _read_chars(list(arg[2]), pieces):
                return False
        elif op not in _ALWAYS:
            return False
    return True


Spaces = tuple[int | None, int | None]
"""``(total, before)``: the most whitespace characters a match can read (look-aheads included; None:
unbounded), and the most it can read before it reaches a fragment's mark (-1: it holds none; None:
unbounded)."""


def _spaces(items: list, negations: int, behind: bool, found: dict[int, int], ahead: bool = False) -> Spaces:
    """The `Spaces` of the sequence ``items`` (``ahead``: all of a look-ahead); records in ``found``
    the negations around each fragment's mark (-1 for one that is not all of a look-ahead, or is
    in a look-behind: a fragment that reads text, or reads back, is not worked out)."""
    total: int | None = 0
    before: int | None = -1
    for op, arg in items:
        part: Spaces = (None, -1)  # anything else (atomic groups, possessive repeats...) is not entered
        if op is sre.LITERAL and _MARK <= arg < _MARK + _MARKS:
            found[arg - _MARK] = negations if ahead and len(items) == 1 and not behind else -1
            part = (0, 0)
        elif op in _CHAR:
            part = (0 if _unbroken([(op, arg)]) else 1, -1)
        elif op in _ALWAYS:
            part = (0, -1)
        elif op is sre.SUBPATTERN:
            part = _spaces(list(arg[-1]), negations, behind, found)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            inner = _spaces(list(arg[1]), negations + (op is sre.ASSERT_NOT), behind or arg[0] < 0, found, arg[0] > 0)
            part = (0, -1) if arg[0] < 0 else inner  # a look-behind reads before the start
        elif op is sre.BRANCH:
            alts = [_spaces(list(alt), negations, behind, found) for alt in arg[1]]
            marked = [b for _, b in alts if b != -1]
            part = (None if any(t is None for t, _ in alts) else max(t for t, _ in alts),  # type: ignore[type-var]
                    -1 if not marked else None if None in marked else max(marked))  # type: ignore[type-var]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            body, inside = _spaces(list(arg[2]), negations, behind, found)
            most = None if arg[1] is sre.MAXREPEAT else arg[1]
            part = (0 if body == 0 else None if body is None or most is None else body * most,
                    inside if inside in (-1, None) or body == 0 else None if body is None or most is None
                    else (most - 1) * body + inside)
        if part[1] != -1:
            before = None if total is None or part[1] is None or before is None else max(before, total + part[1])
        total = None if total is None or part[0] is None else total + part[0]
    return total, before


MIN_GATE = 2
"""Gate literals shorter than this are not worth checking (they occur almost everywhere)."""
MIN_START = 2
"""Start literals shorter than this are not used."""
INDEXED = 1024
"""Texts at least this long get a shared `TextView` (its character set and the literals found so
far), cached for the few most recent texts so that signatures and cues share it, and are searched
in windows; shorter ones are searched whole once their literal formula holds."""
_QUAD = 4  # characters in a `TextView` quad: one unsigned int ("I") of Latin-1 bytes
_ALWAYS = (sre.AT,)
_CHAR = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
_UNBROKEN = (sre.CATEGORY_WORD, sre.CATEGORY_DIGIT, sre.CATEGORY_NOT_SPACE)
# str.split() breaks at these, but `regex` does not count them as \s: they must not end a run.
_SPLIT_ONLY = str.maketrans(dict.fromkeys("\x1c\x1d\x1e\x1f", "x"))
SEARCH_COST = 200
"""One regex call costs about as much as scanning this many characters: windows closer than
this are merged, and more windows than the text can pay for make one plain search."""

Need = str | tuple[str, tuple["Need", ...]]
"""What every match of a pattern contains: a literal, ``("&", parts)`` (all of them),
``("|", alternatives)`` (one of them) or ``("any", literals)`` (one of these literals)."""
Reach = tuple[int, int]
"""A bound on how far a match attempt reads past its start: ``fixed + words * w`` characters,
where ``w`` is the length of the text's longest whitespace-free run."""


@dataclass(frozen=True, slots=True)
class Prefilter:
    """Cheap checks derived from a pattern so that its regex runs less. ``need`` is the literal
    formula every match satisfies (false for the text: no match); ``gate`` its most selective set
    of literals (every match contains one) and ``starts`` the literals every match begins with;
    ``reach`` bounds a match's span. With a reach, the regex runs only in windows around the
    occurrences of the start (or else gate) literals, merged where they overlap: the same leftmost
    match as a search of the whole text. Empty: no shortcut."""

    gate: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    need: Need | None = None
    reach: Reach | None = None

    @classmethod
    def of(cls, pattern: str, flags: int = 0) -> Prefilter:
        """The prefilter of ``pattern`` (none for case-blind patterns or syntax only `regex` knows)."""
        parsed = None if flags else _parse_pattern(pattern)
        if parsed is None or parsed.state.flags & sre.SRE_FLAG_IGNORECASE:
            return cls()
        items = list(parsed)
        need, starts = _need(items), _starts(items)
        gate = max(_options(need), key=_selectivity, default=None) if need is not None else None
        return cls(tuple(sorted(gate)) if gate else (), tuple(sorted(starts)) if starts else (), need,
                   _reach(items))

    def search(self, pattern: TimedPattern, text: str) -> regex.Match[str] | None:
        """``pattern.search(text)`` (the leftmost match), with the shortcuts."""
        view = text_view(text) if len(text) >= INDEXED else None
        has = view.has if view else text.__contains__
        # the gate (part of the formula) first: one flat check rules out most texts
        if self.gate and not any(map(has, self.gate)) or self.need is not None and not _holds(self.need, has):
            return None
        windows = self._windows(view) if view and self.reach else None
        if windows is None:
            return pattern.search(text, timeout=REGEX_TIMEOUT)
        span, margin = windows
        for lo, hi in span:
            m = pattern.search(text, lo, min(len(text), hi + margin), timeout=REGEX_TIMEOUT)
            if m and m.start() <= hi:
                return m
        return None

    def _windows(self, view: TextView) -> tuple[list[tuple[int, int]], int] | None:
        """Merged ``(lo, hi)`` ranges where a match can start and the margin past ``hi`` a search
        must see, or None when the literals are too dense for windows to pay."""
        fixed, words = self.reach  # type: ignore[misc]
        width = max(1, fixed + words * view.longest_word)
        literals = self.starts or self.gate
        if not literals:
            return None
        text, limit = view.text, len(view.text) // (2 * (2 * width + SEARCH_COST))
        found: list[tuple[int, int]] = []
        for lit in literals:
            if not view.has(lit):
                continue
            back = 0 if self.starts else width - len(lit)
            i = text.find(lit)
            while i >= 0:
                found.append((max(0, i - back), i))
                if len(found) > limit:
                    return None
                i = text.find(lit, i + 1)
        found.sort()
        margin = width + 2  # the character after the match (\b) and a "$" before a final newline
        merged: list[tuple[int, int]] = []
        for lo, hi in found:
            if merged and lo <= merged[-1][1] + margin + SEARCH_COST:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        return merged, margin


QUAD_MIN = _QUAD + 1
"""Literals at least this long can be ruled out by a `TextView`'s quads (`_quads`) ..."""
QUAD_AFTER = 16
"""... worked out once this many of them were searched for one by one (the quads of a text cost
about as much as 150 such searches, and a text whose characters let that many through lets
hundreds through; on 100 KB of noise, 12 ms of scans rather than 25)."""


class TextView:
    """A long text with what prefilters learn about it: which literals occur (remembered), its set
    of characters (a literal with another character cannot occur), the four-character pieces of a
    Latin-1 text at its even offsets (`_quads`: a literal of five or more characters none of whose
    pieces at one parity is there cannot occur; a thousand literals looked for one by one took
    15-20 ms on 100 KB of noise, the pieces 3 ms) and the length of its longest whitespace-free run
    (a bound on the runs that unbounded repeats can match)."""

    __slots__ = ("text", "_chars", "_quads", "_searches", "_known", "_longest")

    def __init__(self, text: str) -> None:
        self.text = text
        self._chars = frozenset(text)
        self._quads: frozenset[int] | None = None
        self._searches = 0  # literals searched for while there are no quads (-1: there can be none)
        self._known: dict[str, bool] = {}
        self._longest = -1

    def has(self, literal: str) -> bool:
        known = self._known.get(literal)
        if known is None:
            known = self._chars.issuperset(literal) and self._may_hold(literal) and literal in self.text
            self._known[literal] = known
        return known

    def _may_hold(self, literal: str) -> bool:
        """False when the quads rule ``literal`` (of the text's characters) out."""
        if len(literal) < QUAD_MIN or self._searches < 0:
            return True
        if self._quads is None:
            self._searches += 1
            if self._searches < QUAD_AFTER:
                return True
            self._quads = _quads(self.text)
            if self._quads is None:
                self._searches = -1
                return True
        return _quads_allow(self._quads, literal)

    @property
    def longest_word(self) -> int:
        if self._longest < 0:
            text = self.text
            if any(ch in text for ch in "\x1c\x1d\x1e\x1f"):
                text = text.translate(_SPLIT_ONLY)
            self._longest = max(map(len, text.split()), default=0)
        return self._longest


def _quads(text: str) -> frozenset[int] | None:
    """The `_QUAD` characters at each even offset of ``text``, each as the number its Latin-1 bytes
    make (None when ``text`` is not Latin-1)."""
    try:
        return frozenset(_quads_from(text.encode("latin-1"), (0, 2)))
    except UnicodeEncodeError:
        return None


def _quads_allow(quads: frozenset[int], literal: str) -> bool:
    """False when ``literal`` (`QUAD_MIN` characters or more, of a Latin-1 text's) certainly does
    not occur in the text whose `_quads` are ``quads``: wherever it starts, the text's pieces at
    even offsets cover it from its first or second character on, two characters apart."""
    return any(all(map(quads.__contains__, pieces)) for pieces in _literal_quads(literal))


@lru_cache(maxsize=4096)
def _literal_quads(literal: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The quads of ``literal`` (Latin-1) two characters apart, from its first and from its second."""
    raw = literal.encode("latin-1")
    return tuple(_quads_from(raw, (0, 2))), tuple(_quads_from(raw, (1, 3)))


def _quads_from(raw: bytes, starts: tuple[int, ...]) -> Iterator[int]:
    """The quads of ``raw`` at each of ``starts`` and every `_QUAD` bytes after it."""
    return chain.from_iterable(memoryview(raw[k:k + (len(raw) - k) // _QUAD * _QUAD]).cast("I").tolist()
                               for k in starts)


@lru_cache(maxsize=2)
def text_view(text: str) -> TextView:
    """The `TextView` of a long ``text``, shared by the calls that search it (signatures, then cues,
    text after text: few are kept, for their quads are big)."""
    return TextView(text)


def _holds(need: Need, has: Callable[[str], bool]) -> bool:
    if isinstance(need, str):
        return has(need)
    op, parts = need
    if op == "any":
        return any(map(has, parts))  # type: ignore[arg-type]
    if op == "&":
        return all(_holds(p, has) for p in parts)
    return any(_holds(p, has) for p in parts)


def gate_literals(pattern: str) -> tuple[str, ...]:
    """Literals (each at least ``MIN_GATE`` long) of which every match of ``pattern`` contains at
    least one, or ``()`` when none can be derived."""
    return Prefilter.of(pattern).gate


def _starts(items: list) -> frozenset[str] | None:
    """Literals (at least ``MIN_START`` long) with which every match of ``items`` begins (anchors
    and lookarounds read nothing: what follows them begins the match)."""
    items = [it for it in items if it[0] not in _ALWAYS and it[0] not in (sre.ASSERT, sre.ASSERT_NOT)]
    if not items:
        return None
    op, arg = items[0]
    if op is sre.LITERAL:
        run = []
        for op2, arg2 in items:
            if op2 is not sre.LITERAL:
                break
            run.append(chr(arg2))
        return frozenset(["".join(run)]) if len(run) >= MIN_START else None
    if op is sre.SUBPATTERN:
        return _starts(list(arg[-1]) + items[1:])
    if op is sre.BRANCH:
        alts = [_starts(list(alt)) for alt in arg[1]]
        return None if any(a is None for a in alts) else frozenset().union(*alts)
    return None


def _need(items: list) -> Need | None:
    """The literal formula every match of the sequence ``items`` satisfies (None: nothing known)."""
    parts: list[Need] = []
    run: list[str] = []

    def close() -> None:
        if run:
            parts.append("".join(run))
        run.clear()

    for op, arg in items:
        if op is sre.LITERAL:
            run.append(chr(arg))
            continue
        if op in _ALWAYS:
            continue
        close()
        found: Need | None = None
        if op is sre.SUBPATTERN and not arg[1] & sre.SRE_FLAG_IGNORECASE:
            found = _need(list(arg[-1]))
        elif op is sre.BRANCH:
            alts = [_need(list(alt)) for alt in arg[1]]
            if all(isinstance(a, str) for a in alts):
                found = ("any", tuple(alts))  # type: ignore[arg-type]
            elif all(a is not None for a in alts):
                found = ("|", tuple(alts))  # type: ignore[arg-type]
        elif op in _REPEATS and arg[0] >= 1:
            body = list(arg[2])
            found = chr(body[0][1]) * arg[0] if len(body) == 1 and body[0][0] is sre.LITERAL else _need(body)
        if found is not None:
            parts.append(found)
    close()
    # the most selective part first: most texts fail it and the others are not checked
    parts.sort(key=lambda p: max(map(_selectivity, _options(p)), default=(False,)), reverse=True)
    return None if not parts else parts[0] if len(parts) == 1 else ("&", tuple(parts))


def _options(need: Need) -> list[frozenset[str]]:
    """Sets of literals (each at least ``MIN_GATE`` long), each of which every match satisfying
    ``need`` contains one of."""
    if isinstance(need, str):
        return [frozenset([need])] if len(need) >= MIN_GATE else []
    op, parts = need
    if op == "&":
        return [o for p in parts for o in _options(p)]
    best = [max(_options(p), key=_selectivity, default=None) for p in parts]
    return [] if any(b is None for b in best) else [frozenset().union(*best)]  # type: ignore[arg-type]


def _reach(items: list) -> Reach | None:
    """How far a match of ``items`` (lookarounds included) can read past its start, or None when
    unbounded (an unbounded repeat of anything but one whitespace-free character class)."""
    fixed = words = 0
    for op, arg in items:
        if op in _CHAR:
            part: Reach | None = (1, 0)
        elif op in _ALWAYS:
            part = (0, 0)
        elif op is sre.SUBPATTERN:
            part = _reach(list(arg[-1]))
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            part = _reach(list(arg[1])) if arg[0] > 0 else (0, 0)  # a look-behind reads before the start
        elif op is sre.BRANCH:
            alts = [_reach(list(alt)) for alt in arg[1]]
            part = None if any(a is None for a in alts) else (max(a[0] for a in alts), max(a[1] for a in alts))  # type: ignore[index]
        elif op in _REPEATS and arg[1] is sre.MAXREPEAT:
            part = (0, 1) if _unbroken(list(arg[2])) else None
        elif op in _REPEATS:
            body = _reach(list(arg[2]))
            part = None if body is None else (body[0] * arg[1], body[1] * arg[1])
        else:
            part = None
        if part is None:
            return None
        fixed, words = fixed + part[0], words + part[1]
    return fixed, words


def _unbroken(body: list) -> bool:
    """True when ``body`` is one character class without whitespace (\\w, \\S, ``=``, ``[a-z#]``):
    its runs lie inside one whitespace-free run of the text."""
    if len(body) != 1:
        return False
    op, arg = body[0]
    if op is sre.LITERAL:
        return not chr(arg).isspace()
    if op is not sre.IN:
        return False
    for kind, value in arg:
        if kind is sre.CATEGORY and value in _UNBROKEN:
            continue
        if kind is sre.LITERAL and not chr(value).isspace():
            continue
        if kind is sre.RANGE and value[1] - value[0] < 256 and not any(
                chr(c).isspace() for c in range(value[0], value[1] + 1)):
            continue
        return False
    return True


_FREQUENT = frozenset("""a about after all also an and any are as at be been before but by can could do does
for from get give had has have he her here his how i if in into is it its just like make me more my new no
not now of on one only or other our out over say she so some such than that the their them then there these
they this those to up us was we were what when where which while who will with would you your""".split())


def _selectivity(option: frozenset[str]) -> tuple[bool, bool, int, int]:
    """How much an option narrows the texts a regex must run on: no very common English word
    among its literals first, then literals that all hold punctuation (rare in prose), then the
    longest shortest literal, then the fewest literals."""
    return (not any(lit.strip() in _FREQUENT for lit in option),
            all(any(not (ch.isalnum() or ch == " ") for ch in lit) for lit in option),
            min(map(len, option)), -len(option))


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    if not path.exists():
        raise RuleFileError("no such rule file or folder", file=str(path))
    return [path]


def load_signatures(paths: Iterable[str | Path] = (), *, shipped: bool = True) -> tuple[Signature, ...]:
    """Signatures from the shipped ``rules/injection/`` (unless ``shipped=False``) and ``paths``
    (files or folders of ``.yaml``). Ids must be unique across everything loaded. The users'
    patterns are linted (`regex_lint`); the shipped ones are linted by the test suite, not at each load."""
    sources = ([(shipped_rules("injection"), False)] if shipped else []) + [(Path(p), True) for p in paths]
    found: dict[str, Signature] = {}
    for source, linted in sources:
        for file in _files(source):
            for sig in _parse_file(file, linted):
                if sig.id in found:
                    raise RuleFileError(f"duplicate signature id {sig.id!r} (also in {found[sig.id].file})",
                                        file=str(file), line=sig.line, field="id")
                found[sig.id] = sig
    return tuple(found.values())


def scan(signatures: Iterable[Signature], text: str) -> list[Hit]:
    """The first (leftmost) match of every signature in ``text`` (folded text)."""
    hits = []
    for sig in signatures:
        m = sig.prefilter.search(sig.pattern, text)
        if m:
            hits.append(Hit(sig, m.start(), m.end(), m.group()))
    return hits
