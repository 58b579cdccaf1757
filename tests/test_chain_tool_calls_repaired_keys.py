"""JSON holding tool calls that gives a key twice is refused when it had to be repaired too
(protocol mode reads repaired JSON): readers differ on which value they keep."""
from __future__ import annotations

import json

import pytest

from guardlayer import Blocked, guarded, last_report
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.structured.repair import MAX_CHARS, Unreadable, keys_given_twice

TOOLS = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string", "pattern": "^(?i:select)"}}}},
         "rm": {}}

TWICE = {
    "name, trailing comma": '{"name": "run_sql", "arguments": {"sql": "select 1"}, "name": "rm",}',
    "name, single quotes": "{'name': 'rm', 'name': 'run_sql', 'arguments': {'sql': 'select 1'}}",
    "an argument hidden under another": "{'name': 'run_sql', 'arguments': {'sql': 'drop table t', 'sql': 'select 1'}}",
    "in a list": "[{'name': 'run_sql', 'arguments': {'sql': 'select 1'}, 'name': 'rm'}]",
    "a comma missing": '{"name": "rm" "name": "run_sql", "arguments": {"sql": "select 1"}}',
    "fenced": "Sure.\n```json\n{name: 'run_sql', arguments: {sql: 'select 1'}, name: 'rm'}\n```",
    # a stray closer: json-repair reads the valid object before it with Python's reader
    "name, a stray closer": '{"name": "rm", "name": "run_sql", "arguments": {"sql": "select 1"}} }',
    "an argument, a stray closer": '{"name":"run_sql","arguments":{"sql":"drop table t","sql":"select 1"}} }',
}


def protocol(answer: str) -> list[tuple[str | None, object]]:
    guarded(output=[ToolCallGuard(TOOLS, text_calls="protocol")])(lambda prompt: answer)("q")
    return [(call.name, call.parsed) for call in last_report().tool_calls]  # type: ignore[union-attr]


@pytest.mark.parametrize("answer", TWICE.values(), ids=TWICE)
def test_repaired_calls_that_give_a_key_twice_are_refused(answer: str) -> None:
    with pytest.raises(Blocked, match="gives a key twice"):
        protocol(answer)


def test_repaired_calls_that_give_each_key_once_still_pass() -> None:
    answer = "[{'name': 'run_sql', 'arguments': {'sql': 'select 1'}}, {'name': 'rm', 'arguments': {'path': '/tmp/x'},}]"
    assert protocol(answer) == [("run_sql", {"sql": "select 1"}), ("rm", {"path": "/tmp/x"})]


def test_a_call_json_repair_drops_for_a_later_one_is_refused() -> None:
    # json-repair reads the second object as an update of the first and drops the rm call
    answer = '{"name":"rm","arguments":{"sql":"x"}} {"name":"run_sql","arguments":{"sql":"select 1"}} }'
    with pytest.raises(Blocked, match="keeps only the last"):
        protocol(answer)


def test_a_key_given_twice_in_repaired_json_holding_no_call_passes() -> None:
    assert protocol("Result: {'name': 'Bob', 'age': 3, 'age': 4,}") == []


def test_a_big_call_the_fast_reader_read_is_checked_for_keys_beyond_json_repairs_limit() -> None:
    sql = "select " + ", ".join(f"c{i}" for i in range(MAX_CHARS // 6))
    answer = f'{{"name": "run_sql", "arguments": {{"sql": "{sql}"}},}}'  # (a trailing comma)
    assert len(answer) > MAX_CHARS
    assert protocol(answer) == [("run_sql", {"sql": sql})]
    with pytest.raises(Blocked, match="gives a key twice"):
        protocol(answer[:-2] + ', "name": "rm"}')


@pytest.mark.parametrize("text, twice", [
    ('{"a": 1, "b": {"a": 2}, "a": 3,}', {"a"}),
    ('{"a": 1}, "a": 2}', {"a"}),  # json-repair reads it as one object
    ('{"a": 1, "a": 2} }', {"a"}),  # json-repair reads the object with Python's reader
    ('[{"a": 1, "b": 2}, {"a": 3, "b": 4},]', set()),
    ("{'a': {'x': 1}, 'b': {'x': 2},}", set()),
])
def test_keys_given_twice_in_broken_json(text: str, twice: set[str]) -> None:
    with pytest.raises(ValueError):
        json.loads(text)  # (broken JSON: json-repair's to read)
    assert keys_given_twice(text) == twice


def test_a_value_json_repair_drops_is_unreadable() -> None:
    with pytest.raises(Unreadable, match="keeps only the last"):
        keys_given_twice('{"a": 1} {"a": 2} }')
