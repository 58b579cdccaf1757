"""A LangChain ``AIMessage`` keeps copies of a call's arguments besides ``tool_calls[i].args``
(the provider's call in ``additional_kwargs``, ``tool_call_chunks``, content blocks): a guard's
rewrite reaches every copy, and OpenAI's legacy call, kept in ``additional_kwargs`` alone, is read."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from guardlayer import Blocked, guarded
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.providers.tools import tool_calls, with_tool_arguments

EMAIL = "jane.doe@example.com"
ARGS = {"to": EMAIL}


class AIMessage(BaseModel):
    """The fields of langchain_core's ``AIMessage`` (not installed here) that carry calls."""

    content: object = ""
    type: str = "ai"
    additional_kwargs: dict = {}
    response_metadata: dict = {}
    tool_calls: list = []
    invalid_tool_calls: list = []
    tool_call_chunks: list = []


def raw(id: str | None, arguments: str) -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": "send_email", "arguments": arguments}}


def parsed(id: str | None = "c1") -> dict[str, Any]:
    return {"name": "send_email", "args": dict(ARGS), "id": id, "type": "tool_call"}


# Each: the message, and how to read each copy of the call's arguments as a dict.
COPIES = {
    "additional_kwargs": (
        lambda: AIMessage(tool_calls=[parsed()], additional_kwargs={"tool_calls": [raw("c1", json.dumps(ARGS))]}),
        lambda m: json.loads(m.additional_kwargs["tool_calls"][0]["function"]["arguments"])),
    "tool_call_chunks": (
        lambda: AIMessage(tool_calls=[parsed()], tool_call_chunks=[
            {"name": "send_email", "args": json.dumps(ARGS), "id": "c1", "index": 0, "type": "tool_call_chunk"}]),
        lambda m: json.loads(m.tool_call_chunks[0]["args"])),
    "content tool_call block": (
        lambda: AIMessage(tool_calls=[parsed()], content=[{"type": "text", "text": "Sending."}, parsed()]),
        lambda m: m.content[1]["args"]),
    "content function_call item": (
        lambda: AIMessage(tool_calls=[parsed()], content=[
            {"type": "function_call", "name": "send_email", "arguments": json.dumps(ARGS), "call_id": "c1"}]),
        lambda m: json.loads(m.content[0]["arguments"])),
}


@pytest.mark.parametrize("shape", COPIES)
def test_a_redaction_reaches_every_copy_of_the_arguments(shape: str) -> None:
    make, copy = COPIES[shape]
    answer = make()
    out = guarded(output=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda prompt: answer)("hi")
    assert out.tool_calls[0]["args"] == copy(out) == {"to": "<EMAIL_ADDRESS>"}
    assert copy(answer) == ARGS  # the caller's message is left as it was


def test_restored_originals_reach_the_providers_copy() -> None:
    """The model writes the placeholder it was shown; both copies get the address back."""
    pii = PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])
    held = {"to": "<EMAIL_ADDRESS_1>"}
    answer = AIMessage(tool_calls=[{**parsed(), "args": held}],
                       additional_kwargs={"tool_calls": [raw("c1", json.dumps(held))]})
    out = guarded(input=[pii], output=[pii])(lambda prompt: answer)(f"Write to {EMAIL}")
    assert out.tool_calls[0]["args"] == ARGS
    assert json.loads(out.additional_kwargs["tool_calls"][0]["function"]["arguments"]) == ARGS


def test_an_invalid_calls_copy_is_rewritten_with_it() -> None:
    broken = '{"to": "jane.doe@example.com"'
    answer = AIMessage(invalid_tool_calls=[{"name": "send_email", "args": broken, "id": "c1", "error": None,
                                            "type": "invalid_tool_call"}],
                       additional_kwargs={"tool_calls": [raw("c1", broken)]})
    (call,) = tool_calls(answer, invalid=True)
    new = with_tool_arguments(answer, [call.with_text('{"to": "<EMAIL_ADDRESS>"')])
    assert new.invalid_tool_calls[0]["args"] == new.additional_kwargs["tool_calls"][0]["function"]["arguments"]
    assert new.invalid_tool_calls[0]["args"] == '{"to": "<EMAIL_ADDRESS>"'


def test_an_invalid_call_blocks_error_quoting_its_arguments_is_rewritten_too() -> None:
    broken = '{"to": "jane.doe@example.com"'
    error = f"Function send_email arguments:\n\n{broken}\n\nare not valid JSON."
    block = {"type": "invalid_tool_call", "id": "c1", "name": "send_email", "args": broken, "error": error}
    answer = AIMessage(invalid_tool_calls=[{**block, "type": "invalid_tool_call"}], content=[dict(block)])
    out = guarded(output=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda prompt: answer)("hi")
    assert EMAIL not in json.dumps(out.content) + json.dumps(out.invalid_tool_calls)
    assert out.content[0]["error"] == error.replace(EMAIL, "<EMAIL_ADDRESS>")


def test_copies_that_cannot_be_matched_to_their_call_are_refused() -> None:
    # two calls with no id, one copy with none: which call it copies is not known
    answer = AIMessage(tool_calls=[parsed(None), parsed(None)],
                       additional_kwargs={"tool_calls": [raw(None, json.dumps(ARGS))]})
    call = tool_calls(answer)[0]
    with pytest.raises(ValueError, match="has no id"):
        with_tool_arguments(answer, [call.with_value({"to": "x"})])


def test_the_legacy_call_langchain_keeps_in_additional_kwargs_is_read_and_checked() -> None:
    answer = AIMessage(additional_kwargs={"function_call": {"name": "rm", "arguments": '{"path": "/"}'}})
    (call,) = tool_calls(answer)
    assert (call.name, call.parsed) == ("rm", {"path": "/"})
    with pytest.raises(Blocked, match="not allowed"):
        guarded(output=[ToolCallGuard({"send_email": {}})])(lambda prompt: answer)("hi")
    mail = AIMessage(additional_kwargs={"function_call": {"name": "send_email", "arguments": json.dumps(ARGS)}})
    out = guarded(output=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda prompt: mail)("hi")
    assert json.loads(out.additional_kwargs["function_call"]["arguments"]) == {"to": "<EMAIL_ADDRESS>"}


@pytest.mark.parametrize("copy", [
    '{"to": "attacker@example.net"}',  # another address than the one checked
    '{"to": "jane.doe@example.com", "to": "attacker@example.net"}',  # a key given twice
])
def test_a_copy_that_reads_otherwise_than_the_call_is_refused(copy: str) -> None:
    answer = AIMessage(tool_calls=[parsed()], additional_kwargs={"tool_calls": [raw("c1", copy)]})
    with pytest.raises(Blocked, match="differs from the call"):
        guarded(output=[ToolCallGuard({"send_email": {}})])(lambda prompt: answer)("hi")


def test_a_copy_of_a_call_the_message_does_not_hold_is_refused() -> None:
    answer = AIMessage(tool_calls=[parsed()], additional_kwargs={
        "tool_calls": [raw("c1", json.dumps(ARGS)), {**raw("c2", "{}"), "function": {"name": "rm", "arguments": "{}"}}]})
    with pytest.raises(Blocked, match="'c2'"):
        guarded(output=[ToolCallGuard({"send_email": {}, "rm": {}})])(lambda prompt: answer)("hi")


def test_copies_written_otherwise_but_reading_the_same_pass() -> None:
    answer = AIMessage(tool_calls=[parsed(), {"name": "send_email", "args": {}, "id": "c2", "type": "tool_call"}],
                       additional_kwargs={"tool_calls": [raw("c1", '{ "to" : "jane.doe@example.com" }'), raw("c2", "")]})
    assert guarded(output=[ToolCallGuard({"send_email": {}})])(lambda prompt: answer)("hi") == answer


def test_a_history_messages_copy_is_scrubbed_before_it_is_sent() -> None:
    sent = []
    assistant = {"role": "assistant", "content": "", "tool_calls": [parsed()],
                 "additional_kwargs": {"tool_calls": [raw("c1", json.dumps(ARGS))]}}
    history = [{"role": "user", "content": "Mail Jane."}, assistant, {"role": "user", "content": "Again."}]
    guarded(input=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda messages: sent.append(messages) or "ok")(
        messages=history)
    scrubbed = sent[0][1]
    copy = json.loads(scrubbed["additional_kwargs"]["tool_calls"][0]["function"]["arguments"])
    assert scrubbed["tool_calls"][0]["args"] == copy == {"to": "<EMAIL_ADDRESS_1>"}


PII = PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])


def redacted(answer: AIMessage) -> Any:
    return guarded(output=[PII])(lambda prompt: answer)("hi")


def function_call_item(arguments: str, call_id: str = "c1") -> dict[str, Any]:
    """A Responses API ``function_call`` output item as langchain-openai keeps it in ``content``."""
    return {"type": "function_call", "name": "send_email", "arguments": arguments, "call_id": call_id,
            "id": "fc_1", "status": "completed"}


@pytest.mark.parametrize("item", [
    # LangChain's args keep the last "to"; the item the next turn sends keeps the address too
    function_call_item('{"to": "jane.doe@example.com", "to": "bob"}'),
    function_call_item(json.dumps(ARGS), call_id="c2"),  # a copy of a call the message does not hold
    function_call_item('{"to": "bob", "cc": "jane.doe@example.com"}'),  # a copy that reads otherwise
])
def test_a_copy_the_pii_guard_cannot_match_to_its_call_fails_closed(item: dict[str, Any]) -> None:
    answer = AIMessage(content=[item], tool_calls=[{**parsed(), "args": {"to": "bob"}}])
    with pytest.raises(Blocked, match="cannot be judged"):
        redacted(answer)


def test_calls_sharing_an_id_are_refused_rather_than_one_copy_overwriting_the_other() -> None:
    answer = AIMessage(tool_calls=[parsed(), {**parsed(), "args": {"to": "bob"}}],
                       additional_kwargs={"tool_calls": [raw("c1", json.dumps(ARGS)), raw("c1", '{"to": "bob"}')]})
    with pytest.raises(Blocked, match="names two calls"):
        redacted(answer)


def anthropic_streamed() -> AIMessage:
    """langchain-anthropic's merged ``AIMessageChunk``: the ``tool_use`` block's ``input`` is
    ``{}`` and its arguments are in ``partial_json``."""
    block = {"type": "tool_use", "id": "toolu_1", "name": "send_email", "input": {}, "index": 0,
             "partial_json": json.dumps(ARGS)}
    return AIMessage(content=[block], tool_calls=[{**parsed("toolu_1")}], tool_call_chunks=[
        {"name": "send_email", "args": json.dumps(ARGS), "id": "toolu_1", "index": 0, "type": "tool_call_chunk"}])


def test_anthropics_streamed_tool_use_block_is_a_copy_redacted_with_its_call() -> None:
    answer = anthropic_streamed()
    assert [(c.id, c.parsed) for c in tool_calls(answer)] == [("toolu_1", ARGS)]  # one call, not two
    schema = {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]}
    assert guarded(output=[ToolCallGuard({"send_email": {"schema": schema}})])(lambda prompt: answer)("hi") == answer
    out = redacted(answer)
    assert json.loads(out.content[0]["partial_json"]) == out.tool_calls[0]["args"] == {"to": "<EMAIL_ADDRESS>"}


def test_anthropics_tool_use_block_beside_langchains_calls_is_read_once() -> None:
    answer = AIMessage(content=[{"type": "text", "text": "Sending."},
                                {"type": "tool_use", "id": "toolu_1", "name": "send_email", "input": dict(ARGS)}],
                       tool_calls=[parsed("toolu_1")])
    assert len(tool_calls(answer)) == 1
    assert redacted(answer).content[1]["input"] == {"to": "<EMAIL_ADDRESS>"}


def test_a_custom_tools_raw_input_is_redacted_with_its_call() -> None:
    item = {"type": "custom_tool_call", "id": "ctc_1", "call_id": "c2", "name": "shell", "input": f"mail {EMAIL}"}
    answer = AIMessage(content=[item], tool_calls=[{"name": "shell", "args": {"__arg1": f"mail {EMAIL}"},
                                                    "id": "c2", "type": "tool_call"}])
    out = redacted(answer)
    assert out.content[0]["input"] == out.tool_calls[0]["args"]["__arg1"] == "mail <EMAIL_ADDRESS>"


@pytest.mark.parametrize("chunks", [False, True])
def test_geminis_copy_of_its_last_call_is_not_a_second_call(chunks: bool) -> None:
    """langchain-google-genai keeps the last call in ``additional_kwargs["function_call"]`` too
    (no id), and streamed, in ``tool_call_chunks``."""
    copy = {"name": "send_email", "arguments": json.dumps(ARGS)}
    streamed = [{"name": "send_email", "args": json.dumps(ARGS), "id": "c1", "index": None}] if chunks else []
    answer = AIMessage(additional_kwargs={"function_call": copy}, tool_calls=[parsed()], tool_call_chunks=streamed)
    assert [c.id for c in tool_calls(answer)] == ["c1"]
    out = redacted(answer)
    assert json.loads(out.additional_kwargs["function_call"]["arguments"]) == {"to": "<EMAIL_ADDRESS>"}


@pytest.mark.parametrize("copy, passes", [
    ('{"to": "x", "body": "line 1\nline 2"}', True),  # a raw newline: LangChain reads it (strict=False)
    ('{"to": "x", "body": "line 1\\nline 2", "force": true}', False),  # true is not 1
])
def test_copies_are_compared_as_langchain_reads_them_and_typed(copy: str, passes: bool) -> None:
    args = {"to": "x", "body": "line 1\nline 2", **({} if passes else {"force": 1})}
    answer = AIMessage(content=[function_call_item(copy)], tool_calls=[{**parsed(), "args": args}])
    guard = guarded(output=[ToolCallGuard({"send_email": {}})])(lambda prompt: answer)
    if passes:
        assert guard("hi") == answer
    else:
        with pytest.raises(Blocked, match="differs from the call"):
            guard("hi")


def test_a_copy_naming_another_tool_is_refused() -> None:
    answer = AIMessage(tool_calls=[parsed()], additional_kwargs={
        "tool_calls": [{**raw("c1", json.dumps(ARGS)), "function": {"name": "rm", "arguments": json.dumps(ARGS)}}]})
    with pytest.raises(Blocked, match="differs from the call"):
        guarded(output=[ToolCallGuard({"send_email": {}, "rm": {}})])(lambda prompt: answer)("hi")


def test_a_history_call_whose_copies_cannot_be_rewritten_is_a_clear_error() -> None:
    """On input, a rewrite of a history call's arguments that cannot reach a copy (no id) stops the call."""
    from guardlayer.errors import ConfigError

    history = AIMessage(tool_calls=[parsed(None), parsed(None)],
                        additional_kwargs={"tool_calls": [raw(None, json.dumps(ARGS))]})
    ask = guarded(input=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(lambda messages: "sent")
    with pytest.raises(ConfigError, match="history.*has no id"):
        ask([{"role": "user", "content": "Mail Jane."}, history])


def test_calls_kept_in_additional_kwargs_alone_are_the_messages_calls() -> None:
    """A message that lists no calls has its provider's calls in ``additional_kwargs`` alone, and
    langchain-openai sends those to the model: they are read, scrubbed in the history and checked."""
    def unlisted(name: str, args: dict) -> AIMessage:
        return AIMessage(additional_kwargs={"tool_calls": [{**raw("c1", json.dumps(args)), "function": {
            "name": name, "arguments": json.dumps(args)}}]})

    sent = {}

    def model(messages):
        sent["history"] = messages[1]
        return "done"

    guarded(input=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(model)(
        [{"role": "user", "content": "Mail Jane."}, unlisted("send_email", ARGS)])
    assert "jane.doe" not in json.dumps(sent["history"].additional_kwargs)
    with pytest.raises(Blocked, match="not allowed"):
        guarded(output=[ToolCallGuard({"send_email": {}})])(lambda prompt: unlisted("rm", {"path": "/"}))("hi")
    out = guarded(output=[PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"])])(
        lambda prompt: unlisted("send_email", ARGS))("hi")
    assert json.loads(out.additional_kwargs["tool_calls"][0]["function"]["arguments"]) == {"to": "<EMAIL_ADDRESS>"}
