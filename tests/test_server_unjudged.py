"""The guard proxy sends back only what the chain judged: no unguarded field of the upstream's
answer, no upstream text quoted in an error."""
from __future__ import annotations

import json

import pytest
import test_server
from fake_openai import COMPLETION_ID, USAGE, FakeOpenAI
from test_server import ASK, events, proxy

from guardlayer.server import OUTCOME
from guardlayer.server.answers import REFUSED

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored
LEAK = "carl.meyer@example.com"
REPLY = f"Write to {LEAK} about it."
MORE = {"reasoning_content": f"The user wants {LEAK}.", "refusal": f"No, {LEAK}.",
        "audio": {"id": "audio_1", "transcript": REPLY}, "annotations": [{"type": "url_citation",
                                                                         "url_citation": {"title": LEAK}}],
        "provider_notes": REPLY}


def test_fields_no_guard_read_are_dropped_from_an_answer(chain):
    upstream = FakeOpenAI(reply=REPLY, message=MORE)
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json={**ASK, "logprobs": True})
    assert response.status_code == 200 and response.headers[OUTCOME] == "fixed"
    assert upstream.requests[0]["logprobs"] is True  # asked for, answered, not sent on
    assert LEAK not in response.text
    answer = response.json()
    assert answer == {"id": COMPLETION_ID, "object": "chat.completion", "created": 1700000000,
                      "model": "gpt-4o-mini", "usage": USAGE, "service_tier": "default",
                      "choices": [{"index": 0, "logprobs": None, "finish_reason": "stop",
                                   "message": {"role": "assistant", "refusal": REFUSED,
                                               "content": answer["choices"][0]["message"]["content"]}}]}
    assert answer["choices"][0]["message"]["content"].startswith("Write to <")


def test_tool_calls_are_rebuilt_from_their_guarded_name_and_arguments(chain):
    call = ("send_email", f'{{"to": "{LEAK}"}}')
    upstream = FakeOpenAI(tool_call=call, message={**MORE, "function_call": {"name": "log", "arguments": "{}"}})
    with proxy(chain, upstream) as client:
        message = client.post("/v1/chat/completions", json=ASK).json()["choices"][0]["message"]
    assert LEAK not in json.dumps(message)
    assert set(message) == {"role", "content", "tool_calls", "function_call", "refusal"}
    assert message["tool_calls"][0]["id"] == "call_1" and message["tool_calls"][0]["function"]["name"] == "send_email"
    assert message["function_call"] == {"name": "log", "arguments": "{}"}


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_that_is_not_json_is_an_error_that_does_not_quote_it(chain, stream):
    upstream = FakeOpenAI(reply=f"All fine. The password for {LEAK} is hunter2.", ending="garbled")
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json={**ASK, "stream": stream})
    assert "hunter2" not in response.text and LEAK not in response.text
    error = json.loads(events(response)[-1])["error"] if stream else response.json()["error"]
    assert error["type"] == "upstream_error" and "is not JSON" in error["message"]
    assert "bytes" in error["message"]
