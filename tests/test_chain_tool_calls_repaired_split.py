"""Broken JSON json-repair splits at a repeated key (an object in a list missing its ``}``) gives
each key once in each object it reads: ordinary answers pass; and an unquoted value holding a
colon (a URL, a time) is not a key."""
from __future__ import annotations

import pytest

from guardlayer import Blocked, guarded, last_report
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.structured.repair import keys_given_twice

TOOLS: dict[str, dict[str, object]] = {"a": {}, "b": {}, "fetch": {}}


def answered(answer: str, mode: str = "protocol") -> list[tuple[str | None, object]]:
    guarded(output=[ToolCallGuard(TOOLS, text_calls=mode)])(lambda prompt: answer)("q")  # type: ignore[arg-type]
    return [(call.name, call.parsed) for call in last_report().tool_calls]  # type: ignore[union-attr]


def test_a_mistral_list_missing_a_brace_between_calls_passes_with_both_calls() -> None:
    answer = '[TOOL_CALLS] [{"name": "a", "arguments": {"q": 1}, {"name": "b", "arguments": {"q": 2}}]'
    assert answered(answer) == [("a", {"q": 1}), ("b", {"q": 2})]


@pytest.mark.parametrize("mode", ["marked", "protocol"])
def test_a_plain_list_missing_a_brace_holding_no_call_passes(mode: str) -> None:
    answer = 'Here are the items:\n[{"type": "caf\\u00e9", "price": 3, {"type": "tea", "price": 2}, {"type": "juice"}]'
    assert answered(answer, mode) == []


def test_keys_json_repair_takes_back_when_it_splits_an_object_are_not_counted() -> None:
    assert keys_given_twice('[{"type": "x", "price": 3, {"type": "y", "price": 2}]') == set()
    assert keys_given_twice('[{"type": "x", "type": "y", "price": 2,}]') == {"type"}


def test_unquoted_values_holding_a_colon_are_not_keys() -> None:
    assert keys_given_twice('{"u": https://a.example/x, "v": https://b.example/y}') == set()
    assert keys_given_twice('{"at": 10:30, "to": 10:45}') == set()
    assert keys_given_twice('{"at": 10:30, to: 1, to: 2}') == {"to"}
    answer = '{"name": "fetch", "arguments": {"url": https://a.example/x, "referer": https://b.example/y}}'
    assert answered(answer) == [("fetch", {"url": "https://a.example/x", "referer": "https://b.example/y"})]


def test_a_repaired_answer_holding_no_call_is_not_said_to_hold_calls() -> None:
    answer = "Result: {'type': 'note', 'type': 'function', 'text': 'x',}"
    with pytest.raises(Blocked, match="decides whether it holds tool calls \\(type\\)") as caught:
        answered(answer)
    assert "holds tool calls and gives" not in str(caught.value)
