"""The Chain: input guards, the model call (retries, timeout), output guards, and what to do
when a guard fails (fix, re-ask, fall back, block, log).

The logic lives once, in `_flow`, a generator free of I/O that yields the model calls it wants
made and receives their answers (the sans-I/O shape of httpx's auth flows). `run` and
`run_async` are thin drivers that make those calls, the only place sync and async differ
(`run_async` may also run the flow's guard work, and a blocking budget store's I/O, in a worker
thread: `Chain.offloads`). Sync model calls under a timeout run in threads of their own
(`_Worker`), so the timeout measures the provider's time alone and a provider that hangs
cannot starve other calls; so do the checks of guards with a time limit (`check_in_time`).
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import dataclasses
import functools
import inspect
import logging
import os
import queue
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

from tenacity import (AsyncRetrying, RetryCallState, Retrying, retry_if_exception,
                      stop_after_attempt, wait_exponential, wait_random_exponential)

from .call import HISTORY, OWN_SOURCES, SYSTEM, Call, CallShape, Slot, default, takes
from .context import Context
from .errors import Blocked, BudgetExceeded, CallTimeout, ConfigError, GuardlayerError, ProviderError
from .fallback import Fallbacks
from .providers import chunk_text, is_stream, model_of, text_of, unreadable, usage_of, with_text
from .providers.tools import (CHECKED_CALLS, ToolCall, checked_calls, copies_agree, tool_calls,
                              with_tool_arguments, written)
from .report import Attempt, Report
from .steps import Step, as_step, check_side
from .stores.base import StoreUnavailable
from .stores.memory import MemoryStore
from .stream import (AsyncPeeked, GuardedAsyncStream, GuardedStream, Peeked, StreamGuards, aclose_source,
                     close_source)
from .structured.repair import plain
from .transient import Backoff, is_transient, retry_after, status_of
from .verdict import GOES_ON, MISSING, Action, Verdict

log = logging.getLogger("guardlayer")
_LAST: contextvars.ContextVar[Report | None] = contextvars.ContextVar("guardlayer_report", default=None)
_CALLING: contextvars.ContextVar[Callable[[str], str | None] | None] = contextvars.ContextVar(
    "guardlayer_calling", default=None)


STUCK_LIMIT = 16
"""Threads one callable may leave running past their timeout; its calls then fail at once."""
_stuck: collections.Counter[Any] = collections.Counter()
_stuck_lock = threading.Lock()


async def _finished(work: asyncio.Future[Any], seconds: float | None = None) -> None:
    """Wait until ``work`` is done (or ``seconds`` have passed), whatever cancels the waiting
    meanwhile."""
    end = None if seconds is None else time.monotonic() + seconds
    while not work.done() and (end is None or (left := end - time.monotonic()) > 0):
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([work], timeout=None if end is None else left)


CLEANUP_SECONDS = 5.0
"""How long a provider call given up on may take to clean up (close its connection) before
guardlayer stops waiting for it."""


async def _given_up(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` once and let it clean up; what it returned anyway (a stream) is closed."""
    task.cancel()
    await _finished(task, CLEANUP_SECONDS)
    if task.done() and not task.cancelled() and task.exception() is None:
        with contextlib.suppress(Exception):
            await aclose_source(task.result())


@functools.cache
def _guard_pool() -> ThreadPoolExecutor:
    """Threads for async chains' offloaded guard work and budget store I/O, apart from the
    loop's default executor (which other code, and its hung calls, may fill); started as needed."""
    return ThreadPoolExecutor(max_workers=32, thread_name_prefix="guardlayer-guard")


def last_report() -> Report | None:
    """The Report of the last guarded call made in this thread or task."""
    return _LAST.get()


def restorer() -> Callable[[str], str | None] | None:
    """In the model call of a guarded call (the callable the chain guards, as it runs): a
    function of a text that quotes what the model was sent (a provider's error message) that
    gives it back as the call's answer would be given, for what the input guards hid: the output
    guards that put hidden originals back (``restores``: PII) judge it, unrecorded, in the
    call's context; the text they let through (restored, new personal data redacted), or None
    when one would not (it must not be shown). Apply it where the text leaves, not to errors
    that are logged: the log keeps the placeholders. None outside a guarded call."""
    return _CALLING.get()


_OWN_TURNS = {HISTORY: "assistant_turns", SYSTEM: "system_turns"}
"""The guard attribute that says a guard reads the application's own turns of that source."""


class _Invoke(NamedTuple):
    fn: Callable[..., Any]
    call: Call
    kind: str


class _Outcome(NamedTuple):
    action: Action | None
    verdict: Verdict | None
    text: str
    result: Any


class _Substitute(Exception):
    """Internal: an input guard or the budget asked for the fallback value."""

    def __init__(self, reason: str, error: GuardlayerError) -> None:
        self.reason, self.error = reason, error


@dataclass(frozen=True)
class Chain:
    """An immutable, ordered set of guards around a model call. Build once, run many times."""

    input: tuple[Step, ...] = ()
    output: tuple[Step, ...] = ()
    retries: int = 2
    timeout: float | None = None
    fallback: Fallbacks = Fallbacks()
    backoff: Backoff = Backoff()
    budget: Any = None
    name: str = "chain"
    offload: bool | None = None

    def __post_init__(self) -> None:
        for side, steps in (("input", self.input), ("output", self.output)):
            for s in steps:
                check_side(s, side)
        marking = next((i for i, s in enumerate(self.input) if getattr(s.guard, "marks_text", False)), None)
        if marking is not None and marking < len(self.input) - 1:
            raise ConfigError(f"input guard {self.input[marking].name!r} marks the text for the model, so it "
                              f"must come last: {self.input[marking + 1].name!r} would read marked text")
        restoring = [s.name for s in self.output if getattr(s.guard, "restores", False)]
        later = [s.name for s in self.output[self._first_restoring():] if s.on_fail is Action.REASK]
        if restoring and later:
            raise ConfigError(f"output guard {restoring[0]!r} puts private originals back, so it must "
                              f"come after {later[0]!r}, which can re-ask the model: a re-ask "
                              "would show the model what the input guards hid")

    def _first_restoring(self) -> int:
        return next((i for i, s in enumerate(self.output) if getattr(s.guard, "restores", False)),
                    len(self.output))

    @classmethod
    def build(cls, input: Any = (), output: Any = (), *, fallback: Any = None, **options: Any) -> Chain:
        """A chain from guards, registry names, `Step`s or ``(guard, on_fail)`` pairs; its options
        are checked as a rule file's are (`rules.chain_options`). ``guard_timeout`` is the time
        limit of every step that has none of its own."""
        if options or fallback is not None:
            from .rules import chain_options  # pydantic loads on first use

            options = chain_options({**options, "fallback": fallback})
        fallback = options.pop("fallback", None)
        limit = options.pop("guard_timeout", None)

        def placed(item: Any) -> Step:
            s = as_step(item)
            return s if limit is None or s.timeout is not None else dataclasses.replace(s, timeout=limit)

        return cls(tuple(map(placed, input)), tuple(map(placed, output)),
                   fallback=fallback if isinstance(fallback, Fallbacks) else Fallbacks.of(fallback),
                   **options)

    # ---- the logic, shared by both drivers ---------------------------------------------

    def _guard_input(self, call: Call, ctx: Context, steps: Sequence[Step] | None = None) -> Call:
        """``call`` after the input steps (all, or ``steps``); `Blocked` or `_Substitute` when one stops it."""
        ctx.side = "input"
        steps = self.input if steps is None else steps
        if not steps:
            ctx.messages = call.messages
            return call
        slots = call.slots()
        read = [*call.shape.sources, *filter(None, [call.shape.messages_arg])]
        if not slots and not any(name in call.arguments for name in read):
            # the text is in arguments the guards do not read: they would pass it unchecked
            raise ConfigError(f"the input guards found no text to check: the call gave "
                              f"{', '.join(call.arguments) or 'no arguments'}, the guards read "
                              f"{', '.join(read) or 'none'}; name the prompt's argument with "
                              "prompt_arg=, the conversation's with messages_arg=, or others with "
                              "untrusted=")
        messages, texts = _seen(call, slots)
        for step in steps:
            # a guard of the whole call sees each fix at once; another's fixes are written together
            # when it is done (one copy of a message however many of its parts change, not one each)
            now, fixes, rewrote = getattr(step.guard, "whole_call", False), [], False
            for slot in slots or _no_text(call, step):
                if (reads := _OWN_TURNS.get(slot.source)) and not getattr(step.guard, reads, False):
                    continue
                ctx.source, ctx.beside, ctx.messages, ctx.texts, ctx.call = slot.source, slot.beside, messages, texts, call
                verdict, action = step.run(slot.text, ctx, slot.target)
                self._stop_on(action, verdict)
                if action not in (None, Action.FIX):
                    continue
                if verdict.meta.get("messages") and isinstance(verdict.value, list):
                    # the guard judged and rewrote the whole conversation (`verdict.value`, made from the
                    # call as it was: a guard of the whole call, whose fixes were written at once: none pending)
                    call, fixes, rewrote = call.with_messages(verdict.value), [], True
                    break
                if verdict.fixed and not slots:  # (the empty text of a call of media alone: `_no_text`)
                    raise ConfigError("it returned a fixed text for a call that holds no text (media alone, "
                                      "or nothing), judged as an empty text: there is no text to write it to; "
                                      "return no fixed= for an empty text", where=f"guard {step.name!r}")
                if verdict.fixed is not None and slots:
                    fixes.append((slot, verdict.fixed))
                    if now:
                        call, fixes = call.with_slots(fixes), []
                        slots = call.slots()
                        messages, texts = _seen(call, slots)
            if fixes or rewrote:
                call = call.with_slots(fixes)
                slots = call.slots()
                messages, texts = _seen(call, slots)
        ctx.messages = call.messages
        return call

    def _reask(self, call: Call, ctx: Context, answer: str, reason: str) -> Call | None:
        """The re-ask of ``call`` (``answer``, the model's own words, then ``reason``) if the input
        guards that judge each request (``per_request``: a token limit) pass it as it is; None when
        one refuses or would change it (a cut could drop the question itself): the call goes on as
        when re-asks run out."""
        reask = call.with_reask(answer, reason)
        try:
            judged = self._guard_input(reask, ctx, [s for s in self.input if getattr(s.guard, "per_request", False)])
        except (Blocked, _Substitute):
            return None
        finally:
            ctx.side = "output"
        return reask if judged is reask else None

    @staticmethod
    def _stop_on(action: Action | None, verdict: Verdict) -> None:
        if action is Action.BLOCK:
            raise Blocked([verdict])
        if action is Action.FALLBACK:
            raise _Substitute(verdict.reason, Blocked([verdict]))

    def check_output(self, response: Any, ctx: Context, attempt: int) -> _Outcome:
        """Run the output guards on the answer text and, for guards that opt in
        (``tool_arguments = True``), on each tool call's arguments; ``ctx.response`` follows
        the rewritten response, so later guards see restored arguments."""
        ctx.side, ctx.source, ctx.response, ctx.value = "output", "output", response, MISSING
        ctx.state.pop(CHECKED_CALLS, None)  # (what tool_calls guards check in this answer)
        original = text_of(response)
        if self.output and (problem := unreadable(response)):  # unread, it would pass unjudged
            raise ConfigError(f"output guards cannot check this answer: {problem}")
        text = original or ""
        for step in self.output:
            verdict, action = step.run(text, ctx, "output", attempt)
            if action not in GOES_ON:
                return _Outcome(action, verdict, text, None)
            if action is not Action.LOG:
                text = verdict.fixed if verdict.fixed is not None else text
                ctx.value = verdict.value if verdict.has_value else ctx.value
            if getattr(step.guard, "tool_arguments", False) and (
                    stop := _check_tool_calls(step, ctx, attempt, text)):
                return stop
        if ctx.value is not MISSING:
            return _Outcome(None, None, text, ctx.value)
        result = ctx.response
        return _Outcome(None, None, text, result if text == (original or "") else with_text(result, text))

    def _flow(self, fn: Callable[..., Any], run: _Run) -> Generator[_Invoke, Any, Any]:
        """One call's logic, free of I/O: yields the model calls to make, receives answers."""
        ctx = run.ctx
        try:
            call = self._guard_input(run.call, ctx)
            run.ticket = self._reserve(ctx, call)
        except _Substitute as sub:
            return self.substitute(ctx, sub.reason, sub.error)
        try:
            for n in range(self.retries + 1):
                try:
                    response = yield _Invoke(fn, call, "call" if n == 0 else "reask")
                except ProviderError as exc:
                    return (yield from self._fall_back(call, run, f"the model failed: {exc}", exc))
                if is_stream(response):
                    run.streaming = True
                    return response
                out = self.check_output(response, ctx, n)
                if out.action is None:
                    return _passed(out, ctx)
                assert out.verdict is not None
                if out.action is Action.REASK and n < self.retries and (reask := self._reask(
                        call, ctx, text_of(response) or "", f"{out.verdict.guard}: {out.verdict.reason}")):
                    try:
                        self._reserve_more(run, reask, fn)
                    except _Substitute as sub:
                        return self.substitute(ctx, sub.reason, sub.error)
                    call = reask
                    continue
                blocked = Blocked([out.verdict])
                if out.action is Action.BLOCK:
                    raise blocked
                return (yield from self._fall_back(call, run, out.verdict.reason, blocked))
            raise AssertionError("unreachable: the last try always returns or raises")
        finally:
            if not run.streaming:
                run.settle()

    def _fall_back(self, call: Call, run: _Run, reason: str,
                   error: GuardlayerError) -> Generator[_Invoke, Any, Any]:
        ctx = run.ctx
        ctx.report.fallback_reason = reason
        for fn in self.fallback.callables:
            if (refusal := self._refused(run, call, fn)) is not None:
                error, reason = refusal, f"{reason}; fallback models not called: {refusal}"
                break
            try:
                response = yield _Invoke(fn, call, "fallback")
            except ProviderError:
                continue
            ctx.report.fallback = _name(fn)
            if is_stream(response):
                run.streaming = True
                return response
            if run.stream_of is not None:  # the caller reads a stream: so is this answer, judged as one
                if tool_calls(response):  # a stream of its text would drop them unseen: not served
                    ctx.report.fallback = None
                    reason = f"{reason}; {_name(fn)} answered with tool calls, which a stream of its text cannot carry"
                    ctx.report.fallback_reason = reason
                    continue
                run.streaming = True
                return run.stream_of.served(text_of(response) or "")
            out = self.check_output(response, ctx, len(ctx.report.attempts))
            if out.action is None:
                return _passed(out, ctx)
            ctx.report.fallback = None
        if run.stream_of is None:
            return self.substitute(ctx, reason, error)
        value = str(self.substitute(ctx, reason, error, parse=False))  # (none: raises, settled as a call)
        run.streaming = True  # the model streamed: so does its fallback value
        return run.stream_of.served(value)

    def substitute(self, ctx: Context, reason: str, error: GuardlayerError, *,
                   parse: bool = True) -> Any:
        """The fixed fallback value. A text goes through the output guards like an answer
        (so a JSON fallback comes back as the schema's value, a policy adds its disclaimer);
        if they reject it, it is served as written and the Report says why."""
        if not self.fallback.has_value:
            raise error
        ctx.report.fallback, ctx.report.fallback_reason = "value", reason
        ctx.report.tool_calls = []  # the fallback value carries none
        value = self.fallback.render(ctx, reason)
        if not (parse and isinstance(value, str) and self.output):
            return value
        out = self.check_output(value, ctx, len(ctx.report.attempts))
        if out.action is None:
            return out.result
        assert out.verdict is not None
        ctx.report.extra["fallback_unchecked"] = f"{out.verdict.guard}: {out.verdict.reason}"
        return value

    # ---- the drivers ---------------------------------------------------------------------

    def run(self, fn: Callable[..., Any], shape: CallShape, args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> Any:
        """Run a sync callable under this chain."""
        with _Run(self, shape.bind(args, kwargs)) as run, contextlib.closing(self._flow(fn, run)) as flow:
            answer, error = None, None
            while True:
                done, request = _advance(flow, answer, error)
                if done:
                    return self._stream(request, run) if run.streaming else request
                try:
                    answer, error = self._invoke(request, run), None
                except ProviderError as exc:
                    answer, error = None, exc

    async def run_async(self, fn: Callable[..., Any], shape: CallShape, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
        """Run an async callable under this chain (a returned async stream is guarded too). A
        call stopped while the model works (cancelled) closes its flow, which settles the
        budget, as its guards' work runs (`_guarding`): off the loop when the store blocks."""
        with _Run(self, shape.bind(args, kwargs)) as run, contextlib.closing(self._flow(fn, run)) as flow:
            answer, error = None, None
            try:
                while True:
                    done, request = await self._guarding(_advance, flow, answer, error, io=True)
                    if done:
                        return self._stream_async(request, run) if run.streaming else request
                    try:
                        answer, error = await self._invoke_async(request, run), None
                    except ProviderError as exc:
                        answer, error = None, exc
            except BaseException:
                if flow.gi_suspended:
                    await self._guarding(flow.close, io=True)
                raise

    async def _guarding(self, fn: Callable[..., Any], *args: Any, io: bool = False) -> Any:
        """``fn(*args)``, the guards' share of an async call: in a worker thread when the chain
        `offloads`, so that the event loop serves other requests while a slow guard works, or
        when ``io`` (the work may reserve or settle the budget) and the budget's store blocks. A
        thread cannot be stopped: when the call is cancelled, its guards' work is waited for
        before the cancellation goes on (the flow it runs is then closed, not still running)."""
        if not (self.offloads or io and self._store_blocks):
            return fn(*args)
        work = asyncio.get_running_loop().run_in_executor(
            _guard_pool(), functools.partial(contextvars.copy_context().run, fn, *args))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            await _finished(work)
            if not work.cancelled():
                work.exception()  # (retrieved: its outcome is dropped with the call)
            raise

    @functools.cached_property
    def offloads(self) -> bool:
        """Whether async calls run the guards in a worker thread: the ``offload`` option, else
        whether a guard asks for it (its ``offload`` attribute: PII, whose NER takes ms per KB)
        or has a time limit (waited for in the thread, not on the event loop)."""
        if self.offload is not None:
            return self.offload
        return any(getattr(s.guard, "offload", False) or s.timeout is not None
                   for s in (*self.input, *self.output))

    @functools.cached_property
    def _budget_reads_arguments(self) -> bool:
        """Whether the budget's ``reserve`` takes the call's ``arguments`` (a budget of one's
        own written before it did, with ``reserve(ctx, prompt)``, still works)."""
        return _takes(getattr(self.budget, "reserve", None), "arguments")

    @functools.cached_property
    def _budget_prices_models(self) -> bool:
        """Whether the budget's ``extend`` takes the ``model`` a request is sent to (likewise)."""
        return _takes(getattr(self.budget, "extend", None), "model")

    @functools.cached_property
    def _store_blocks(self) -> bool:
        """Whether the budget's store does blocking I/O (SQLite, Redis, a user's store)."""
        return self.budget is not None and not isinstance(getattr(self.budget, "store", None), MemoryStore)

    def check_text(self, text: str, *, source: str = "user") -> tuple[str, Report]:
        """Run the input guards on one text, as a user prompt (or, with ``source="document"``
        or ``"tool"``, as a retrieved document or a tool's output): the guarded text and the
        Report. Raises `Blocked`, carrying the Report, when a guard blocks or asks for the fallback."""
        with _Run(self, CallShape(None, {"prompt": source}, None).bind((), {"prompt": text})) as run:
            try:
                call = self._guard_input(run.call, run.ctx)
            except _Substitute as sub:
                raise sub.error from None
            return call.arguments["prompt"], run.ctx.report

    def _restored(self, ctx: Context, text: str) -> str | None:
        """`restorer`'s function: ``text`` through the output guards that restore, as an answer."""
        seen = dataclasses.replace(ctx, side="output", source="output", value=MISSING, response=text,
                                   partial=False)
        for step in self.output:
            if getattr(step.guard, "restores", False):
                verdict = step.judge(text, seen)
                action = step.decide(verdict, "output", "output")
                if action not in GOES_ON:
                    return None
                if action is not Action.LOG and verdict.fixed is not None:
                    text = verdict.fixed
        return text

    def check_answer(self, text: str) -> tuple[str, Report]:
        """Run the output guards on one text, as the model's answer: the guarded text and the
        Report. Raises `Blocked`, carrying the Report, when a guard would not let it through
        (one that would re-ask or fall back counts as blocking it)."""
        with _Run(self, CallShape(None, {}, None).bind((), {})) as run:
            out = self.check_output(text, run.ctx, 0)
            if out.verdict is not None:  # (a verdict comes back only when the chain would not go on)
                raise Blocked([out.verdict])
            return out.text, run.ctx.report

    def _reserve(self, ctx: Context, call: Call) -> Any:
        if self.budget is None:
            return None
        mine = {"arguments": call.arguments} if self._budget_reads_arguments else {}
        with self._exceeded():
            return self.budget.reserve(ctx, prompt=_prompt(call, ctx), **mine)

    def _reserve_more(self, run: _Run, call: Call, fn: Callable[..., Any]) -> None:
        """Reserve a request before it is sent, at the price of the model ``fn`` sends it to (a
        budget of one's own without ``extend``: not)."""
        extend = getattr(self.budget, "extend", None)
        if run.ticket is not None and extend is not None:
            mine = {}
            if self._budget_prices_models:
                from .budget import sent_model  # loaded already: the budget is one of ours

                mine = {"model": sent_model(fn, call.arguments)}
            with self._exceeded():
                extend(run.ticket, run.ctx, _prompt(call, run.ctx), arguments=call.arguments, **mine)

    def _refused(self, run: _Run, call: Call, fn: Callable[..., Any]) -> GuardlayerError | None:
        """Reserve the call's next request (a retry, a fallback model): None, or the budget's refusal."""
        try:
            self._reserve_more(run, call, fn)
        except _Substitute as sub:
            return sub.error
        except BudgetExceeded as exc:
            return exc
        return None

    @contextlib.contextmanager
    def _exceeded(self) -> Iterator[None]:
        """A `BudgetExceeded` becomes the fallback value when the budget says ``on_exceeded: fallback``."""
        try:
            yield
        except BudgetExceeded as exc:
            if getattr(self.budget, "on_exceeded", "raise") == "fallback":
                raise _Substitute(str(exc), exc) from None
            raise

    # ---- calling the model: retries, timeout ---------------------------------------------

    def _retry_options(self) -> dict[str, Any]:
        b = self.backoff
        curve = (wait_random_exponential(multiplier=b.initial, exp_base=b.multiplier, max=b.max)
                 if b.jitter else wait_exponential(multiplier=b.initial, exp_base=b.multiplier, max=b.max))

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = retry_after(exc) if exc is not None else None
            return min(hinted, b.max) if hinted is not None else curve(state)

        return {"stop": stop_after_attempt(self.retries + 1), "wait": wait, "reraise": True,
                "retry": retry_if_exception(is_transient)}

    def _record(self, request: _Invoke, ctx: Context, number: int) -> Attempt:
        kind = request.kind if number == 1 else "retry"
        attempt = Attempt(_name(request.fn), kind, prompt=_prompt(request.call, ctx))
        ctx.report.attempts.append(attempt)
        return attempt

    # The first try is made directly: tenacity is entered only once it has failed, so a call
    # that succeeds pays nothing for retries. Inside tenacity the first failure is replayed so
    # that it schedules the wait (honouring Retry-After) before the second try.

    def _invoke(self, request: _Invoke, run: _Run) -> Any:
        try:
            return self._try(request, run, 1)
        except Exception as exc:  # noqa: BLE001 - sorted below
            first = self._retryable(exc)
        try:
            for trying in Retrying(**self._retry_options()):
                if trying.retry_state.attempt_number > 1:
                    self._reserve_retry(run, request, first)
                with trying:
                    number = trying.retry_state.attempt_number
                    if number == 1:
                        raise first
                    answer = self._try(request, run, number)
        except Exception as exc:  # noqa: BLE001 - sorted by _raise_provider_error
            _raise_provider_error(exc)
        return answer

    async def _invoke_async(self, request: _Invoke, run: _Run) -> Any:
        try:
            return await self._try_async(request, run, 1)
        except Exception as exc:  # noqa: BLE001 - sorted below
            first = self._retryable(exc)
        try:
            async for trying in AsyncRetrying(**self._retry_options()):
                if trying.retry_state.attempt_number > 1:
                    await self._guarding(self._reserve_retry, run, request, first, io=True)
                with trying:
                    number = trying.retry_state.attempt_number
                    if number == 1:
                        raise first
                    answer = await self._try_async(request, run, number)
        except Exception as exc:  # noqa: BLE001 - sorted by _raise_provider_error
            _raise_provider_error(exc)
        return answer

    def _reserve_retry(self, run: _Run, request: _Invoke, first: Exception) -> None:
        """Reserve a retry before it is sent; one the budget refuses is not sent, and the call
        fails as the provider did (so the fallbacks are tried)."""
        if (refusal := self._refused(run, request.call, request.fn)) is not None:
            raise ProviderError(f"{type(first).__name__}: {first}; not retried: {refusal}") from first

    def _retryable(self, exc: Exception) -> Exception:
        if self.retries and is_transient(exc):
            return exc
        _raise_provider_error(exc)

    def _try(self, request: _Invoke, run: _Run, number: int) -> Any:
        attempt = self._record(request, run.ctx, number)
        with _timed(attempt):
            answer = self._call_sync(request, run)
        if inspect.isawaitable(answer):
            raise ConfigError(f"{attempt.name} is async: use it from an async function")
        _read(answer, attempt)
        return answer

    async def _try_async(self, request: _Invoke, run: _Run, number: int) -> Any:
        attempt = self._record(request, run.ctx, number)
        with _timed(attempt):
            answer = await self._call_async(request, run)
        _read(answer, attempt)
        return answer

    # A stream's first chunk is read here, inside the retries: a stream that fails before
    # anything was sent is retried and falls back like a call that fails outright.

    def _call_sync(self, request: _Invoke, run: _Run) -> Any:
        """The call, then a sync stream's first chunk, each under the timeout (the stream's
        chunks are read by a thread of its own, `_Run.worker`)."""
        name = _name(request.fn)
        with _Worker(name, self.timeout, request.fn) as worker:
            answer = worker.run(f"{name} did not answer", request.call.invoke, request.fn)
        if not (is_stream(answer) and hasattr(answer, "__next__")):
            return answer
        run.stream_of, reader = Peeked, _Worker(name, self.timeout, request.fn)
        ahead: list[Any] = []
        try:
            while not _begun(ahead):
                ahead.append(reader.run("no chunk", next, answer))
        except StopIteration:
            pass
        except BaseException:
            reader.after(lambda: close_source(answer))
            reader.close()
            raise
        run.worker = reader
        return Peeked(answer, ahead)

    async def _call_async(self, request: _Invoke, run: _Run) -> Any:
        """Coroutine functions are awaited; other callables run in a thread of their own (a
        sync second model must not block the event loop), under the timeout; then an async
        stream's first chunk is awaited under the timeout too."""
        fn, late = request.fn, f"{_name(request.fn)} did not answer"
        if inspect.isasyncgenfunction(fn):
            answer = request.call.invoke(fn)
        elif inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
            answer = await self._awaited(request.call.invoke(fn), late)
        else:
            with _Worker(_name(fn), self.timeout, fn) as worker:
                answer = await worker.run_async(late, request.call.invoke, fn)
        if inspect.isawaitable(answer):  # a plain function that returned a coroutine
            answer = await self._awaited(answer, late)
        if not (is_stream(answer) and hasattr(answer, "__anext__")):
            return answer
        run.stream_of = AsyncPeeked
        ahead: list[Any] = []
        try:
            while not _begun(ahead):
                ahead.append(await self._awaited(answer.__anext__(), "no chunk"))
            return AsyncPeeked(answer, ahead)
        except StopAsyncIteration:
            return AsyncPeeked(answer, ahead)
        except BaseException:
            await aclose_source(answer)
            raise

    async def _awaited(self, pending: Awaitable[Any], late: str) -> Any:
        """``pending``'s result within the chain's ``timeout``, else `CallTimeout`. Cancelled
        (a client gone) or out of time, it is cancelled once and given `CLEANUP_SECONDS` to
        finish, further cancellations aside, so that its own clean-up (closing the provider's
        connection) runs to the end instead of being cancelled again midway (an ASGI server
        cancels repeatedly); what it returned meanwhile (a stream) is closed."""
        task = asyncio.ensure_future(pending)
        try:
            if self.timeout is None:
                return await asyncio.shield(task)
            await asyncio.wait([task], timeout=self.timeout)
        except asyncio.CancelledError:
            await _given_up(task)
            raise
        if not task.done():
            await _given_up(task)
            raise CallTimeout(f"{late} within {self.timeout} s")
        return task.result()  # (or its own error, its own TimeoutError included)

    # ---- streams ---------------------------------------------------------------------------

    def _stream(self, chunks: Any, run: _Run) -> GuardedStream:
        return GuardedStream(self._pieces(chunks, run), lambda: run.abandon(chunks), run.ctx.report)

    def _pieces(self, chunks: Any, run: _Run) -> Iterator[str]:
        try:
            with run.streamed() as guards:
                if not hasattr(chunks, "__next__"):
                    raise ConfigError("a sync function returned an async stream: make it async")
                while True:
                    try:
                        chunk = run.worker.run("no chunk", next, chunks)
                    except StopIteration:
                        break
                    except Exception as exc:  # noqa: BLE001 - sorted by guards.failed
                        if out := guards.failed(exc):
                            yield out
                        return
                    if guards.take(chunk) and (out := guards.release()):
                        yield out
                if out := guards.finish():
                    yield out
        finally:
            run.release(chunks)

    def _stream_async(self, chunks: Any, run: _Run) -> GuardedAsyncStream:
        return GuardedAsyncStream(self._pieces_async(chunks, run), chunks, run.ctx.report,
                                  abandon=lambda: run.abandon(chunks), dropped=run.dropped,
                                  settle=functools.partial(self._settle, run))

    async def _settle(self, run: _Run) -> None:
        """Settle the budget of an async stream's call, if not yet done, as guard work is run."""
        if run.ticket is not None:
            await self._guarding(run.settle, io=True)

    async def _pieces_async(self, chunks: Any, run: _Run) -> AsyncIterator[str]:
        try:
            with run.streamed() as guards:
                if not hasattr(chunks, "__anext__"):
                    raise ConfigError("an async function returned a sync stream: "
                                      "yield from an async one")
                while True:
                    try:  # the timeout bounds the wait for each chunk
                        chunk = await self._awaited(chunks.__anext__(), "no chunk")
                    except StopAsyncIteration:
                        break
                    except Exception as exc:  # noqa: BLE001 - sorted by guards.failed
                        if out := await self._guarding(guards.failed, exc):
                            yield out
                        return
                    if not guards.take(chunk):
                        continue
                    if out := await self._guarding(guards.release) if guards.live else guards.release():
                        yield out
                if out := await self._guarding(guards.finish):
                    yield out
        finally:
            await aclose_source(chunks)
            await self._settle(run)
            run.release(chunks)


class _Run:
    """One guarded call: its context and clock; attaches the Report to errors, settles the
    budget and emits the Report when the call (or, for a stream, its last chunk) is done."""

    def __init__(self, chain: Chain, call: Call) -> None:
        self.chain, self.call, self.start = chain, call, time.perf_counter()
        self.ctx = Context(report=Report(chain=chain.name))
        model = call.arguments.get("model", default(call.shape.signature, "model"))
        self.ctx.model = model if isinstance(model, str) else self.ctx.scope.model
        self.ticket: Any = None
        self.streaming = False
        self.stream_of: type[Peeked | AsyncPeeked] | None = None  # the model's answer streamed
        self.worker = _Worker("stream", chain.timeout)  # reads a sync stream's chunks (`_call_sync`)
        self.released = False

    def __enter__(self) -> _Run:
        self.calling = _CALLING.set(functools.partial(self.chain._restored, self.ctx))
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        _CALLING.reset(self.calling)
        if exc is not None:
            _attach(exc, self.ctx)
        if not self.streaming or exc is not None:
            self.finish()

    def settle(self) -> None:
        """Charge the budget the call's actual use. A store that fails now (down, flushed)
        costs the call neither its answer, already paid for, nor its own error: the failure
        is logged and kept in ``report.extra["budget"]`` (the reservation stays charged)."""
        if self.ticket is not None:
            ticket, self.ticket = self.ticket, None
            try:
                self.chain.budget.settle(ticket, self.ctx)
            except StoreUnavailable as exc:
                self.ctx.report.extra["budget"] = {"error": f"not settled: {exc}"}
                log.error("guarded call %s: budget not settled: %s", self.ctx.report.chain, exc)

    @contextlib.contextmanager
    def streamed(self) -> Iterator[StreamGuards]:
        """Guards for a stream; an error that ends it gets the Report (then `release`)."""
        try:
            yield StreamGuards(self.chain, self.ctx)
        except BaseException as exc:
            _attach(exc, self.ctx)
            raise

    def abandon(self, chunks: Any) -> None:
        """The guarded stream was closed or dropped before its end (perhaps unread)."""
        if not self.released:
            self.ctx.report.outcome = "abandoned"
            self.release(chunks)

    def dropped(self) -> bool:
        """A guarded async stream was dropped on a running loop: its Report is the last one and
        says so now; its budget is settled and the Report emitted by a task (`abandon`). False:
        the stream has been released already, nothing is left to do."""
        if self.released:
            return False
        self.ctx.report.outcome = "abandoned"
        _LAST.set(self.ctx.report)
        return True

    def release(self, chunks: Any) -> None:
        """Once: close the provider's stream, settle the budget, emit the Report."""
        if self.released:
            return
        self.released = True
        self.worker.after(lambda: close_source(chunks))
        self.worker.close()
        self.settle()
        self.finish()

    def finish(self) -> None:
        if (guards := self.ctx.state.pop(_GUARDS, None)) is not None:
            if len(_idle) < IDLE_GUARD_WORKERS:
                _idle.append(guards)  # its thread is free: a check past its time took another one's
            else:
                guards.close()
        report = self.ctx.report
        report.total_ms = (time.perf_counter() - self.start) * 1000
        if report.outcome == "ok":
            if report.fallback:
                report.outcome = "fallback"
            elif Action.FIX in report.actions:
                report.outcome = "fixed"
        _LAST.set(report)
        level = logging.WARNING if report.outcome in ("blocked", "error") else logging.INFO
        if log.isEnabledFor(level):
            log.log(level, "guarded call %s: %s", report.chain, report.outcome,
                    extra={"guardlayer": report.to_dict()})


def _passed(out: _Outcome, ctx: Context) -> Any:
    """The result of an answer that passed its output guards; its tool calls, as checked (the
    provider's, or those read from its text), go to `Report.tool_calls` (still there when a guard
    returned a parsed value instead)."""
    ctx.report.tool_calls = checked_calls(ctx)
    return plain(out.result)


def _advance(flow: Generator[_Invoke, Any, Any], answer: Any, error: Exception | None) -> tuple[bool, Any]:
    """Run ``flow`` (its guards) up to its next model call: ``(False, the call)``, or ``(True,
    its result)`` when it is done (a result, not StopIteration, which cannot cross a thread's
    future)."""
    try:
        return False, flow.throw(error) if error else flow.send(answer)
    except StopIteration as stop:
        return True, stop.value


def _attach(exc: BaseException, ctx: Context) -> None:
    """Give the error the Report, and the Report the outcome (GeneratorExit: a stream the
    caller stopped reading; CancelledError: a call or stream whose task was cancelled, as when
    a client goes away; neither is an error)."""
    if isinstance(exc, (GeneratorExit, asyncio.CancelledError)):
        ctx.report.outcome = "abandoned"
        return
    if isinstance(exc, (Blocked, ProviderError, BudgetExceeded)) and exc.report is None:
        exc.report = ctx.report
    ctx.report.outcome = "blocked" if isinstance(exc, (Blocked, BudgetExceeded)) else "error"


class _timed:
    """Times an attempt and records its error, if any."""

    def __init__(self, attempt: Attempt) -> None:
        self.attempt, self.start = attempt, 0.0

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        self.attempt.ms = (time.perf_counter() - self.start) * 1000
        if exc is not None:
            self.attempt.error = f"{type(exc).__name__}: {exc}"
            answered = getattr(exc, "generated", False) is True  # (a success status, an unusable answer)
            self.attempt.refused = status_of(exc) is not None and not answered or _not_sent(exc)


def _not_sent(exc: BaseException) -> bool:
    """Whether the request never reached the provider: no connection could be made (refused,
    unreachable, or the connection itself timed out). A read timing out is not one of these."""
    if isinstance(exc, ConnectionError) and not isinstance(exc, TimeoutError):
        return True
    return type(exc).__name__ in ("ConnectError", "ConnectTimeout", "APIConnectionError")


def _read(answer: Any, attempt: Attempt) -> None:
    """What the attempt received: the answer, or the text of a stream's chunks read ahead (what
    the budget charges if the stream is dropped unread; `StreamGuards.take` follows its reading)."""
    if isinstance(answer, (Peeked, AsyncPeeked)):
        attempt.output = "".join(chunk_text(chunk) or "" for chunk in reversed(answer.ahead))
    elif not is_stream(answer):
        attempt.usage, attempt.model = usage_of(answer), model_of(answer)
        attempt.output = written(text_of(answer), tool_calls(answer))


def _raise_provider_error(exc: Exception) -> NoReturn:
    """Provider failures become `ProviderError` (so the fallback can serve); bugs stay bugs."""
    if isinstance(exc, GuardlayerError) or not (is_transient(exc) or status_of(exc) is not None):
        raise exc
    raise ProviderError(f"{type(exc).__name__}: {exc}") from exc


def _prompt(call: Call, ctx: Context) -> list[Any] | str:
    """What a budget estimates a request from and charges it for without a usage report: every
    text it sends (a system prompt, instructions and earlier assistant turns too): its messages,
    with the texts beside them (``system=``) as a system message first. Read once per request
    (kept in ``ctx.state`` while the request is the same `Call`)."""
    held = ctx.state.get(_PROMPT)
    if held is not None and held[0] is call:
        return held[1]
    messages, arg = call.messages, call.shape.messages_arg
    if messages is None:
        prompt: list[Any] | str = "\n\n".join(slot.text for slot in call.slots())
    else:
        others = dataclasses.replace(call, arguments={k: v for k, v in call.arguments.items() if k != arg})
        beside = "\n\n".join(slot.text for slot in others.slots())  # (the messages are not read again)
        prompt = [{"role": "system", "content": beside}, *messages] if beside else messages
    ctx.state[_PROMPT] = (call, prompt)
    return prompt


_PROMPT = "guardlayer.chain.prompt"
"""``ctx.state`` key of the last request's `_prompt`."""


def _takes(method: Callable[..., Any] | None, name: str) -> bool:
    """Whether ``method`` takes a keyword ``name`` (`guardlayer.call.takes`)."""
    try:
        return method is not None and takes(inspect.signature(method), name)
    except (TypeError, ValueError):
        return False


def _no_text(call: Call, step: Step) -> list[Slot]:
    """What a guard of the whole call (``whole_call``: a token limit) judges of a call that holds
    no text, only media (a user turn of an image or a file): the call, once, as an empty text of
    the argument that holds it (the conversation, Gemini ``contents``, a Responses ``input``),
    which no fix can be written to (`_guard_input` refuses one)."""
    read = [call.shape.messages_arg, *(n for n, s in call.shape.sources.items() if s not in OWN_SOURCES),
            *call.shape.sources]
    arg = next((name for name in read if name and name in call.arguments), "")
    return [Slot(arg, None, "user", "")] if getattr(step.guard, "whole_call", False) else []


def _seen(call: Call, slots: list[Any]) -> tuple[list[Any] | None, tuple[str, ...]]:
    """What input guards see of the whole call (`Context.messages` and `Context.texts`), made
    again only when a guard changes the call."""
    return call.messages, tuple(s.text for s in slots if s.arg != call.shape.messages_arg and s.source not in OWN_SOURCES)


PEEK_CHUNKS = 8
"""Chunks a stream is read ahead at most, inside the retries, for the first that carries text."""


def _begun(ahead: list[Any]) -> bool:
    """Has a stream read ahead begun its answer (a chunk with text; OpenAI's and Anthropic's first
    chunks carry none: a role, ``message_start``), or been read far enough (`PEEK_CHUNKS`)?"""
    return len(ahead) >= PEEK_CHUNKS or bool(ahead and chunk_text(ahead[-1]))


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__


def _check_tool_calls(step: Step, ctx: Context, attempt: int, text: str) -> _Outcome | None:
    """Run ``step`` on each tool call's arguments (``ctx.value``: the parsed arguments, which
    a guard such as pii rewrites) and keep the rewritten response in ``ctx.response``; the
    outcome when a verdict there stops the chain (``text``: the answer text so far). A copy of a
    call's arguments (a LangChain message's) that is not matched to one call and read as it
    (`copies_agree`) fails the step: it would reach the caller unjudged, or not rewritten."""
    calls, value, changed = tool_calls(ctx.response, invalid=True), ctx.value, []
    try:
        copies_agree(ctx.response, calls)
    except ValueError as exc:
        verdict = Verdict.fail(f"the answer's tool calls cannot be judged: {exc}", meta={"error": True}).named(step.name)
        action = step.decide(verdict, ctx.side, ctx.source)
        step.record(ctx, "tool_calls", verdict, action, 0.0, attempt)
        return None if action in GOES_ON else _Outcome(action, verdict, text, None)
    try:
        for call in calls:
            ctx.source, ctx.value = "tool_call", call.parsed
            verdict, action = step.run(call.arguments, ctx, f"tool_calls[{call.index}].arguments", attempt)
            if action not in GOES_ON:
                return _Outcome(action, verdict, text, None)
            if action is not Action.LOG and (new := _fixed_call(call, verdict)) is not None:
                changed.append(new)
    finally:
        ctx.source, ctx.value = "output", value
    if changed:
        ctx.response = with_tool_arguments(ctx.response, changed)
    return None


def _fixed_call(call: ToolCall, verdict: Verdict) -> ToolCall | None:
    """The call as the verdict rewrote it: its parsed value re-dumped (never the JSON text
    patched), else its fixed text; None when it changed nothing."""
    if verdict.has_value and verdict.value != call.parsed:
        return call.with_value(verdict.value)
    if not verdict.has_value and verdict.fixed is not None and verdict.fixed != call.arguments:
        return call.with_text(verdict.fixed)
    return None


class _Worker:
    """A daemon thread of its own for the sync work of one call or one stream, one piece at a
    time, waited for ``timeout`` seconds (sync work with no timeout runs inline). The clock
    starts when the work does, not behind other calls in a shared pool; a provider that hangs
    holds only its own threads, and once `STUCK_LIMIT` of a callable's are still running past
    their timeout its calls fail at once (its retries and fallbacks take over) instead of
    adding more, so memory stays bounded."""

    def __init__(self, name: str, timeout: float | None, fn: Any = None) -> None:
        self.name, self.timeout, self.fn = name, timeout, fn
        self.jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] | None = None
        self.thread: threading.Thread | None = None  # both made on first use: most calls have none
        self.pending: Future[Any] | None = None  # work given up on, still running

    def __enter__(self) -> _Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, late: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)``; CallTimeout ("<late> within <timeout> s") when it takes too long."""
        if self.timeout is None:
            return fn(*args)
        future = self.submit(self.key, self.name, fn, *args)
        try:
            return future.result(self.timeout)
        except FutureTimeout:
            if future.done():  # the callable's own TimeoutError (socket.timeout): its error
                raise
            self.give_up(future, self.key)
            raise CallTimeout(f"{late} within {self.timeout} s") from None

    async def run_async(self, late: str, fn: Callable[..., Any], *args: Any) -> Any:
        """`run` for an async caller: always in the thread, so the event loop goes on."""
        future = self.submit(self.key, self.name, fn, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            if future.done() and not future.cancelled():  # the callable's own TimeoutError
                raise
            self.give_up(future, self.key)
            raise CallTimeout(f"{late} within {self.timeout} s") from None
        except asyncio.CancelledError:
            self.give_up(future, self.key)
            raise

    def after(self, fn: Callable[[], None]) -> None:
        """``fn()`` now, or when the work given up on ends (a generator that another thread
        is running cannot be closed)."""
        if self.pending is None:
            fn()
        else:
            self.pending.add_done_callback(lambda _: fn())

    def close(self) -> None:
        """Let the thread end once its work is done."""
        if self.thread is not None and self.jobs is not None:
            self.thread = None
            self.jobs.put(None)

    def submit(self, key: Any, name: str, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """``fn(*args)`` started in the thread; CallTimeout at once when `STUCK_LIMIT` threads
        of ``key`` (`key`: what is called) are still running past their time limit."""
        with _stuck_lock:
            if _stuck[key] >= STUCK_LIMIT:
                raise CallTimeout(f"{name}: {STUCK_LIMIT} earlier calls are still running past "
                                  "their timeout")
        if self.thread is None or self.jobs is None:
            self.jobs = queue.SimpleQueue()
            self.thread = threading.Thread(target=_serve, args=(self.jobs,), daemon=True,
                                           name=f"guardlayer-call {self.name}")
            self.thread.start()
        future: Future[Any] = Future()
        self.jobs.put((functools.partial(contextvars.copy_context().run, fn, *args), future))
        return future

    @property
    def key(self) -> Any:
        """What stuck threads are counted by (`_identity`; a worker for no callable: itself)."""
        return _identity(self.fn) if self.fn is not None else id(self)

    def give_up(self, future: Future[Any], key: Any) -> None:
        """Stop waiting for ``future``: it counts as stuck (for ``key``) until it ends, and the
        thread running it is left to it (further work starts a new one)."""
        if future.done():
            return
        self.pending = future
        with _stuck_lock:
            _stuck[key] += 1
        future.add_done_callback(lambda _: _unstuck(key))
        self.close()


_GUARDS = "guardlayer:guard-worker"
"""Where a call's `Context.state` keeps the thread its time-limited guards run in."""
IDLE_GUARD_WORKERS = 16
"""Guard threads kept, idle, for later calls (`_Run.finish`): starting one costs more than a check."""
_idle: collections.deque[_Worker] = collections.deque()
os.register_at_fork(after_in_child=_idle.clear)  # a forked process has none of their threads


def check_in_time(step: Step, text: str, ctx: Context) -> Any:
    """``step``'s guard's check of ``text`` within the step's ``timeout``, in a thread the call
    has to itself while it runs (a `_Worker`, kept for another call by `_Run.finish`): what the
    check returned, or a failed verdict (an error: fail closed) when the time passed, or at once
    when `STUCK_LIMIT` earlier checks of this guard are still running past theirs. A check past
    its time keeps its thread (Python cannot stop one); the call's next checks get a new one."""
    worker = ctx.state.get(_GUARDS)
    if worker is None:
        try:
            worker = _idle.pop()
        except IndexError:
            worker = _Worker("guards", None)
        ctx.state[_GUARDS] = worker
    key = _identity(step.guard.check)
    try:
        future = worker.submit(key, "guard not run", step.guard.check, text, ctx)
    except CallTimeout as exc:
        return Verdict.fail(str(exc), meta={"error": True})
    try:
        return future.result(step.timeout)
    except FutureTimeout:
        if future.done():  # the guard's own TimeoutError
            raise
        worker.give_up(future, key)
        return Verdict.fail(f"guard timed out after {step.timeout:g}s", meta={"error": True})


def _serve(jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None]) -> None:
    while (job := jobs.get()) is not None:
        work, future = job
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(work())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)


def _unstuck(key: Any) -> None:
    with _stuck_lock:
        _stuck[key] -= 1
        if not _stuck[key]:
            del _stuck[key]


def _identity(fn: Any) -> Any:
    """What stuck threads are counted by: the callable itself (a bound method: its object and
    function), not its name, which every SDK client's ``Completions.create`` shares."""
    owner = getattr(fn, "__self__", None)
    return (id(owner), getattr(fn, "__func__", fn)) if owner is not None else id(fn)
