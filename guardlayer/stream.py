"""Guarding a streamed answer.

Guards that can judge a prefix (they have a ``holdback``) see the answer as it grows: the
text is released only up to ``holdback`` characters before its end (and never past a guard's
``safe_boundary``), so a phrase or a placeholder split across chunks is judged whole before
any of it leaves. A failure that blocks cuts the stream. The other output guards (JSON,
schema) run on the whole answer at the end.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .context import Context
from .errors import Blocked
from .providers import chunk_text, usage_of
from .steps import Step
from .verdict import Action, Verdict

if TYPE_CHECKING:
    from .chain import Chain

_PASSING = (None, Action.FIX, Action.LOG)


class StreamGuards:
    """Feed it chunks; it returns the text that may be released now."""

    def __init__(self, chain: Chain, ctx: Context) -> None:
        self.chain, self.ctx = chain, ctx
        self.live = [s for s in chain.output if s.holdback is not None]
        self.window = max((s.holdback or 0 for s in self.live), default=0)
        self.cuts = [cut for s in self.live if (cut := getattr(s.guard, "safe_boundary", None))]
        self.raw, self.cut, self.sent = "", 0, ""
        self.attempt = ctx.report.attempts[-1] if ctx.report.attempts else None
        ctx.side, ctx.source, ctx.partial = "output", "output", True

    def feed(self, chunk: Any) -> str:
        usage = usage_of(chunk)
        if usage is not None and self.attempt is not None:
            self.attempt.usage = usage
        piece = chunk_text(chunk)
        if not piece:
            return ""
        self.raw += piece
        fixes = [self._judge(step, self.raw) for step in self.live]
        boundary = self._boundary(len(self.raw) - self.window)
        if boundary <= self.cut:
            return ""
        prefix = self.raw[:boundary]
        if any(v.fixed is not None for v in fixes):
            for step in self.live:
                verdict = step.judge(prefix, self.ctx)
                if step.decide(verdict, "output") in (None, Action.FIX) and verdict.fixed is not None:
                    prefix = verdict.fixed
        out = prefix[len(self.sent):] if prefix.startswith(self.sent) else ""
        self.cut, self.sent = boundary, self.sent + out
        return out

    def _boundary(self, end: int) -> int:
        """Move a cut at ``end`` back until no guard objects to cutting there."""
        while end > self.cut:
            safe = min((cut(self.raw[:end]) for cut in self.cuts), default=end)
            if safe >= end:
                return end
            end = safe
        return end

    def _judge(self, step: Step, text: str) -> Verdict:
        start = time.perf_counter()
        verdict = step.judge(text, self.ctx)
        action = step.decide(verdict, "output")
        if action not in _PASSING:
            step.record(self.ctx, "stream", verdict, Action.BLOCK,
                        (time.perf_counter() - start) * 1000)
            raise Blocked([verdict], message=f"stream cut by {verdict.guard}: {verdict.reason}")
        return verdict

    def finish(self) -> str:
        """Judge the whole answer with every output guard; the text still to release."""
        if self.attempt is not None:
            self.attempt.output = self.raw
        self.ctx.partial = False
        out = self.chain.check_output(self.raw, self.ctx, 0)
        if out.action is None:
            if not out.text.startswith(self.sent):
                self.ctx.report.extra["stream_diverged"] = True
            return out.text[len(self.sent):]
        assert out.verdict is not None
        fallback = self.chain.fallback
        if out.action is not Action.BLOCK and not self.sent and fallback.has_value:
            return str(self.chain.substitute(self.ctx, out.verdict.reason, Blocked([out.verdict]),
                                             parse=False))
        raise Blocked([out.verdict], message=f"streamed answer rejected by {out.verdict.guard}: "
                                             f"{out.verdict.reason}")
