"""The guard proxy's ``usage``: what the client's request was charged for. As the upstream
reported it when one request answered; summed over the requests when the chain made more
(re-asks), as the Report and the budget count them; a fallback's answer carries what was spent
on the answers it replaced."""
from __future__ import annotations

import json
from typing import Any

import pytest
import test_server
import test_server_calls
import test_server_responses as responses_tests
from fake_openai import USAGE, FakeOpenAI
from test_server import ASK, chain_from, events, proxy
from test_server_responses import FakeResponses

from guardlayer.server import OUTCOME

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored
deny = test_server_calls.deny  # the fixture: guard "deny" registered

TWICE = {"prompt_tokens": 22, "completion_tokens": 14, "total_tokens": 36}


class Replies(FakeOpenAI):
    """`FakeOpenAI` answering each request with the next of ``replies``; a stream ends with
    the usage chunk OpenAI sends when asked (``stream_options.include_usage``), after chunks
    whose ``usage`` is null."""

    def __init__(self, replies: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.replies = replies

    def reply(self, body: dict[str, Any]) -> str:
        return self.replies[min(len(self.requests), len(self.replies)) - 1]

    async def chunks(self, body: dict[str, Any], text: str):  # type: ignore[no-untyped-def]
        async for event in super().chunks(body, text):
            if event == "data: [DONE]\n\n":
                yield f"data: {json.dumps({'id': 'chatcmpl-fake-1', 'choices': [], 'usage': USAGE})}\n\n"
            elif event.startswith("data: {"):
                event = f"data: {json.dumps({**json.loads(event[6:]), 'usage': None})}\n\n"
            yield event


REASK = "retries: 1\nbackoff: {initial: 0, max: 0}\noutput:\n  - guard: deny\n    word: forbidden\n    on_fail: reask\n"


def test_a_reasked_chat_completion_reports_the_usage_of_both_requests(tmp_path, deny):
    upstream = Replies(["A forbidden answer.", "A fine answer."])
    with proxy(chain_from(tmp_path, REASK), upstream) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    answer = response.json()
    assert len(upstream.requests) == 2 and answer["choices"][0]["message"]["content"] == "A fine answer."
    assert answer["usage"] == TWICE


def test_a_fallback_after_a_rejected_answer_reports_the_answer_it_replaced(tmp_path, deny):
    rules = "fallback: Sorry, not now.\noutput:\n  - guard: deny\n    word: forbidden\n    on_fail: fallback\n"
    with proxy(chain_from(tmp_path, rules), Replies(["A forbidden answer."])) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    answer = response.json()
    assert response.headers[OUTCOME] == "fallback" and answer["choices"][0]["message"]["content"] == "Sorry, not now."
    assert answer["usage"] == USAGE  # (it was paid for, though the client never saw it)


@pytest.mark.parametrize("failures", [[], [429]])
def test_a_stream_reports_the_usage_of_the_request_that_answered_as_it_came(chain, failures):
    upstream = Replies(["A fine answer."], failures=failures)
    ask = {**ASK, "stream": True, "stream_options": {"include_usage": True}}
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json=ask)
    usages = [chunk["usage"] for d in events(response) if d != "[DONE]" and (chunk := json.loads(d)).get("usage")]
    assert len(upstream.requests) == 1 + len(failures) and usages == [USAGE]  # (a retry's 429 charged nothing)


class ResponsesReplies(FakeResponses):
    """`FakeResponses` answering each request with the next of ``replies``."""

    def __init__(self, replies: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.replies = replies

    async def handle(self, request: Any) -> Any:
        self.reply = self.replies[min(len(self.requests), len(self.replies) - 1)]
        return await super().handle(request)


def test_a_reasked_response_reports_the_usage_of_both_requests_details_too(tmp_path, deny):
    usage = {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 8}, "output_tokens": 6,
             "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 18}
    upstream = ResponsesReplies(["A forbidden answer.", "A fine answer."], fields={"usage": usage})
    with responses_tests.proxy(chain_from(tmp_path, REASK), upstream) as client:
        response = client.post("/v1/responses", json={"model": "gpt-4.1-mini", "input": "Hello"})
    answer = response.json()
    assert len(upstream.requests) == 2 and responses_tests.text_of(answer) == "A fine answer."
    assert answer["usage"] == {"input_tokens": 24, "input_tokens_details": {"cached_tokens": 16}, "output_tokens": 12,
                               "output_tokens_details": {"reasoning_tokens": 4}, "total_tokens": 36}


def test_one_response_keeps_its_usage_as_it_came(chain):
    usage = {"input_tokens": 12, "input_tokens_details": None, "output_tokens": 6, "total_tokens": 18}
    upstream = ResponsesReplies(["A fine answer."], fields={"usage": usage})
    with responses_tests.proxy(chain, upstream) as client:
        response = client.post("/v1/responses", json={"model": "gpt-4.1-mini", "input": "Hello"})
    assert response.json()["usage"] == usage
