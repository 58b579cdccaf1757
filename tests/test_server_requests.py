"""The guard proxy's limits on a request: its size, who it is for (a budget's identity), a
client that leaves before its answer, an upstream that keeps rate limiting or refuses the request."""
from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import test_server
from fake_openai import FakeOpenAI
from starlette.responses import JSONResponse
from starlette.testclient import TestClient
from support import leave_mid_request
from test_server import ASK, chain_from, proxy

from guardlayer.server import OUTCOME, create_app

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored


def test_a_body_over_the_limit_is_a_413_and_never_reaches_the_upstream(chain):
    upstream = FakeOpenAI()
    raw = json.dumps(ASK).encode()
    size = len(raw)
    with proxy(chain, upstream, max_body=size - 1) as client:
        refused = client.post("/v1/chat/completions", content=raw)
        chunked = client.post("/v1/chat/completions", content=iter([raw[:50], raw[50:]]))
    with proxy(chain, upstream, max_body=size) as client:
        taken = client.post("/v1/chat/completions", content=raw)
    assert refused.status_code == 413 and refused.headers[OUTCOME] == "invalid"
    assert f"limit of {size - 1}" in refused.json()["error"]["message"]
    assert chunked.status_code == 413  # no Content-Length: counted as it is read
    assert taken.status_code == 200 and len(upstream.requests) == 1


def test_a_request_without_the_user_a_budget_counts_names_the_header(tmp_path):
    chain = chain_from(tmp_path, "budget:\n  limits: [{per: user, requests: 5, window: day}]\n")
    upstream = FakeOpenAI()
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 400 and response.headers[OUTCOME] == "invalid"
    message = response.json()["error"]["message"]
    assert "X-Guardlayer-User" in message and "guardlayer.scope" not in message
    assert upstream.requests == []


def test_an_upstream_still_rate_limiting_after_the_retries_is_a_429_with_its_retry_after(chain):
    upstream = FakeOpenAI(failures=[429] * 10)
    with proxy(chain, upstream) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 429 and response.headers["retry-after"] == "0"
    assert response.json()["error"]["type"] == "upstream_error" and len(upstream.requests) == 3


def test_a_client_that_leaves_before_its_answer_cancels_the_upstream_request(chain):
    upstream = FakeOpenAI(delay=20)
    app = create_app(chain, "http://upstream.test/v1", transport=httpx.ASGITransport(app=upstream.app))
    sent = asyncio.run(leave_mid_request(app, "/v1/chat/completions", json.dumps(ASK).encode(),
                                         lambda: bool(upstream.requests)))  # (the call is with the upstream)
    assert upstream.cancelled == 1
    assert sent[0]["status"] == 499
    assert dict(sent[0]["headers"])[OUTCOME.lower().encode()] == b"cancelled"


def test_a_request_the_upstream_refuses_gets_only_the_fields_of_an_openai_error(chain):
    async def refuse(scope: Any, receive: Any, send: Any) -> None:
        await JSONResponse({"error": {"message": "Unknown model.", "type": "invalid_request_error",
                                      "param": "model", "code": "model_not_found",
                                      "internal": {"trace": "not for the client"}}}, status_code=404)(
            scope, receive, send)

    app = create_app(chain, "http://upstream.test/v1", transport=httpx.ASGITransport(app=refuse))
    with TestClient(app) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 404 and response.json() == {"error": {
        "message": "Unknown model.", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}
