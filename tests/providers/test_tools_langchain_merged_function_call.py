"""Gemini's LangChain messages copy a call in ``additional_kwargs["function_call"]``; merging
streamed chunks that each hold one call joins those copies (names and arguments): the join is
judged through the calls it is made of, passes, and a guard's rewrite rewrites it as their join."""
from __future__ import annotations

import json
from typing import Any

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from providers.test_tools_langchain_copies import AIMessage

EMAIL = "jane.doe@example.com"
CALLS = [("GetWeather", {"location": "LA"}), ("send_email", {"to": EMAIL})]
TOOLS: dict[str, dict[str, Any]] = {"GetWeather": {}, "send_email": {}}


def merged(calls: list[tuple[str, dict[str, Any]]] = CALLS) -> AIMessage:
    """Two streamed chunks, each with one call and its copy, merged as LangChain merges them."""
    return AIMessage(
        additional_kwargs={"function_call": {"name": "".join(n for n, _ in calls),
                                             "arguments": "".join(json.dumps(a) for _, a in calls)}},
        tool_calls=[{"name": n, "args": a, "id": f"u{i}", "type": "tool_call"} for i, (n, a) in enumerate(calls)],
        tool_call_chunks=[{"name": n, "args": json.dumps(a), "id": f"u{i}", "index": None, "type": "tool_call_chunk"}
                          for i, (n, a) in enumerate(calls)])


def test_a_merged_stream_passes_a_check_unchanged() -> None:
    answer = merged()
    assert guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: answer)("hi") is answer


def test_a_rewrite_reaches_the_merged_copy() -> None:
    out = guarded(output=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda prompt: merged())("hi")
    assert EMAIL not in json.dumps(out.additional_kwargs)
    assert out.additional_kwargs["function_call"] == {
        "name": "GetWeathersend_email", "arguments": '{"location": "LA"}{"to": "<EMAIL_ADDRESS>"}'}


@pytest.mark.parametrize("change", [
    lambda m: m.additional_kwargs["function_call"].update(arguments='{"location": "LA"}{"to": "x@evil.net"}'),
    lambda m: m.additional_kwargs["function_call"].update(name="GetWeather"),
])
def test_a_merged_copy_that_is_not_the_join_of_the_calls_is_refused(change: Any) -> None:
    answer = merged()
    change(answer)
    with pytest.raises(Blocked, match="differs from the call"):
        guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: answer)("hi")


def test_a_join_that_reads_as_one_call_is_refused() -> None:
    # a call with no arguments: the join reads as JSON, a program may run it as one call
    answer = merged([("Get", {}), ("send_email", {"to": EMAIL})])
    answer.tool_call_chunks[0]["args"] = ""
    answer.additional_kwargs["function_call"]["arguments"] = json.dumps({"to": EMAIL})
    with pytest.raises(Blocked, match="differs from the call"):
        guarded(output=[ToolCallGuard({**TOOLS, "Get": {}})])(lambda prompt: answer)("hi")
