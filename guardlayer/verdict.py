"""The typed result every guard returns: `Verdict`, its `Finding` spans, and `Action`."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from enum import Enum
from typing import Any, NamedTuple


class Action(str, Enum):
    """What the chain does when a guard fails (its `on_fail`)."""

    BLOCK = "block"
    FIX = "fix"
    REASK = "reask"
    FALLBACK = "fallback"
    LOG = "log"


GOES_ON = (None, Action.FIX, Action.LOG)
"""Actions after which a chain goes on to its next guard (a pass, a fix, a record)."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"  # unpickled as this module's MISSING, so ``is MISSING`` holds


MISSING: Any = _Missing()
"""Marks a verdict that carries no parsed value (``None`` is a valid parsed value)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a guard found: a span of the checked text, what kind it is, and how sure."""

    kind: str
    start: int = 0
    end: int = 0
    text: str = ""
    score: float = 1.0
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "score": self.score,
                "detail": self.detail}


_NO_META: Mapping[str, Any] = MappingProxyType({})


class Verdict(NamedTuple):
    """A guard's judgement of one text. Immutable (a named tuple: cheap to build, as guards
    build one per check).

    ``score`` is the risk in [0, 1]. ``fixed`` is the text the guard would put in place of the
    input (applied by the chain on ``fix``, and always when the verdict passed: a passing guard
    may transform, as PII restore does). ``value`` is a parsed value (``MISSING`` when none).
    ``meta`` is for machine-readable details; it takes no part in equality.
    """

    passed: bool
    score: float = 0.0
    reason: str = ""
    fixed: str | None = None
    value: Any = MISSING
    findings: tuple[Finding, ...] = ()
    guard: str = ""
    meta: Mapping[str, Any] = _NO_META

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return self[:7] == other[:7]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self[:7])

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support: a read-only ``meta`` (a mappingproxy, which pickle refuses) travels
        as a dict and is made read-only again."""
        if isinstance(self.meta, MappingProxyType):
            return _read_only_meta, (type(self), tuple(self[:7]), dict(self.meta))
        return type(self), tuple(self)

    @classmethod
    def ok(cls, *, score: float = 0.0, fixed: str | None = None, value: Any = MISSING,
           reason: str = "", findings: tuple[Finding, ...] | list[Finding] = (),
           meta: Mapping[str, Any] | None = None) -> Verdict:
        return cls(True, score, reason, fixed, value, tuple(findings), "", _frozen(meta))

    @classmethod
    def fail(cls, reason: str, *, score: float = 1.0, fixed: str | None = None,
             value: Any = MISSING, findings: tuple[Finding, ...] | list[Finding] = (),
             meta: Mapping[str, Any] | None = None) -> Verdict:
        return cls(False, score, reason, fixed, value, tuple(findings), "", _frozen(meta))

    @property
    def has_value(self) -> bool:
        return self.value is not MISSING

    def named(self, guard: str) -> Verdict:
        """The same verdict labelled with the guard's name (the chain does this)."""
        if self.guard == guard:
            return self
        return self._replace(guard=guard)

    def to_dict(self) -> dict[str, Any]:
        return {"guard": self.guard, "passed": self.passed, "score": round(self.score, 4),
                "reason": self.reason, "fixed": self.fixed is not None,
                "findings": [f.to_dict() for f in self.findings],
                **({"meta": dict(self.meta)} if self.meta else {})}


def _frozen(meta: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of ``meta``: a verdict kept in a Report does not change afterwards."""
    return MappingProxyType(dict(meta)) if meta else _NO_META


def _read_only_meta(cls: type[Verdict], fields: tuple[Any, ...], meta: dict[str, Any]) -> Verdict:
    return cls(*fields, MappingProxyType(meta) if meta else _NO_META)
