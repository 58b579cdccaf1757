"""What the proxy sends back: the guarded answer as a chat completion or as chunks of one
(Server-Sent Events), and a failed call as an OpenAI-style error."""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from ..chain import last_report
from ..errors import Blocked, BudgetExceeded, CallTimeout, ConfigError, ProviderError
from ..providers import field, is_stream, text_of
from ..providers.tools import ToolCall, tool_calls
from ..report import Report
from ..transient import is_transient
from ..verdict import Action
from .relay import KEPT, Completion, Relay, UpstreamError
from .stopping import Stopped

log = logging.getLogger("guardlayer")


def problem(exc: Exception, restore: Callable[[str], str | None] | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and OpenAI-style error object of a failed call; an upstream's message,
    which may quote the request it was sent, given back as an answer would be (``restore``:
    `Relay.restore`)."""
    if isinstance(exc, Blocked):
        return 400, {"message": str(exc), "type": "guardlayer_blocked",
                     "code": exc.verdicts[0].guard if exc.verdicts else None,
                     "verdicts": [{"guard": v.guard, "reason": v.reason, "score": round(v.score, 4)}
                                  for v in exc.verdicts]}
    if isinstance(exc, BudgetExceeded):
        return 429, {"message": str(exc), "type": "guardlayer_budget_exceeded", "code": exc.key}
    if isinstance(exc, ProviderError):
        causes = _causes(exc)
        upstream = next((c for c in causes if isinstance(c, UpstreamError)), None)
        if upstream is not None and upstream.error is not None and not is_transient(upstream):
            error = upstream.error["error"]  # the client's request refused
            said = error.get("message")
            return upstream.status_code, {**error, "message": _shown(said, restore)} if isinstance(said, str) else error
        timed_out = any(isinstance(c, (CallTimeout, httpx.TimeoutException)) for c in causes)
        tries, root = len(exc.report.attempts) if exc.report else 1, causes[-1]
        why = str(root) if isinstance(root, UpstreamError) else f"{type(root).__name__}: {root}"
        limited = upstream is not None and upstream.status_code == 429  # still, after the retries
        return 504 if timed_out else 429 if limited else 502, {
            "message": _shown(f"the upstream failed ({tries} attempt{'s' * (tries != 1)}): {why}", restore),
            "type": "upstream_error", "code": upstream.status_code if upstream else None}
    if isinstance(exc, Stopped):
        return 503, {"message": str(exc), "type": "server_error", "code": "guardlayer_stopped"}
    if isinstance(exc, ConfigError):  # what the chain cannot guard in this request
        return 400, {"message": str(exc), "type": "invalid_request_error"}
    log.exception("guard proxy: the call failed")
    return 500, {"message": f"the guard proxy failed: {type(exc).__name__}", "type": "server_error"}


def _shown(message: str, restore: Callable[[str], str | None] | None) -> str:
    """An upstream's ``message`` as the client may see it: what the input guards hid put back
    (placeholders the upstream quoted from the request), else withheld when a guard would not
    let it through (`chain.restorer`)."""
    if restore is None:
        return message
    restored = restore(message)
    return restored if restored is not None else "the upstream failed; its message is withheld: a guard would not pass it"


def retry_after(exc: Exception) -> dict[str, str]:
    """The ``Retry-After`` header of an upstream that was still rate limiting the call."""
    upstream = next((c for c in _causes(exc) if isinstance(c, UpstreamError)), None)
    wait = upstream.headers.get("retry-after") if upstream is not None and upstream.status_code == 429 else None
    return {"Retry-After": wait} if wait else {}


def _causes(exc: BaseException) -> list[BaseException]:
    chain = [exc]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)
    return chain


def unread_error(why: str) -> dict[str, Any]:
    """The error of a call whose upstream answer the guards could not read (`Relay.unread`): an
    upstream error, not retried (the upstream would answer alike)."""
    log.warning("guard proxy: the upstream's answer was refused: %s", why)
    return {"message": f"the upstream's answer was refused: {why}", "type": "upstream_error"}


def error_body(error: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"param": None, "code": None, **error}}


REFUSED = "The model refused this request."
"""What a model's ``refusal`` becomes in the proxy's answer (no guard reads the refusal's words)."""


async def completion(result: Any, relay: Relay, report: Report, model: Any) -> dict[str, Any]:
    """The chat completion to send: the upstream's own as guarded, or a fallback model's answer
    of that shape (its ids, never the upstream's), else one built around the guarded text (a
    value the output guards parsed, as JSON; a fallback model's answer of another shape: its
    text as judged, `text_of`, never its other fields) and tool calls; its ``usage`` what the
    call was charged (`Relay.usage`: the answers a fallback replaced, and the fallback models' own)."""
    usage = {"usage": spent} if (spent := relay.usage(report)) is not None else {}
    answered = isinstance(result, Completion) or _fallback_answer(result, report)
    if answered and (isinstance(result, Completion) or _chat_completion(result)):
        return {**_judged(result), **usage}
    calls = [c for c in report.tool_calls or () if not c.in_text]  # (text calls stay in the text)
    message: dict[str, Any] = {"role": "assistant", "content": text_of(result) if answered else await as_text(result)}
    if calls:
        message["tool_calls"] = [_tool_call(c) for c in calls]
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
            "created": int(time.time()), "model": model, **({} if report.fallback else relay.seen), **usage,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if calls else "stop"}]}


def _fallback_answer(result: Any, report: Report) -> bool:
    """Whether ``result`` is a fallback model's answer (a provider's object, read for its judged
    text and calls only), not a text, a value an output guard parsed (`Verdict.value`: sent as
    its JSON), or the chain's fixed fallback value."""
    if isinstance(result, str) or report.fallback in (None, "value") or is_stream(result):
        return False
    return not any(check.verdict.has_value and check.action is not Action.LOG and (
        check.verdict.value is result or type(check.verdict.value) is type(result) and check.verdict.value == result)
        for check in report.checks)


def _chat_completion(result: Any) -> bool:
    """Whether a fallback model answered with a chat completion (a dict or an SDK object with a
    choice that has a message), to be read as one."""
    choices = None if isinstance(result, str) else field(result, "choices")
    return isinstance(choices, (list, tuple)) and bool(choices) and field(choices[0], "message") is not None


def _judged(answer: Any) -> dict[str, Any]:
    """A chat completion (the upstream's, or a fallback's dict or SDK object) cut down to what the
    chain judged: its ids (plain values only; the usage is `completion`'s), and a message of
    content and tool calls (rebuilt from their names and arguments). Fields that carry text no
    guard read (logprobs, ``reasoning_content``, ``audio``, ``annotations``, any other) are
    dropped; a ``refusal`` becomes `REFUSED` (a client reading structured output must still see
    that the model refused, but not unjudged words)."""
    choices = field(answer, "choices")
    choice = choices[0] if choices else None
    said = field(choice, "message")
    message: dict[str, Any] = {"role": "assistant", "content": text_of(answer)}
    calls = tool_calls(answer)
    if field(said, "function_call") is not None:  # the legacy call: read last (`providers.tools`)
        message["function_call"] = _tool_call(calls.pop())["function"]
    if calls:
        message["tool_calls"] = [_tool_call(c) for c in calls]
    if field(said, "refusal"):
        message["refusal"] = REFUSED
    finish = field(choice, "finish_reason")
    return {**{k: v for k in (*KEPT, "object", "service_tier") if k != "usage"
               and isinstance(v := field(answer, k), (str, int, float))},
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish if isinstance(finish, str) else None}]}


async def as_text(result: Any) -> str:
    """The guarded answer as text: a parsed value as JSON, a stream read whole."""
    if isinstance(result, str):
        return result
    if is_stream(result):
        async with result:
            return "".join([piece async for piece in result])
    from ..guards.json_output import dump

    return dump(result)


def _tool_call(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": call.arguments}}


async def sse(result: Any, relay: Relay, model: Any) -> AsyncIterator[bytes]:
    """The guarded answer as OpenAI chat completion chunks, ending ``data: [DONE]``; a stream
    a guard cut, the upstream broke or the proxy's stop cut (its relay's waits: `Stopped`)
    ends with an error event instead."""
    base = {"id": relay.seen.get("id") or f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk", "created": relay.seen.get("created") or int(time.time()),
            "model": relay.seen.get("model") or model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    yield chunk({"role": "assistant", "content": ""})
    calls: list[ToolCall] = []
    try:
        if is_stream(result):
            async with result:
                async for piece in result:
                    yield chunk({"content": piece})
                calls = [c for c in result.tool_calls if not c.in_text]
        else:
            yield chunk({"content": await as_text(result)})
    except Exception as exc:  # noqa: BLE001 - the client learns why the stream stopped
        yield _event(error_body(problem(exc, relay.restore)[1]))
        return
    if calls:
        yield chunk({"tool_calls": [{"index": i, **_tool_call(c)} for i, c in enumerate(calls)]})
    report = last_report()
    finish = "tool_calls" if calls else relay.seen.get("finish_reason") or "stop"
    yield chunk({}, "stop" if report is not None and report.fallback else finish)
    if (relay.usages or relay.usage_asked) and (usage := relay.usage(report)) is not None:
        yield _event({**base, "choices": [], "usage": usage})  # (as the upstream streams it: when asked)
    yield f": guardlayer outcome {report.outcome if report else 'ok'}\n\ndata: [DONE]\n\n".encode()


def _event(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"
