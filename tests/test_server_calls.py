"""The guard proxy with more of the chain: streams cut by an output guard, tool calls, parsed
JSON answers, fallbacks and budgets per user."""
from __future__ import annotations

import json

import pytest
import test_server
from fake_openai import COMPLETION_ID, FakeOpenAI
from test_server import ASK, EMAIL, chain_from, events, proxy, streamed_text

from guardlayer.server import OUTCOME

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored
SEND = ("send_email", '{"to": "<EMAIL_ADDRESS_1>", "subject": "today"}')


@pytest.fixture()
def deny():
    from support import Deny

    from guardlayer import register
    from guardlayer.registry import unregister

    register("deny")(Deny)
    yield
    unregister("deny")


def test_a_stream_an_output_guard_cuts_ends_with_an_error_event_not_done(tmp_path, deny):
    chain = chain_from(tmp_path, "output:\n  - guard: deny\n    word: forbidden\n    holdback: 8\n")
    words = "All fine so far, and this part of the answer goes out first. " * 3
    upstream = FakeOpenAI(reply=words + "Then a forbidden word. And more.")
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json={**ASK, "stream": True})
    data = events(response)
    assert "[DONE]" not in data
    error = json.loads(data[-1])["error"]
    assert error["type"] == "guardlayer_blocked" and error["code"] == "deny"
    assert "stream cut" in error["message"]
    sent = streamed_text(data[:-1])
    assert sent and words.startswith(sent) and "forbidden" not in sent


@pytest.mark.parametrize("how, words", [({"break_at": 150}, "the model broke"),
                                        ({"ending": "cut"}, "ended before its [DONE]")])
def test_a_stream_the_upstream_breaks_or_leaves_unfinished_ends_with_an_error_event(chain, how, words):
    answer = "Here is a long answer that goes on for quite a while before it breaks. " * 3
    upstream = FakeOpenAI(reply=answer, **how)
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json={**ASK, "stream": True})
    data = events(response)
    assert "[DONE]" not in data
    error = json.loads(data[-1])["error"]
    assert error["type"] == "upstream_error" and words in error["message"]
    sent = streamed_text(data[:-1])
    assert sent and answer.startswith(sent)  # what had left before the break, then the error
    assert not any(json.loads(d)["choices"][0]["finish_reason"] for d in data[:-1])  # never "complete"


def test_tool_call_arguments_come_back_restored(chain):
    upstream = FakeOpenAI(tool_call=SEND)
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    call = response.json()["choices"][0]["message"]["tool_calls"][0]
    assert call["id"] == "call_1" and call["function"]["name"] == "send_email"
    assert json.loads(call["function"]["arguments"]) == {"to": EMAIL, "subject": "today"}
    assert EMAIL not in json.dumps(upstream.requests)


def test_a_stream_sends_its_tool_calls_checked_at_the_end(chain):
    upstream = FakeOpenAI(tool_call=SEND)
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json={**ASK, "stream": True})
    chunks = [json.loads(d) for d in events(response) if d != "[DONE]"]
    deltas = [c["choices"][0]["delta"] for c in chunks]
    calls = [d["tool_calls"] for d in deltas if "tool_calls" in d]
    assert len(calls) == 1 and calls[0][0]["index"] == 0
    assert json.loads(calls[0][0]["function"]["arguments"]) == {"to": EMAIL, "subject": "today"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert events(response)[-1] == "[DONE]"


def test_a_parsed_json_answer_is_sent_as_json_with_the_upstreams_ids(tmp_path):
    chain = chain_from(tmp_path, "output:\n  - guard: json\n    on_fail: reask\n")
    upstream = FakeOpenAI(reply='Here it is: {"order": 1234, "status": "shipped",}')
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    answer = response.json()
    assert json.loads(answer["choices"][0]["message"]["content"]) == {"order": 1234, "status": "shipped"}
    assert answer["id"] == COMPLETION_ID and answer["object"] == "chat.completion"


@pytest.mark.parametrize("stream", [False, True])
def test_an_upstream_that_keeps_failing_is_served_the_fallback(tmp_path, stream):
    chain = chain_from(tmp_path, "retries: 0\nfallback: {template: 'Sorry {user}, try again later.'}\n"
                                 "input:\n  - guard: injection\n")
    with proxy(chain, FakeOpenAI(failures=[500])) as client:
        response = client.post("/v1/chat/completions", json={**ASK, "stream": stream},
                               headers={"X-Guardlayer-User": "ann"})
    assert response.status_code == 200
    text = (streamed_text(events(response)) if stream
            else response.json()["choices"][0]["message"]["content"])
    assert text == "Sorry ann, try again later."
    assert response.headers[OUTCOME] == ("streaming" if stream else "fallback")


def test_budgets_count_per_user_from_the_header_or_the_body(tmp_path):
    chain = chain_from(tmp_path, "budget:\n  limits: [{per: user, requests: 1, window: day}]\n")
    upstream = FakeOpenAI()
    ann = {"X-Guardlayer-User": "ann"}
    with proxy(chain, upstream) as client:
        first = client.post("/v1/chat/completions", json=ASK, headers=ann)
        again = client.post("/v1/chat/completions", json=ASK, headers=ann)
        other = client.post("/v1/chat/completions", json={**ASK, "user": "bob"})
        nobody = client.post("/v1/chat/completions", json=ASK)
    assert (first.status_code, again.status_code, other.status_code) == (200, 429, 200)
    assert again.json()["error"]["type"] == "guardlayer_budget_exceeded"
    assert again.headers[OUTCOME] == "blocked"
    assert nobody.status_code == 400 and "user" in nobody.json()["error"]["message"]
    assert len(upstream.requests) == 2
