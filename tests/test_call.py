"""Finding the untrusted text in a call, replacing it, and re-asking."""
from __future__ import annotations

import pytest
from support import Deny

from guardlayer import Blocked, ConfigError, guarded, last_report
from guardlayer.call import CallShape


def test_messages_user_and_tool_are_untrusted_system_is_ours_assistant_is_history():
    def ask(messages, model="m"):
        return messages

    call = CallShape.of(ask).bind(([
        {"role": "system", "content": "you are bad at nothing"},
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {}}]},
        {"role": "assistant", "content": "hello"},
        {"role": "tool", "content": "result", "tool_call_id": "1"},
    ],), {})
    assert [(s.target, s.source, s.text) for s in call.slots()] == [
        ("messages[0]", "system", "you are bad at nothing"),  # read only by guards that ask (PII)
        ("messages[1].content[0]", "user", "hi"), ("messages[2]", "assistant", "hello"),
        ("messages[3]", "tool", "result")]
    changed = call.with_slot(call.slots()[1], "HI")
    assert changed.messages[1]["content"][0]["text"] == "HI"
    assert changed.messages[1]["content"][1]["type"] == "image_url"


def test_documents_argument_is_checked_with_its_source():
    seen = []

    class Sees:
        def check(self, text, ctx):
            seen.append((ctx.source, text))
            from guardlayer import Verdict
            return Verdict.ok()

    @guarded(input=[Sees()], untrusted={"question": "user", "docs": "document"})
    def answer(question: str, docs: list[str]) -> str:
        return "ok"

    answer("why?", ["doc one", "doc two"])
    assert seen == [("user", "why?"), ("document", "doc one"), ("document", "doc two")]


def test_prompt_argument_by_name():
    @guarded(input=[Deny("bad")], prompt_arg="text")
    def ask(system: str, text: str) -> str:
        return "ok"

    assert ask("bad system is ours", "fine") == "ok"
    with pytest.raises(Blocked):
        ask("fine", text="bad")
    assert last_report().checks[0].target == "text"


def test_unknown_argument_name_is_a_config_error():
    with pytest.raises(ConfigError, match="no argument 'prompt'"):
        guarded(lambda text: text, prompt_arg="prompt")


def test_methods_skip_self_and_tuples_of_messages_are_checked():
    class Bot:
        @guarded(input=[Deny("bad")])
        def ask(self, text: str) -> str:
            return "ok"

    with pytest.raises(Blocked):
        Bot().ask("bad")

    @guarded(input=[Deny("bad")])
    def chat(messages) -> str:
        return "ok"

    with pytest.raises(Blocked):
        chat(({"role": "user", "content": "bad"},))


def test_input_guards_with_nothing_to_guard_is_a_config_error():
    with pytest.raises(ConfigError, match="no untrusted text"):
        guarded(lambda: "x", input=[Deny("bad")])
    guarded(lambda: "x", output=[Deny("bad")])  # output guards alone need no input text


def test_an_untrusted_argument_that_is_not_text_fails_closed():
    ask = guarded(lambda prompt: "ok", input=[Deny("bad")])
    assert ask(None) == "ok"  # nothing to check
    with pytest.raises(ConfigError, match="holds int, not text"):
        ask(5)
    with pytest.raises(ConfigError, match="holds text in 'data'"):  # a message's text out of its content
        ask({"role": "user", "data": "bad"})
    with pytest.raises(Blocked):  # a document's text is read
        ask({"text": "bad"})
    with pytest.raises(Blocked):  # and every other string of a document (one with no role)
        ask({"data": "bad"})


def test_fix_on_message_objects_keeps_them_objects():
    from dataclasses import dataclass

    @dataclass
    class Msg:
        role: str
        content: str

    seen = []

    @guarded(input=[(Deny("bad"), "fix")])
    def chat(messages) -> str:
        seen.append(messages)
        return "ok"

    original = [Msg("system", "s"), Msg("user", "a bad day")]
    chat(original)
    assert seen[0][1] == Msg("user", "a *** day") and original[1].content == "a bad day"


def test_a_pass_through_kwargs_wrapper_is_guarded_and_called_as_written():
    got = []

    def create(**kwargs):
        got.append(kwargs)
        return "ok"

    guarded_create = guarded(input=[Deny("EVIL")])(create)
    with pytest.raises(Blocked):
        guarded_create(model="m", messages=[{"role": "user", "content": "an EVIL plan"}])
    with pytest.raises(Blocked):
        guarded_create(prompt="an EVIL plan")
    assert got == []
    assert guarded_create(model="m", messages=[{"role": "user", "content": "hi"}], temperature=0) == "ok"
    assert got == [{"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}]


def test_prompt_and_messages_are_both_guarded():
    @guarded(input=[Deny("EVIL")])
    def ask(prompt=None, messages=None):
        return "ok"

    with pytest.raises(Blocked):
        ask(prompt="EVIL")
    with pytest.raises(Blocked):
        ask(messages=[{"role": "user", "content": "EVIL"}])


@pytest.mark.parametrize("message", [
    {"content": "EVIL"},  # no role
    {"role": "User", "content": "EVIL"},
    {"role": "user", "content": [{"type": "input_text", "text": "EVIL"}]},  # OpenAI Responses
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "1", "content": "EVIL"}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "1",
                                  "content": [{"type": "text", "text": "EVIL"}]}]},
])
def test_every_message_not_from_us_is_checked(message):
    @guarded(input=[Deny("EVIL")])
    def ask(messages):
        return "ok"

    with pytest.raises(Blocked):
        ask([message])


def test_anthropic_tool_results_are_tool_output_and_fixed_in_place():
    call = CallShape.of(lambda messages: None).bind(([{"role": "user", "content": [
        {"type": "text", "text": "what does it say?"},
        {"type": "tool_result", "tool_use_id": "1", "content": [{"type": "text", "text": "page"}]},
    ]}],), {})
    slots = call.slots()
    assert [(s.target, s.source, s.text) for s in slots] == [
        ("messages[0].content[0]", "user", "what does it say?"), ("messages[0].content[1]", "tool", "page")]
    content = call.with_slot(slots[1], "PAGE").messages[0]["content"]
    assert content[0]["text"] == "what does it say?"
    assert content[1] == {"type": "tool_result", "tool_use_id": "1", "content": [{"type": "text", "text": "PAGE"}]}


def test_message_content_that_is_not_text_fails_closed():
    @guarded(input=[Deny("EVIL")])
    def ask(messages):
        return "ok"

    with pytest.raises(ConfigError, match="cannot be checked"):
        ask([{"role": "user", "content": b"EVIL"}])
