"""`last_report().tool_calls` (and a stream's ``tool_calls``) list the calls as the guards
checked them: those read from an answer's text too, and never one a guard's fix dropped."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from guardlayer import guarded, last_report, step
from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.providers.tools import ToolCall
from guardlayer.verdict import Verdict

TOOLS = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}},
         "send_email": {}}
SELECT = {"sql": "select 1"}


def openai_call(id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


MARKED = json.dumps({"tool_calls": [openai_call("c1", "run_sql", SELECT)]})
PROTOCOL = f'Running it.\n<tool_call>{json.dumps({"name": "run_sql", "arguments": SELECT})}</tool_call>'


def chat(text: str, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": calls}}]}


def chunks(text: str) -> list[dict[str, Any]]:
    return [{"choices": [{"index": 0, "delta": {"content": part}}]} for part in (text[:7], text[7:])]


async def _async(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(0)
        yield item


def through(shape: str, answer: Any, guards: list[Any]) -> list[ToolCall]:
    """The calls listed for ``answer`` (text, or a chat completion) answered in ``shape``:
    the Report's, and for a stream also the stream's own, which must be the same."""
    if shape == "sync":
        guarded(output=guards)(lambda prompt: answer)("q")
        return last_report().tool_calls  # type: ignore[return-value]
    if shape in ("stream", "async-stream"):
        text = answer if isinstance(answer, str) else answer["choices"][0]["message"]["content"]
        pieces = [text[:7], text[7:]] if isinstance(answer, str) else chunks(text)
    if shape == "stream":
        stream = guarded(output=guards)(lambda prompt: iter(pieces))("q")
        "".join(stream)
        assert stream.tool_calls == last_report().tool_calls
        return stream.tool_calls

    async def plain(prompt: str) -> Any:
        return answer

    async def streamed(prompt: str) -> AsyncIterator[Any]:
        return _async(pieces)

    async def run() -> list[ToolCall]:
        if shape == "async":
            await guarded(output=guards)(plain)("q")
            return last_report().tool_calls  # type: ignore[return-value]
        stream = await guarded(output=guards)(streamed)("q")
        [piece async for piece in stream]
        assert stream.tool_calls == last_report().tool_calls
        return stream.tool_calls

    return asyncio.run(run())


SHAPES = ["sync", "async", "stream", "async-stream"]


@pytest.mark.parametrize("shape", SHAPES)
def test_calls_read_from_a_text_answer_are_listed(shape: str) -> None:
    (call,) = through(shape, MARKED, [ToolCallGuard(TOOLS)])
    assert call == ToolCall(0, "c1", "run_sql", json.dumps(SELECT), SELECT, in_text=True)


@pytest.mark.parametrize("shape", SHAPES)
def test_calls_a_protocol_reads_in_a_providers_text_are_listed(shape: str) -> None:
    (call,) = through(shape, chat(PROTOCOL), [ToolCallGuard(TOOLS, text_calls="protocol")])
    assert (call.id, call.name, call.parsed, call.in_text) == (None, "run_sql", SELECT, True)


@pytest.mark.parametrize("answer", [PROTOCOL, chat(PROTOCOL)])
def test_text_that_only_looks_like_calls_lists_none(answer: Any) -> None:
    assert through("sync", answer, [ToolCallGuard(TOOLS)]) == []  # (calls only in protocol mode)
    assert through("sync", answer, [ToolCallGuard(TOOLS, text_calls="never")]) == []


def two_calls(rm: str = "rm") -> list[dict[str, Any]]:
    return [openai_call("c1", "run_sql", SELECT), openai_call("c2", rm, {"path": "/"})]


@pytest.mark.parametrize("answer", [json.dumps({"tool_calls": two_calls()}), chat("", two_calls())])
def test_a_call_the_guards_fix_dropped_is_not_listed(answer: Any) -> None:
    fixed = through("sync", answer, [ToolCallGuard(TOOLS, action="fix")])
    assert [(c.id, c.name) for c in fixed] == [("c1", "run_sql")]
    logged = through("sync", answer, [step(ToolCallGuard(TOOLS, action="fix"), "log")])  # shadow mode: as it was
    assert [c.name for c in logged] == ["run_sql", "rm"]


def test_each_tool_calls_guards_fix_applies() -> None:
    guards = [ToolCallGuard(TOOLS, action="fix"), ToolCallGuard({**TOOLS, "rm": {}, "wipe": {}}, action="fix")]
    answer = chat("", [*two_calls(), openai_call("c3", "wipe", {})])
    assert [c.id for c in through("sync", answer, guards)] == ["c1"]


def test_a_later_guard_that_rewrites_the_text_is_not_followed() -> None:
    """pii after tool_calls puts the original address back in the text; the call is listed as
    the guard checked it, with the placeholder (no guard checked the address): place tool_calls
    after pii to check and list the address."""
    pii = PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])
    answer = json.dumps({"tool_calls": [openai_call("c1", "send_email", {"to": "<EMAIL_ADDRESS_1>"})]})
    for output, to in ([ToolCallGuard(TOOLS), pii], "<EMAIL_ADDRESS_1>"), ([pii, ToolCallGuard(TOOLS)], "jane.doe@example.com"):
        guarded(input=[pii], output=output)(lambda prompt: answer)("Write to jane.doe@example.com")
        (call,) = last_report().tool_calls  # type: ignore[misc]
        assert call.parsed == {"to": to} and call.in_text


class Once:
    """Asks the model again the first time it sees a text (a user's own guard)."""

    def check(self, text: str, ctx: Context) -> Verdict:
        return Verdict.fail("say it again") if "again" in text else Verdict.ok()


def test_a_reasked_answer_lists_its_own_calls() -> None:
    answers = iter([json.dumps({"tool_calls": [openai_call("c1", "run_sql", SELECT)], "note": "again"}),
                    "Done, no tools needed."])
    ask = guarded(output=[ToolCallGuard(TOOLS), step(Once(), "reask")], retries=1)(lambda prompt: next(answers))
    assert ask("q") == "Done, no tools needed." and last_report().tool_calls == []


def test_an_invalid_call_in_the_history_is_scrubbed_before_it_is_sent() -> None:
    """LangChain's invalid calls go back to the model (langchain-openai sends them as tool calls)."""
    sent = []
    broken = {"name": "send_email", "args": '{"to": "jane.doe@example.com"', "id": "c1", "type": "invalid_tool_call"}
    history = [{"role": "user", "content": "Mail Jane."},
               {"role": "assistant", "content": "", "invalid_tool_calls": [broken]},
               {"role": "user", "content": "Try again."}]
    guarded(input=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda messages: sent.append(messages) or "ok")(
        messages=history)
    assert sent[0][1]["invalid_tool_calls"][0]["args"] == '{"to": "<EMAIL_ADDRESS_1>"'
    assert broken["args"] == '{"to": "jane.doe@example.com"'  # the caller's list is left as it was
