r"""Whether a pattern's backtracking can outgrow the text it reads, decided by reading the pattern.

The injection signature files and the policy regex rules lint their patterns when loaded: a pattern
whose backtracking grows faster than the text would fail closed on every long text at check time, so
it is refused, the message naming the part at fault and a text that shows it. `slowness` reads the
pattern into an automaton (a state per character it reads) and looks for a repeat that can match the
same text two ways (exponential: ``(a+)+``, ``(a|a)*``, ``(\w+\s?)*``) and for two repeats that can
read the same text one after the other (polynomial: ``.*.*=``, ``\S+@\S+;``), each only where a text
that never lets the pattern end shows it. Nothing is timed: the verdict is the same on every run,
whatever the machine's load. `lint` gives the reason, `backtracking_error` a rule file's message.
Syntax it cannot follow (recursion, group calls, named lists) or a pattern too large to check is
refused as unchecked.

What it cannot catch:

- cost across start positions: a search tries an attempt at each position, so a pattern whose
  attempts are each linear is still quadratic on a long run it reads without matching (``\w+\s`` or
  ``[a-z]+[0-9]`` on one long word; a look-ahead such as ``(?=.*[xy])`` read again at each start). A
  literal lead or an anchor bounds that; the lint does not judge it;
- back-references, read as matching nothing: ``(a*)\1*[bc]`` passes, yet blows up on a run of ``a``;
- fuzzy constraints, dropped: the cost of approximate matching is not judged;
- characters outside its alphabet (`_CHARS`, the pattern's own characters, their cases and
  neighbours): two sets that overlap only on others are read as disjoint;
- a slow part for which its small search (`_TRIES`) finds no text that shows it.

It can also refuse a pattern that is fast: atomic groups, and possessive repeats of a group rather
than of one character or set, are read as plain ones.
"""
from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, reduce
from operator import and_, or_
from typing import Any, Literal, NamedTuple

import regex

from .guard import REGEX_TIMEOUT
from .timed_regex import timed_compile


class Slow(NamedTuple):
    """Why `lint` refuses a pattern."""

    kind: Literal["exponential", "polynomial", "unchecked"]
    detail: str


def lint(source: str, flags: int = 0) -> str | None:
    """What makes ``source`` (compiled with ``flags``) backtrack catastrophically, or None. Read
    from the pattern, not timed (see `slowness`)."""
    slow = slowness(source, flags)
    return slow and slow.detail


def backtracking_error(source: str, flags: int = 0) -> str | None:
    """The error a rule file gets for ``source`` when it fails the `lint`, or None."""
    slow = slowness(source, flags)
    if slow is None:
        return None
    if slow.kind == "unchecked":
        return f"the pattern cannot be checked for catastrophic backtracking: {slow.detail}; rewrite it without that"
    return (f"the pattern backtracks catastrophically: {slow.detail} (rewrite nested or adjacent repeats that "
            r"can match the same text, such as (a+)+, (\w+\s?)+ or [^;]*\s*$, so that each character is "
            "matched one way)")


@lru_cache(maxsize=512)
def slowness(source: str, flags: int = 0) -> Slow | None:
    """Why ``source`` backtracks catastrophically, or None. The pattern is read into an automaton
    with one state per character it reads (counted repeats of at most `_COPIED` copied, larger ones
    read as unbounded) and routes that a backtracking matcher tells apart (which repeat loops back,
    which empty branch is taken). Refused: a state that can come back to itself two ways over the
    same text ("exponential": (a+)+, (a|a)*, (\\w+\\s?)*), and two loops one after the other that
    can both read the same text, the first reaching the second on it ("polynomial": .*.*=,
    [^;]*;?\\s*$), each only where a text shows it: a run of what they read, which never lets the
    pattern end, then a character that fails every way. Lookaround bodies are checked on their own;
    syntax the lint cannot follow (recursion, named lists) is refused as unchecked. Cached."""
    reader = _Reader(source, timed_compile(source, flags).flags)  # with the pattern's own flags
    try:
        bodies = [reader.pattern()]
        chars = _alphabet(atom.text for atom in reader.atoms)
        known: dict[_Atom, int] = {}  # each set's characters, shared by the automata
        budget = [_BUDGET]
        for body in bodies:  # the pattern, then each lookaround's body (appended as found)
            nfa = _Nfa(chars, known, body)
            bodies += nfa.looks
            if found := _Search(nfa, source, budget).find():
                return found
    except _Unchecked as exc:
        return Slow("unchecked", str(exc))
    return None


_COPIED = 8
"""Counted repeats of at most this many are read copy by copy (larger ones as unbounded: a text
matched two ways by each of 9 copies already has 2**9 readings)."""
_COPIES = 2000
"""At most this many states of a counted repeat's copies (more: read as unbounded)."""
_BUDGET = 2_000_000
"""Pairs of routes the search may compare for a pattern (more: refused as too large to check; the
shipped signatures need at most 17,000)."""
_BOUND = 32
"""A repeat counted up to fewer than this many is not a loop for the polynomial search (it cannot
read a text of any length after another loop has: `_Search`)."""
_TRIES = 24
"""Pumped characters tried per finding, and texts tried after the pump to make every way fail."""
_CHARS = "".join(dict.fromkeys(
    "a1 !A_.-#\n" + string.printable + "\x00\x7f\x85\xa0\xad\u0301\u200b\u2028\u3000\ufeff"
    "éßÉΩωжЖ中あ٣²Ⅷǅ—’€\U0001f600"))
"""Characters standing for all: the pattern's sets are told apart by which of these (and of the
pattern's own characters, their cases and neighbours) they hold; the first ones show in messages."""


class _Unchecked(Exception):
    """Syntax or a size the lint cannot follow (the message says which)."""


@dataclass(frozen=True, slots=True)
class _Atom:
    """Reads one character: the source text of its set (a class, an escape, a literal), the flags."""

    text: str
    flags: int
    size: int = 1


@dataclass(frozen=True, slots=True)
class _Zero:
    """Reads nothing: an anchor, a lookaround (its ``body``), a back-reference (read as empty) or
    ``\\K``; ``can_fail``: all but ``\\K`` (the pattern cannot end through one unchecked);
    ``follow``: the only characters that can come next (an end: "" or, for ``$``, a newline)."""

    can_fail: bool
    body: Any = None
    follow: str | None = None
    size: int = 0


@dataclass(frozen=True, slots=True)
class _Seq:
    """Parts one after the other (``size``: the states they make, as for every node)."""

    items: tuple[Any, ...]
    size: int = 0


@dataclass(frozen=True, slots=True)
class _Alt:
    """Branches."""

    items: tuple[Any, ...]
    size: int = 0


@dataclass(frozen=True, slots=True)
class _Rep:
    """A repeat of ``item``, ``lo`` to ``hi`` (None: unbounded) times; ``span``: where it is in the
    pattern; ``copied``: read copy by copy (`_COPIED`)."""

    item: Any
    lo: int
    hi: int | None
    possessive: bool
    span: tuple[int, int]
    copied: bool = False
    size: int = 0


def _join(kind: type[_Seq | _Alt], items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else kind(tuple(items), sum(item.size for item in items))


def _rep(item: Any, lo: int, hi: int | None, possessive: bool, span: tuple[int, int]) -> _Rep:
    copied = hi is not None and hi <= _COPIED and hi * item.size <= _COPIES
    return _Rep(item, lo, hi, possessive, span, copied, item.size * hi if copied else item.size)


_OPENER = timed_compile(r"\?(?:(?P<group>[:>|])|(?P<look><?[=!])|P?<(?P<name>\w+)>|(?P<ref>P=\w+\))"
                        r"|(?P<call>(?:R|[-+]?\d+|&\w+|P>\w+)\))|(?P<cond>\()|(?P<comment>#[^)]*\))"
                        r"|(?P<flags>\^?[a-zA-Z01]*(?:-[a-zA-Z01]*)?)(?P<end>[:)]))")
_ESCAPE = timed_compile(r"\\(?:(?P<zero>[bBAZzmMG])|(?P<keep>K)|0[0-7]{0,2}|[0-7]{3}"
                        r"|(?P<ref>[1-9]\d?|g<[^>]*>)|(?P<list>L<)|[pP](?:\{[^}]*\}|.)|N\{[^}]*\}"
                        r"|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", regex.DOTALL)
_QUANTIFIER = timed_compile(r"(?:[*+?]|\{(?P<lo>\d*)(?:(?P<comma>,)(?P<hi>\d*))?\})(?P<mode>[?+]?)")
_FUZZY = timed_compile(r"\{[^{}eids]*[eids][^{}]*\}")
_VERBOSE, _VERSION1 = int(regex.X), int(regex.V1)
_POSIX = timed_compile(r"\[:\^?\w+:\]")
_SPACE = timed_compile(r"(?:\s|#[^\n]*)*")
_IN_SET = timed_compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|N\{([^}]*)\}|([0-7]{1,3})"
                        r"|[pP]\{[^}]*\}|[a-zA-Z]|(.))|(.)", regex.DOTALL)


class _Reader:
    """Reads `regex` syntax (version 0 or 1) into the nodes above, as far as the lint needs it:
    fuzzy constraints are dropped, atomic groups read as plain ones, conditionals as both branches."""

    def __init__(self, source: str, flags: int) -> None:
        self.source, self.at, self.flags = source, 0, int(flags)  # an int: enum flags are slow to test
        self.atoms: dict[_Atom, None] = {}

    def pattern(self) -> Any:
        node = self.alternation()
        if self.at != len(self.source):
            raise _Unchecked(f"it has an unbalanced ')' at {self.at}")
        return node

    def alternation(self) -> Any:
        branches = [self.sequence()]
        while self.source.startswith("|", self.at):
            self.at += 1
            branches.append(self.sequence())
        return _join(_Alt, branches)

    def sequence(self) -> Any:
        items = []
        while self.at < len(self.source) and self.source[self.at] not in "|)":
            start = self.at
            if (item := self.item()) is not None:
                items.append(self.repeated(item, start))
        return _join(_Seq, items or [_Seq(())])

    def item(self) -> Any:
        source, at = self.source, self.at
        if self.flags & _VERBOSE and self.skip_space():
            return None
        char = source[at]
        if char == "(":
            return self.group()
        if char == "[":
            self.at = _class_end(source, at, bool(self.flags & _VERSION1))
            return self.atom(source[at:self.at])
        if char == "\\":
            return self.escape()
        self.at += 1
        if char in "^$":
            return _Zero(True, follow="\n" if char == "$" else None)
        return self.atom("." if char == "." else regex.escape(char))

    def repeated(self, item: Any, start: int) -> Any:
        while True:
            if self.flags & _VERBOSE:
                self.skip_space()
            quantifier = _QUANTIFIER.match(self.source, self.at, timeout=REGEX_TIMEOUT)
            if quantifier and (quantifier["lo"] or quantifier["comma"] or quantifier.group()[0] != "{"):
                self.at = quantifier.end()
                lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}.get(quantifier.group()[0], (0, None))
                if quantifier["lo"] or quantifier["comma"]:
                    lo = int(quantifier["lo"] or 0)
                    hi = lo if not quantifier["comma"] else int(quantifier["hi"]) if quantifier["hi"] else None
                item = _rep(item, lo, hi, quantifier["mode"] == "+", (start, self.at))
            elif fuzzy := _FUZZY.match(self.source, self.at, timeout=REGEX_TIMEOUT):
                self.at = fuzzy.end()
            else:
                return item

    def group(self) -> Any:
        source = self.source
        if not source.startswith("?", self.at + 1):
            self.at += 1
            return self.body()
        opener = _OPENER.match(source, self.at + 1, timeout=REGEX_TIMEOUT)
        if opener is None:
            raise _Unchecked(f"it has a group the lint does not know at {self.at}")
        if opener["call"]:
            raise _Unchecked(f"it calls a group or itself ({source[self.at:opener.end()]!r})")
        self.at = opener.end()
        if opener["group"] or opener["name"]:
            return self.body()
        if opener["look"]:
            return _Zero(True, self.body())
        if opener["ref"]:
            return _Zero(True)
        if opener["comment"]:
            return None
        if opener["cond"]:  # (?(1)yes|no), (?(?=...)yes|no): either branch, or neither
            if source.startswith("?", self.at):
                self.at -= 1
                test = self.group()
            else:
                self.at = source.index(")", self.at) + 1
                test = _Zero(True)
            return _join(_Seq, [test, _join(_Alt, [self.body(), _Seq(())])])
        on, _, off = opener["flags"].lstrip("^").partition("-")
        flags = (self.flags | _flag_bits(on)) & ~_flag_bits(off)
        if opener["end"] == ")":
            self.flags = flags
            return None
        return self.body(flags)

    def body(self, flags: int | None = None) -> Any:
        outer = self.flags
        self.flags = outer if flags is None else flags
        node = self.alternation()
        if not self.source.startswith(")", self.at):
            raise _Unchecked("it has an unclosed group")
        self.at += 1
        self.flags = outer
        return node

    def escape(self) -> Any:
        token = _ESCAPE.match(self.source, self.at, timeout=REGEX_TIMEOUT)
        if token is None or token["list"]:
            raise _Unchecked(f"it uses a named list or an escape the lint does not know at {self.at}")
        self.at = token.end()
        if token["zero"] or token["ref"]:
            return _Zero(True, follow="" if token["zero"] in ("Z", "z") else None)
        return _Zero(False) if token["keep"] else self.atom(token.group())

    def atom(self, text: str) -> _Atom:
        atom = _Atom(text, self.flags)
        self.atoms[atom] = None
        return atom

    def skip_space(self) -> bool:
        start = self.at
        self.at = _SPACE.match(self.source, self.at, timeout=REGEX_TIMEOUT).end()
        return self.at > start


def _flag_bits(letters: str) -> int:
    return sum(int(getattr(regex, ch.upper(), 0)) for ch in letters.replace("V0", "").replace("V1", ""))


def _class_end(source: str, at: int, v1: bool) -> int:
    """Where the class that opens at ``at`` ends (nested sets in version 1)."""
    at += 1 + source.startswith("^", at + 1)
    at += source.startswith("]", at)
    while at < len(source):
        char = source[at]
        if char == "]":
            return at + 1
        if char == "\\":
            at += 2
        elif char == "[" and (posix := _POSIX.match(source, at, timeout=REGEX_TIMEOUT)):
            at = posix.end()
        elif char == "[" and v1:
            at = _class_end(source, at, v1)
        else:
            at += 1
    raise _Unchecked("it has an unclosed '['")


def _alphabet(texts: Iterable[str]) -> str:
    """`_CHARS` and the characters named in ``texts``, their cases and their neighbours."""
    found = dict.fromkeys(_CHARS)
    for text in texts:
        for m in _IN_SET.finditer(text, timeout=REGEX_TIMEOUT):
            if not (char := _decoded(m)):
                continue
            for near in (char, char.lower(), char.upper(), chr(max(ord(char) - 1, 0)), chr(min(ord(char) + 1, 0x10FFFF))):
                if len(near) == 1 and not 0xD800 <= ord(near) <= 0xDFFF:
                    found[near] = None
    return "".join(found)


def _decoded(m: regex.Match[str]) -> str:
    """The character an `_IN_SET` match names ("" for a set's escape such as ``\\w``)."""
    if code := m[1] or m[2] or m[3]:
        return chr(min(int(code, 16), 0x10FFFF))
    if m[4]:
        try:
            return unicodedata.lookup(m[4])
        except KeyError:
            return ""
    return chr(int(m[5], 8)) if m[5] else m[6] or m[7] or ""


Ways = dict[tuple[int, int], tuple[int, bool]]
"""``(state, mask) -> (ways, free)``: a state a part can start or end on, and the characters that can
be read there (entering it) or next (leaving it); how many ways (2: more than one) and, leaving it,
whether the pattern can end there with no anchor or lookaround to pass. A state with -1 (a mask of
every character) after it (``free``) ends the pattern."""
Frag = tuple[Ways, Ways, dict[int, tuple[int, bool]]]
"""``(first, last, empty)`` of a part: `Ways` in and out, and its ways to match nothing, by the
characters that can follow."""
_NOTHING: Frag = ({}, {}, {-1: (1, True)})


@dataclass(slots=True)
class _Route:
    to: int
    loop: tuple[int, int] | None  # the span of the repeat that loops back by it
    ways: int  # 2: more than one (through different empty branches)
    mask: int  # the characters it reads: a bit per character of the alphabet


class _Nfa:
    """The states of a pattern (one per character it reads; Glushkov's construction) and the
    routes between them, kept apart where a backtracking matcher tells them apart."""

    def __init__(self, chars: str, known: dict[_Atom, int], node: Any) -> None:
        self.chars, self.known = chars, known
        self.masks: list[int] = []
        self.routes: list[dict[tuple[int, tuple[int, int] | None, int], _Route]] = []
        self.within: list[tuple[tuple[int, int], ...]] = []  # the repeats around each state
        self.counted: dict[tuple[int, int], int] = {}  # a counted repeat read as a loop: its upper bound
        self.looks: list[Any] = []
        first, last, _ = self.part(node, ())
        self.first = list(dict.fromkeys(state for state, _ in first))
        self.ends = {state for (state, after), (_, free) in last.items() if free and after == -1}

    def part(self, node: Any, within: tuple[tuple[int, int], ...]) -> Frag:
        """The states and routes of ``node`` (``within``: the spans of the repeats around it)."""
        if isinstance(node, _Atom):
            state = len(self.masks)
            self.masks.append(self.mask(node))
            self.routes.append({})
            self.within.append(within)
            return {(state, -1): (1, True)}, {(state, -1): (1, True)}, {}
        if isinstance(node, _Zero):
            if node.body is not None:
                self.looks.append(node.body)
            follow = -1 if node.follow is None else node.follow and self.mask(_Atom(regex.escape(node.follow), 0))
            return {}, {}, {follow: (1, not node.can_fail)} if follow else {}
        if isinstance(node, _Alt):
            parts = [self.part(item, within) for item in node.items]
            return _merge(*(p[0] for p in parts)), _merge(*(p[1] for p in parts)), _merge(*(p[2] for p in parts))
        if isinstance(node, _Seq):
            out = _NOTHING
            for item in node.items:
                out = self.then(out, self.part(item, within))
            return out
        return self.repeat(node, within + (node.span,))

    def repeat(self, node: _Rep, within: tuple[tuple[int, int], ...]) -> Frag:
        """A repeat: its copies (`_COPIED`), or its item with routes from its ends back to its starts."""
        if node.copied:  # lo copies, then hi - lo nested optional ones
            out = _NOTHING
            for _ in range(node.lo):
                out = self.then(out, self.part(node.item, within))
            rest = _NOTHING
            for _ in range(node.hi - node.lo):
                first, last, empty = self.then(self.part(node.item, within), rest)
                rest = first, last, _merge(empty, _NOTHING[2])
            return self.then(out, rest)
        first, last, empty = self.part(node.item, within)
        self.link(last, first, node.span)
        if node.hi is not None:
            self.counted[node.span] = node.hi
        empty = _NOTHING[2] if node.lo == 0 else empty
        if node.possessive and isinstance(node.item, _Atom):  # left only before a character it cannot read
            (state, _), = first
            last = _restrict(last, ~self.masks[state])
            empty = {~self.masks[state]: (1, True)} if node.lo == 0 else empty
        return first, last, empty

    def then(self, a: Frag, b: Frag) -> Frag:
        """``a`` then ``b``: routes from ``a``'s ends to ``b``'s starts, and past either where it can be empty."""
        (first_a, last_a, empty_a), (first_b, last_b, empty_b) = a, b
        self.link(last_a, first_b, None)
        first = _merge(first_a, *(_restrict(first_b, mask, ways) for mask, (ways, _) in empty_a.items()))
        last = _merge(last_b, *(_restrict(last_a, mask, ways, free) for mask, (ways, free) in empty_b.items()))
        both = [(m & n, (min(2, w * v), f and g)) for m, (w, f) in empty_a.items() for n, (v, g) in empty_b.items()]
        return first, last, _merge(*({mask: ways} for mask, ways in both if mask))

    def link(self, last: Ways, first: Ways, loop: tuple[int, int] | None) -> None:
        """Routes from ``last`` to ``first`` over what both allow (``loop``: the repeat looping back by them)."""
        for (state, after), (ways, _) in last.items():
            routes = self.routes[state]
            for (to, allowed), (more, _) in first.items():
                if not (mask := self.masks[to] & after & allowed):
                    continue
                if (route := routes.get((to, loop, mask))) is None:
                    routes[to, loop, mask] = _Route(to, loop, min(2, ways * more), mask)
                else:
                    route.ways = min(2, route.ways + ways * more)

    def mask(self, atom: _Atom) -> int:
        """The characters of the alphabet that ``atom`` reads (a bit each)."""
        if (mask := self.known.get(atom)) is None:
            try:
                found = timed_compile(atom.text, atom.flags).finditer(self.chars, timeout=REGEX_TIMEOUT)
            except regex.error as exc:
                raise _Unchecked(f"the lint misread {atom.text!r} ({exc})") from exc
            mask = self.known[atom] = sum(1 << i for i in dict.fromkeys(m.start() for m in found))
        return mask

    def step(self, states: Iterable[int], char: int) -> set[int]:
        """The states reached from ``states`` on the alphabet's ``char``-th character."""
        bit = 1 << char
        return {route.to for state in states for route in self.routes[state].values() if route.mask & bit}


def _merge(*parts: dict[Any, tuple[int, bool]]) -> dict[Any, tuple[int, bool]]:
    """``parts`` in one: the ways to a key added up (2: more than one), free if free in any."""
    out: dict[Any, tuple[int, bool]] = {}
    for part in parts:
        for key, (ways, free) in part.items():
            before = out.get(key, (0, False))
            out[key] = min(2, before[0] + ways), before[1] or free
    return out


def _restrict(part: Ways, mask: int, ways: int = 1, free: bool = True) -> Ways:
    """``part`` with only ``mask`` readable at its states, ``ways`` times over (``free`` if both are)."""
    out: Ways = {}
    for (state, allowed), (n, f) in part.items():
        if allowed & mask:
            out = _merge(out, {(state, allowed & mask): (min(2, n * ways), f and free)})
    return out


def _components(nodes: Iterable[Any], after: Callable[[Any], Iterable[Any]]) -> list[list[Any]]:
    """The strongly connected components of a graph (Tarjan's, without recursion)."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    stack: list[Any] = []
    on_stack: set[Any] = set()
    out: list[list[Any]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(after(root)))]
        while work:
            node, todo = work[-1]
            for nxt in todo:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(after(nxt))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    out.append(component)
    return out


Step = tuple[Any, int]
"""``(node, mask)``: where a step of a search goes and the characters it can read."""


class _Search:
    """Looks in one `_Nfa` for a loop that reads a text two ways, then for two loops that read the
    same text one after the other, and for a text that shows it."""

    def __init__(self, nfa: _Nfa, source: str, budget: list[int]) -> None:
        self.nfa, self.source, self.budget = nfa, source, budget
        self.out = [[r.to for r in routes.values()] for routes in nfa.routes]
        self.into: list[list[int]] = [[] for _ in nfa.routes]
        for state, targets in enumerate(self.out):
            for to in targets:
                self.into[to].append(state)
        # A repeat counted up to fewer than _BOUND loops back too few times to read a text of any length
        # after another loop has (it is one for the exponential search: 2**9 readings already are many).
        short = {span for span, most in nfa.counted.items() if most < _BOUND}
        self.long = [[r for r in routes.values() if r.loop not in short] for routes in nfa.routes]

    def find(self) -> Slow | None:
        routes = [list(r.values()) for r in self.nfa.routes]
        for loop in _loops(routes):
            if found := self.two_ways(loop, routes):
                return found
        loops = _loops(self.long)
        for i, a in enumerate(loops):
            after = self.reach(a)
            for b in loops[i + 1:] + loops[:i]:
                if b[0] in after and (found := self.one_after_other(a, b)):
                    return found
        return None

    def two_ways(self, loop: list[int], routes: list[list[_Route]]) -> Slow | None:
        """Two different ways from a state of ``loop`` back to it over the same text."""
        inside = set(loop)
        graph: dict[tuple[int, int], list[tuple[tuple[int, int], int, bool]]] = {}
        todo = [(s, s) for s in loop]
        while todo:
            a, b = pair = todo.pop()
            if pair in graph:
                continue
            self.spend(len(routes[a]) * len(routes[b]))
            graph[pair] = [((r.to, t.to), r.mask & t.mask, a == b and (r is not t or r.ways > 1))
                           for r in routes[a] if r.to in inside
                           for t in routes[b] if t.to in inside and r.mask & t.mask]
            todo += [nxt for nxt, _, _ in graph[pair] if nxt not in graph]
        for component in _components(sorted(graph), lambda p: [n for n, _, _ in graph[p]]):
            members = set(component)
            forks = [(p, n, m) for p in component for n, m, fork in graph[p] if fork and n in members]

            def steps(pair: tuple[int, int]) -> list[Step]:
                return [(n, m) for n, m, _ in graph[pair] if n in members]  # noqa: B023 - used at once
            for state in sorted(p[0] for p in component if p[0] == p[1]):
                start = (state, state)
                words = [[*(_path(start, fork, steps) or []), mask, *(_path(to, start, steps) or [])]
                         for fork, to, mask in forks[:_TRIES]]
                if words and (shown := self.show(state, min(words, key=len))):
                    return Slow("exponential", f"{self.name(_outer(loop, routes))} can match the same text in "
                                               f"more than one way: on {shown}, its time grows exponentially "
                                               "with the length")
        return None

    def one_after_other(self, a: list[int], b: list[int]) -> Slow | None:
        """A text that ``a``'s loop reads round, that leads from ``a`` to ``b``, and that ``b`` reads round."""
        routes, long = self.nfa.routes, self.long
        in_a, in_b = set(a), set(b)
        if not _loop_mask(in_a, long) & _loop_mask(in_b, long):
            return None
        before_b = self.reach(b, back=True)

        def steps(node: tuple[int, int, int]) -> list[Step]:
            x, y, z = node
            self.spend(len(long[x]) * len(long[z]) + len(routes[y]))
            return [((r.to, s.to, t.to), r.mask & s.mask & t.mask)
                    for r in long[x] if r.to in in_a
                    for t in long[z] if t.to in in_b and r.mask & t.mask
                    for s in routes[y].values() if s.to in before_b and r.mask & s.mask & t.mask]
        for p in a:
            for q in b:
                word = _path((p, p, q), (p, q, q), steps)
                if word and (shown := self.show(p, word)):
                    first, second = _outer(a, long), _outer(b, long)
                    both = (f"{self.name(first)} and {self.name(second)}" if first != second else
                            f"two copies of {self.name(first)}{self.copies_in(p, first)}")
                    return Slow("polynomial", f"{both} can read the same text one after the other: on {shown}, "
                                              "its time grows with the square of the length or faster")
        return None

    def show(self, state: int, word: list[int]) -> str | None:
        """The text (described) that makes the matcher try the ways ``word`` leads round from
        ``state``: pumped, it never lets the pattern end; then a character fails them all."""
        nfa = self.nfa
        if state in nfa.ends:
            return None
        common = reduce(and_, word)
        pumps = [[c] * len(word) for c in _bits(common)[:_TRIES]] + [[_bits(m)[0] for m in word]]
        for pump in pumps:
            states = self.pumped(state, pump)
            if states is not None and (tail := self.fail(states)) is not None:
                text, lead = "".join(nfa.chars[c] for c in pump), self.lead(state)
                text = text[0] if len(set(text)) == 1 else text
                start = f"{lead!r} then {text!r} repeated" if lead else f"characters of {text!r} repeated"
                return f"{start}, then {tail!r}"
        return None

    def pumped(self, state: int, pump: list[int]) -> set[int] | None:
        """The states after ``pump`` is read again and again from ``state`` (until they repeat),
        or None when the pattern can end on the way."""
        states, seen = {state}, set()
        while (key := frozenset(states)) not in seen and len(seen) < _TRIES:
            seen.add(key)
            for char in pump:
                states = self.nfa.step(states, char)
                if states & self.nfa.ends:
                    return None
        return states

    def fail(self, states: set[int]) -> str | None:
        """A text on which every way from ``states`` fails without the pattern ending."""
        nfa = self.nfa
        todo, seen = [(frozenset(states), "")], {frozenset(states)}
        for now, text in todo:
            for char in range(len(nfa.chars)):
                nxt = nfa.step(now, char)
                if nxt & nfa.ends:
                    continue
                if not nxt:
                    return text + nfa.chars[char]
                if (key := frozenset(nxt)) not in seen and len(seen) < _TRIES:
                    seen.add(key)
                    todo.append((key, text + nfa.chars[char]))
        return None

    def lead(self, state: int) -> str:
        """A shortest text that leads the pattern's start to ``state`` (before reading it)."""
        nfa = self.nfa
        came: dict[int, int | None] = dict.fromkeys(nfa.first)
        todo = list(nfa.first)
        for at in todo:
            if at == state:
                break
            for route in nfa.routes[at].values():
                if route.to not in came:
                    came[route.to] = at
                    todo.append(route.to)
        path = []
        at = came.get(state)
        while at is not None:
            path.append(nfa.chars[_bits(nfa.masks[at])[0]])
            at = came[at]
        return "".join(reversed(path))

    def reach(self, loop: list[int], back: bool = False) -> set[int]:
        """The states reached from ``loop`` (``back``: that reach it)."""
        moves = self.into if back else self.out
        found = set(loop)
        todo = list(loop)
        for at in todo:
            for nxt in moves[at]:
                if nxt not in found:
                    found.add(nxt)
                    todo.append(nxt)
        return found

    def copies_in(self, state: int, span: tuple[int, int]) -> str:
        """Words naming the repeat around ``state`` that holds copies of the one at ``span`` (or "")."""
        around = [s for s in self.nfa.within[state] if s != span and s[0] <= span[0] and span[1] <= s[1]]
        return f" in {self.name(around[-1])}" if around else ""

    def name(self, span: tuple[int, int]) -> str:
        """The part of the pattern at ``span``, quoted (shortened) with where it starts."""
        part = self.source[span[0]:span[1]]
        return f"'{part if len(part) <= 80 else part[:60] + ' ... ' + part[-15:]}' (at {span[0]})"

    def spend(self, steps: int) -> None:
        self.budget[0] -= steps
        if self.budget[0] < 0:
            raise _Unchecked("it is too large to check")


def _loops(routes: list[list[_Route]]) -> list[list[int]]:
    """The states of each loop (a strongly connected part with a route inside), by their first."""
    parts = _components(range(len(routes)), lambda state: [r.to for r in routes[state]])
    return sorted(sorted(part) for part in parts if any(r.to in part for s in part for r in routes[s]))


def _loop_mask(inside: set[int], routes: list[list[_Route]]) -> int:
    """The characters read by the routes inside a loop."""
    return reduce(or_, (r.mask for s in inside for r in routes[s] if r.to in inside), 0)


def _outer(loop: list[int], routes: list[list[_Route]]) -> tuple[int, int]:
    """The widest repeat that loops back inside ``loop``."""
    spans = {r.loop for s in loop for r in routes[s] if r.to in loop and r.loop}
    return min(spans, key=lambda span: (span[0] - span[1], span[0]))


def _bits(mask: int) -> list[int]:
    """The characters (alphabet indexes) in ``mask``, in the alphabet's order."""
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def _path(start: Any, goal: Any, steps: Callable[[Any], list[Step]]) -> list[int] | None:
    """The masks of a shortest path from ``start`` to ``goal``, or None."""
    if start == goal:
        return []
    came: dict[Any, tuple[Any, int]] = {start: (None, 0)}
    todo = [start]
    for node in todo:
        for nxt, mask in steps(node):
            if nxt not in came:
                came[nxt] = node, mask
                if nxt == goal:
                    word = []
                    while True:
                        node, mask = came[nxt]
                        word.append(mask)
                        if node == start:
                            return word[::-1]
                        nxt = node
                todo.append(nxt)
    return None
