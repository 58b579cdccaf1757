"""LangChain ``AIMessage`` tool calls (``{"name", "args", "id", "type": "tool_call"}``): their
arguments are read from ``args`` and checked, and written back there."""
from __future__ import annotations

import pytest
from pydantic import BaseModel

from guardlayer import Blocked, guarded
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.providers.tools import tool_calls, with_tool_arguments

SELECT_ONLY = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string", "pattern": "^(?i:select)"}}}}}
REQUIRED = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}}}


class AIMessage(BaseModel):
    """The fields of langchain_core's ``AIMessage`` (not installed here) that carry calls."""

    content: object = ""
    type: str = "ai"
    tool_calls: list = []
    invalid_tool_calls: list = []


def message(sql: str) -> AIMessage:
    return AIMessage(tool_calls=[{"name": "run_sql", "args": {"sql": sql}, "id": "c1", "type": "tool_call"}])


def test_args_are_read_and_replaced_in_a_copy() -> None:
    msg = message("select 1")
    (call,) = tool_calls(msg)
    assert (call.id, call.name, call.parsed) == ("c1", "run_sql", {"sql": "select 1"})
    new = with_tool_arguments(msg, [call.with_value({"sql": "select 2"})])
    assert new.tool_calls[0]["args"] == {"sql": "select 2"} and msg.tool_calls[0]["args"] == {"sql": "select 1"}


def test_the_guard_checks_the_args_of_a_langchain_answer() -> None:
    with pytest.raises(Blocked, match="does not match"):
        guarded(output=[ToolCallGuard(SELECT_ONLY)])(lambda prompt: message("DROP TABLE users"))("q")
    allowed = message("select 1")
    assert guarded(output=[ToolCallGuard(REQUIRED)])(lambda prompt: allowed)("q") == allowed
