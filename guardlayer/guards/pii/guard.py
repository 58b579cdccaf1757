"""`PIIGuard`: one class for both sides of the model.

Input side: finds personal data and fails with ``fixed`` = the scrubbed text (so ``on_fail:
fix`` scrubs, ``block`` blocks, ``log`` records). Output side: puts known placeholders back
(passes with ``fixed`` = restored text) and fails when the answer holds personal data that was
not in the input (``fixed`` = restored text with the new values redacted). The chain runs it on
each tool call's arguments too, with ``ctx.value`` the parsed arguments, which it rewrites.
"""
from __future__ import annotations

import copy
import logging
import os
import secrets as _random
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import regex

from ...context import Context
from ...errors import ConfigError
from ...extras import need
from ...guard import REGEX_TIMEOUT
from ...structured.strings import json_escapes, json_strings, map_strings
from ...timed_regex import timed_compile
from ...verdict import MISSING, Finding, Verdict
from . import engine
from .operators import Operator, Vault, anonymize
from .recent import Recent
from .recognizers import load_yaml_recognizers
from .results import merge_overlaps, tidy

_PARTIAL_PLACEHOLDER = timed_compile(r"<[A-Z0-9_]*\Z")
_PROCESS_KEY = _random.token_bytes(32)
HASH_KEY_ENV = "GUARDLAYER_PII_HASH_KEY"


class PIIGuard:
    """Find personal data with Presidio (spaCy NER + patterns); scrub it, restore it, catch leaks.

    ``mode="regex"`` skips NER (fast; no PERSON/LOCATION). ``entities`` limits what is looked
    for, ``exclude_entities`` drops types; ``threshold``/``thresholds`` set the minimum score
    (per entity); ``allow`` lists values never flagged, ``deny`` maps an entity to words always
    flagged; ``context`` adds words that raise scores; ``recognizers`` are YAML files in
    Presidio's recogniser format. ``memory="session"`` keeps pseudonyms in ``Scope.state`` so
    ``<PERSON_1>`` means the same person across a session's calls. ``vague_dates=True`` also
    flags what spaCy calls a date without naming a day or time ("today", "a year", "the 60s").
    The analyses of the last ``recent`` distinct texts are kept (0: none), so that a chat's
    history, sent again with every turn, is analysed once.
    """

    on_fail = "fix"  # scrub the prompt, redact a leak; "block" or "log" when placed so
    restores = True  # on output it puts originals back: the chain keeps it after re-asking guards
    tool_arguments = True  # on output it also restores and redacts tool calls' arguments
    assistant_turns = True  # the originals restored into earlier answers go back with the history
    offload = True  # ms per KB of CPU: async chains run it in a worker thread, off the event loop

    def __init__(self, *, operator: Operator = "pseudonymize",
                 mode: Literal["ner", "regex"] = "ner", model: str | Path = engine.DEFAULT_MODEL,
                 entities: list[str] | None = None, exclude_entities: list[str] | None = None,
                 threshold: float = 0.4, thresholds: dict[str, float] | None = None,
                 allow: list[str] | None = None, deny: dict[str, list[str]] | None = None,
                 context: list[str] | None = None, recognizers: list[str | Path] | None = None,
                 memory: Literal["call", "session"] = "call", hash_key: str | None = None,
                 mask_keep: int = 4, mask_char: str = "*", holdback: int = 64,
                 vague_dates: bool = False, recent: int = 512, name: str = "pii") -> None:
        need("presidio_analyzer", "pii", "the pii guard")
        need("presidio_anonymizer", "pii", "the pii guard")
        if operator not in ("redact", "mask", "hash", "pseudonymize"):
            raise ConfigError(f"unknown operator {operator!r}: redact | mask | hash | pseudonymize")
        if mode not in ("ner", "regex"):
            raise ConfigError(f"unknown mode {mode!r}: ner | regex")
        if memory not in ("call", "session"):
            raise ConfigError(f"unknown memory {memory!r}: call | session")
        for value in [threshold, *(thresholds or {}).values()]:
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"PII score thresholds must be in [0, 1], got {value}")
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
    def analyze(self, text: str) -> list[Any]:
        """Presidio results above threshold, overlaps merged, ordered by position. Excluded
        types are dropped after merging, so that (say) an excluded URL still outranks a
        spaCy guess that part of it is a PERSON. A long text is analysed in `pieces`; the
        results of the last ``recent`` texts are kept (`Recent`)."""
        return self._recent.analysed(text, self._analyze)

    def _analyze(self, text: str) -> list[Any]:
        results = []
        for start, end in pieces(text, PIECE_CHARS):
            found = self._analyze_piece(text[start:end])
            for r in found:
                r.start, r.end = r.start + start, r.end + start
            results += found
        kept = [r for r in results
                if r.score >= self.thresholds.get(r.entity_type, self.threshold)]
        found = tidy(text, kept, vague_dates=self.vague_dates)
        return [r for r in merge_overlaps(found)
                if self._wanted(r.entity_type) and text[r.start:r.end] not in self.allow]

    def _analyze_piece(self, piece: str) -> list[Any]:
        """Presidio's results on one piece (a pattern's time-out is tried again there on this
        thread's own time, `timed_regex`; one that times out still fails the check)."""
        return self._engine.analyze(piece, language="en", entities=self.entities,
                                    ad_hoc_recognizers=self._ad_hoc or None,
                                    context=self.context or None, allow_list=self.allow or None)

    def _wanted(self, entity: str) -> bool:
        return entity not in self.exclude and (self.entities is None or entity in self.entities)

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
        results = self.analyze(text)
        if not results:
            return Verdict.ok()
        scrubbed = self._replace(text, results, vault, self.operator)
        return Verdict.fail(_reason("personal data in the input", results),
                            score=max(r.score for r in results), fixed=scrubbed,
                            findings=_findings(results), meta={"operator": self.operator})

    def _check_output(self, text: str, vault: Vault, value: Any) -> Verdict:
        """Originals put back and new personal data replaced, in the text and in the value an
        earlier guard parsed from it (a JSON answer's fields, a tool call's arguments), which is
        returned instead. One analysis covers both (`_new_in_answer`)."""
        restored, spans = vault.restore(text)
        if value is MISSING:
            new = results = self._new(restored, spans, vault)
            leaked: dict[str, Any] = {}
        else:
            new, leaked, results = self._new_in_answer(text, restored, spans, value, vault)
        meta = {"restored": len(spans)}
        if not results:  # (the value restored even when its JSON text hid a placeholder:
            # "\u003cEMAIL_ADDRESS_1\u003e")
            return Verdict.ok(fixed=restored if spans else None, meta=meta,
                              **_changed(value, lambda s: vault.restore(s)[0]))
        operator: Operator = "redact" if self.operator == "pseudonymize" else self.operator
        fixed = self._replace(restored, new, Vault(), operator)
        replaced = {original: self._replace(original, [_whole(r, len(original))], Vault(), operator)
                    for original, r in leaked.items()}

        # a value found is not redacted out of a longer word or number ("jo<EMAIL_ADDRESS>.invalid",
        # "9<CREDIT_CARD>5") nor inside a placeholder: a value that begins or ends with a digit
        # must have no digit beside it there, one with an ASCII letter no such letter or digit
        # ("order_", "server_" and "联系邮箱" before it are fine)
        leaks = timed_compile("|".join(_alone(original) for original in sorted(replaced, key=len, reverse=True)))

        def redact(s: str) -> str:
            return leaks.sub(lambda m: replaced[m.group()], vault.restore(s)[0], timeout=REGEX_TIMEOUT)
        return Verdict.fail(_reason("personal data in the answer that was not in the input", results),
                            score=max(r.score for r in results), fixed=fixed,
                            **_changed(value, redact, numbers=True),
                            findings=_findings(new), meta={**meta, "operator": operator})

    def _new(self, restored: str, spans: list[tuple[int, int]], vault: Vault) -> list[Any]:
        """Personal data in ``restored`` that the input did not hold (``spans``: restored values)."""
        return [r for r in (self.analyze(restored) if restored.strip() else ())
                if restored[r.start:r.end] not in vault.seen
                and not any(r.start < e and s < r.end for s, e in spans)]

    def _new_in_answer(self, text: str, restored: str, spans: list[tuple[int, int]], value: Any,
                       vault: Vault) -> tuple[list[Any], dict[str, Any], list[Any]]:
        """New personal data in an answer ``text`` (``restored``, ``spans``: as `Vault.restore`
        gave them) and in the ``value`` parsed from it, found by one analysis. Returns the
        findings in ``restored``; each value found, cut to the string of ``value`` it is in ->
        its result; and all the results.

        The value's strings are analysed restored, two blank lines apart (in JSON text a
        multi-line address, an escaped name or a placeholder written "\\u003cEMAIL_ADDRESS_1\\u003e"
        reads differently from the string it encodes), and after them the rest of the text: all
        of it but the contents of the JSON strings (not keys) that spell the value's strings;
        what is found in those strings is mapped into the text, where they stand."""
        strings: list[str] = []
        map_strings(value, lambda s: strings.append(s) or s)
        parts = [vault.restore(s) for s in strings]
        rest, cut, spelled = _rest(text, strings)
        rest_restored, rest_spans = vault.restore(rest)
        doc, doc_spans, bounds = _joined([*parts, (rest_restored, rest_spans)])
        results = self._new(doc, doc_spans, vault)
        into, rest_start = _Moves(_restore_edits(text, spans)), bounds[-1][0]
        back = [_Moves(_restore_edits(rest, rest_spans)), _Moves(cut)]
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
                    a, b = _in_literal(a - bounds[i][0], b - bounds[i][0], strings[i], parts[i][1],
                                       text[start:end])
                    new.append(_moved(r, into.forth(start + a), into.forth(start + b, end=True)))
        return merge_overlaps(new), leaked, results

    def safe_boundary(self, text: str) -> int:
        """Where a streamed prefix may be cut: never inside a placeholder such as ``<PER``."""
        tail_start = max(0, len(text) - self.holdback)
        m = _PARTIAL_PLACEHOLDER.search(text, tail_start, timeout=REGEX_TIMEOUT)
        return m.start() if m else len(text)


_log = logging.getLogger("guardlayer")
_APART = "\n\n\n"  # between the strings of a parsed value analysed as one text
PIECE_CHARS = 20_000
"""Longer texts are analysed in pieces of at most this many characters (see `pieces`): each
scan of a piece stays far inside its regex time limit (a recogniser's slowest calls on 20 KB
take ~25 ms, against 0.2 s; on 100 KB they took up to 0.15 s and timed out under load), and
spaCy inside its length limit (a million characters)."""


def pieces(text: str, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` of consecutive pieces that cover ``text``, each at most ``size`` long,
    cut after the last paragraph break in a piece's second half, else the last line break,
    else the last space (else at ``size``), so that little can straddle a cut."""
    spans, start = [], 0
    while len(text) - start > size:
        end = start + size
        for sep in ("\n\n", "\n", " "):
            at = text.rfind(sep, start + size // 2, end)
            if at >= 0:
                end = at + len(sep)
                break
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


def _changed(value: Any, fn: Callable[[str], str], *, numbers: bool = False) -> dict[str, Any]:
    """``{"value": ...}``: ``value`` (a parsed answer, or MISSING) with ``fn`` applied to its
    strings (and numbers: `map_strings`); nothing when there is no value."""
    return {"value": map_strings(value, fn, numbers=numbers)} if value is not MISSING else {}


def _rest(text: str, strings: list[str]
          ) -> tuple[str, list[tuple[int, int, int, int]], dict[int, tuple[int, int]]]:
    """``text`` without the contents of its JSON strings that spell one of ``strings`` (each of
    ``strings`` taken by one at most; keys are kept: their words give numbers their context); the
    cuts made (see `_Moves`); and, by index in ``strings``, where the contents that spell it stand
    in ``text``."""
    waiting: dict[str, list[int]] = {}  # string -> its indexes, the first last
    for i in range(len(strings) - 1, -1, -1):
        waiting.setdefault(strings[i], []).append(i)
    parts, cuts, spelled, at, gone = [], [], {}, 0, 0
    for start, end, string in json_strings(text):
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


def _in_literal(start: int, end: int, string: str, restored: list[tuple[int, int]],
                contents: str) -> tuple[int, int]:
    """A span in ``string`` restored (``restored``: the spans of its restored values) as a span
    in ``contents``, the JSON text that spells ``string``."""
    unescaped, shift = [], 0
    for a, b in json_escapes(contents) if "\\" in contents else ():
        unescaped.append((a, b, a - shift, a - shift + 1))
        shift += b - a - 1
    for moves in (_Moves(_restore_edits(string, restored)), _Moves(unescaped)):
        start, end = moves.back(start), moves.back(end, end=True)
    return start, end


def _joined(parts: list[tuple[str, list[tuple[int, int]]]]
            ) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """Texts (each with the spans of values restored in it) as one text to analyse, two blank
    lines apart (which no finder reads across): the text, the spans in it, each part's bounds."""
    spans, bounds, start = [], [], 0
    for text, restored in parts:
        spans += [(a + start, b + start) for a, b in restored]
        bounds.append((start, start + len(text)))
        start += len(text) + len(_APART)
    return _APART.join(text for text, _ in parts), spans, bounds


def _restore_edits(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """The edits `Vault.restore` made to ``text`` (``spans``: where it put originals), as
    `_Moves` takes them: each placeholder's start and end, then its original's."""
    edits, old, new = [], 0, 0
    for start, end in spans:
        at = old + start - new
        old, new = text.index(">", at) + 1, end
        edits.append((at, old, start, end))
    return edits


class _Moves:
    """Positions between a text and a rewrite of it. ``edits``: ``(old_start, old_end,
    new_start, new_end)`` of each piece rewritten, in order; the text between them is kept. A
    span that starts or ends inside a rewritten piece grows to cover all of it."""

    def __init__(self, edits: list[tuple[int, int, int, int]]) -> None:
        self.edits = edits
        self._old = [e[0] for e in edits]
        self._new = [e[2] for e in edits]

    def back(self, pos: int, end: bool = False) -> int:
        """Where ``pos`` in the new text was in the old one."""
        return self._move(self._new, pos, end, 2)

    def forth(self, pos: int, end: bool = False) -> int:
        """Where ``pos`` in the old text is in the new one."""
        return self._move(self._old, pos, end, 0)

    def _move(self, starts: list[int], pos: int, end: bool, side: int) -> int:
        """``pos`` from the text whose edits' starts are ``starts`` (``side`` 0: old, 2: new)."""
        i = (bisect_left(starts, pos) if end else bisect_right(starts, pos)) - 1
        if i < 0:
            return pos
        edit, other = self.edits[i], 2 - side
        if pos < edit[side + 1] or (end and pos == edit[side + 1]):
            return edit[other + 1] if end else edit[other]
        return pos - edit[side + 1] + edit[other + 1]


_DIGITS, _LETTERS = frozenset("0123456789"), frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _alone(value: str) -> str:
    """A pattern of ``value`` where it does not run on into a longer number or word (of ASCII
    letters and digits: text in scripts without spaces, CJK, is written right against values)."""
    def edge(c: str, side: str) -> str:
        beside = "[0-9]" if c in _DIGITS else "[A-Za-z0-9]" if c in _LETTERS else ""
        return f"(?<!{beside})" if beside and side == "before" else f"(?!{beside})" if beside else ""
    return edge(value[:1], "before") + regex.escape(value) + edge(value[-1:], "after")


def _whole(result: Any, length: int) -> Any:
    """A copy of ``result`` that spans its own value, ``length`` characters from 0."""
    return _moved(result, 0, length)


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
