"""`PIIGuard`: one class for both sides of the model.

Input side: finds personal data and fails with ``fixed`` = the scrubbed text (so ``on_fail:
fix`` scrubs, ``block`` blocks, ``log`` records). Output side: puts known placeholders back
(passes with ``fixed`` = restored text) and fails when the answer holds personal data that was
not in the input, of the kinds ``output_entities`` names (``fixed`` = restored text with the new
values redacted; by default names, contact details, numbers, addresses and secrets, not dates,
places, organisations or NRPs). The chain runs it on
each tool call's arguments too, with ``ctx.value`` the parsed arguments, which it rewrites.
"""
from __future__ import annotations

import copy
import json
import logging
import os
import secrets as _random
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import regex

from ...call import SYSTEM
from ...context import Context
from ...errors import ConfigError
from ...extras import need
from ...guard import REGEX_TIMEOUT
from ...secrets import PATTERNS as SECRET_PATTERNS
from ...secrets import find_secrets, open_key_block
from ...structured.strings import (
    Unfit,
    json_escape,
    json_escapes,
    json_literals,
    json_strings,
    json_unescape,
    map_strings,
    rewrite,
)
from ...timed_regex import timed_compile
from ...verdict import MISSING, Finding, Verdict
from . import engine
from .operators import NAME_CHAR, Operator, Vault, anonymize, replacement
from .recent import Recent
from .recognizers import load_yaml_recognizers
from .results import GENERAL_ENTITIES, agreed, merge_overlaps, tidy, without
from .spellings import Moves, normalised

# the start of a placeholder that the end cuts, in any of the forms `PLACEHOLDER` reads: perhaps
# blanks inside, an HTML escape of a bracket cut short ("&l", "&lt;PERSON_1&g"), JSON escapes
_PARTIAL_PLACEHOLDER = timed_compile(
    rf"(?:(?:<|\\u003[cC]|&(?:lt?;?)?)[ \t]{{0,2}}(?:{NAME_CHAR}+[ \t]{{0,2}}(?:&(?:gt?)?)?)?)?"
    rf"(?:\\(?:u[0-9a-fA-F]{{0,3}})?)?\Z")
# a text that begins as JSON does (an object or an array), perhaps still growing in a stream
_JSON_START = timed_compile(r"\s*(?:\{\s*(?:[\"}]|\Z)|\[\s*(?:[\[{\"\]0-9-]|true|false|null|\Z))")
# a fenced block with no language or json, to its closing fence or (still open in a stream) the end
# (each run of blanks read one way: "```[ \t]*(?:json)?[ \t]*" splits a run at every place)
_FENCED = timed_compile(r"^[ \t]*+```[ \t]*+(?:json[ \t]*+)?\n(.*?)(?:^[ \t]*+```|\Z)", regex.M | regex.S | regex.I)
_NUMBER = timed_compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_CHARS = frozenset("0123456789+-.eE")
_PROCESS_KEY = _random.token_bytes(32)
HASH_KEY_ENV = "GUARDLAYER_PII_HASH_KEY"


class PIIGuard:
    """Find personal data with Presidio (spaCy NER + patterns); scrub it, restore it, catch leaks.

    ``mode="regex"`` skips NER (fast; people only after a cue or by a listed given name and
    surname, `names`; places only after a cue or as countries). ``entities`` limits what is looked
    for, ``exclude_entities`` drops types; ``threshold``/``thresholds`` set the minimum score
    (per entity); ``allow`` lists values never flagged, ``deny`` maps an entity to words always
    flagged; ``context`` adds words that raise scores; ``recognizers`` are YAML files in
    Presidio's recogniser format. ``memory="session"`` keeps pseudonyms in ``Scope.state`` so
    ``<PERSON_1>`` means the same person across a session's calls. ``vague_dates=True`` also
    flags what spaCy calls a date without naming a day or time ("today", "a year", "the 60s").
    The analyses of the last ``recent`` distinct texts are kept (0: none), so that a chat's
    history, sent again with every turn, is analysed once.

    On the output side, ``output_entities`` says which kinds of new personal data (found in the
    answer, not in the input) are flagged: by default every kind looked for but the general
    ones in `GENERAL_ENTITIES` (dates and times, places, organisations, NRP), which ordinary
    answers are full of ("open Monday to Friday", "Paris is the capital of France"); so names,
    contact details, addresses, card, account and government numbers and secrets are. When
    ``entities`` is given, all of them are flagged; ``"all"`` flags every kind; a list, those.
    Placeholders are put back whatever it says.
    """

    on_fail = "fix"  # scrub the prompt, redact a leak; "block" or "log" when placed so
    restores = True  # on output it puts originals back: the chain keeps it after re-asking guards
    tool_arguments = True  # on output it also restores and redacts tool calls' arguments
    assistant_turns = True  # the originals restored into earlier answers go back with the history
    system_turns = True  # personal data in a system prompt leaves the process as well (its
    # identifying kinds only, as in answers: a prompt's company, places and dates stay)
    offload = True  # ms per KB of CPU: async chains run it in a worker thread, off the event loop

    def __init__(self, *, operator: Operator = "pseudonymize",
                 mode: Literal["ner", "regex"] = "ner", model: str | Path = engine.DEFAULT_MODEL,
                 entities: list[str] | None = None, exclude_entities: list[str] | None = None,
                 threshold: float = 0.4, thresholds: dict[str, float] | None = None,
                 allow: list[str] | None = None, deny: dict[str, list[str]] | None = None,
                 context: list[str] | None = None, recognizers: list[str | Path] | None = None,
                 memory: Literal["call", "session"] = "call", hash_key: str | None = None,
                 mask_keep: int = 4, mask_char: str = "*", holdback: int = 64,
                 vague_dates: bool = False, recent: int = 512,
                 output_entities: list[str] | Literal["all"] | None = None, name: str = "pii") -> None:
        need("presidio_analyzer", "pii", "the pii guard")
        if operator not in ("redact", "mask", "hash", "pseudonymize"):
            raise ConfigError(f"unknown operator {operator!r}: redact | mask | hash | pseudonymize")
        if mode not in ("ner", "regex"):
            raise ConfigError(f"unknown mode {mode!r}: ner | regex")
        if memory not in ("call", "session"):
            raise ConfigError(f"unknown memory {memory!r}: call | session")
        for value in [threshold, *(thresholds or {}).values()]:
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"PII score thresholds must be in [0, 1], got {value}")
        if isinstance(output_entities, str) and output_entities != "all":
            raise ConfigError(f"output_entities must be 'all' or a list of entities, not {output_entities!r}")
        listed = None if output_entities in (None, "all") else frozenset(output_entities or ())
        if listed is not None and entities and (never := listed - set(entities)):
            raise ConfigError(f"output_entities {sorted(never)} are not in entities {list(entities)}: "
                              "they would never be found")
        if len(mask_char) != 1 or mask_keep < 0 or holdback < 0 or recent < 0:
            raise ConfigError("mask_char must be one character; mask_keep, holdback, recent >= 0")
        self.name = name
        self.operator: Operator = operator
        self.model = str(model) if mode == "ner" else None  # a package name or a pipeline's folder
        self.entities = list(entities) if entities else None
        self.exclude = set(exclude_entities or ())
        self.threshold = threshold
        self.thresholds = dict(thresholds or {})
        self.allow = list(allow or ())
        self.context = list(context or ())
        self.memory = memory
        self.mask_keep, self.mask_char = mask_keep, mask_char
        self.holdback = holdback
        self.vague_dates = vague_dates
        self.output_entities: frozenset[str] | Literal["all"] | None = (
            listed if listed is not None else "all" if output_entities == "all" or entities else None)
        key = hash_key or os.environ.get(HASH_KEY_ENV)
        self._hash_key = key.encode() if key else _PROCESS_KEY
        self._ad_hoc = engine.fail_closed(load_yaml_recognizers(recognizers or ()) + self._deny_recognizers(deny))
        self._engine = engine.analyzer(self.model)  # built once per process, shared
        self._recent = Recent(recent)

    @staticmethod
    def _deny_recognizers(deny: dict[str, list[str]] | None) -> list[Any]:
        from presidio_analyzer import PatternRecognizer

        return [PatternRecognizer(supported_entity=entity, deny_list=list(words),
                                  name=f"deny_{entity}")
                for entity, words in (deny or {}).items() if words]

    # --- detection --------------------------------------------------------------------------
    def analyze(self, text: str, side: Literal["input", "output"] = "input") -> list[Any]:
        """Presidio results above threshold, overlaps merged, ordered by position, found in the
        text as `spellings.normalised` reads it (full-width digits, no-break spaces, escaped
        characters) and placed where the values stand as written. Excluded types are dropped
        before overlaps are merged, with the guesses and general kinds inside them (`without`):
        an email inside an excluded URL is still found. A long text is analysed in overlapping
        `pieces`; the results of the last ``recent`` texts are kept (`Recent`: Presidio's, which
        both sides share, and each side's). On the output side precision counts more (a false
        find garbles an answer): names found by the names lists alone, not by spaCy, are left
        (`results.agreed`: "Morgan Stanley", "Santa Barbara"), and so are one-word firms and
        places that are given names."""
        if side not in ("input", "output"):
            raise ValueError(f"side must be 'input' or 'output', not {side!r}")
        output = side == "output"
        return self._recent.analysed(text, lambda t: self._analyze(t, output=output), side)

    def _analyze(self, text: str, *, output: bool = False) -> list[Any]:
        spelling = normalised(text)
        read = spelling.text
        kept = self._recent.analysed(read, self._found, "found")  # (once for both sides)
        kept = agreed(kept) if output else kept
        found = merge_overlaps(without(tidy(read, kept, vague_dates=self.vague_dates, relabel=not output),
                                       self._wanted))
        found = [r for r in found if read[r.start:r.end] not in self.allow]
        if spelling.moves is None:
            return found
        for r in found:
            r.start, r.end = spelling.span_back(r.start, r.end)
        return merge_overlaps([r for r in found if text[r.start:r.end] not in self.allow])

    def _found(self, read: str) -> list[Any]:
        """Presidio's results above threshold on ``read``, a normalised text, analysed in pieces."""
        results = []
        for piece in pieces(read, PIECE_CHARS, whole=_key_blocks(read) if len(read) > PIECE_CHARS else ()):
            for r in self._analyze_piece(read[piece.start:piece.end]):
                r.start, r.end = r.start + piece.start, r.end + piece.start
                if piece.owns(r.start):
                    results.append(r)
        return [r for r in results if r.score >= self.thresholds.get(r.entity_type, self.threshold)]

    def _analyze_piece(self, piece: str) -> list[Any]:
        """Presidio's results on one piece (a pattern's time-out is tried again there on this
        thread's own time, `timed_regex`; one that times out still fails the check)."""
        return self._engine.analyze(piece, language="en", entities=self.entities,
                                    ad_hoc_recognizers=self._ad_hoc or None,
                                    context=self.context or None, allow_list=self.allow or None)

    def _wanted(self, entity: str) -> bool:
        return entity not in self.exclude and (self.entities is None or entity in self.entities)

    def _identifying(self, entity: str) -> bool:
        """Is personal data of ``entity`` replaced in the application's own text, new data in an
        answer or a system prompt's (``output_entities``)?"""
        if self.output_entities is None:
            return entity not in GENERAL_ENTITIES
        return self.output_entities == "all" or entity in self.output_entities

    def _vault(self, ctx: Context) -> Vault:
        key = f"guardlayer.pii.{self.name}"
        if self.memory == "session":
            if ctx.scope.session is None:  # a throwaway scope would quietly make it per call
                raise ConfigError("pii memory='session' needs a session: make the calls inside "
                                  "`with guardlayer.scope(session=...)`")
            return ctx.scope.state.setdefault(key, Vault())
        return ctx.slot(key, Vault)

    def _replace(self, text: str, results: list[Any], vault: Vault, operator: Operator) -> str:
        return anonymize(text, results, operator, vault=vault, hash_key=self._hash_key,
                         mask_keep=self.mask_keep, mask_char=self.mask_char)

    # --- the protocol ----------------------------------------------------------------------
    def check(self, text: str, ctx: Context) -> Verdict:
        vault = self._vault(ctx)
        if ctx.side == "output":
            return self._check_output(text, vault, ctx.value)
        vault.reserve(text)  # a placeholder the text already holds is not handed out again
        results = self.analyze(text)
        if ctx.source == SYSTEM:  # the application's own prompt: only what identifies someone
            results = [r for r in results if self._identifying(r.entity_type)]
        if not results:
            return Verdict.ok()
        scrubbed = self._replace(text, results, vault, self.operator)
        return Verdict.fail(_reason("personal data in the input", results),
                            score=max(r.score for r in results), fixed=scrubbed,
                            findings=_findings(results), meta={"operator": self.operator})

    def _check_output(self, text: str, vault: Vault, value: Any) -> Verdict:
        """Originals put back and new personal data replaced, in the text and in the value an
        earlier guard parsed from it (a JSON answer's fields, a tool call's arguments), which is
        returned instead. One analysis covers both (`_new_in_answer`).

        A JSON text (one with a value, or one that begins as JSON does) stays valid JSON: what
        is put in its string literals is JSON-escaped (an original, a placeholder, a mask), and
        a number with personal data in it becomes a string, in the text as in the value
        (``4111111111111111`` -> ``"<CREDIT_CARD>"``): a placeholder, a mask or a hash is not a
        number, and the number must not be left."""
        regions, found, literals = _json_of(text, value)
        restored, moves = vault.rewrite(text, literals)
        spans = [(a, b) for _, _, a, b in moves]
        into = Moves(moves)
        regions, literals = into.spans_forth(regions), into.spans_forth(literals)  # in ``restored``
        if value is MISSING:
            new = results = self._new(restored, spans, vault, _blanked(restored, literals))
            leaked: dict[str, Any] = {}
        else:
            new, leaked, results = self._new_in_answer(text, found, moves, value, vault)
        meta = {"restored": len(spans)}
        if not results:
            try:
                return Verdict.ok(fixed=restored if spans else None, meta=meta,
                                  **_changed(value, lambda s: vault.restore(s, escaped=False)[0]))
            except Unfit as exc:
                return Verdict.fail(f"the originals cannot be put back in the parsed answer: {exc}",
                                    meta={**meta, "unfit": True})
        operator: Operator = "redact" if self.operator == "pseudonymize" else self.operator

        def write(r: Any, original: str) -> str:
            return replacement(r.entity_type, original, operator, hash_key=self._hash_key,
                               mask_keep=self.mask_keep, mask_char=self.mask_char)
        fixed = _redacted(restored, new, literals, regions, write)
        replaced = {original: write(r, original) for original, r in leaked.items()}

        # a value found is not redacted out of a longer word or number ("jo<EMAIL_ADDRESS>.invalid",
        # "9<CREDIT_CARD>5") nor inside a placeholder: a value that begins or ends with a digit
        # must have no digit beside it there, one with an ASCII letter no such letter or digit
        # ("order_", "server_" and "联系邮箱" before it are fine)
        leaks = timed_compile("|".join(_alone(original) for original in sorted(replaced, key=len, reverse=True)))

        def redact(s: str) -> str:
            return leaks.sub(lambda m: replaced[m.group()], vault.restore(s, escaped=False)[0],
                             timeout=REGEX_TIMEOUT)
        reason = _reason("personal data in the answer that was not in the input", results)
        findings = _findings([_moved(r, into.back(r.start), into.back(r.end, end=True)) for r in new])
        try:
            changed = _changed(value, redact, numbers=True)
            if value is MISSING and _keys_twice(fixed) > _keys_twice(restored):
                raise Unfit("two keys of an object would become one")
        except Unfit as exc:  # nothing to fix with: the chain blocks (or falls back)
            return Verdict.fail(f"{reason}; it cannot be {operator}ed in the answer: {exc}",
                                score=max(r.score for r in results), findings=findings,
                                meta={**meta, "operator": operator, "unfit": True})
        return Verdict.fail(reason, score=max(r.score for r in results), fixed=fixed, **changed,
                            findings=findings, meta={**meta, "operator": operator})

    def _new(self, restored: str, spans: list[tuple[int, int]], vault: Vault,
             read: str | None = None) -> list[Any]:
        """Personal data in ``restored`` that the input did not hold (``spans``: restored values;
        ``read``: what to analyse in its place, of its length)."""
        read = restored if read is None else read
        return [r for r in (self.analyze(read, "output") if read.strip() else ())
                if self._identifying(r.entity_type)
                and not vault.known(r.entity_type, restored[r.start:r.end])
                and not any(r.start < e and s < r.end for s, e in spans)]

    def _new_in_answer(self, text: str, found: list[tuple[int, int, str]],
                       moves: list[tuple[int, int, int, int]], value: Any,
                       vault: Vault) -> tuple[list[Any], dict[str, Any], list[Any]]:
        """New personal data in an answer ``text`` (``found``: its `json_strings`; ``moves``: as
        `Vault.rewrite` restored it) and in the ``value`` parsed from it, found by one analysis.
        Returns the findings in the text restored; each value found, cut to the string of
        ``value`` it is in -> its result; and all the results.

        The value's strings are analysed restored, two blank lines apart (in JSON text a
        multi-line address, an escaped name or a placeholder written "\\u003cEMAIL_ADDRESS_1\\u003e"
        reads differently from the string it encodes), and after them the rest of the text: all
        of it but the contents of the JSON strings (not keys) that spell the value's strings;
        what is found in those strings is mapped into the text, where they stand."""
        strings: list[str] = []
        map_strings(value, lambda s: strings.append(s) or s)
        parts = [vault.rewrite(s, escaped=False) for s in strings]
        rest, cut, spelled = _rest(text, found, strings)
        rest_restored, rest_moves = vault.rewrite(rest)
        doc, doc_spans, bounds = _joined([*parts, (rest_restored, rest_moves)])
        results = self._new(doc, doc_spans, vault)
        into, rest_start = Moves(moves), bounds[-1][0]
        back = [Moves(rest_moves), Moves(cut)]
        new: list[Any] = []
        leaked: dict[str, Any] = {}
        for r in results:
            if r.start >= rest_start:  # in the rest of the text
                leaked[doc[r.start:r.end]] = r
                a, b = r.start - rest_start, r.end - rest_start
                for m in back:
                    a, b = m.back(a), m.back(b, end=True)
                new.append(_moved(r, into.forth(a), into.forth(b, end=True)))
                continue
            for i in range(max(bisect_right(bounds, (r.start, r.start)) - 1, 0), len(bounds) - 1):
                if bounds[i][0] >= r.end:
                    break
                a, b = max(r.start, bounds[i][0]), min(r.end, bounds[i][1])
                if not doc[a:b].strip():
                    continue
                leaked[doc[a:b]] = r
                if i in spelled:  # where the string stands in the text
                    start, end = spelled[i]
                    a, b = _in_literal(a - bounds[i][0], b - bounds[i][0], parts[i][1], text[start:end])
                    new.append(_moved(r, into.forth(start + a), into.forth(start + b, end=True)))
        return merge_overlaps(new), leaked, results

    def safe_boundary(self, text: str) -> int:
        """Where a streamed prefix may be cut: never inside a placeholder such as ``<PER``, nor
        inside a private-key block whose END line has not arrived yet."""
        tail_start = max(0, len(text) - self.holdback)
        m = _PARTIAL_PLACEHOLDER.search(text, tail_start, timeout=REGEX_TIMEOUT)
        return min(m.start() if m else len(text), open_key_block(text))


_log = logging.getLogger("guardlayer")
_APART = "\n\n\n"  # between the strings of a parsed value analysed as one text
PIECE_CHARS = 20_000
"""Longer texts are analysed in pieces of at most this many characters (see `pieces`): each
scan of a piece stays far inside its regex time limit (a recogniser's slowest calls on 20 KB
take ~25 ms, against 0.2 s; on 100 KB they took up to 0.15 s and timed out under load), and
spaCy inside its length limit (a million characters)."""
PIECE_OVERLAP = 1_000
"""How far consecutive pieces overlap: a value up to half of it long (an IBAN, a card, an
address over lines) that a cut goes through is found whole in one of them."""


class Piece(NamedTuple):
    """A piece of a text to analyse, ``text[start:end]``, and the part it answers for: results
    that start in ``[first, last)`` (the middle of each overlap divides it)."""

    start: int
    end: int
    first: int
    last: int

    def owns(self, at: int) -> bool:
        return self.first <= at < self.last


def pieces(text: str, size: int, overlap: int = PIECE_OVERLAP,
           whole: Sequence[tuple[int, int]] = ()) -> list[Piece]:
    """Pieces that cover ``text``, each at most ``size`` long, cut after the last paragraph
    break in a piece's second half, else the last line break, else the last space (else at
    ``size``), but never inside one of the spans ``whole`` (a private key longer than the
    overlap): before it instead, unless it starts in the piece's first ``overlap`` characters
    (then it is longer than ``size`` less the overlap: cut as found); each after the first starts
    ``overlap`` (at most a quarter of ``size``) before the previous one's end, and each result is
    kept from one piece only (`Piece.owns`)."""
    overlap = min(overlap, size // 4)
    spans, start, first = [], 0, 0
    starts = [a for a, _ in whole]
    while len(text) - start > size:
        end = start + size
        for sep in ("\n\n", "\n", " "):
            at = text.rfind(sep, start + size // 2, end)
            if at >= 0:
                end = at + len(sep)
                break
        i = bisect_left(starts, end) - 1
        if i >= 0 and end < whole[i][1] and whole[i][0] > start + overlap:
            end = whole[i][0]
        middle = end - overlap // 2
        spans.append(Piece(start, end, first, middle))
        start, first = end - overlap, middle
    spans.append(Piece(start, len(text), first, len(text) + 1))
    return spans


_KEY_PATTERNS = tuple(p for p in SECRET_PATTERNS if p.id in ("private_key", "private_key_cut"))


def _key_blocks(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds private-key blocks (PEM, perhaps without an END line), in order."""
    return [(f.start, f.end) for f in find_secrets(text, _KEY_PATTERNS)]


def _changed(value: Any, fn: Callable[[str], str], *, numbers: bool = False) -> dict[str, Any]:
    """``{"value": ...}``: ``value`` (a parsed answer, or MISSING) with ``fn`` applied to its
    strings (and numbers: `map_strings`); nothing when there is no value."""
    return {"value": map_strings(value, fn, numbers=numbers)} if value is not MISSING else {}


def _json_of(text: str, value: Any
             ) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]], list[tuple[int, int]]]:
    """Where ``text`` is JSON: all of it when it begins as JSON does, else its fenced blocks
    (``json`` or no language) that do, each to its closing fence or, open in a stream, the end;
    all of it when none does but a ``value`` was parsed from it. Also its `json_strings` when it
    has a value, and where the contents of the string literals in those parts stand."""
    found = json_strings(text) if value is not MISSING else []
    if _JSON_START.match(text, timeout=REGEX_TIMEOUT):
        regions = [(0, len(text))]
    else:
        regions = [m.span(1) for m in (_FENCED.finditer(text, timeout=REGEX_TIMEOUT) if "```" in text else ())
                   if _JSON_START.match(m.group(1), timeout=REGEX_TIMEOUT)]
        regions = regions or ([(0, len(text))] if value is not MISSING else [])
    if value is not MISSING and regions == [(0, len(text))]:
        return regions, found, [(a, b) for a, b, _ in found]
    return regions, found, [(a + start, b + start) for start, end in regions for a, b in json_literals(text[start:end])]


def _keys_twice(text: str) -> int:
    """How many objects of the JSON in ``text`` (see `_json_of`; JSON that does not parse counts
    none) hold a key twice: a reader keeps one of them."""
    twice = 0

    def count(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal twice
        twice += len({key for key, _ in pairs}) < len(pairs)
        return {}
    for start, end in _json_of(text, MISSING)[0]:
        try:
            json.loads(text[start:end], object_pairs_hook=count)
        except (ValueError, RecursionError):
            pass
    return twice


def _blanked(text: str, literals: list[tuple[int, int]]) -> str:
    """``text`` to analyse, with each escape in its JSON string literals (``literals``) that
    writes no letter or digit (``\\n``, ``\\"``, an emoji's surrogate pair) as spaces of its
    length: no finder reads ``nbob@example.org`` out of ``\\nbob@example.org``."""
    edits = []
    for a, b in literals:
        if "\\" in (contents := text[a:b]):
            edits += [(a + x, a + y, " " * (y - x)) for x, y in json_escapes(contents)
                      if not json_unescape(contents[x:y]).isalnum()]
    return rewrite(text, edits)[0] if edits else text


def _redacted(text: str, results: list[Any], literals: list[tuple[int, int]], regions: list[tuple[int, int]],
              write: Callable[[Any, str], str]) -> str:
    """``text`` with each of ``results`` replaced by ``write(result, value)``. In a JSON string
    literal (``literals``: where their contents stand, in order) see `_in_string`; in JSON
    (``regions``) one in a number makes the whole number a string, and one across literals is
    replaced in each, the JSON between them kept; elsewhere it is replaced as it stands."""
    starts, edits = [a for a, _ in literals], []
    for r in results:
        i = bisect_right(starts, r.start) - 1
        in_json = any(a <= r.start and r.end <= b for a, b in regions)
        across = [(a, b) for a, b in literals[max(i, 0):bisect_left(starts, r.end)]
                  if max(a, r.start) < min(b, r.end)] if in_json else []
        if i >= 0 and r.end <= literals[i][1]:
            edits.append(_in_string(text, r.start, r.end, literals[i], r, write))
        elif in_json and (number := _number(text, r.start, r.end)):
            a, b = number
            string = text[a:r.start] + write(r, text[r.start:r.end]) + text[r.end:b]
            edits.append((a, b, json.dumps(string, ensure_ascii=False)))
        elif across:
            edits += [_in_string(text, max(a, r.start), min(b, r.end), (a, b), r, write) for a, b in across]
        else:
            edits.append((r.start, r.end, write(r, text[r.start:r.end])))
    kept: list[tuple[int, int, str]] = []
    for edit in sorted(edits):  # (grown over one escape or number, two may overlap: one covers both)
        if kept and edit[0] < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(kept[-1][1], edit[1]), kept[-1][2])
        else:
            kept.append(edit)
    return rewrite(text, kept)[0]


def _in_string(text: str, start: int, end: int, literal: tuple[int, int], r: Any,
               write: Callable[[Any, str], str]) -> tuple[int, int, str]:
    """The edit that replaces ``text[start:end]`` (found as ``r``) in the string ``literal``
    (where its contents stand): over whole escapes, the value read unescaped, what replaces it
    written escaped."""
    a, b = literal
    for x, y in json_escapes(text[a:b]) if "\\" in text[a:b] else ():
        start = a + x if a + x < start < a + y else start
        end = a + y if a + x < end < a + y else end
    return start, end, json_escape(write(r, json_unescape(text[start:end])))


def _number(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the JSON number stands that holds ``text[start:end]``, if it is a value in JSON
    text: after a colon, a comma, a bracket or nothing; before a comma, a closing bracket or
    nothing (a stream's end)."""
    while start > 0 and text[start - 1] in _NUMBER_CHARS:
        start -= 1
    while end < len(text) and text[end] in _NUMBER_CHARS:
        end += 1
    before, after = start, end
    while before > 0 and text[before - 1] in " \t\r\n":
        before -= 1
    while after < len(text) and text[after] in " \t\r\n":
        after += 1
    placed = text[before - 1:before] in ("", ":", ",", "[") and text[after:after + 1] in ("", ",", "]", "}")
    return (start, end) if placed and _NUMBER.fullmatch(text, start, end, timeout=REGEX_TIMEOUT) else None


def _rest(text: str, found: list[tuple[int, int, str]], strings: list[str]
          ) -> tuple[str, list[tuple[int, int, int, int]], dict[int, tuple[int, int]]]:
    """``text`` without the contents of its JSON strings (``found``) that spell one of ``strings`` (each of
    ``strings`` taken by one at most; keys are kept: their words give numbers their context); the
    cuts made (see `Moves`); and, by index in ``strings``, where the contents that spell it stand
    in ``text``."""
    waiting: dict[str, list[int]] = {}  # string -> its indexes, the first last
    for i in range(len(strings) - 1, -1, -1):
        waiting.setdefault(strings[i], []).append(i)
    parts, cuts, spelled, at, gone = [], [], {}, 0, 0
    for start, end, string in found:
        if not waiting.get(string) or _is_key(text, end + 1):
            continue
        spelled[waiting[string].pop()] = (start, end)
        parts.append(text[at:start])
        cuts.append((start, end, start - gone, start - gone))
        gone += end - start
        at = end
    return "".join(parts) + text[at:], cuts, spelled


def _is_key(text: str, at: int) -> bool:
    """Whether the first character at or after ``at`` that is not white space is a colon."""
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return text[at:at + 1] == ":"


def _in_literal(start: int, end: int, restored: list[tuple[int, int, int, int]],
                contents: str) -> tuple[int, int]:
    """A span in a string restored (``restored``: the moves of `Vault.rewrite`) as a span in
    ``contents``, the JSON text that spells the string."""
    unescaped, shift = [], 0
    for a, b in json_escapes(contents) if "\\" in contents else ():
        unescaped.append((a, b, a - shift, a - shift + 1))
        shift += b - a - 1
    for moves in (Moves(restored), Moves(unescaped)):
        start, end = moves.back(start), moves.back(end, end=True)
    return start, end


def _joined(parts: list[tuple[str, list[tuple[int, int, int, int]]]]
            ) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """Texts (each with the moves of `Vault.rewrite` that restored it) as one text to analyse,
    two blank lines apart (which no finder reads across): the text, the spans of the values
    restored in it, each part's bounds."""
    spans, bounds, start = [], [], 0
    for text, restored in parts:
        spans += [(a + start, b + start) for _, _, a, b in restored]
        bounds.append((start, start + len(text)))
        start += len(text) + len(_APART)
    return _APART.join(text for text, _ in parts), spans, bounds


_DIGITS, _LETTERS = frozenset("0123456789"), frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _alone(value: str) -> str:
    """A pattern of ``value`` where it does not run on into a longer number or word (of ASCII
    letters and digits: text in scripts without spaces, CJK, is written right against values)."""
    def edge(c: str, side: str) -> str:
        beside = "[0-9]" if c in _DIGITS else "[A-Za-z0-9]" if c in _LETTERS else ""
        return f"(?<!{beside})" if beside and side == "before" else f"(?!{beside})" if beside else ""
    return edge(value[:1], "before") + regex.escape(value) + edge(value[-1:], "after")


def _moved(result: Any, start: int, end: int) -> Any:
    """A copy of ``result`` from ``start`` to ``end``."""
    moved = copy.copy(result)
    moved.start, moved.end = start, end
    return moved


def _findings(results: list[Any]) -> list[Finding]:
    # No values: reports get logged. The spans point into the checked text.
    return [Finding(r.entity_type, r.start, r.end, "", round(float(r.score), 4),
                    (r.recognition_metadata or {}).get("recognizer_name", ""))
            for r in results]


def _reason(what: str, results: list[Any]) -> str:
    counts = Counter(r.entity_type for r in results)
    return f"{what}: " + ", ".join(f"{e} x{n}" if n > 1 else e for e, n in sorted(counts.items()))
