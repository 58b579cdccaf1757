"""PII in tool-call arguments, end to end through ``@guarded``: the model (a fake, the provider
boundary) sees placeholders and echoes them into a tool call; the caller's tool call holds the
originals, as valid JSON, and personal data the model invented there is caught."""
from __future__ import annotations

import copy
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace as NS
from typing import Any

import pytest

from guardlayer.chain import last_report
from guardlayer.decorator import guarded
from guardlayer.errors import Blocked
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.providers.tools import tool_calls

ADDRESS = "221B Baker Street\nLondon NW1 6XE"
PROMPT = f"Email jane.doe@example.com that the parcel goes to {ADDRESS}."
EXPECTED = {"to": "jane.doe@example.com", "body": f"Dear customer,\nyour parcel goes to {ADDRESS}."}


def _send_args(prompt: str, **extra: str) -> dict[str, str]:
    """What a model would put in the call: the placeholders it was shown."""
    email, where = re.findall(r"<[A-Z_]+_\d+>", prompt)[:2]
    return {"to": email, "body": f"Dear customer,\nyour parcel goes to {where}.", **extra}


def openai_answer(args: dict[str, Any], as_object: bool = False) -> Any:
    text = f"Sending it to {args.get('to', 'you')}."
    call = {"id": "call_1", "type": "function",
            "function": {"name": "send_email", "arguments": json.dumps(args)}}
    if as_object:  # the SDK's objects: attributes all the way down, arguments a JSON string
        return NS(id="chatcmpl-1", model="gpt-4o", choices=[NS(index=0, message=NS(
            role="assistant", content=text,
            tool_calls=[NS(id="call_1", type="function", function=NS(**call["function"]))]))])
    return {"id": "chatcmpl-1", "model": "gpt-4o", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": [call]}}]}


def anthropic_answer(args: dict[str, Any]) -> Any:
    return NS(id="msg_1", role="assistant", model="claude", content=[
        NS(type="text", text=f"Sending it to {args['to']}."),
        NS(type="tool_use", id="toolu_1", name="send_email", input=args)])


def _arguments(response: Any) -> dict[str, Any]:
    (call,) = tool_calls(response)
    return json.loads(call.arguments)


@pytest.mark.parametrize("as_object", [False, True])
def test_openai_tool_call_gets_the_originals_back(regex_guard: PIIGuard, as_object: bool) -> None:
    seen, returned = [], []

    @guarded(input=[(regex_guard, "fix")], output=[regex_guard])
    def ask(prompt: str) -> Any:
        seen.append(prompt)
        returned.append(openai_answer(_send_args(prompt), as_object))
        return returned[-1]

    result = ask(PROMPT)
    assert "jane.doe" not in seen[0] and "Baker" not in seen[0]
    assert _arguments(result) == EXPECTED  # valid JSON although the address spans two lines
    assert (result["choices"][0]["message"]["content"] if not as_object
            else result.choices[0].message.content) == "Sending it to jane.doe@example.com."
    assert _arguments(returned[0])["to"] == "<EMAIL_ADDRESS_1>"  # the model's response untouched


async def test_anthropic_tool_use_gets_the_originals_back_async(regex_guard: PIIGuard) -> None:
    returned = []

    @guarded(input=[(regex_guard, "fix")], output=[regex_guard])
    async def ask(prompt: str) -> Any:
        returned.append(anthropic_answer(_send_args(prompt)))
        return returned[-1]

    result = await ask(PROMPT)
    assert result.content[1].input == EXPECTED and result.content[0].text == "Sending it to jane.doe@example.com."
    assert returned[0].content[1].input["to"] == "<EMAIL_ADDRESS_1>"


def test_an_original_with_quotes_stays_valid_json(ner_guard: PIIGuard) -> None:
    @guarded(input=[(ner_guard, "fix")], output=[ner_guard])
    def ask(prompt: str) -> Any:
        (name,) = re.findall(r"<PERSON_\d+>", prompt)
        return openai_answer({"to": "<EMAIL_ADDRESS_1>", "body": f"Dear {name},\n\\ welcome"})

    result = ask('Welcome our new customer Robert "Bobby" Tables, email bobby@example.com.')
    assert _arguments(result) == {"to": "bobby@example.com", "body": 'Dear Robert "Bobby" Tables,\n\\ welcome'}


def test_personal_data_the_model_invents_in_arguments_is_redacted(regex_guard: PIIGuard) -> None:
    @guarded(input=[(regex_guard, "fix")], output=[regex_guard])
    def ask(prompt: str) -> Any:
        return openai_answer(_send_args(prompt, cc="bob.leak@example.org"))

    result = ask(PROMPT)
    assert _arguments(result) == {**EXPECTED, "cc": "<EMAIL_ADDRESS>"}
    report = last_report()
    assert report is not None
    check = [c for c in report.checks if c.target == "tool_calls[0].arguments"]
    assert check and not check[0].verdict.passed and check[0].action is not None


def test_personal_data_in_arguments_blocks_when_the_step_blocks() -> None:
    pii = PIIGuard(mode="regex")

    @guarded(input=[(pii, "fix")], output=[(pii, "block")])
    def ask(prompt: str) -> Any:
        return openai_answer(_send_args(prompt, cc="bob.leak@example.org"))

    with pytest.raises(Blocked, match="personal data in the answer"):
        ask(PROMPT)


def test_a_later_tool_calls_guard_sees_the_restored_arguments(regex_guard: PIIGuard) -> None:
    tools = {"send_email": {"rules": [{"id": "our-customers", "kind": "field",
                                       "require": r"to matches '@example\.com$'"}]}}

    @guarded(input=[(regex_guard, "fix")], output=[regex_guard, ToolCallGuard(tools)])
    def ask(prompt: str) -> Any:
        return openai_answer(_send_args(prompt))

    assert _arguments(ask(PROMPT)) == EXPECTED


def test_concurrent_calls_get_their_own_originals_in_arguments(regex_guard: PIIGuard) -> None:
    barrier = threading.Barrier(4, timeout=10)

    @guarded(input=[(regex_guard, "fix")], output=[regex_guard])
    def ask(prompt: str) -> Any:
        barrier.wait()  # four calls hold their vaults at once
        return openai_answer(_send_args(prompt))

    prompts = [PROMPT.replace("jane.doe", f"user{i}") for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(ask, prompts))
    assert [_arguments(r)["to"] for r in results] == [f"user{i}@example.com" for i in range(8)]


def test_the_callers_response_is_left_untouched(regex_guard: PIIGuard) -> None:
    answer = anthropic_answer({"to": "<EMAIL_ADDRESS_1>", "body": "<STREET_ADDRESS_1>"})
    before = copy.deepcopy(answer)
    ask = guarded(input=[(regex_guard, "fix")], output=[regex_guard])(lambda prompt: answer)
    assert ask(PROMPT).content[1].input == {"to": "jane.doe@example.com", "body": ADDRESS}
    assert answer == before


@pytest.mark.parametrize("guard,note,redacted", [
    ("regex_guard", "ship to 10 Downing Street\nLondon SW1A 2AA", "ship to <STREET_ADDRESS>"),
    ("ner_guard", "ask María José García-Núñez to sign", "ask <PERSON> to sign"),
])
def test_invented_data_that_json_escapes_is_redacted_whole(guard: str, note: str, redacted: str,
                                                           request: pytest.FixtureRequest) -> None:
    """In the arguments' JSON text the line break is ``\\n`` and the accents ``\\u00ed``: the
    parsed strings are searched as well, so the whole value is found and redacted there."""
    pii = request.getfixturevalue(guard)
    ask = guarded(input=[(pii, "fix")], output=[pii])(lambda prompt: openai_answer({"note": note}))
    assert _arguments(ask("Hello there.")) == {"note": redacted}


def test_a_number_the_model_writes_in_arguments_is_redacted_too(regex_guard: PIIGuard) -> None:
    @guarded(input=[(regex_guard, "fix")], output=[regex_guard])
    def ask(prompt: str) -> Any:
        return openai_answer({"card": 4111111111111111, "amount": 12, "note": "card 4111 1111 1111 1111"})

    assert _arguments(ask("Pay my order.")) == {"card": "<CREDIT_CARD>", "amount": 12, "note": "card <CREDIT_CARD>"}


def test_a_placeholder_escaped_in_the_json_text_is_restored(regex_guard: PIIGuard) -> None:
    @guarded(input=[(regex_guard, "fix")], output=[regex_guard])
    def ask(prompt: str) -> Any:
        answer = openai_answer({})  # "<" and ">" written as \u003c and \u003e, as some encoders do
        answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = (
            '{"to": "\\u003cEMAIL_ADDRESS_1\\u003e"}')
        return answer

    assert _arguments(ask("Write to jane.doe@example.com.")) == {"to": "jane.doe@example.com"}


def _checked_arguments_text() -> str:
    """The arguments' text as the pii check on the tool call fixed it (what its report shows)."""
    report = last_report()
    assert report is not None
    (check,) = [c for c in report.checks if c.target == "tool_calls[0].arguments"]
    assert check.verdict.fixed is not None
    return check.verdict.fixed


@pytest.mark.parametrize("written", ["\\u003cEMAIL_ADDRESS_1>", "<EMAIL_ADDRESS_1\\u003e",
                                     "\\u003c\\u0045MAIL\\u005fADDRESS_1\\u003e"])
def test_arguments_with_escaped_placeholders_are_restored_in_value_and_text(regex_guard: PIIGuard,
                                                                           written: str) -> None:
    @guarded(input=[(regex_guard, "fix")], output=[regex_guard])
    def ask(prompt: str) -> Any:
        answer = openai_answer({})
        answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = (
            f'{{"to": "{written}", "where": "<STREET_ADDRESS_1>"}}')
        return answer

    expected = {"to": "jane.doe@example.com", "where": ADDRESS}
    assert _arguments(ask(PROMPT)) == expected == json.loads(_checked_arguments_text())


@pytest.mark.parametrize("operator", ["redact", "mask", "hash"])
def test_a_number_in_arguments_becomes_a_string_in_value_and_text(operator: str) -> None:
    pii = PIIGuard(mode="regex", operator=operator)
    ask = guarded(input=[(pii, "fix")], output=[pii])(
        lambda prompt: openai_answer({"card": 4111111111111111, "cards": [[4111111111111111]], "n": 3}))
    arguments = _arguments(ask("Pay my order."))
    card = arguments["card"]
    assert isinstance(card, str) and "4111111111111111" not in card
    assert arguments == {"card": card, "cards": [[card]], "n": 3} == json.loads(_checked_arguments_text())
