"""An upstream's error message that quotes the (pseudonymised) request: the client gets it back
as it would get an answer, its placeholders restored by the chain's own output guards
(`chain.restorer`), or withheld when they would not let it through; the log keeps the
placeholders."""
from __future__ import annotations

import json
import logging
from typing import Any

import test_server
import test_server_responses as responses_tests
from fake_openai import FakeOpenAI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from test_server import ASK, EMAIL, chain_from, events, proxy

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored


class Quoting(FakeOpenAI):
    """`FakeOpenAI` that refuses every request (HTTP ``status``) with a message quoting the
    last user message, as a provider's validation or content-filter error does; ``extra`` is
    added to the message."""

    def __init__(self, status: int = 400, extra: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.status, self.extra = status, extra

    async def handle(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        said = next(m for m in reversed(body["messages"]) if m["role"] == "user")["content"]
        return JSONResponse({"error": {"message": f"Invalid value for 'content': {said!r}{self.extra}",
                                       "type": "invalid_request_error", "param": "messages", "code": None}},
                            status_code=self.status)


def test_a_refusal_quoting_the_request_comes_back_restored_and_is_logged_with_placeholders(chain, caplog):
    upstream = Quoting()
    with caplog.at_level(logging.INFO, logger="guardlayer"), proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 400 and EMAIL not in json.dumps(upstream.requests)
    assert response.json()["error"]["message"] == f"Invalid value for 'content': 'Please email {EMAIL} today'"
    assert response.json()["error"]["param"] == "messages"
    logged = json.dumps([getattr(r, "guardlayer", None) for r in caplog.records])
    assert "<EMAIL_ADDRESS_1>" in logged and EMAIL not in logged


def test_an_upstream_that_keeps_failing_is_a_502_whose_message_is_restored(chain):
    with proxy(chain, Quoting(status=500)) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 502 and f"Please email {EMAIL} today" in response.json()["error"]["message"]
    assert "EMAIL_ADDRESS" not in response.text


def test_a_message_with_personal_data_the_request_did_not_hold_is_withheld_when_a_guard_blocks(tmp_path):
    rules = "input:\n  - guard: pii\n    mode: regex\noutput:\n  - guard: pii\n    mode: regex\n    on_fail: block\n"
    with proxy(chain_from(tmp_path, rules), Quoting(extra=" (reported by mallory@example.org)")) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 400 and "withheld" in response.json()["error"]["message"]
    assert "mallory" not in response.text and "EMAIL_ADDRESS" not in response.text


class Breaking(FakeOpenAI):
    """`FakeOpenAI` whose stream stops with an error event quoting the last user message."""

    async def chunks(self, body: dict[str, Any], text: str):  # type: ignore[no-untyped-def]
        said = next(m for m in reversed(body["messages"]) if m["role"] == "user")["content"]
        async for event in super().chunks(body, text):
            if "[DONE]" in event:
                yield f"data: {json.dumps({'error': {'message': f'flagged: {said}', 'type': 'server_error'}})}\n\n"
                return
            yield event


def test_a_stream_error_event_quoting_the_request_comes_back_restored(chain):
    with proxy(chain, Breaking(reply="A fine answer, long enough to be sent before the error. " * 3)) as client:
        response = client.post("/v1/chat/completions", json={**ASK, "stream": True})
    error = json.loads(events(response)[-1])["error"]
    assert f"flagged: Please email {EMAIL} today" in error["message"] and "EMAIL_ADDRESS" not in response.text


def test_a_failed_response_quoting_the_request_comes_back_restored(chain):
    upstream = responses_tests.FakeResponses(fields={"status": "failed", "error": {
        "code": "invalid_prompt", "message": "Invalid prompt: 'Please email <EMAIL_ADDRESS_1> today'"}})
    with responses_tests.proxy(chain, upstream) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": f"Please email {EMAIL} today"})
    assert response.status_code == 400 and EMAIL not in json.dumps(upstream.requests)
    assert response.json()["error"]["message"] == (
        f"the upstream's response failed: Invalid prompt: 'Please email {EMAIL} today'")
