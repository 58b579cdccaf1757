"""A fake OpenAI chat completions API, served as an ASGI app: the model provider is the one
part of the proxy's path the tests replace. It answers ``Noted: <the last user message>``
(so it echoes the placeholders the proxy sent it), streams that answer in small chunks,
and can be told to fail first, hang, or call tools."""
from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

COMPLETION_ID = "chatcmpl-fake-1"
USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


class FakeOpenAI:
    """``failures``: HTTP statuses to answer with first, one per request; ``reply``: a fixed
    answer instead of the echo; ``piece``: characters per streamed chunk; ``delay``: seconds
    to wait before answering; ``tool_call``: (name, arguments) the answer calls; ``break_at``:
    characters after which a stream stops with an error event; ``ending``: how a stream ends after
its text: ``done`` (finish reason and ``[DONE]``), ``cut`` (nothing more: the connection
closes), ``garbled`` (a chunk that is not JSON, carrying the text again; an answer that is
not JSON when not streamed); ``message``: more
fields of the answer's message (``logprobs`` too, when asked for, with the answer's tokens).
``cancelled`` counts requests whose handling was cancelled (the proxy closed them)."""

    def __init__(self, *, failures: list[int] | None = None, reply: str | None = None,
                 piece: int = 5, delay: float = 0.0, tool_call: tuple[str, str] | None = None,
                 break_at: int | None = None, ending: str = "done",
                 message: dict[str, Any] | None = None) -> None:
        self.failures, self.fixed_reply, self.piece = list(failures or []), reply, piece
        self.delay, self.tool_call, self.break_at = delay, tool_call, break_at
        self.ending, self.message = ending, message or {}
        self.cancelled = 0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.handle, methods=["POST"]),
                                     Route("/v1/models", self.models, methods=["GET"])])

    async def models(self, request: Request) -> Response:
        self.headers.append(dict(request.headers))
        if self.failures:
            return JSONResponse({"error": {"message": "fake failure", "type": "server_error"}},
                                status_code=self.failures.pop(0))
        return JSONResponse({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

    def reply(self, body: dict[str, Any]) -> str:
        if self.fixed_reply is not None:
            return self.fixed_reply
        last = next(m for m in reversed(body["messages"]) if m["role"] == "user")
        return f"Noted: {last['content']}"

    async def handle(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.delay:
            try:
                await asyncio.sleep(self.delay)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        if self.failures:
            status = self.failures.pop(0)
            return JSONResponse({"error": {"message": f"fake failure {status}", "type": "server_error"
                                           if status >= 500 else "rate_limit_error", "code": None}},
                                status_code=status, headers={"retry-after": "0"})
        text = self.reply(body)
        if body.get("stream"):
            return StreamingResponse(self.chunks(body, text), media_type="text/event-stream")
        if self.ending == "garbled":
            return Response(f"Here: {text}", media_type="application/json")
        message: dict[str, Any] = {"role": "assistant", "content": text, **self.message}
        if self.tool_call:
            message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {
                "name": self.tool_call[0], "arguments": self.tool_call[1]}}]
        logprobs = {"content": [{"token": text[i:i + 4], "logprob": -0.1, "top_logprobs": []}
                                for i in range(0, len(text), 4)]} if body.get("logprobs") else None
        return JSONResponse({"id": COMPLETION_ID, "object": "chat.completion", "created": 1700000000,
                             "model": body.get("model"), "usage": USAGE, "service_tier": "default",
                             "choices": [{"index": 0, "message": message, "logprobs": logprobs,
                                          "finish_reason": "stop"}]})

    async def chunks(self, body: dict[str, Any], text: str):  # type: ignore[no-untyped-def]
        def event(delta: dict[str, Any], finish: str | None = None) -> str:
            chunk = {"id": COMPLETION_ID, "object": "chat.completion.chunk", "created": 1700000000,
                     "model": body.get("model"),
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(chunk)}\n\n"

        yield event({"role": "assistant", "content": ""})
        for start in range(0, len(text), self.piece):
            if self.break_at is not None and start >= self.break_at:
                yield 'data: {"error": {"message": "the model broke", "type": "server_error"}}\n\n'
                return
            yield event({"content": text[start:start + self.piece]})
        if self.ending == "cut":
            return
        if self.ending == "garbled":
            yield f'data: {{"choices": [{{"delta": {{"content": "{text}\n\n'
            return
        if self.tool_call:
            name, arguments = self.tool_call
            yield event({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                         "function": {"name": name, "arguments": ""}}]})
            for start in range(0, len(arguments), 4):
                yield event({"tool_calls": [{"index": 0, "function": {
                    "arguments": arguments[start:start + 4]}}]})
        yield event({}, "tool_calls" if self.tool_call else "stop")
        yield "data: [DONE]\n\n"
