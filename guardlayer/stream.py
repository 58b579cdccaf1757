"""Guarding a streamed answer.

Guards that can judge a prefix (they have a ``holdback``) see the answer as it grows: the
text is released only up to ``holdback`` characters before its end, never past a guard's
``safe_boundary`` and never through the middle of something a guard found, so a phrase or a
value split across chunks is judged whole before any of it leaves. They judge the prefix once
enough new text has arrived (half the largest holdback, or a tenth of the text so far), so the
cost stays near-linear in the answer's length; nothing is released past the last judged prefix.
A failure that blocks cuts the stream. The other output guards (JSON, schema) judge the whole
answer at the end: they can reject it, and their parsed value is kept in the Report
(`Report.value`), but they cannot rewrite text that has already left: a failing verdict whose
fix would change released text cuts the stream. If the released text and the guarded whole
ever disagree, the stream is cut rather than patched (fail closed).

Tool calls the chunks carry (OpenAI ``delta.tool_calls``, Anthropic ``tool_use`` blocks, Ollama's
``message.tool_calls``) are
assembled (`providers.stream_tools`), never released in part: at the end of the stream they go,
with the text, through `Chain.check_output` as a non-streamed answer's do (opted-in guards judge
and rewrite their arguments, a ``tool_calls`` guard reads them from ``ctx.response``: a stream
of provider chunks is handed over as a chat completion, calls or none, a stream of str as a
str, so that guard knows whether the text is a provider's answer), so a
failure there raises `Blocked` after the text. Once the stream is exhausted the checked calls
(also those a ``tool_calls`` guard read from the text) are ``stream.tool_calls`` and
`Report.tool_calls`.

The chain reads a stream's first chunk before it hands the stream on (`Peeked`), inside its
retries: a stream that fails before anything was sent is retried and falls back like a call
that fails outright. The caller gets a `GuardedStream` (or `GuardedAsyncStream`): closing it,
leaving its ``with`` block or dropping it unread closes the provider's stream, settles the
budget (charging the text received so far) and emits the Report.
"""
from __future__ import annotations

import asyncio
import inspect
import time
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
)
from typing import TYPE_CHECKING, Any

from .context import Context
from .errors import Blocked, ConfigError, GuardlayerError, ProviderError
from .guard import REGEX_TIMEOUT
from .providers import choice_index, chunk_known, chunk_message, chunk_text, field, model_of, usage_of
from .providers.stream_tools import StreamedCalls
from .providers.tools import ToolCall, checked_calls, tool_calls, written
from .report import Report, Usage
from .steps import Step
from .timed_regex import timed_compile
from .transient import is_transient, status_of
from .verdict import GOES_ON, MISSING, Action, Verdict

if TYPE_CHECKING:
    from .chain import Chain


class StreamGuards:
    """Give it chunks (`take`); it says when text may leave, and `release` gives that text."""

    def __init__(self, chain: Chain, ctx: Context) -> None:
        self.chain, self.ctx = chain, ctx
        self.live = [s for s in chain.output if s.holdback is not None]
        self.end_only = {s.name for s in chain.output if s.holdback is None}
        self.window = max((s.holdback or 0 for s in self.live), default=0)
        self.cuts = [cut for s in self.live if (cut := getattr(s.guard, "safe_boundary", None))]
        self.raw, self.cut, self.sent, self.judged = "", 0, "", 0
        self.calls = StreamedCalls()
        self.provider = False  # did a chunk come from a provider (not a str)?
        self.finished = False  # did a chunk say the answer is complete (a finish or stop reason)?
        served = ctx.report.fallback == "value"  # the fallback value, served as a stream
        self.attempt = ctx.report.attempts[-1] if ctx.report.attempts and not served else None
        ctx.side, ctx.source, ctx.partial = "output", "output", True

    def take(self, chunk: Any) -> bool:
        """Take in a chunk (its usage, tool-call fragments and text), cheaply: whether a release
        is due. With prefix guards it is once enough new text has arrived for them to judge the
        answer again (near-linear cost), without them for every piece of text."""
        self._usage(chunk)
        if (index := choice_index(chunk)) > 0:
            raise ConfigError(f"the stream carries choice {index}: guardlayer checks one answer, "
                              "ask for n=1")
        self.calls.feed(chunk)
        self.provider = self.provider or not isinstance(chunk, str)
        piece = chunk_text(chunk)
        if not piece and self.chain.output and not chunk_known(chunk):
            raise ConfigError(f"output guards cannot check this stream: guardlayer cannot read the text of a "
                              f"{type(chunk).__name__} chunk: stream text, OpenAI chunks or Anthropic events")
        if not piece:
            return False
        self.raw += piece
        if self.attempt is not None:  # what the budget charges, even if the stream stops here
            self.attempt.output = self.raw
        return not self.live or len(self.raw) - self.judged >= max(self.window // 2, len(self.raw) // 10)

    def release(self) -> str:
        """The text that may leave now: the answer so far judged by the prefix guards, up to
        their holdback and safe boundaries (their work: what an async chain may offload)."""
        self.judged = len(self.raw)
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
        """Merge usage reported along the stream (Anthropic splits it over two events), and note
        the model that answers (OpenAI's chunks name it, Anthropic's message_start): the budget
        prices the answer as that model."""
        if self.attempt is None:
            return
        message = field(chunk, "message")
        usage = usage_of(chunk) or usage_of(message)
        if usage is not None:
            old = self.attempt.usage or Usage()
            self.attempt.usage = Usage(max(old.input_tokens, usage.input_tokens),
                                       max(old.output_tokens, usage.output_tokens))
        if self.attempt.model is None:
            self.attempt.model = model_of(chunk) or model_of(message)
        self.finished = self.finished or _finishes(chunk)

    def _boundary(self, end: int, spans: list[tuple[int, int]]) -> int:
        """Move a cut at ``end`` back to where the guards' safe boundaries allow (asked once:
        a guard judges the text as it stands), then until it is between words (a token, key
        or name is never released in part, nor judged cut in two) and no finding straddles it."""
        if end <= self.cut:
            return end
        end = min([end] + [self._safe(cut, end) for cut in self.cuts])
        while end > self.cut:
            safe = min([start for start, stop in spans if start < end < stop]
                       + [_word_start(self.raw, end)], default=end)
            if safe >= end:
                return end
            end = safe
        return end

    def _safe(self, cut: Callable[[str], int], end: int) -> int:
        """A guard's ``safe_boundary`` of the prefix; one that raises cuts the stream (fail closed)."""
        try:
            return cut(self.raw[:end])
        except Exception as exc:  # noqa: BLE001
            guard = getattr(cut, "__self__", cut)
            verdict = Verdict.fail(f"safe_boundary raised {type(exc).__name__}: {exc}",
                                   meta={"error": True}).named(getattr(guard, "name", type(guard).__name__))
            raise self._cut(verdict, f"stream cut by {verdict.guard}: {verdict.reason}",
                            time.perf_counter()) from exc

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
        if step.decide(verdict, "output") not in GOES_ON:
            raise self._cut(verdict, f"stream cut by {verdict.guard}: {verdict.reason}", start)
        return verdict

    def _cut(self, verdict: Verdict, message: str, start: float) -> Blocked:
        """The error that stops the stream, its block recorded in the Report."""
        Step.record(self.ctx, "stream", verdict, Action.BLOCK, (time.perf_counter() - start) * 1000)
        return Blocked([verdict], message=message)

    def failed(self, exc: Exception) -> str:
        """The provider failed mid-stream: the fallback text if nothing has left yet."""
        if not isinstance(exc, GuardlayerError) and not (is_transient(exc) or status_of(exc)):
            raise exc  # a bug, not a provider failure
        if self.attempt is not None and not self.finished:  # cut while the provider generated:
            self.attempt.error = f"{type(exc).__name__}: {exc}"  # the charge is a guess
        error = exc if isinstance(exc, ProviderError) else ProviderError(
            f"the stream failed after {len(self.sent)} characters: {type(exc).__name__}: {exc}")
        if self.sent or not self.chain.fallback.has_value:
            raise error from exc
        return str(self.chain.substitute(self.ctx, str(error), error, parse=False))

    def finish(self) -> str:
        """Judge the whole answer, text and tool calls, with every output guard; the text still
        to release. The checked tool calls go to `Report.tool_calls`."""
        start = time.perf_counter()
        self.ctx.partial = False
        checked = len(self.ctx.report.checks)
        # a provider's chunks: its answer as a response (its calls, if any, in its structure)
        answer = self.calls.response(self.raw) if self.calls or self.provider else self.raw
        if self.attempt is not None:
            self.attempt.output = written(self.raw, tool_calls(answer))
        out = self.chain.check_output(answer, self.ctx, 0)
        if out.action is not None:
            assert out.verdict is not None
            if out.action is not Action.BLOCK and not self.sent and self.chain.fallback.has_value:
                return str(self.chain.substitute(self.ctx, out.verdict.reason,
                                                 Blocked([out.verdict]), parse=False))
            raise Blocked([out.verdict], message=f"streamed answer rejected by "
                                                 f"{out.verdict.guard}: {out.verdict.reason}")
        if self.ctx.value is not MISSING:
            self.ctx.report.value = self.ctx.value
        fixes = [c.verdict for c in self.ctx.report.checks[checked:]
                 if c.action is Action.FIX and c.target == "output" and c.verdict.guard in self.end_only]
        if self.calls and (valued := next((v for v in fixes if v.has_value), None)):
            raise self._cut(valued, f"stream cut: {valued.guard} replaced the answer by a value, "
                                    "which a stream cannot hand back with its tool calls (use "
                                    f"on_fail block, or call without stream=True): {valued.reason}",
                            start)
        whole = out.text if fixes else self._fixed(self.raw)
        if whole.startswith(self.sent):
            self.ctx.report.tool_calls = checked_calls(self.ctx)
            return whole[len(self.sent):]
        if fixes:
            raise self._cut(fixes[0], f"stream cut: {fixes[0].guard} would fix text already "
                                      f"sent: {fixes[0].reason}", start)
        raise self._cut(Verdict.fail("the guarded answer no longer matches what was streamed",
                                     meta={"sent": len(self.sent)}).named("stream"),
                        "stream cut: the guarded text diverged from what was sent", start)


_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_WORD_END = timed_compile(rf"(?r)[^\s{_SCRIPTS}]+")
_JOINS = timed_compile(rf"[^\s{_SCRIPTS}]{{2}}")
"""A word is a run of characters that are neither spaces nor letters of scripts written without
spaces (a cut next to one of those is a cut between words, else a Chinese answer would be held
back whole)."""


WORD_CHARS = 8_192
"""The longest word a stream holds back whole (longer than any key or token); a longer run
without spaces (minified JSON, a data URL) is cut inside."""


def _finishes(chunk: Any) -> bool:
    """Does ``chunk`` say the answer is complete: an OpenAI choice's ``finish_reason``, Anthropic's
    ``message_delta`` stop reason or ``message_stop``, Ollama's ``done: true``? (A stream that
    fails after it is a broken connection, not a cut answer: charged as reported.)"""
    if chunk_message(chunk) is not None and field(chunk, "done") is True:
        return True
    kind = field(chunk, "type")
    if kind == "message_stop" or kind == "message_delta" and field(field(chunk, "delta"), "stop_reason"):
        return True
    choices = field(chunk, "choices")
    return bool(choices) and isinstance(choices, (list, tuple)) and field(choices[0], "finish_reason") is not None


def _word_start(text: str, end: int) -> int:
    """``end``, or the start of the word a cut at ``end`` splits (if it began at most
    `WORD_CHARS` before)."""
    if not 0 < end < len(text) or not _JOINS.match(text, end - 1, end + 1, timeout=REGEX_TIMEOUT):
        return end
    word = _WORD_END.search(text, max(0, end - WORD_CHARS), end, timeout=REGEX_TIMEOUT)
    return word.start() if word and word.start() > end - WORD_CHARS else end


class _Calls:
    """What both guarded streams give once exhausted: the answer's tool calls, as checked."""

    _report: Report

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls of the answer, checked whole (arguments restored; those a tool_calls
        guard read from the text too); ConfigError until the stream has been read to its end."""
        if self._report.tool_calls is None:
            raise ConfigError("a guarded stream's tool calls are known once it has been read to its "
                              "end: read it all first (a stream cut, closed or dropped has none)")
        return list(self._report.tool_calls)


class GuardedStream(_Calls):
    """A guarded sync stream of text. ``close()``, leaving a ``with`` block or dropping it
    (even unread) closes the provider's stream, settles the budget and emits the Report.
    Once it is exhausted, ``tool_calls`` holds the answer's tool calls, as checked."""

    def __init__(self, pieces: Generator[str, None, None], abandon: Callable[[], None],
                 report: Report) -> None:
        self._pieces, self._report = pieces, report
        self._closer = weakref.finalize(self, _close, pieces, abandon)

    def __iter__(self) -> GuardedStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> GuardedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close(pieces: Generator[str, None, None], abandon: Callable[[], None]) -> None:
    pieces.close()  # a started stream cleans up as it stops
    abandon()  # one never started is released here (a no-op after the clean-up)


class GuardedAsyncStream(_Calls):
    """A guarded async stream of text. ``aclose()``, leaving an ``async with`` block or
    dropping it (even unread) closes the provider's stream, settles the budget (``settle``:
    off the loop when the store blocks) and emits the Report (``abandon``; when it is dropped
    on a running loop, all of it is scheduled there). Once it is exhausted, ``tool_calls``
    holds the answer's tool calls, as checked."""

    def __init__(self, pieces: AsyncGenerator[str, None], source: Any, report: Report, *,
                 abandon: Callable[[], None], settle: Callable[[], Awaitable[None]],
                 dropped: Callable[[], bool]) -> None:
        self._pieces, self._source, self._report = pieces, source, report
        self._abandon, self._settle = abandon, settle
        self._unread = [True]  # shared with the finalizer, which must not hold the stream
        self._closer = weakref.finalize(self, _drop_async, self._unread, source, abandon, settle, dropped)

    def __aiter__(self) -> GuardedAsyncStream:
        return self

    async def __anext__(self) -> str:
        self._unread[0] = False
        return await self._pieces.__anext__()

    async def aclose(self) -> None:
        if self._closer.detach() is None:
            return  # closed already
        try:
            if self._unread[0]:
                await aclose_source(self._source)
            await self._pieces.aclose()  # a started stream cleans up as it stops
            await self._settle()
        finally:
            self._abandon()

    async def __aenter__(self) -> GuardedAsyncStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Peeked:
    """A provider's sync stream whose first chunks were read ahead (inside the chain's retries,
    so that a stream failing before its answer begins is retried and falls back); gives those
    chunks first."""

    def __init__(self, source: Iterator[Any], ahead: list[Any] | tuple[Any, ...]) -> None:
        self.source, self.ahead = source, list(ahead)[::-1]

    @classmethod
    def served(cls, text: str) -> Peeked:
        """The fallback value of a call whose model streamed: a stream of one piece."""
        return cls(iter(()), (text,))

    def __iter__(self) -> Peeked:
        return self

    def __next__(self) -> Any:
        return self.ahead.pop() if self.ahead else next(self.source)

    def close(self) -> None:
        close_source(self.source)


class AsyncPeeked:
    """`Peeked` for an async stream."""

    def __init__(self, source: AsyncIterator[Any] | None, ahead: list[Any] | tuple[Any, ...]) -> None:
        self.source, self.ahead = source, list(ahead)[::-1]

    @classmethod
    def served(cls, text: str) -> AsyncPeeked:
        """The fallback value of a call whose model streamed: a stream of one piece."""
        return cls(None, (text,))

    def __aiter__(self) -> AsyncPeeked:
        return self

    async def __anext__(self) -> Any:
        if self.ahead:
            return self.ahead.pop()
        if self.source is None:
            raise StopAsyncIteration
        return await self.source.__anext__()

    async def aclose(self) -> None:
        await aclose_source(self.source)


_CLOSING: set[asyncio.Task[Any]] = set()  # provider streams being closed after a drop


def _drop_async(unread: list[bool], source: Any, abandon: Callable[[], None],
                settle: Callable[[], Awaitable[None]], dropped: Callable[[], bool]) -> None:
    """A guarded async stream was dropped: on a running loop, its Report is marked now
    (``dropped``: False when it is done already) and a task closes the provider's stream if it
    was never read, settles the budget and emits the Report (``abandon``); with no loop left,
    all of that is done now."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        abandon()
        return
    if not dropped():
        return
    task = loop.create_task(_dropped(source if unread[0] else None, settle, abandon))
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


async def _dropped(source: Any, settle: Callable[[], Awaitable[None]], abandon: Callable[[], None]) -> None:
    """``source``: the provider's stream, if the guarded one was never read (one that was
    read closes it as it stops)."""
    try:
        if source is not None:
            await aclose_source(source)
        await settle()
    finally:
        abandon()


def close_source(chunks: Any) -> None:
    """Close a provider's stream from sync code: its ``close()``, unless that is a coroutine
    function (an async SDK stream's, which `aclose_source` awaits)."""
    close = _closer(chunks, "close")
    if close is not None and not inspect.iscoroutinefunction(close):
        close()


async def aclose_source(chunks: Any) -> None:
    """Close a provider's async stream: its ``aclose()`` (async generators), else its
    ``close()``, awaited when it returns an awaitable (the OpenAI and Anthropic SDKs'
    ``AsyncStream.close``; older versions have no ``aclose``)."""
    close = _closer(chunks, "aclose", "close")
    if close is not None and inspect.isawaitable(closing := close()):
        await closing


def _closer(chunks: Any, *names: str) -> Callable[[], Any] | None:
    return next((c for name in names if callable(c := getattr(chunks, name, None))), None)
