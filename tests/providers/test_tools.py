"""Reading and replacing tool-call arguments in OpenAI and Anthropic shapes, dicts and objects."""
from __future__ import annotations

import json
from types import SimpleNamespace as NS

import pytest

from guardlayer.providers.tools import ToolCall, tool_calls, with_tool_arguments
from guardlayer.verdict import MISSING


def openai(*calls: tuple[str, str], as_object: bool = False):
    raw = [{"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
           for i, (n, a) in enumerate(calls)]
    if as_object:
        return NS(choices=[NS(message=NS(role="assistant", content=None, tool_calls=[
            NS(id=c["id"], type="function", function=NS(**c["function"])) for c in raw]))])
    return {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": raw}}]}


def anthropic(*calls: tuple[str, dict], as_object: bool = False):
    blocks = [{"type": "text", "text": "Sending."}] + [
        {"type": "tool_use", "id": f"toolu_{i}", "name": n, "input": args} for i, (n, args) in enumerate(calls)]
    if as_object:
        return NS(role="assistant", content=[NS(**b) for b in blocks])
    return {"role": "assistant", "content": blocks}


@pytest.mark.parametrize("as_object", [False, True])
def test_openai_calls_are_read_with_text_and_parsed_arguments(as_object):
    resp = openai(("send", '{"to": "a@b.c"}'), ("noop", "not json"), as_object=as_object)
    first, second = tool_calls(resp)
    assert first == ToolCall(0, "call_0", "send", '{"to": "a@b.c"}', {"to": "a@b.c"})
    assert (second.index, second.name, second.arguments, second.parsed) == (1, "noop", "not json", MISSING)


@pytest.mark.parametrize("arguments", ['{"amount": NaN}', '{"amount": -Infinity}', '{"amount": 1e999}',
                                       '{"path": "/etc/passwd", "path": "/srv/data/a"}',
                                       '{"a": {"b": 1, "b": 2}}', "[" * 100_000 + "]" * 100_000])
def test_arguments_a_tool_might_read_otherwise_are_unreadable(arguments):
    (call,) = tool_calls(openai(("refund", arguments)))
    assert call.parsed is MISSING and call.arguments == arguments


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_parsed_arguments_with_a_number_json_cannot_hold_are_unreadable(value):
    (call,) = tool_calls(anthropic(("refund", {"amount": value})))
    assert call.parsed is MISSING
    (call,) = tool_calls(anthropic(("refund", {"amount": 12.5})))
    assert call.parsed == {"amount": 12.5}


def test_numbers_and_keys_that_read_the_same_everywhere_are_parsed():
    (call,) = tool_calls(openai(("refund", '{"amount": 1e300, "n": -0.5, "to": {"a": 1}, "tags": ["a", "a"]}')))
    assert call.parsed == {"amount": 1e300, "n": -0.5, "to": {"a": 1}, "tags": ["a", "a"]}


@pytest.mark.parametrize("as_object", [False, True])
def test_anthropic_tool_use_blocks_are_read(as_object):
    (call,) = tool_calls(anthropic(("send", {"to": "é@b.c"}), as_object=as_object))
    assert (call.id, call.name, call.parsed) == ("toolu_0", "send", {"to": "é@b.c"})
    assert call.arguments == '{"to": "é@b.c"}'


def test_legacy_function_call_and_answers_without_calls():
    legacy = {"choices": [{"message": {"content": None,
                                       "function_call": {"name": "f", "arguments": "{}"}}}]}
    assert [(c.name, c.parsed) for c in tool_calls(legacy)] == [("f", {})]
    for resp in ("text", None, {"choices": [{"message": {"content": "hi"}}]}, {"content": "hi"},
                 NS(content=[NS(type="text", text="hi")])):
        assert tool_calls(resp) == []


@pytest.mark.parametrize("as_object", [False, True])
def test_openai_arguments_replaced_in_a_copy_as_valid_json(as_object):
    resp = openai(("send", '{"to": "<EMAIL_ADDRESS_1>"}'), ("noop", "{}"), as_object=as_object)
    address = 'Flat 2 "B"\n10 Back\\Lane'
    new = with_tool_arguments(resp, [tool_calls(resp)[0].with_value({"to": address})])
    changed, same = tool_calls(new)
    assert json.loads(changed.arguments) == {"to": address} and changed.parsed == {"to": address}
    assert same.arguments == "{}"
    assert tool_calls(resp)[0].arguments == '{"to": "<EMAIL_ADDRESS_1>"}'  # untouched


@pytest.mark.parametrize("as_object", [False, True])
def test_anthropic_input_replaced_by_the_dict_in_a_copy(as_object):
    resp = anthropic(("send", {"to": "<EMAIL_ADDRESS_1>"}), as_object=as_object)
    new = with_tool_arguments(resp, [tool_calls(resp)[0].with_value({"to": "jane@example.com"})])
    block = new["content"][1] if isinstance(new, dict) else new.content[1]
    assert (block["input"] if isinstance(block, dict) else block.input) == {"to": "jane@example.com"}
    assert tool_calls(resp)[0].parsed == {"to": "<EMAIL_ADDRESS_1>"}
    with pytest.raises(ValueError, match="JSON object"):
        with_tool_arguments(resp, [tool_calls(resp)[0].with_text("not json")])


def test_text_that_is_not_json_replaces_openai_arguments_as_is():
    resp = openai(("noop", "to <EMAIL_ADDRESS_1>"))
    new = with_tool_arguments(resp, [tool_calls(resp)[0].with_text("to jane@example.com")])
    assert tool_calls(new)[0].arguments == "to jane@example.com" and tool_calls(new)[0].parsed is MISSING


def test_an_openai_message_with_content_parts_keeps_its_tool_calls() -> None:
    message = {"role": "assistant", "content": [{"type": "text", "text": "Looking up"}],
               "tool_calls": [{"id": "c", "type": "function",
                               "function": {"name": "lookup", "arguments": '{"email": "a@example.com"}'}}]}
    (call,) = tool_calls(message)
    assert (call.name, call.parsed) == ("lookup", {"email": "a@example.com"})
    changed = with_tool_arguments(message, [call.with_value({"email": "<EMAIL_ADDRESS_1>"})])
    assert changed["tool_calls"][0]["function"]["arguments"] == '{"email": "<EMAIL_ADDRESS_1>"}'
    assert changed["content"] == message["content"]


def test_a_tool_calls_field_that_is_not_a_list_holds_no_calls() -> None:
    assert tool_calls({"role": "assistant", "content": "hi", "tool_calls": "oops"}) == []


@pytest.mark.parametrize("raw", [
    {"id": "c", "type": "function", "function": {"name": "f"}},
    {"name": "f", "arguments": None},
    {"name": "f", "arguments": "{}", "args": {"x": 1}},
    {"type": "function", "function": {"name": "f", "arguments": "{}"}, "arguments": '{"x": 1}'},
    {"type": "function", "function": {"name": "f", "arguments": "{}"}, "name": "g"},
])
def test_a_call_whose_arguments_are_missing_or_in_two_places_has_unreadable_arguments(raw):
    (call,) = tool_calls([raw])
    assert call.parsed is MISSING and call.arguments == ""
