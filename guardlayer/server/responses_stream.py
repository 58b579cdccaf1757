"""A streamed Responses answer (``"stream": true``), sent as the Responses API streams one:
``response.created``; the guarded text as ``response.output_text.delta`` events, released as the
chain's stream guards let it go (held back and judged as it grows, so a placeholder is restored
whole and a guard can cut the stream before a word leaves), split back into the upstream's
messages (each its own item, id and ``phase``) where the relay joined them (`responses.JOIN`);
then the other items (function calls, checked at the end; a refusal as `answers.REFUSED`) and
``response.completed`` carrying the whole guarded response, its output in the order its items
were sent: the upstream's. A function call is judged with the whole answer, so a message the
upstream sent after one waits for it: its text, judged as it grew, is sent after the call, at
the end. Reasoning items (``encrypted_content`` only) go out before the message they preceded.
A stream a guard cut, the upstream broke or the proxy's stop cut ends with an ``error`` event
instead (which the OpenAI SDK raises), never ``response.completed``."""
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
    upstream sent before it; a message the upstream sent after a function call waits, with all
    the text after it, until the calls are judged at the end (`rest`), so that items keep the
    upstream's order; ``items`` in the order sent."""

    def __init__(self, event: _Events, relay: Relay) -> None:
        self.event, self.relay = event, relay
        self.items: list[dict[str, Any]] = []
        self.open: dict[str, Any] | None = None  # the message being written
        self.index = 0  # the upstream message the text belongs to (joins passed)
        self.text: list[str] = []
        self.held = ""
        self.waiting: dict[int, list[str]] = {}  # the text of messages after a call, by `index`
        self.sent: set[Any] = set()  # the ids of `items`
        self._read([])

    def _read(self, order: list[dict[str, Any]]) -> None:
        """Begin reading the upstream's ``order`` (an attempt's: a new one starts a new list)."""
        self.order = order
        self.places: list[int] = []  # where in the order each of its messages is
        self.scanned = 0  # (how much of the order `places` covers)
        self.first_call: int | None = None  # where its first function call is
        self.passed = 0  # (the order before it: its reasoning items sent)

    def _upstream(self) -> list[dict[str, Any]]:
        return self.relay.order if isinstance(self.relay, ResponsesRelay) else []

    def _place(self, index: int) -> int | None:
        """Where in the upstream's order (which grows as it streams) its ``index``-th message
        whose text streamed is, if it had one."""
        order = self._upstream()
        if order is not self.order:
            self._read(order)
        for at in range(self.scanned, len(order)):
            if order[at]["type"] == "message":
                self.places.append(at)
            elif order[at]["type"] == "function_call" and self.first_call is None:
                self.first_call = at
        self.scanned = len(order)
        return self.places[index] if index < len(self.places) else None

    def _message(self, index: int) -> dict[str, Any] | None:
        """The upstream's ``index``-th message whose text streamed, if it had one."""
        place = self._place(index)
        return None if place is None else self._upstream()[place]

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
        if self.open is None and (self.waiting or self._after_call()):
            self.waiting.setdefault(self.index, []).append(text)
            return
        if self.open is None:
            yield from self._opened()
        self.text.append(text)
        yield self.event("response.output_text.delta", **self._at(), delta=text, logprobs=[])

    def _after_call(self) -> bool:
        """Whether the message the text belongs to came after a function call."""
        place = self._place(self.index)
        return place is not None and self.first_call is not None and self.first_call < place

    def _opened(self) -> Iterator[bytes]:
        """Open the next message, after the reasoning items the upstream sent before it."""
        place = self._place(self.index)
        order = self._upstream()
        for item in order[self.passed:place] if place is not None else ():
            if item["type"] == "reasoning" and item["id"] not in self.sent:
                yield from self.whole(item)
        self.passed = max(self.passed, place or 0)
        upcoming = None if place is None else order[place]
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
        self._add(item)

    def whole(self, item: dict[str, Any]) -> Iterator[bytes]:
        """Send an item that is complete as it is."""
        yield self.event("response.output_item.added", output_index=len(self.items), item=item)
        yield self.event("response.output_item.done", output_index=len(self.items), item=item)
        self._add(item)

    def _add(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        self.sent.add(item["id"])

    def rest(self, judged: list[dict[str, Any]], said: dict[str, dict[str, Any]]) -> Iterator[bytes]:
        """Send the items not sent yet, once the answer is judged (``judged``: the guarded
        response's output), in the upstream's order: its reasoning, its function calls as judged
        (one a guard dropped is not sent), the messages that waited for them, with their text
        (`_completed` by ``said``), each by its place in that order (an id may come back); then
        the rest of ``judged`` but messages with text (a refusal, a call no upstream item had)."""
        calls = {item["call_id"]: item for item in judged if item["type"] == "function_call"}
        index = 0  # (the messages passed)
        for item in self._upstream():
            if item["type"] == "message":
                if index in self.waiting:
                    self.index = index
                    yield from self._opened()
                    yield from self._written("".join(self.waiting.pop(index)))
                    yield from self.close()
                    _completed(self.items[-1], said)
                index += 1
                continue
            item = calls.get(item["call_id"]) if item["type"] == "function_call" else item
            if item is not None and item["id"] not in self.sent:
                yield from self.whole(item)
        for item in judged:
            if item["id"] not in self.sent and not _holds_text(item):
                yield from self.whole(item)

    def written(self) -> str:
        """All the guarded text, sent or waiting."""
        return "".join([part["text"] for item in self.items if item["type"] == "message"
                        for part in item["content"]] + [text for texts in self.waiting.values() for text in texts])

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
    judged = await completion(out.written(), relay, report, model)  # (its text, usage and checked calls)
    upstream = {} if report.fallback else {item["id"]: item for item in getattr(relay, "items", ())}
    if any(item.get("refused") for item in upstream.values()):  # (as not streamed: never its words)
        judged["choices"][0]["message"]["refusal"] = REFUSED
    final = {**response(judged, relay, report, model), "id": named}
    for item in out.items:  # (the messages streamed)
        _completed(item, upstream)
    for data in out.rest(final["output"], upstream):
        yield data
    final["output"] = out.items
    yield event("response.completed", response=final)
    yield f": guardlayer outcome {report.outcome}\n\n".encode()


def _completed(item: dict[str, Any], said: dict[str, dict[str, Any]]) -> None:
    """A message sent as the whole response has it: the fields and refusal (as `REFUSED`) of the
    upstream's message of its id in ``said`` (by id), if any."""
    if (upstream := said.get(item["id"])) is not None and upstream["type"] == "message":
        item.update({name: upstream[name] for name in MESSAGE_FIELDS if name in upstream})
        item["content"] += [{"type": "refusal", "refusal": REFUSED}] if upstream["refused"] else []


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
