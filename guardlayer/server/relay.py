"""The upstream: forwarding a chat completion, reading its answer or its stream of chunks,
and its failures as errors the chain knows how to retry. Only the waits for the upstream (its
answer, each chunk) are bounded by a stopping proxy's grace period (`stopping.Stopping`)."""
from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from ..chain import restorer
from ..providers import field
from ..report import Report
from .stopping import Stopping

TIMEOUT = httpx.Timeout(600.0, connect=10.0)
"""The HTTP client's own limits; the rule file's ``timeout`` bounds each call (and each chunk)."""
KEPT = ("id", "created", "model", "system_fingerprint", "usage")
"""Fields of the upstream's answer (or chunks) that a response the proxy builds keeps."""
EVENT_BYTES = 16 * 1024 * 1024
"""The largest event an upstream may stream, in bytes (a Responses stream's last carries the
whole answer): a larger one is an upstream error, read no further."""
ANSWER_BYTES = EVENT_BYTES
"""The largest body an upstream may answer with when not streaming (an answer or an error), in
bytes: as large as a streamed event may be. A larger one is an upstream error (502), read no
further."""
PLAIN = {"accept-encoding": "identity"}
"""What the proxy asks of the upstream's bodies: not compressed. A compressed body is refused
(`plain_bytes`): decoded, a few bytes could grow past any bound before the bound is checked."""
ERROR_FIELDS = ("message", "type", "param", "code")
"""The fields of an upstream's error object passed on to the client (no other: they may carry
anything)."""


class UpstreamError(Exception):
    """The upstream answered with an error status, or with what is not a chat completion
    (``status_code`` 502). ``headers`` carry its Retry-After; ``error`` is its error body
    (``{"error": {...}}``, `ERROR_FIELDS` only); ``generated``: it answered with a success status
    (so it may have generated, and bills it), but with what the proxy cannot use; a budget
    charges such an attempt as a cut one, not as an HTTP error (`Attempt.refused`)."""

    def __init__(self, message: str, status_code: int = 502, headers: Any = None,
                 error: dict[str, Any] | None = None, generated: bool = False) -> None:
        super().__init__(message)
        self.status_code, self.headers, self.error = status_code, headers or {}, error
        self.generated = generated


class Completion(dict):  # type: ignore[type-arg]
    """The upstream's chat completion (kept as such through the chain's copies), as opposed
    to a value the output guards parsed from its text."""


class Relay:
    """Forwards one request's chat completion to the upstream: the callable the chain guards.
    ``seen`` keeps what the upstream said besides the text (id, model, usage, finish reason);
    ``usages`` the usage of each of its answers (re-asks and retries send more than one request:
    `usage`); ``usage_asked`` whether the client asked for a streamed answer's usage;
    ``unread`` why its last answer could not be given to the guards (None: it could)."""

    TOKENS = ("prompt_tokens", "completion_tokens")
    """What this API calls a usage's input and output tokens (a fallback model's usage is told so)."""

    def __init__(self, client: httpx.AsyncClient, url: str, headers: dict[str, str], stopping: Stopping) -> None:
        self.client, self.url, self.headers, self.stopping = client, url, headers, stopping
        self.seen: dict[str, Any] = {}
        self.usages: list[dict[str, Any]] = []
        self.usage_asked = False
        self.unread: str | None = None
        self.restore: Callable[[str], str | None] | None = None  # (`chain.restorer`, once a request is sent)
        self.__name__ = "upstream"  # the attempts' name in the Report

    async def __call__(self, messages: list[Any], **body: Any) -> Any:
        payload = {**body, "messages": messages}
        self.usage_asked = field(body.get("stream_options"), "include_usage") is True
        if body.get("stream"):
            return self._stream(payload)
        answer = await self.answer(payload)
        if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
            raise UpstreamError("the upstream's answer is not a chat completion (no choices)", generated=True)
        self.seen = {k: answer[k] for k in KEPT if k in answer}
        self.used(answer.get("usage"))
        return Completion(answer)

    def used(self, usage: Any) -> None:
        """Keep the usage an answer reported (an object; anything else reports none)."""
        if isinstance(usage, dict):
            self.usages.append(usage)

    def usage(self, report: Report | None = None) -> dict[str, Any] | None:
        """The usage to tell the client: as the upstream reported it when one answer did (a
        request that failed, then retried, reports none); when more did (re-asks), or fallback
        models answered too (``report``'s attempts from its first fallback on, their retries too,
        their tokens as the Report counts them, in this API's names: `TOKENS`), their sum, field by
        field (the details too), as the Report and the budget count them; None when none did."""
        attempts = report.attempts if report else []
        first = next((i for i, attempt in enumerate(attempts) if attempt.kind == "fallback"), len(attempts))
        fallbacks = [attempt.usage for attempt in attempts[first:] if attempt.usage]
        spent = [*self.usages, *({self.TOKENS[0]: u.input_tokens, self.TOKENS[1]: u.output_tokens,
                                  "total_tokens": u.total_tokens} for u in fallbacks)]
        if len(spent) <= 1:
            return spent[0] if spent else None
        return _summed(spent)

    async def answer(self, payload: dict[str, Any]) -> Any:
        """The upstream's whole answer to ``payload``, parsed (its failures: `UpstreamError`)."""
        self.restore = restorer()
        async with self.stopping.bounded(), self.client.stream(
                "POST", self.url, json=payload, headers=self.headers) as response:
            content = await bounded_body(response)
        if response.status_code >= 400:
            raise _failure(response, content)
        return _json(content, "answer", generated=True)

    async def _stream(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The upstream's chunks, to its ``[DONE]``."""
        usage = None  # (the last reported: some servers report the usage so far in every chunk)
        async with contextlib.aclosing(self._events(payload)) as chunks:
            async for chunk in chunks:
                if chunk is None:
                    self.used(usage)
                    return
                self.seen.update({k: chunk[k] for k in KEPT if chunk.get(k) is not None})
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or ():
                    if isinstance(choice, dict) and choice.get("finish_reason"):
                        self.seen["finish_reason"] = choice["finish_reason"]
                yield chunk
        raise UpstreamError("the upstream's stream ended before its [DONE]: the answer may be cut short")

    async def _events(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any] | None]:
        """The data of each event the upstream streams, a JSON object (None: ``[DONE]``); an
        error event raised. Nothing is sent before the first is asked for (the chain reads it
        inside its retries), and the response is closed however the stream ends."""
        self.restore = restorer()
        async with contextlib.AsyncExitStack() as opened:
            async with self.stopping.bounded():
                response = await opened.enter_async_context(
                    self.client.stream("POST", self.url, json=payload, headers=self.headers))
                if response.status_code >= 400:
                    raise _failure(response, await bounded_body(response))
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise UpstreamError("the upstream did not stream: its answer is "
                                    f"{response.headers.get('content-type') or 'untyped'}")
            async for data in self.stopping.each(_data(_lines(plain_bytes(response)))):
                if data == "[DONE]":
                    yield None
                    continue
                chunk = _json(data.encode(), "stream")
                if not isinstance(chunk, dict):
                    raise UpstreamError("the upstream streamed a chunk that is not a JSON object")
                if chunk.get("error") or chunk.get("type") == "error":  # (a Responses error event: its fields)
                    body = chunk if chunk.get("error") else {"error": chunk}
                    raise UpstreamError(f"the upstream's stream failed: {_message(body)}", error=error_of(body))
                yield chunk


async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """The lines of an event stream (ended by CR LF, LF or CR), none longer than `EVENT_BYTES`
    (held in memory no longer either: `UpstreamError`)."""
    held: list[bytes] = []  # (the line begun)
    size, after_cr = 0, False
    async for chunk in chunks:
        if after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # (the CR LF split between two chunks)
        after_cr = chunk.endswith(b"\r")
        *ended, rest = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        for line in ended:
            yield _decoded(b"".join([*held, line]))
            held, size = [], 0
        held.append(rest)
        size = _bounded(size + len(rest))
    if size:
        yield _decoded(b"".join(held))


def _decoded(line: bytes) -> str:
    _bounded(len(line))
    try:
        return line.decode()
    except UnicodeDecodeError:
        raise UpstreamError("the upstream streamed an event that is not UTF-8 text") from None


def _bounded(size: int) -> int:
    """``size``, unless it is over `EVENT_BYTES` (`UpstreamError`)."""
    if size > EVENT_BYTES:
        raise UpstreamError(f"the upstream streamed an event over the proxy's limit of {EVENT_BYTES} bytes")
    return size


async def _data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The data of each Server-Sent Event (its ``data:`` lines joined, together at most
    `EVENT_BYTES` characters; comments skipped)."""
    data: list[str] = []
    size = 0
    async for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
            size = _bounded(size + len(data[-1]))
        elif not line and data:
            yield "\n".join(data)
            data, size = [], 0
    if data:
        yield "\n".join(data)


def _json(content: bytes, what: str, generated: bool = False) -> Any:
    """``content`` parsed; an error that never quotes it (it is unguarded upstream text)."""
    try:
        return json.loads(content)
    except ValueError:
        raise UpstreamError(f"the upstream's {what} is not JSON ({len(content)} bytes)", generated=generated) from None


def _message(body: Any) -> str:
    """The message of an OpenAI-style error body (shortened); of any other body only its
    type and size, never its text (an answer the output guards have not judged)."""
    error = field(body, "error") if isinstance(body, dict) else None
    message = field(error, "message") if isinstance(error, dict) else error
    if isinstance(message, str) and message:
        return message[:500]
    return f"a {type(body).__name__} body of {len(str(body))} characters, not an error object"


def _summed(usages: list[dict[str, Any]]) -> dict[str, Any]:
    """Usage objects added field by field: numbers summed, nested objects (``*_details``) alike;
    any other value as the first that gave one has it."""
    total: dict[str, Any] = {}
    for usage in usages:
        for name, value in usage.items():
            had = total.get(name)
            if isinstance(value, dict):
                total[name] = _summed([had, value]) if isinstance(had, dict) else value
            elif _number(value) and (_number(had) or had is None):
                total[name] = (had or 0) + value
            elif had is None:
                total[name] = value
    return total


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def error_of(body: Any) -> dict[str, Any] | None:
    """An OpenAI-style error body cut down to `ERROR_FIELDS` (each a string, a number or None);
    None when ``body`` holds no error object."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    return {"error": {name: value if isinstance(value := error.get(name), (str, int, float)) else None
                      for name in ERROR_FIELDS}}


async def bounded_body(response: httpx.Response) -> bytes:
    """The body of an upstream's response, read up to `ANSWER_BYTES` (beyond: `UpstreamError`,
    before the rest is read)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > ANSWER_BYTES:
        raise _too_large(response)
    parts, size = [], 0
    async for part in plain_bytes(response):
        size += len(part)
        if size > ANSWER_BYTES:
            raise _too_large(response)
        parts.append(part)
    return b"".join(parts)


def plain_bytes(response: httpx.Response) -> AsyncIterator[bytes]:
    """The bytes of an upstream's body as they arrive, none decoded: a body sent compressed
    (``Content-Encoding``, though the proxy asks for none: `PLAIN`) is an `UpstreamError`."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise UpstreamError(f"the upstream's answer is encoded as {encoding[:40]!r}: the proxy reads "
                            "plain bodies only (it asks for them: Accept-Encoding: identity)",
                            generated=response.status_code < 400)
    return response.aiter_bytes()  # (with no encoding, httpx's decoder passes the bytes on as read)


def _too_large(response: httpx.Response) -> UpstreamError:
    return UpstreamError(f"the upstream's answer is over the proxy's limit of {ANSWER_BYTES} bytes",
                         generated=response.status_code < 400)


def _failure(response: httpx.Response, content: bytes) -> UpstreamError:
    try:
        body: Any = json.loads(content)
    except ValueError:
        body = content.decode(errors="replace")
    return UpstreamError(f"the upstream answered HTTP {response.status_code}: {_message(body)}",
                         response.status_code, response.headers, error_of(body))
