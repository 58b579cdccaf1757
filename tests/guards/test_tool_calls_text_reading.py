"""Where the tool_calls guard finds calls in a text answer: in every JSON value of the text
(fenced, after a line of prose, after invisible characters, after a fence), never read one way
by the guard and another by the program."""
from __future__ import annotations

import json
from typing import Any

import pytest

from guardlayer import Blocked, guarded
from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.tool_calls import ToolCallGuard

TOOLS = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
                     "rules": [{"id": "no-drop", "kind": "field", "require": "sql not matches '(?i)drop'"}]}}
DROP = {"sql": "DROP TABLE users"}
OPENAI_CALL = {"id": "c1", "type": "function", "function": {"name": "run_sql", "arguments": json.dumps(DROP)}}
MARKED = json.dumps({"tool_calls": [OPENAI_CALL]})
CALL = json.dumps({"name": "run_sql", "arguments": DROP})


def verdict(text: str, mode: str = "marked") -> Any:
    return ToolCallGuard(TOOLS, text_calls=mode).check(text, Context(side="output", response=text))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "```json\n" + MARKED + "\n```",
    "Sure:\n" + MARKED,
    "\ufeff" + MARKED,
    "\u200b" + MARKED,
    MARKED + "\nDone.",
    "```json\n{\"plan\": 1}\n```\nNow: " + MARKED,
    json.dumps([OPENAI_CALL]),
    json.dumps(OPENAI_CALL),
])
@pytest.mark.parametrize("json_after", [False, True])
def test_marked_calls_anywhere_in_the_answer_are_checked(text: str, json_after: bool) -> None:
    """A json guard after it hands the program the value it finds: that value's calls are checked."""
    guards: list[Any] = [ToolCallGuard(TOOLS), *([JsonGuard()] if json_after else [])]
    with pytest.raises(Blocked, match="no-drop"):
        guarded(output=guards)(lambda prompt: text)("q")


@pytest.mark.parametrize("text", [
    MARKED.replace('"tool_calls"', '"tool\\u005fcalls"')[:-1] + ",}",  # a trailing comma: repaired
    MARKED.replace('"', "'"),
    "Here:\n```json\n{tool_calls: [{type: 'function', function: {name: 'rm', arguments: '{}'}}]}\n```",
    "{tool_calls !!! }",  # repaired into a list of one string: no calls, but named
])
def test_marked_calls_whose_json_needs_repair_are_unreadable(text: str) -> None:
    v = verdict(text)
    assert not v.passed and v.findings[0].kind == "tool_calls.unreadable" and "repaired" in v.reason


@pytest.mark.parametrize("text", [
    '```json\n{"name": "Bob", "arguments": ["for", "against"]}\n```',
    'The people:\n[{"name": "Ann"}, {"name": "Bob"}]',
    '```json\n[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]\n```',
])
def test_marked_mode_passes_json_answers_that_are_not_calls(text: str) -> None:
    v = verdict(text)
    assert v.passed and v.meta["tool_calls"] == 0


@pytest.mark.parametrize("mode", ["marked", "protocol"])
@pytest.mark.parametrize("beside", [{"tool_calls": [OPENAI_CALL]}, {"function_call": OPENAI_CALL["function"]},
                                    {"content": [{"type": "tool_use", "id": "t", "name": "run_sql", "input": DROP}]}])
@pytest.mark.parametrize("choices", [[], [{"message": {"role": "assistant", "content": "hi"}}]])
def test_calls_beside_choices_are_unreadable(mode: str, beside: dict[str, Any], choices: list[Any]) -> None:
    answer = {"choices": choices, **beside}
    v = verdict(json.dumps(answer), mode)
    assert not v.passed and "both in choices and beside them" in v.reason
    with pytest.raises(Blocked, match="both in choices and beside them"):
        guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: answer)("q")


@pytest.mark.parametrize("text", [
    f'```json\n{{"a": 1}}\n```\n<tool_call>{CALL}</tool_call>',
    f'```json\n{{"a": 1}}\n```\nand {CALL}',
    f'~~~json\n{{"a": 1}}\n~~~\n```json\n{{"b": 2}}\n```\n{CALL}',
    f'```json\n{{"a": 1}}\n```\n```json\n{CALL}\n```',
    f'{{"name": "run_sql", "args": {json.dumps(DROP)}}}',  # LangChain's and Gemini's key
])
def test_protocol_reads_calls_written_after_a_fence_or_with_args(text: str) -> None:
    v = verdict(text, "protocol")
    assert not v.passed and v.meta["tool_calls"] == 1 and "no-drop" in v.reason


@pytest.mark.parametrize("call", [
    {"name": "run_sql", "arguments": {"sql": "select 1"}, "parameters": DROP},
    {"function": "run_sql", "name": "run_sql", "arguments": DROP},
    {"name": "run_sql", "arguments": DROP, "function": {"name": "run_sql", "arguments": {"sql": "select 1"}}},
    {"function": {"name": "run_sql", "arguments": {"sql": "select 1"}, "input": DROP}},
    {"name": "run_sql", "args": {"sql": "select 1"}, "arguments": DROP},
])
def test_protocol_refuses_a_call_object_that_reads_two_ways(call: dict[str, Any]) -> None:
    v = verdict(json.dumps(call), "protocol")
    assert not v.passed and v.findings[0].kind == "tool_calls.unreadable" and "two ways" in v.reason


@pytest.mark.parametrize("text, mode", [
    ('{"name": "run_sql", "arguments": null}', "protocol"),
    ('{"tool_calls": [{"name": "run_sql", "parameters": {"sql": "DROP TABLE users"}}]}', "marked"),
])
def test_a_written_call_without_readable_arguments_is_refused(text: str, mode: str) -> None:
    loose = ToolCallGuard({"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string"}}}}},
                          text_calls=mode)  # type: ignore[arg-type]
    v = loose.check(text, Context(side="output", response=text))
    assert not v.passed and v.findings[0].kind == "tool_calls.bad_arguments" and "no readable arguments" in v.reason
