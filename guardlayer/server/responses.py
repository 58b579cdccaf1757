"""The OpenAI Responses API (``POST /v1/responses``) through the same chain as chat
completions: the request's ``input`` and ``instructions`` are read as the library reads a
Responses call; the upstream's answer is handed to the chain as a chat completion (its message
text and function calls), and the guarded completion is written back as a Responses object in
the upstream's order, with its item ids: one message per upstream message (their texts are
judged as one, joined by `JOIN`, and split back where the join is still whole; else the
judged text goes back as one message), its function calls, and its reasoning items as opaque
``encrypted_content`` only (summaries hold text no guard judged).
What no guard can judge is refused rather than passed on: a request that builds on turns kept
upstream (``previous_response_id``, ``conversation``, ``item_reference`` input items: turns the
guards never see, whose placeholders this call could not restore), ``background`` runs,
``context_management`` (its compaction items are opaque), tools other than functions (their
results would reach the client unread), and answer items or parts of other kinds (a 502, not
retried, the answer's usage charged: `ResponsesRelay`). A response whose ``status`` is
``failed`` is the upstream's error. A streamed answer reaches the chain as chat completion
chunks (`ResponsesRelay._stream`: its messages' texts joined by `JOIN`) and goes back as
Responses events (`responses_stream`), one message per upstream message."""
from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ..report import Report
from .answers import REFUSED
from .relay import Completion, Relay, UpstreamError

KEPT = ("id", "object", "created_at", "model", "status", "incomplete_details", "usage", "service_tier")
"""Fields of the upstream's response that the proxy's answer keeps (no text in them)."""
UPSTATE = ("previous_response_id", "conversation")
"""Request fields that build on a conversation the upstream keeps."""
JOIN = "\n\u2029\n"
"""What joins the texts of an answer's messages for the guards, which judge one text: a
paragraph break (U+2029 between newlines), which model text hardly holds; the judged text is
split back at it only when it holds exactly one per join (a guard's fix may not)."""
MESSAGE_FIELDS = ("status", "phase")
"""Fields of an answer's message item kept around its judged text, beside its id (``phase``:
``commentary`` or ``final_answer``, which a client sends back with the item)."""
STREAM_END = "response.completed"
"""The event that ends a Responses stream whole (``response.incomplete`` too: cut at its limit)."""
FAILED = {"server_error": 500, "rate_limit_exceeded": 429, "vector_store_timeout": 504}
"""The HTTP status a ``failed`` response's error code stands for (retried, as any 5xx or 429);
any other code is the request's fault (400, the error passed on)."""


def unguardable(body: dict[str, Any]) -> str | None:
    """Why the proxy cannot guard this Responses request (None: it can)."""
    given = body.get("input")
    if given is None and body.get("prompt") is None:
        return "'input' (or a stored 'prompt') is required"
    if given is not None and not (isinstance(given, str) or isinstance(given, list) and given):
        return "'input' must be a string or a non-empty list of items"
    kept = [f"'{name}'" for name in UPSTATE if body.get(name) is not None]
    if isinstance(given, list) and any(isinstance(item, dict) and item.get("type") == "item_reference"
                                       for item in given):
        kept.append("an 'item_reference' item")
    if kept:
        return (f"{kept[0]} builds on turns kept by the upstream, which the guards never see: "
                "send the conversation as 'input' items")
    if body.get("background"):
        return "'background' runs are answered later, past the guards: send 'background': false"
    if body.get("context_management"):
        return ("'context_management' makes the upstream answer with compaction items, which the guards "
                "cannot read: send the conversation as 'input' items, shortened as you see fit")
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        return "'tools' must be a list"
    for tool in tools:
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            return (f"the proxy guards function tools only, not a {kind!r} tool "
                    "(whose results would reach the client unjudged)")
    return None


class Unreadable(Exception):
    """An answer item or content part the guards cannot read."""


@dataclass
class Read:
    """A response's output as the guards read it: ``texts``, one per message that has text;
    whether a message refused; the function calls as chat tool calls; and ``items``, each output
    item without its text (written back around the judged text by `response`)."""

    texts: list[str] = field(default_factory=list)
    refused: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, output: list[Any]) -> Read:
        read = cls()
        for item in output:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "message":
                read._message(item)
            elif kind == "function_call":
                read.calls.append({"id": item.get("call_id"), "type": "function",
                                   "function": {"name": item.get("name"), "arguments": item.get("arguments")}})
                read.items.append({"type": kind, "id": _id(item, "fc"), "call_id": item.get("call_id"),
                                   "status": item.get("status", "completed")})
            elif kind == "reasoning":  # (opaque: its summary and content are model text no guard reads)
                read.items.append({"type": kind, "id": _id(item, "rs"),
                                   "encrypted_content": item.get("encrypted_content"), "summary": []})
            else:
                raise Unreadable(f"the upstream's answer holds a {kind!r} item the guards cannot judge")
        return read

    def _message(self, item: dict[str, Any]) -> None:
        content = item.get("content")
        parts = [{"type": "output_text", "text": content}] if isinstance(content, str) else content or []
        texts, refused = [], False
        for part in parts if isinstance(parts, list) else [parts]:
            sort = part.get("type") if isinstance(part, dict) else None
            if sort == "output_text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif sort == "refusal":
                refused = True
            else:
                raise Unreadable(f"the upstream's answer holds a {sort!r} part the guards cannot judge")
        if texts:
            self.texts.append("".join(texts))
        self.refused = self.refused or refused
        self.items.append({"type": "message", "id": _id(item, "msg"), "role": "assistant", "status": "completed",
                           **{k: item[k] for k in MESSAGE_FIELDS if k in item}, "text": bool(texts),
                           "refused": refused})

    def message(self) -> dict[str, Any]:
        """The chat message the chain judges."""
        message: dict[str, Any] = {"role": "assistant", "content": JOIN.join(self.texts) if self.texts or not (
            self.calls or self.refused) else None}
        if self.refused:
            message["refusal"] = REFUSED
        if self.calls:
            message["tool_calls"] = self.calls
        return message


class ResponsesRelay(Relay):
    """Forwards one Responses request to the upstream; its answer goes to the chain as a chat
    completion (`Completion`) of the same text and function calls, and ``items`` keeps its output
    items for `response`. An answer the guards cannot read goes to the chain as a completion of no
    answer but its usage (charged as reported; output guards refuse it, and so does the proxy:
    ``unread``), never as an error a retry would send again. A streamed answer goes to the chain
    as chat completion chunks (`_stream`)."""

    TOKENS = ("input_tokens", "output_tokens")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.items: list[dict[str, Any]] = []
        self.order: list[dict[str, Any]] = []

    async def __call__(self, **body: Any) -> Any:  # type: ignore[override]
        if body.get("stream"):
            return self._stream(body)
        return self._read(await self.answer(body))

    def _read(self, answer: Any) -> Completion:
        """The upstream's whole response as the chat completion the chain judges."""
        if not isinstance(answer, dict) or not isinstance(answer.get("output"), list):
            raise UpstreamError("the upstream's answer is not a response (no output list)", generated=True)
        if answer.get("status") == "failed":
            raise _failed(answer.get("error"))
        self.seen = {k: answer[k] for k in KEPT if k in answer}
        self.used(answer.get("usage"))
        reported = {"usage": answer.get("usage"), "model": answer.get("model")}
        try:
            read = Read.of(answer["output"])
        except Unreadable as exc:
            self.unread, self.items = str(exc), []
            return Completion({"choices": [], **reported})
        self.unread, self.items = None, read.items
        finish = ("tool_calls" if read.calls else
                  "length" if answer.get("status") == "incomplete" else "stop")
        return Completion({"choices": [{"index": 0, "message": read.message(), "finish_reason": finish}],
                           **reported})

    async def _stream(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The upstream's Responses events as the chat completion chunks the chain reads, one
        per event (an event that adds no text or call is an empty chunk: activity, for the
        chain's per-chunk timeout): the text of its messages' ``output_text`` parts as it grows
        (`JOIN` between two messages, where `responses_stream` splits them again), each function
        call once it is done, and at the end, read from the whole response (`_read`, which keeps
        its items), the finish and usage. ``order`` follows the messages whose text streamed, the
        function calls and the reasoning items (without their text), in the upstream's order. An
        answer the guards cannot read ends the stream with `Unreadable`, which the chain does not
        retry."""
        self.unread, self.items, self.order = None, [], []  # (this attempt's)
        calls, added, writing, begun = 0, {}, None, False
        async with contextlib.aclosing(self._events(payload)) as events:
            async for event in events:
                kind = event.get("type") if event is not None else None
                said = event.get("response") if event is not None else None
                item = event.get("item") if event is not None else None
                sort = item.get("type") if isinstance(item, dict) else None
                if kind == "response.created" and isinstance(said, dict):
                    self.seen = {k: said[k] for k in KEPT if k in said}
                elif kind == "response.output_item.added" and sort == "message":
                    added[item.get("id")] = item
                elif kind == "response.output_text.delta" and isinstance(delta := event.get("delta"), str):
                    if not begun or event.get("item_id") != writing:
                        if begun:
                            yield _chunk({"content": JOIN})
                        begun, writing = True, event.get("item_id")
                        self.order.append(_begun(added.get(writing) or {}, writing))
                    yield _chunk({"content": delta})
                    continue
                elif kind == "response.output_item.done" and sort == "function_call":
                    self.order.extend(Read.of([item]).items)
                    yield _chunk({"tool_calls": [{"index": calls, "id": item.get("call_id"), "type": "function",
                                                  "function": {"name": item.get("name"),
                                                               "arguments": item.get("arguments")}}]})
                    calls += 1
                    continue
                elif kind == "response.output_item.done" and sort == "reasoning":
                    self.order.extend(Read.of([item]).items)
                elif kind in ("response.completed", "response.incomplete", "response.failed"):
                    answer = self._read(said)
                    if self.unread is not None:
                        raise Unreadable(self.unread)
                    yield {"choices": [{"index": 0, "delta": {}, "finish_reason": answer["choices"][0]["finish_reason"]}],
                           "usage": answer["usage"]}
                    return
                yield _chunk({})
        raise UpstreamError(f"the upstream's stream ended before its {STREAM_END}: the answer may be cut short")


def _begun(item: dict[str, Any], named: Any) -> dict[str, Any]:
    """The output item of a message whose text begins streaming (as `_output` writes one)."""
    return {"type": "message", "id": named or f"msg_{uuid.uuid4().hex}", "role": "assistant",
            "status": "completed", **{k: item[k] for k in MESSAGE_FIELDS if k in item and k != "status"}}


def _chunk(delta: dict[str, Any]) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def _failed(error: Any) -> UpstreamError:
    """A ``failed`` response as an error: a retry for the upstream's own failures, the client's
    error (its known fields) for the rest."""
    error = error if isinstance(error, dict) else {}
    code, message = error.get("code"), error.get("message")
    status = FAILED.get(code, 400) if isinstance(code, str) else 502
    said = message[:500] if isinstance(message, str) and message else f"code {code!r}"
    passed = {"message": f"the upstream's response failed: {said}", "type": "invalid_request_error",
              "param": None, "code": code if isinstance(code, str) else None}  # (`relay.ERROR_FIELDS`)
    return UpstreamError(passed["message"], status, error={"error": passed})


def response(judged: dict[str, Any], relay: Relay, report: Report, model: Any) -> dict[str, Any]:
    """The Responses object to send around a guarded chat completion (`answers.completion`):
    the upstream's ids and status, the usage charged, and its output items around the judged
    text, refusal and function calls (unless a fallback answered: then a message of its own and
    its calls)."""
    said = judged["choices"][0]["message"]
    items = [] if report.fallback or not isinstance(relay, ResponsesRelay) else relay.items
    output = _output(said, items)
    seen = {} if report.fallback else relay.seen
    usage = {"usage": judged["usage"]} if "usage" in judged else {}  # (`Relay.usage`: what was charged)
    return {"id": f"resp_{uuid.uuid4().hex}", "created_at": int(time.time()), "model": model,
            "status": "completed", "incomplete_details": None, **seen, **usage, "object": "response",
            "error": None, "output": output}


def _output(said: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The output items: ``items`` (the upstream's, in order) with the judged texts put back in
    its messages (split back at `JOIN`; else whole, in the last message that had text), the
    judged calls in its function calls (matched by ``call_id``), its reasoning as it is. A text
    no upstream message had, or a call the upstream did not make, gets an item of its own."""
    content = said.get("content")
    texted = [item for item in items if item["type"] == "message" and item["text"]]
    texts = _split(content, len(texted))
    if texts is None:
        whole = texted[-1] if texted else {"type": "message", "id": f"msg_{uuid.uuid4().hex}", "role": "assistant",
                                            "status": "completed", "text": True, "refused": False}
        dropped = {id(item) for item in texted if item is not whole}
        items = [item for item in items if id(item) not in dropped] if texted else [whole, *items]
        texts = [content]
    calls = {call["id"]: call for call in said.get("tool_calls") or ()}
    output: list[dict[str, Any]] = []
    for item in items:
        if item["type"] == "message":
            parts = [{"type": "output_text", "text": texts.pop(0), "annotations": []}] if item["text"] else []
            if item["refused"] and said.get("refusal"):
                parts.append({"type": "refusal", "refusal": said["refusal"]})
            output.append({**{k: v for k, v in item.items() if k not in ("text", "refused")}, "content": parts})
        elif item["type"] == "function_call" and (call := calls.pop(item["call_id"], None)) is not None:
            output.append({**_call(call), "id": item["id"], "status": item["status"]})
        elif item["type"] == "reasoning":
            output.append(item)
    return output + [{**_call(call), "id": f"fc_{uuid.uuid4().hex}", "status": "completed"} for call in calls.values()]


def _id(item: dict[str, Any], prefix: str) -> Any:
    """The item's id, or one made up for an item the upstream gave none (a client needs one)."""
    return item.get("id") or f"{prefix}_{uuid.uuid4().hex}"


def _call(call: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call["id"], "name": call["function"]["name"],
            "arguments": call["function"]["arguments"]}


def _split(text: Any, parts: int) -> list[str] | None:
    """``text`` split back into the ``parts`` texts `JOIN` joined, or None when that cannot be
    done exactly (a guard's fix took a join away or added one, a text held one; a text where
    the upstream's messages had none)."""
    if not isinstance(text, str) or not text:
        return [text or ""] * parts if parts <= 1 else None
    pieces = text.split(JOIN)
    return pieces if len(pieces) == parts else None
