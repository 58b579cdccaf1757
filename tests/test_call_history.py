"""The assistant's earlier turns: slots of source ``assistant`` (text and tool-call arguments),
seen only by guards that ask for them (PII), and written back as valid messages."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace as NS

import pytest
from support import Deny

from guardlayer import guarded
from guardlayer.call import CallShape
from guardlayer.guards.pii import PIIGuard

EMAIL, NAME_WITH_QUOTE = "jane.doe@example.com", 'Dr. "Jo" O\'Hara'


def _call(messages):
    def ask(messages):
        return messages
    return CallShape.of(ask).bind((messages,), {})


def openai_history():
    return [
        {"role": "system", "content": f"Support desk. Escalations go to {EMAIL}."},
        {"role": "user", "content": f"My email is {EMAIL}."},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "send_email",
            "arguments": json.dumps({"to": EMAIL, "cc": [EMAIL], "body": f"Hi {NAME_WITH_QUOTE},\nnoted."})}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sent"},
        {"role": "assistant", "content": f"Done: I wrote to {EMAIL}."},
        {"role": "user", "content": "Thanks!"},
    ]


def test_tool_call_arguments_of_the_history_are_slots_one_per_string():
    slots = [s for s in _call(openai_history()).slots() if s.source == "assistant"]
    assert [(s.target, s.text) for s in slots] == [
        ("messages[2].tool_calls[0].arguments['to']", EMAIL),
        ("messages[2].tool_calls[0].arguments['cc'][0]", EMAIL),
        ("messages[2].tool_calls[0].arguments['body']", f"Hi {NAME_WITH_QUOTE},\nnoted."),
        ("messages[4]", f"Done: I wrote to {EMAIL}.")]


def test_a_changed_argument_string_is_written_back_as_json():
    history = openai_history()
    call = _call(history)
    body = next(s for s in call.slots() if s.target.endswith("['body']"))
    changed = call.with_slot(body, 'Hi "<PERSON_1>",\\ still\nnoted.')
    arguments = changed.messages[2]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments) == {"to": EMAIL, "cc": [EMAIL], "body": 'Hi "<PERSON_1>",\\ still\nnoted.'}
    assert json.loads(history[2]["tool_calls"][0]["function"]["arguments"])["body"].startswith("Hi Dr.")


def test_anthropic_tool_use_in_the_history_is_a_slot_too():
    history = [{"role": "user", "content": "hi"},
               {"role": "assistant", "content": [
                   {"type": "text", "text": "Sending."},
                   {"type": "tool_use", "id": "t1", "name": "send", "input": {"to": EMAIL}}]}]
    call = _call(history)
    slot = next(s for s in call.slots() if s.tool is not None)
    changed = call.with_slot(slot, "<EMAIL_ADDRESS_1>")
    assert changed.messages[1]["content"][1]["input"] == {"to": "<EMAIL_ADDRESS_1>"}
    assert changed.messages[1]["content"][0] == {"type": "text", "text": "Sending."}


def test_guards_that_do_not_ask_never_see_the_assistant_turns():
    seen = []

    def model(messages):
        seen.append(messages)
        return "ok"

    ask = guarded(model, input=[(Deny("bad"), "fix")])
    ask(messages=[{"role": "user", "content": "a bad day"},
                  {"role": "assistant", "content": "bad news"}, {"role": "user", "content": "go on"}])
    assert seen[0][0]["content"] == "a *** day" and seen[0][1]["content"] == "bad news"


@pytest.mark.parametrize("as_objects", [False, True])
def test_pii_scrubs_what_earlier_answers_gave_back_before_the_history_is_sent(as_objects):
    sent = []

    def model(messages):
        sent.append(messages)
        placeholder = re.search(r"<EMAIL_ADDRESS_\d+>", messages[1]["content"]).group()
        return f"I will keep writing to {placeholder}."

    history = openai_history()
    if as_objects:  # the SDK's message objects for the assistant's turns
        history[2] = NS(role="assistant", content=None, tool_calls=[NS(id="c1", type="function", function=NS(
            **history[2]["tool_calls"][0]["function"]))])
    ask = guarded(model, input=[PIIGuard(mode="regex")], output=[PIIGuard(mode="regex")])
    answer = ask(messages=history)
    assert answer == f"I will keep writing to {EMAIL}."
    (messages,) = sent
    outgoing = json.dumps([m if isinstance(m, dict) else vars(m) for m in messages[1:]], default=vars)
    assert EMAIL not in outgoing  # nothing the user said, nor what answers gave back
    placeholder = messages[1]["content"].split()[-1].rstrip(".")
    assert messages[0]["content"].endswith(f"{placeholder}.")  # nor the system prompt: one placeholder
    arguments = messages[2]["tool_calls"][0]["function"]["arguments"] if not as_objects else \
        messages[2].tool_calls[0].function.arguments
    assert json.loads(arguments)["to"] == messages[1]["content"].split()[-1].rstrip(".")  # one placeholder
    assert history[4]["content"] == f"Done: I wrote to {EMAIL}."  # the caller's list is untouched


@pytest.mark.parametrize("on_fail", ["block", "fallback"])
def test_the_assistants_own_turns_are_scrubbed_never_refused(on_fail):
    sent = []

    def model(messages):
        sent.append(messages)
        return "You are welcome."

    ask = guarded(model, input=[(PIIGuard(mode="regex"), on_fail)], fallback="sorry")
    history = [{"role": "user", "content": "How do I reach support?"},
               {"role": "assistant", "content": "Write to support@acme-shop.com."},
               {"role": "user", "content": "Thanks!"}]
    assert ask(messages=history) == "You are welcome."
    assert "support@acme-shop.com" not in sent[0][1]["content"]
    with pytest.raises(Exception, match="personal data"):  # the user's own turn still blocks
        guarded(model, input=[(PIIGuard(mode="regex"), "block")])(messages=[
            {"role": "user", "content": "I am jane.doe@example.com"}])


def test_a_system_prompt_is_scrubbed_by_pii_only_and_never_refused():
    sent = []

    def model(messages):
        sent.append(messages)
        return "Write to " + re.search(r"<EMAIL_ADDRESS_\d+>", messages[0]["content"]).group() + "."

    system = {"role": "system", "content": "You are bad at nothing. Escalations go to jane.doe@example.com."}
    ask = guarded(model, input=[(Deny("bad"), "block"), (PIIGuard(mode="regex"), "block")],
                  output=[PIIGuard(mode="regex")])
    answer = ask(messages=[system, {"role": "user", "content": "Who handles escalations?"}])
    assert answer == "Write to jane.doe@example.com."  # restored in the answer
    assert "jane.doe@example.com" not in sent[0][0]["content"]  # never sent to the model
    assert "bad at nothing" in sent[0][0]["content"]  # other guards do not read the system prompt


def test_a_system_prompt_keeps_its_company_places_and_dates():
    sent = []
    prompt = ("You are the assistant for Northwind Traders, with a warehouse in Leeds, England. "
              "Prices changed in March 2024. Escalate to Jane Doe at jane.doe@example.com.")
    guarded(lambda messages: sent.append(messages) or "ok", input=[PIIGuard()])(
        messages=[{"role": "system", "content": prompt}, {"role": "user", "content": "hello"}])
    system = sent[0][0]["content"]
    assert "Northwind Traders" in system and "Leeds, England" in system and "March 2024" in system
    assert "Jane Doe" not in system and "jane.doe@example.com" not in system


def test_a_system_prompt_beside_the_messages_is_scrubbed_too():
    sent = []

    def create(*, model: str, system: str, messages: list, max_tokens: int = 100) -> str:  # Anthropic's shape
        sent.append(system)
        return "Write to " + re.search(r"<EMAIL_ADDRESS_\d+>", system).group() + "."

    ask = guarded(create, input=[(Deny("bad"), "block"), PIIGuard(mode="regex")], output=[PIIGuard(mode="regex")])
    answer = ask(model="m", system="You are bad at nothing. Escalate to jane.doe@example.com.",
                 messages=[{"role": "user", "content": "Who handles escalations?"}])
    assert answer == "Write to jane.doe@example.com." and "jane.doe@example.com" not in sent[0]
    assert "bad at nothing" in sent[0]

    def responses(**kwargs) -> str:  # a pass-through wrapper of the Responses API
        sent.append(kwargs["instructions"])
        return "ok"

    guarded(responses, input=[PIIGuard(mode="regex")])(
        model="m", instructions="Escalate to jane.doe@example.com.", input="hello")
    assert "jane.doe@example.com" not in sent[1]

    def with_blocks(*, model: str, system: list, messages: list) -> str:
        sent.append(system)
        return "ok"

    blocks = [{"type": "text", "text": "Escalate to jane.doe@example.com.", "cache_control": {"type": "ephemeral"}}]
    guarded(with_blocks, input=[PIIGuard(mode="regex")])(
        model="m", system=blocks, messages=[{"role": "user", "content": "hi"}])
    assert sent[2][0]["text"].startswith("Escalate to <EMAIL_ADDRESS")
    assert sent[2][0]["cache_control"] == {"type": "ephemeral"} and blocks[0]["text"].endswith("example.com.")
