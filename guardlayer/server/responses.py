"""The OpenAI Responses API (``POST /v1/responses``, not streamed) through the same chain as chat
completions: the request's ``input`` and ``instructions`` are read as the library reads a
Responses call; the upstream's answer is handed to the chain as a chat completion (its message
text and function calls), and the guarded completion is written back as a Responses object.
What no guard can judge is refused rather than passed on: a request that builds on turns kept
upstream (``previous_response_id``, ``conversation``, ``item_reference`` input items: turns the
guards never see, whose placeholders this call could not restore), ``background`` runs, tools
other than functions (their results would reach the client unread), and answer items of other
kinds (a 502)."""
from __future__ import annotations

import time
import uuid
from typing import Any

from ..report import Report
from .answers import REFUSED
from .relay import Completion, Relay, UpstreamError

KEPT = ("id", "object", "created_at", "model", "status", "incomplete_details", "usage", "service_tier")
"""Fields of the upstream's response that the proxy's answer keeps (no text in them)."""
UPSTATE = ("previous_response_id", "conversation")
"""Request fields that build on a conversation the upstream keeps."""


def unguardable(body: dict[str, Any]) -> str | None:
    """Why the proxy cannot guard this Responses request (None: it can)."""
    given = body.get("input")
    if given is None and body.get("prompt") is None:
        return "'input' (or a stored 'prompt') is required"
    if given is not None and not (isinstance(given, str) or isinstance(given, list) and given):
        return "'input' must be a string or a non-empty list of items"
    if body.get("stream"):
        return "the proxy answers Responses calls whole: send 'stream': false (or use chat completions)"
    kept = [f"'{name}'" for name in UPSTATE if body.get(name) is not None]
    if isinstance(given, list) and any(isinstance(item, dict) and item.get("type") == "item_reference"
                                       for item in given):
        kept.append("an 'item_reference' item")
    if kept:
        return (f"{kept[0]} builds on turns kept by the upstream, which the guards never see: "
                "send the conversation as 'input' items")
    if body.get("background"):
        return "'background' runs are answered later, past the guards: send 'background': false"
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        return "'tools' must be a list"
    for tool in tools:
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            return (f"the proxy guards function tools only, not a {kind!r} tool "
                    "(whose results would reach the client unjudged)")
    return None


class ResponsesRelay(Relay):
    """Forwards one Responses request to the upstream; its answer goes to the chain as a chat
    completion (`Completion`) of the same text and function calls."""

    async def __call__(self, **body: Any) -> Completion:  # type: ignore[override]
        answer = await self.answer(body)
        if not isinstance(answer, dict) or not isinstance(answer.get("output"), list):
            raise UpstreamError("the upstream's answer is not a response (no output list)")
        self.seen = {k: answer[k] for k in KEPT if k in answer}
        message = _message(answer["output"])
        finish = ("tool_calls" if message.get("tool_calls") else
                  "length" if answer.get("status") == "incomplete" else "stop")
        return Completion({"choices": [{"index": 0, "message": message, "finish_reason": finish}],
                           "usage": answer.get("usage")})


def _message(output: list[Any]) -> dict[str, Any]:
    """The chat message of a response's output items: the text of its messages, their refusal,
    its function calls; reasoning is dropped (as a chat answer's); any other item is refused."""
    texts: list[str] = []
    message: dict[str, Any] = {"role": "assistant"}
    calls: list[dict[str, Any]] = []
    for item in output:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "message":
            for part in item.get("content") or ():
                sort = part.get("type") if isinstance(part, dict) else None
                if sort == "output_text" and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif sort == "refusal":
                    message["refusal"] = REFUSED
                else:
                    raise UpstreamError(f"the upstream's answer holds a {sort!r} part the guards cannot judge")
        elif kind == "function_call":
            calls.append({"id": item.get("call_id"), "type": "function",
                          "function": {"name": item.get("name"), "arguments": item.get("arguments")}})
        elif kind != "reasoning":
            raise UpstreamError(f"the upstream's answer holds a {kind!r} item the guards cannot judge")
    message["content"] = "".join(texts) if texts or not (calls or "refusal" in message) else None
    if calls:
        message["tool_calls"] = calls
    return message


def response(judged: dict[str, Any], relay: Relay, report: Report, model: Any) -> dict[str, Any]:
    """The Responses object to send around a guarded chat completion (`answers.completion`):
    the upstream's ids, status and usage (unless a fallback answered), and output items for
    its text (or refusal) and function calls."""
    said = judged["choices"][0]["message"]
    output: list[dict[str, Any]] = []
    parts = ([{"type": "output_text", "text": said["content"], "annotations": []}]
             if said.get("content") is not None else [])
    if said.get("refusal"):
        parts.append({"type": "refusal", "refusal": said["refusal"]})
    if parts or not said.get("tool_calls"):
        output.append({"type": "message", "id": f"msg_{uuid.uuid4().hex}", "role": "assistant",
                       "status": "completed", "content": parts})
    output += [{"type": "function_call", "id": f"fc_{uuid.uuid4().hex}", "call_id": call["id"],
                "name": call["function"]["name"], "arguments": call["function"]["arguments"],
                "status": "completed"} for call in said.get("tool_calls") or ()]
    seen = {} if report.fallback else relay.seen
    return {"id": f"resp_{uuid.uuid4().hex}", "created_at": int(time.time()), "model": model,
            "status": "completed", "incomplete_details": None, **seen, "object": "response",
            "error": None, "output": output}
