"""Guarding a streamed answer.

Guards that can judge a prefix (they have a ``holdback``) see the answer as it grows: the
text is released only up to ``holdback`` characters before its end, never past a guard's
``safe_boundary`` and never through the middle of something a guard found, so a phrase or a
value split across chunks is judged whole before any of it leaves. A failure that blocks cuts
the stream. The other output guards (JSON, schema) judge the whole answer at the end: they can
reject it, and their parsed value is kept in the Report (`Report.value`), but they cannot
rewrite text that has already left. If the released text and the guarded whole ever disagree,
the stream is cut rather than patched (fail closed).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .context import Context
from .errors import Blocked, GuardlayerError, ProviderError
from .providers import chunk_text, field, usage_of
from .report import Usage
from .steps import Step
from .transient import is_transient, status_of
from .verdict import MISSING, Action, Verdict

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
        self._usage(chunk)
        piece = chunk_text(chunk)
        if not piece:
            return ""
        self.raw += piece
        verdicts = [self._judge(step, self.raw) for step in self.live]
        spans = [(f.start, f.end) for v in verdicts for f in v.findings if f.end > f.start]
        boundary = self._boundary(len(self.raw) - self.window, spans)
        if boundary <= self.cut:
            return ""
        prefix = self.raw[:boundary]
        if any(v.fixed is not None for v in verdicts):
            prefix = self._fixed(prefix)
        if not prefix.startswith(self.sent):
            return ""  # not stable yet: hold on; finish() cuts the stream if it never is
        out, self.cut, self.sent = prefix[len(self.sent):], boundary, prefix
        return out

    def _usage(self, chunk: Any) -> None:
        """Merge usage reported along the stream (Anthropic splits it over two events)."""
        usage = usage_of(chunk) or usage_of(field(chunk, "message"))
        if usage is not None and self.attempt is not None:
            old = self.attempt.usage or Usage()
            self.attempt.usage = Usage(max(old.input_tokens, usage.input_tokens),
                                       max(old.output_tokens, usage.output_tokens))

    def _boundary(self, end: int, spans: list[tuple[int, int]]) -> int:
        """Move a cut at ``end`` back until no guard objects and no finding straddles it."""
        while end > self.cut:
            safe = min([cut(self.raw[:end]) for cut in self.cuts]
                       + [start for start, stop in spans if start < end < stop], default=end)
            if safe >= end:
                return end
            end = safe
        return end

    def _fixed(self, text: str) -> str:
        """``text`` with the prefix guards' fixes applied, in order."""
        for step in self.live:
            verdict = step.judge(text, self.ctx)
            if step.decide(verdict, "output") in (None, Action.FIX) and verdict.fixed is not None:
                text = verdict.fixed
        return text

    def _judge(self, step: Step, text: str) -> Verdict:
        start = time.perf_counter()
        verdict = step.judge(text, self.ctx)
        action = step.decide(verdict, "output")
        if action not in _PASSING:
            step.record(self.ctx, "stream", verdict, Action.BLOCK,
                        (time.perf_counter() - start) * 1000)
            raise Blocked([verdict], message=f"stream cut by {verdict.guard}: {verdict.reason}")
        return verdict

    def failed(self, exc: Exception) -> str:
        """The provider failed mid-stream: the fallback text if nothing has left yet."""
        if not isinstance(exc, GuardlayerError) and not (is_transient(exc) or status_of(exc)):
            raise exc  # a bug, not a provider failure
        error = exc if isinstance(exc, ProviderError) else ProviderError(
            f"the stream failed after {len(self.sent)} characters: {type(exc).__name__}: {exc}")
        if self.sent or not self.chain.fallback.has_value:
            raise error from exc
        return str(self.chain.substitute(self.ctx, str(error), error, parse=False))

    def finish(self) -> str:
        """Judge the whole answer with every output guard; the text still to release."""
        if self.attempt is not None:
            self.attempt.output = self.raw
        self.ctx.partial = False
        out = self.chain.check_output(self.raw, self.ctx, 0)
        if out.action is not None:
            assert out.verdict is not None
            if out.action is not Action.BLOCK and not self.sent and self.chain.fallback.has_value:
                return str(self.chain.substitute(self.ctx, out.verdict.reason,
                                                 Blocked([out.verdict]), parse=False))
            raise Blocked([out.verdict], message=f"streamed answer rejected by "
                                                 f"{out.verdict.guard}: {out.verdict.reason}")
        if self.ctx.value is not MISSING:
            self.ctx.report.value = self.ctx.value
        whole = self._fixed(self.raw) if self.live else self.raw
        if not whole.startswith(self.sent):
            raise Blocked([Verdict.fail("the guarded answer no longer matches what was streamed",
                                        meta={"sent": len(self.sent)}).named("stream")],
                          message="stream cut: the guarded text diverged from what was sent")
        return whole[len(self.sent):]
