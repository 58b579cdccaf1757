"""The guard proxy's answer when a fallback callable (a second model) answers: a chat completion
it returns is read as one (its text, tool calls and ids; not sent as its JSON), and its usage is
added to the ``usage`` the client is told, which is what the call was charged (chat or
Responses, streamed or not)."""
from __future__ import annotations

import json
from typing import Any

import test_server
import test_server_calls
import test_server_responses as responses_tests
from fake_openai import USAGE, FakeOpenAI
from test_server import ASK, EMAIL, chain_from, events, proxy
from test_server_responses import FakeResponses

from guardlayer.server import OUTCOME

deny = test_server_calls.deny  # the fixture: guard "deny" registered
SECOND = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
RULES = """
retries: 0
fallback:
  - call: test_server_fallback_answers:second_model
input:
  - guard: pii
    on_fail: fix
    mode: regex
output:
  - guard: deny
    word: forbidden
    on_fail: fallback
  - guard: pii
    on_fail: fix
    mode: regex
"""


def second_model(*args: Any, **body: Any) -> dict[str, Any]:
    """The fallback model: a chat completion that mails the placeholder it was sent."""
    call = {"id": "call_9", "type": "function", "function": {"name": "send", "arguments": '{"to": "<EMAIL_ADDRESS_1>"}'}}
    return {"id": "chatcmpl-second", "object": "chat.completion", "created": 1700000009, "model": "second-model",
            "usage": SECOND, "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": "Mailing <EMAIL_ADDRESS_1> now.", "tool_calls": [call]}}]}


def second_model_text(*args: Any, **body: Any) -> dict[str, Any]:
    """The fallback model without its tool call (a streamed request's fallback cannot carry one)."""
    answer = second_model()
    answer["choices"][0]["message"].pop("tool_calls")
    return answer


def chat(chain: Any, upstream: FakeOpenAI, **more: Any) -> Any:
    with proxy(chain, upstream) as client:
        return client.post("/v1/chat/completions", json={**ASK, **more})


def test_a_fallbacks_chat_completion_is_read_as_one_not_sent_as_its_json(tmp_path, deny):
    response = chat(chain_from(tmp_path, RULES), FakeOpenAI(failures=[500]))
    answer = response.json()
    assert response.status_code == 200 and response.headers[OUTCOME] == "fallback"
    message = answer["choices"][0]["message"]
    assert message["content"] == f"Mailing {EMAIL} now."  # (judged: the placeholder restored)
    assert [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message["tool_calls"]] == [
        ("call_9", "send", {"to": EMAIL})]
    assert (answer["id"], answer["model"], answer["choices"][0]["finish_reason"]) == (
        "chatcmpl-second", "second-model", "tool_calls")
    assert answer["usage"] == SECOND


def test_the_usage_of_a_fallback_is_added_to_the_answer_it_replaced(tmp_path, deny):
    response = chat(chain_from(tmp_path, RULES), FakeOpenAI(reply="A forbidden answer."))
    answer = response.json()
    assert answer["choices"][0]["message"]["content"] == f"Mailing {EMAIL} now."
    assert answer["usage"] == {name: USAGE[name] + SECOND[name] for name in USAGE}


def test_a_streamed_fallback_reports_its_usage_when_the_client_asked_for_it(tmp_path, deny):
    chain = chain_from(tmp_path, RULES.replace(":second_model", ":second_model_text"))
    asked = chat(chain, FakeOpenAI(failures=[500]), stream=True, stream_options={"include_usage": True})
    unasked = chat(chain, FakeOpenAI(failures=[500]), stream=True)

    def usages(response: Any) -> list[Any]:
        return [chunk["usage"] for d in events(response) if d != "[DONE]" and "usage" in (chunk := json.loads(d))]

    assert test_server.streamed_text(events(asked)) == f"Mailing {EMAIL} now."
    assert usages(asked) == [SECOND] and usages(unasked) == []  # (a usage chunk only when asked, as OpenAI)


def test_a_responses_fallback_is_read_and_its_usage_told_in_responses_names(tmp_path, deny):
    upstream = FakeResponses(failures=[500])
    with responses_tests.proxy(chain_from(tmp_path, RULES), upstream) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": f"Mail {EMAIL}",
                                                      "tools": [{"type": "function", "name": "send"}]})
    answer = response.json()
    assert response.status_code == 200 and responses_tests.text_of(answer) == f"Mailing {EMAIL} now."
    call = next(item for item in answer["output"] if item["type"] == "function_call")
    assert (call["call_id"], json.loads(call["arguments"])) == ("call_9", {"to": EMAIL})
    assert answer["usage"] == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
