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
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from ...context import Context
from ...errors import ConfigError
from ...extras import need
from ...guard import REGEX_TIMEOUT
from ...structured.strings import map_strings
from ...timed_regex import timed_compile
from ...verdict import MISSING, Finding, Verdict
from . import engine
from .operators import Operator, Vault, anonymize
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
                 vague_dates: bool = False, name: str = "pii") -> None:
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
        if len(mask_char) != 1 or mask_keep < 0 or holdback < 0:
            raise ConfigError("mask_char must be one character; mask_keep, holdback >= 0")
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
        spaCy guess that part of it is a PERSON. A long text is analysed in `pieces`."""
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
        returned instead. The value's strings are searched too: in JSON text a multi-line
        address or an escaped name reads differently from the string it encodes."""
        restored, spans = vault.restore(text)
        new = self._new(restored, spans, vault)
        in_value = self._new_in_value(value, vault)
        meta = {"restored": len(spans)}
        if not new and not in_value:  # (the value restored even when its JSON text hid a
            # placeholder: "\u003cEMAIL_ADDRESS_1\u003e")
            return Verdict.ok(fixed=restored if spans else None, meta=meta,
                              **_changed(value, lambda s: vault.restore(s)[0]))
        operator: Operator = "redact" if self.operator == "pseudonymize" else self.operator
        fixed = self._replace(restored, new, Vault(), operator)
        found = {restored[r.start:r.end]: r for r in new} | in_value
        leaked = {original: self._replace(original, [_whole(r, len(original))], Vault(), operator)
                  for original, r in found.items()}

        def redact(s: str) -> str:
            s = vault.restore(s)[0]
            for original in sorted(leaked, key=len, reverse=True):
                s = s.replace(original, leaked[original])
            return s
        results = [*new, *in_value.values()]
        return Verdict.fail(_reason("personal data in the answer that was not in the input", results),
                            score=max(r.score for r in results), fixed=fixed,
                            **_changed(value, redact, numbers=True),
                            findings=_findings(new), meta={**meta, "operator": operator})

    def _new(self, restored: str, spans: list[tuple[int, int]], vault: Vault) -> list[Any]:
        """Personal data in ``restored`` that the input did not hold (``spans``: restored values)."""
        return [r for r in self.analyze(restored)
                if restored[r.start:r.end] not in vault.seen
                and not any(r.start < e and s < r.end for s, e in spans)]

    def _new_in_value(self, value: Any, vault: Vault) -> dict[str, Any]:
        """New personal data in the strings of a parsed value, restored and analysed as one text
        (two blank lines between strings, which no finder reads across): each value found,
        cut to the string it is in -> its result."""
        strings: list[str] = []
        map_strings(value, lambda s: strings.append(s) or s)
        restored = [vault.restore(s) for s in strings]
        spans, bounds, start = [], [], 0
        for text, found in restored:
            spans += [(a + start, b + start) for a, b in found]
            bounds.append((start, start + len(text)))
            start += len(text) + len(_APART)
        doc = _APART.join(text for text, _ in restored)
        leaked = {}
        for r in self._new(doc, spans, vault) if doc.strip() else ():
            for a, b in bounds:
                piece = doc[max(r.start, a):min(r.end, b)]
                if r.start < b and a < r.end and piece.strip():
                    leaked[piece] = r
        return leaked

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


def _whole(result: Any, length: int) -> Any:
    """A copy of ``result`` that spans its own value, ``length`` characters from 0."""
    whole = copy.copy(result)
    whole.start, whole.end = 0, length
    return whole


def _findings(results: list[Any]) -> list[Finding]:
    # No values: reports get logged. The spans point into the checked text.
    return [Finding(r.entity_type, r.start, r.end, "", round(float(r.score), 4),
                    (r.recognition_metadata or {}).get("recognizer_name", ""))
            for r in results]


def _reason(what: str, results: list[Any]) -> str:
    counts = Counter(r.entity_type for r in results)
    return f"{what}: " + ", ".join(f"{e} x{n}" if n > 1 else e for e, n in sorted(counts.items()))
