"""Tool results nested in tool results (review R5, L2): 330 levels raised RecursionError while
the call was read; past `MAX_NESTING` levels the call is refused with a ConfigError."""
from __future__ import annotations

import pytest

from guardlayer import guarded
from guardlayer.call_kinds import MAX_NESTING
from guardlayer.errors import ConfigError
from guardlayer.guards.limits import TokenLimit


@guarded(input=[TokenLimit(max_tokens=10_000, model="gpt-4o", file_tokens=100)])
def chat(messages: list) -> str:
    return "ok"


def nested(depth: int) -> list:
    part: dict = {"type": "text", "text": "x"}
    for _ in range(depth):
        part = {"type": "tool_result", "tool_use_id": "t", "content": [part]}
    return [{"role": "user", "content": [part]}]


def test_deeply_nested_tool_results_are_refused() -> None:
    with pytest.raises(ConfigError, match="nested deeper than"):
        chat(nested(330))


def test_tool_results_within_the_bound_are_read() -> None:
    assert chat(nested(MAX_NESTING // 2)) == "ok"
