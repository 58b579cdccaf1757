"""Servers that stream tool calls without ids (LangChain merges the chunks into a message whose
calls and ``tool_call_chunks`` hold no id): each copy is matched to its call by position, when
the copies of a slot are one per call, and a guard's rewrite reaches it."""
from __future__ import annotations

import json
from typing import Any

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard

from providers.test_tools_langchain_copies import AIMessage

EMAIL = "jane.doe@example.com"
TOOLS: dict[str, dict[str, Any]] = {"send_email": {}, "GetWeather": {}}


def merged(*calls: tuple[str, dict[str, Any]]) -> AIMessage:
    """A merged stream from a server sending no ids, as LangChain builds it."""
    return AIMessage(
        tool_calls=[{"name": n, "args": a, "id": None, "type": "tool_call"} for n, a in calls],
        tool_call_chunks=[{"name": n, "args": json.dumps(a), "id": None, "index": i, "type": "tool_call_chunk"}
                          for i, (n, a) in enumerate(calls)])


def guard(*guards: Any, answer: AIMessage) -> AIMessage:
    return guarded(output=list(guards))(lambda prompt: answer)("hi")


@pytest.mark.parametrize("calls", [
    [("send_email", {"to": EMAIL})],
    [("GetWeather", {"location": "LA"}), ("send_email", {"to": EMAIL})],
])
def test_a_merged_stream_without_ids_passes_and_each_copy_is_redacted(calls: list[Any]) -> None:
    answer = merged(*calls)
    assert guard(ToolCallGuard(TOOLS), answer=answer) is answer
    out = guard(PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"]), ToolCallGuard(TOOLS), answer=answer)
    assert EMAIL not in json.dumps(out.tool_calls) + json.dumps(out.tool_call_chunks)
    assert json.loads(out.tool_call_chunks[-1]["args"]) == out.tool_calls[-1]["args"] == {"to": "<EMAIL_ADDRESS>"}


def test_a_copy_without_id_that_reads_otherwise_than_the_call_at_its_place_is_refused() -> None:
    answer = merged(("GetWeather", {"location": "LA"}), ("send_email", {"to": EMAIL}))
    answer.tool_call_chunks[1]["args"] = '{"to": "attacker@example.net"}'
    with pytest.raises(Blocked, match="differs from the call"):
        guard(ToolCallGuard(TOOLS), answer=answer)


def test_copies_without_ids_that_are_not_one_per_call_are_refused() -> None:
    answer = merged(("GetWeather", {"location": "LA"}), ("send_email", {"to": EMAIL}))
    answer.tool_call_chunks.pop(0)
    with pytest.raises(Blocked, match="has no id"):
        guard(ToolCallGuard(TOOLS), answer=answer)
