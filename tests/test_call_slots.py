"""`Call.with_slots` writes many texts at once as `Call.with_slot` one after another would: text
parts, a document's title beside its text, tool results, a message's name, an assistant's tool
call arguments, Responses items and a LangChain pair; the caller's messages stay as they were and
those not changed are passed on as the same objects."""
from __future__ import annotations

import copy
import functools
import random
from typing import Any

from guardlayer.call import Call, CallShape

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
MESSAGES: list[Any] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "name": "jane", "content": [{"type": "text", "text": f"part {i}"} for i in range(6)] + [IMAGE]},
    {"role": "assistant", "content": "Looking.", "tool_calls": [{"id": "c1", "type": "function", "function": {
        "name": "find", "arguments": '{"query": "shoes", "where": {"city": "Paris"}}'}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "two shops"},
    {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "first"}, IMAGE,
                                                                 {"type": "text", "text": "second"}]},
        {"type": "document", "title": "Terms", "context": "from the site",
         "source": {"type": "text", "media_type": "text/plain", "data": "The terms."}},
        {"type": "text", "text": "and this?"}]},
    {"type": "function_call_output", "call_id": "c2", "output": "done"},
    ("human", "a LangChain pair"),
    {"role": "user", "content": "last question"},
]


def test_many_texts_written_at_once_as_one_after_another() -> None:
    call = Call(CallShape(None, {}, "messages"), (), {"messages": copy.deepcopy(MESSAGES)})
    slots = call.slots()
    assert {s.index for s in slots} >= {1, 2, 3, 4, 5, 6, 7} and len(slots) >= 16
    rng = random.Random(7)
    for _ in range(200):
        chosen = rng.sample(slots, rng.randint(1, len(slots)))
        changes = [(slot, f"new {rng.randint(0, 99)} {slot.text[:3]}") for slot in chosen]
        at_once = call.with_slots(changes).arguments["messages"]
        one_by_one = functools.reduce(lambda c, change: c.with_slot(*change), changes, call).arguments["messages"]
        assert at_once == one_by_one
        changed = {slot.index for slot in chosen}
        given = call.arguments["messages"]
        assert all(at_once[i] is given[i] for i in range(len(MESSAGES)) if i not in changed)
    assert call.arguments["messages"] == MESSAGES  # (the call is not changed)


def test_a_message_of_many_parts_each_changed_is_read_back_changed() -> None:
    message = {"role": "user", "content": [{"type": "text", "text": f"part {i}"} for i in range(3000)]}
    call = Call(CallShape(None, {}, "messages"), (), {"messages": [message]})
    new = call.with_slots([(slot, slot.text.upper()) for slot in call.slots()])
    assert [s.text for s in new.slots()] == [f"PART {i}" for i in range(3000)]
    assert message["content"][0]["text"] == "part 0"
