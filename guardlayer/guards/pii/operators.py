"""What replaces a found value, applied with Presidio's anonymizer, and the `Vault` that keeps
the originals of one call (or one session) so the answer can be restored.

- ``redact``: ``<EMAIL_ADDRESS>`` (Presidio's ``replace``).
- ``mask``: every letter and digit but the last ``keep`` becomes ``*`` (``***-***-0134``).
- ``hash``: ``<PERSON_1f0c...>``, a keyed HMAC-SHA256, so equal values stay linkable.
- ``pseudonymize``: ``<PERSON_1>``, stable per value within the vault; restorable.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ...guard import REGEX_TIMEOUT
from ...timed_regex import timed_compile

Operator = Literal["redact", "mask", "hash", "pseudonymize"]

PLACEHOLDER = timed_compile(r"<([A-Z][A-Z0-9_]*?)_(\d{1,6})>")
"""A pseudonym as written by `Vault.placeholder`: ``<PERSON_1>``."""


@dataclass
class Vault:
    """Placeholder <-> original value, and every value seen, for one call or one session.

    Lives in ``ctx.slot`` (one call) or ``Scope.state`` (one session); never on a guard.
    """

    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _by_placeholder: dict[str, str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def placeholder(self, entity: str, value: str) -> str:
        """The pseudonym for ``value``; the same value always gets the same one."""
        with self._lock:
            key = (entity, value)
            if key not in self._by_value:
                self._counts[entity] = self._counts.get(entity, 0) + 1
                name = f"<{entity}_{self._counts[entity]}>"
                self._by_value[key] = name
                self._by_placeholder[name] = value
            self.seen.add(value)
            return self._by_value[key]

    def remember(self, values: Iterable[str]) -> None:
        with self._lock:
            self.seen.update(values)

    def restore(self, text: str) -> tuple[str, list[tuple[int, int]]]:
        """``text`` with known placeholders put back, and the spans of restored values."""
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = length = 0
        for m in PLACEHOLDER.finditer(text, timeout=REGEX_TIMEOUT):
            original = self._by_placeholder.get(m.group())
            if original is None:
                continue
            out.append(text[pos:m.start()])
            length += m.start() - pos
            spans.append((length, length + len(original)))
            out.append(original)
            length += len(original)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out), spans


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
    digest = hmac.new(key, f"{entity}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"<{entity}_{digest[:16]}>"


def anonymize(text: str, results: list[Any], operator: Operator, *, vault: Vault,
              hash_key: bytes, mask_keep: int = 4, mask_char: str = "*") -> str:
    """Replace each of ``results`` (non-overlapping Presidio results) in ``text``."""
    from presidio_anonymizer.entities import OperatorConfig

    entities = {r.entity_type for r in results}
    vault.remember(text[r.start:r.end] for r in results)
    if operator == "redact":
        ops = {e: OperatorConfig("replace", {"new_value": f"<{e}>"}) for e in entities}
    elif operator == "mask":
        ops = {e: OperatorConfig("custom", {"lambda": lambda v: mask(v, mask_keep, mask_char)})
               for e in entities}
    elif operator == "hash":
        ops = {e: OperatorConfig("custom", {"lambda": _bind(keyed_hash, e, key=hash_key)})
               for e in entities}
    else:
        for r in sorted(results, key=lambda r: r.start):  # number placeholders in text order
            vault.placeholder(r.entity_type, text[r.start:r.end])
        ops = {e: OperatorConfig("custom", {"lambda": _bind(vault.placeholder, e)})
               for e in entities}
    return str(_anonymizer().anonymize(text, results, ops, merge_entities_with_spaces=False).text)


def _bind(fn: Any, entity: str, **kw: Any) -> Any:
    return lambda value: fn(entity, value, **kw)



@functools.lru_cache(maxsize=1)
def _anonymizer() -> Any:
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()
