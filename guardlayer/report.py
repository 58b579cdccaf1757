"""The Report: what happened in one guarded call (verdicts, timings, actions, usage)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .verdict import MISSING, Action, Verdict

if TYPE_CHECKING:
    from .providers.tools import ToolCall


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a model reported (or that were counted) for one call."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens)

    def to_dict(self) -> dict[str, int]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "total_tokens": self.total_tokens}


@dataclass(frozen=True, slots=True)
class Check:
    """One guard run: where, its verdict, the action the chain took, and how long it took."""

    side: str
    target: str
    verdict: Verdict
    action: Action | None
    ms: float
    attempt: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"side": self.side, "target": self.target, "attempt": self.attempt,
                "action": self.action.value if self.action else None, "ms": round(self.ms, 3),
                **self.verdict.to_dict()}


@dataclass(slots=True)
class Attempt:
    """One call of the model (or of a fallback callable)."""

    name: str
    kind: str  # "call" | "retry" | "reask" | "fallback"
    ms: float = 0.0
    error: str | None = None
    usage: Usage | None = None
    model: str | None = None
    # Raw text in and out (out: with its tool calls' names and arguments), kept for token
    # counting; never serialised into logs.
    prompt: Any = field(default=None, repr=False)
    output: str | None = field(default=None, repr=False)
    # answered with an HTTP error, or never sent: nothing was generated (an error whose
    # ``generated`` is true says the provider answered with success but unusably: not refused)
    refused: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "ms": round(self.ms, 3), "error": self.error,
                "model": self.model, "usage": self.usage.to_dict() if self.usage else None}


@dataclass(slots=True)
class Report:
    """Everything a guarded call did. `outcome` is ok | fixed | fallback | blocked | error, or
    abandoned (a guarded stream closed or dropped before its end, or a call cancelled)."""

    chain: str = ""
    checks: list[Check] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "ok"
    fallback: str | None = None
    fallback_reason: str | None = None
    total_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    # The parsed value of a streamed answer (a stream yields text); not serialised.
    value: Any = field(default=MISSING, repr=False)
    # The answer's tool calls as checked (arguments restored: they may hold private data, so
    # not serialised): the provider's, or those a tool_calls guard read from its text
    # (``in_text``), less any a guard's fix dropped; once it passed the output guards (a
    # stream: at its end), also when a guard returned a parsed value instead of the response;
    # [] for a fallback value; None until then, and when the call failed or a stream was cut.
    tool_calls: list[ToolCall] | None = field(default=None, repr=False)

    @property
    def retries(self) -> int:
        return sum(a.kind == "retry" for a in self.attempts)

    @property
    def reasks(self) -> int:
        return sum(a.kind == "reask" for a in self.attempts)

    @property
    def actions(self) -> list[Action]:
        return [c.action for c in self.checks if c.action is not None]

    @property
    def usage(self) -> Usage:
        total = Usage()
        for a in self.attempts:
            if a.usage:
                total = total + a.usage
        return total

    @property
    def failed(self) -> list[Verdict]:
        return [c.verdict for c in self.checks if not c.verdict.passed]

    def verdicts(self, guard: str | None = None) -> list[Verdict]:
        return [c.verdict for c in self.checks if guard is None or c.verdict.guard == guard]

    def to_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "outcome": self.outcome, "total_ms": round(self.total_ms, 3),
                "retries": self.retries, "reasks": self.reasks,
                "actions": [a.value for a in self.actions], "usage": self.usage.to_dict(),
                "fallback": self.fallback, "fallback_reason": self.fallback_reason,
                "checks": [c.to_dict() for c in self.checks],
                "attempts": [a.to_dict() for a in self.attempts], **self.extra}
