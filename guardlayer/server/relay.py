"""The upstream: forwarding a chat completion, reading its answer or its stream of chunks,
and its failures as errors the chain knows how to retry. Only the waits for the upstream (its
answer, each chunk) are bounded by a stopping proxy's grace period (`stopping.Stopping`)."""
from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from ..providers import field
from .stopping import Stopping

TIMEOUT = httpx.Timeout(600.0, connect=10.0)
"""The HTTP client's own limits; the rule file's ``timeout`` bounds each call (and each chunk)."""
KEPT = ("id", "created", "model", "system_fingerprint", "usage")
"""Fields of the upstream's answer (or chunks) that a response the proxy builds keeps."""
ERROR_FIELDS = ("message", "type", "param", "code")
"""The fields of an upstream's error object passed on to the client (no other: they may carry
anything)."""


class UpstreamError(Exception):
    """The upstream answered with an error status, or with what is not a chat completion
    (``status_code`` 502). ``headers`` carry its Retry-After; ``error`` is its error body
    (``{"error": {...}}``, `ERROR_FIELDS` only)."""

    def __init__(self, message: str, status_code: int = 502, headers: Any = None,
                 error: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status_code, self.headers, self.error = status_code, headers or {}, error


class Completion(dict):  # type: ignore[type-arg]
    """The upstream's chat completion (kept as such through the chain's copies), as opposed
    to a value the output guards parsed from its text."""


class Relay:
    """Forwards one request's chat completion to the upstream: the callable the chain guards.
    ``seen`` keeps what the upstream said besides the text (id, model, usage, finish reason);
    ``unread`` why its last answer could not be given to the guards (None: it could)."""

    def __init__(self, client: httpx.AsyncClient, url: str, headers: dict[str, str], stopping: Stopping) -> None:
        self.client, self.url, self.headers, self.stopping = client, url, headers, stopping
        self.seen: dict[str, Any] = {}
        self.unread: str | None = None
        self.__name__ = "upstream"  # the attempts' name in the Report

    async def __call__(self, messages: list[Any], **body: Any) -> Any:
        payload = {**body, "messages": messages}
        if body.get("stream"):
            return self._stream(payload)
        answer = await self.answer(payload)
        if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
            raise UpstreamError("the upstream's answer is not a chat completion (no choices)")
        self.seen = {k: answer[k] for k in KEPT if k in answer}
        return Completion(answer)

    async def answer(self, payload: dict[str, Any]) -> Any:
        """The upstream's whole answer to ``payload``, parsed (its failures: `UpstreamError`)."""
        async with self.stopping.bounded():
            response = await self.client.post(self.url, json=payload, headers=self.headers)
        if response.status_code >= 400:
            raise _failure(response)
        return _json(response.content, "answer")

    async def _stream(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The upstream's chunks; nothing is sent before the first is asked for (the chain
        reads it inside its retries), and the response is closed however the stream ends."""
        async with contextlib.AsyncExitStack() as opened:
            async with self.stopping.bounded():
                response = await opened.enter_async_context(
                    self.client.stream("POST", self.url, json=payload, headers=self.headers))
                if response.status_code >= 400:
                    await response.aread()
                    raise _failure(response)
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise UpstreamError("the upstream did not stream: its answer is "
                                    f"{response.headers.get('content-type') or 'untyped'}")
            async for data in self.stopping.each(_events(response.aiter_lines())):
                if data == "[DONE]":
                    return
                chunk = _json(data.encode(), "stream")
                if not isinstance(chunk, dict):
                    raise UpstreamError("the upstream streamed a chunk that is not a JSON object")
                if chunk.get("error"):
                    raise UpstreamError(f"the upstream's stream failed: {_message(chunk)}",
                                        error=error_of(chunk))
                self.seen.update({k: chunk[k] for k in KEPT if chunk.get(k) is not None})
                for choice in chunk.get("choices") or ():
                    if isinstance(choice, dict) and choice.get("finish_reason"):
                        self.seen["finish_reason"] = choice["finish_reason"]
                yield chunk
        raise UpstreamError("the upstream's stream ended before its [DONE]: the answer may be cut short")


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The data of each Server-Sent Event (its ``data:`` lines joined; comments skipped)."""
    data: list[str] = []
    async for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line and data:
            yield "\n".join(data)
            data = []
    if data:
        yield "\n".join(data)


def _json(content: bytes, what: str) -> Any:
    """``content`` parsed; an error that never quotes it (it is unguarded upstream text)."""
    try:
        return json.loads(content)
    except ValueError:
        raise UpstreamError(f"the upstream's {what} is not JSON ({len(content)} bytes)") from None


def _message(body: Any) -> str:
    """The message of an OpenAI-style error body (shortened); of any other body only its
    type and size, never its text (an answer the output guards have not judged)."""
    error = field(body, "error") if isinstance(body, dict) else None
    message = field(error, "message") if isinstance(error, dict) else error
    if isinstance(message, str) and message:
        return message[:500]
    return f"a {type(body).__name__} body of {len(str(body))} characters, not an error object"


def error_of(body: Any) -> dict[str, Any] | None:
    """An OpenAI-style error body cut down to `ERROR_FIELDS` (each a string, a number or None);
    None when ``body`` holds no error object."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    return {"error": {name: value if isinstance(value := error.get(name), (str, int, float)) else None
                      for name in ERROR_FIELDS}}


def _failure(response: httpx.Response) -> UpstreamError:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return UpstreamError(f"the upstream answered HTTP {response.status_code}: {_message(body)}",
                         response.status_code, response.headers, error_of(body))
