"""A streamed Responses answer (``"stream": true``), sent as the Responses API streams one:
``response.created``; the guarded text as ``response.output_text.delta`` events, released as the
chain's stream guards let it go (held back and judged as it grows, so a placeholder is restored
whole and a guard can cut the stream before a word leaves), split back into the upstream's
messages (each its own item, id and ``phase``) where the relay joined them (`responses.JOIN`);
then the other items (function calls, checked at the end; a refusal as `answers.REFUSED`) and
``response.completed`` carrying the whole guarded response, its output in the order its items
were sent: the upstream's, except that a function call the upstream made before a message
follows the messages (it is judged with the whole answer, after their text left). Reasoning
items (``encrypted_content`` only) go out before the message they preceded. A stream a guard
cut, the upstream broke or the proxy's stop cut ends with an ``error`` event instead (which the
OpenAI SDK raises), never ``response.completed``."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..chain import last_report
from ..providers import is_stream
from .answers import REFUSED, as_text, completion, problem, unread_error
from .relay import Relay
from .responses import JOIN, MESSAGE_FIELDS, ResponsesRelay, response


class _Events:
    """Server-Sent Events of one Responses stream, numbered in order (``sequence_number``)."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self.sent, **fields}
        self.sent += 1
        return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class _Output:
    """The output items as they are sent: the guarded text split into messages at `JOIN` (where
    the relay has a next message: a join in the text itself stays text; a possible join at a
    piece's end is held until the next), each message opened after the reasoning items the
    upstream sent before it; ``items`` in the order sent."""

    def __init__(self, event: _Events, relay: Relay) -> None:
        self.event, self.relay = event, relay
        self.items: list[dict[str, Any]] = []
        self.open: dict[str, Any] | None = None  # the message being written
        self.index = 0  # the upstream message the text belongs to (joins passed)
        self.text: list[str] = []
        self.held = ""

    def _upstream(self) -> list[dict[str, Any]]:
        return self.relay.order if isinstance(self.relay, ResponsesRelay) else []

    def _message(self, index: int) -> dict[str, Any] | None:
        """The upstream's ``index``-th message whose text streamed, if it had one."""
        messages = [item for item in self._upstream() if item["type"] == "message"]
        return messages[index] if index < len(messages) else None

    def write(self, piece: str) -> Iterator[bytes]:
        text, self.held = self.held + piece, ""
        while self._message(self.index + 1) is not None and (at := text.find(JOIN)) >= 0:
            yield from self._written(text[:at])
            yield from self.close()
            self.index, text = self.index + 1, text[at + len(JOIN):]
        if self._message(self.index + 1) is not None:
            self.held = next((text[-n:] for n in range(len(JOIN) - 1, 0, -1) if text.endswith(JOIN[:n])), "")
            text = text[:len(text) - len(self.held)]
        yield from self._written(text)

    def _written(self, text: str) -> Iterator[bytes]:
        if not text:
            return
        if self.open is None:
            yield from self._opened()
        self.text.append(text)
        yield self.event("response.output_text.delta", **self._at(), delta=text, logprobs=[])

    def _opened(self) -> Iterator[bytes]:
        """Open the next message, after the reasoning items the upstream sent before it."""
        upcoming = self._message(self.index)
        if upcoming is not None:
            sent = {item["id"] for item in self.items}
            for item in self._upstream()[:self._upstream().index(upcoming)]:
                if item["type"] != "message" and item["id"] not in sent:
                    yield from self.whole(item)
        self.open = dict(upcoming or {"type": "message", "id": f"msg_{uuid.uuid4().hex}", "role": "assistant",
                                      "status": "completed"})
        self.text = []
        yield self.event("response.output_item.added", output_index=len(self.items),
                         item={**self.open, "status": "in_progress", "content": []})
        yield self.event("response.content_part.added", **self._at(), part=_part(""))

    def close(self) -> Iterator[bytes]:
        """Close the message being written (its held text written first), if one is."""
        if self.held:
            yield from self._written(self.held)
            self.held = ""
        if self.open is None:
            return
        whole = "".join(self.text)
        yield self.event("response.output_text.done", **self._at(), text=whole, logprobs=[])
        yield self.event("response.content_part.done", **self._at(), part=_part(whole))
        item, self.open = {**self.open, "content": [_part(whole)]}, None
        yield self.event("response.output_item.done", output_index=len(self.items), item=item)
        self.items.append(item)

    def whole(self, item: dict[str, Any]) -> Iterator[bytes]:
        """Send an item that is complete as it is."""
        yield self.event("response.output_item.added", output_index=len(self.items), item=item)
        yield self.event("response.output_item.done", output_index=len(self.items), item=item)
        self.items.append(item)

    def _at(self) -> dict[str, Any]:
        assert self.open is not None
        return {"item_id": self.open["id"], "output_index": len(self.items), "content_index": 0}


async def events(result: Any, relay: Relay, model: Any) -> AsyncIterator[bytes]:
    """The guarded answer (a guarded stream, or a fallback's text) as Responses events."""
    event, seen = _Events(), relay.seen
    named = seen.get("id") or f"resp_{uuid.uuid4().hex}"
    yield event("response.created", response={
        "id": named, "object": "response", "created_at": seen.get("created_at") or int(time.time()),
        "model": seen.get("model") or model, "status": "in_progress", "error": None,
        "incomplete_details": None, "output": [], "usage": None})
    out = _Output(event, relay)
    try:
        async for piece in _pieces(result):
            for sent in out.write(piece):
                yield sent
        for sent in out.close():
            yield sent
    except Exception as exc:  # noqa: BLE001 - the client learns why the stream stopped
        error = unread_error(relay.unread) if relay.unread is not None else problem(exc, relay.restore)[1]
        yield event("error", code=error.get("code"), message=error["message"], param=error.get("param"),
                    error=error)  # (``error`` as well: the OpenAI SDK raises it, as in a chat stream)
        return
    report = last_report()
    assert report is not None
    text = "".join(part["text"] for item in out.items if item["type"] == "message" for part in item["content"])
    judged = await completion(text, relay, report, model)  # (what streamed, its usage and checked calls)
    upstream = {} if report.fallback else {item["id"]: item for item in getattr(relay, "items", ())}
    if any(item.get("refused") for item in upstream.values()):  # (as not streamed: never its words)
        judged["choices"][0]["message"]["refusal"] = REFUSED
    final = {**response(judged, relay, report, model), "id": named}
    for item in out.items:  # (the messages streamed, as the whole response has them)
        if (said := upstream.get(item["id"])) is not None and said["type"] == "message":
            item.update({name: said[name] for name in MESSAGE_FIELDS if name in said})
            item["content"] += [{"type": "refusal", "refusal": REFUSED}] if said["refused"] else []
    streamed = {item["id"] for item in out.items}
    for item in final["output"]:  # (not a message with text: it streamed, or never reached the guards)
        if item["id"] not in streamed and not _holds_text(item):
            for data in out.whole(item):
                yield data
    final["output"] = out.items
    yield event("response.completed", response=final)
    yield f": guardlayer outcome {report.outcome}\n\n".encode()


async def _pieces(result: Any) -> AsyncIterator[str]:
    """The guarded stream's pieces of text (a fallback's text: one)."""
    if not is_stream(result):
        yield await as_text(result)
        return
    async with result:
        async for piece in result:
            yield piece


def _holds_text(item: dict[str, Any]) -> bool:
    return item["type"] == "message" and any(part["type"] == "output_text" for part in item["content"])


def _part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}
