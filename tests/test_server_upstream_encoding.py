"""The guard proxy asks the upstream for plain (not compressed) bodies and refuses a compressed
one, whatever it holds: decoded, a few bytes on the wire could grow far past the size bound
(`relay.ANSWER_BYTES`, `relay.EVENT_BYTES`) before the bound is checked."""
from __future__ import annotations

import gzip
import json

import httpx
import pytest
from fake_openai import FakeOpenAI
from starlette.testclient import TestClient
from test_server import ASK, chain_from, proxy

from guardlayer.server import OUTCOME, create_app

ANSWER = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
          "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi there"}}]}
STREAM = (b'data: {"choices": [{"index": 0, "delta": {"content": "Hi there"}, "finish_reason": null}]}\n\n'
          b"data: [DONE]\n\n")


class Compressing(httpx.AsyncBaseTransport):
    """An upstream that compresses its answers (``encoding``), asked or not."""

    def __init__(self, encoding: str) -> None:
        self.encoding, self.asked = encoding, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.headers.get("accept-encoding"))
        streamed = json.loads(await request.aread()).get("stream") if request.method == "POST" else False
        body = STREAM if streamed else json.dumps(ANSWER if request.method == "POST" else {"data": []}).encode()
        for _ in self.encoding.split(","):
            body = gzip.compress(body)
        return httpx.Response(200, content=body, headers={
            "content-encoding": self.encoding, "content-type": "text/event-stream" if streamed else "application/json"})


def test_the_proxy_asks_for_plain_bodies(tmp_path):
    upstream = FakeOpenAI()
    with proxy(chain_from(tmp_path, "retries: 0\n"), upstream) as client:
        assert client.post("/v1/chat/completions", json=ASK).status_code == 200
        assert client.get("/v1/models").status_code == 200
    assert [headers["accept-encoding"] for headers in upstream.headers] == ["identity", "identity"]


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip"])
@pytest.mark.parametrize("path, stream", [("/v1/chat/completions", False), ("/v1/chat/completions", True),
                                          ("/v1/models", False)])
def test_a_compressed_answer_is_an_upstream_error_never_decoded(tmp_path, encoding, path, stream):
    upstream = Compressing(encoding)
    chain = chain_from(tmp_path, "retries: 0\ninput:\n  - guard: injection\n")
    with TestClient(create_app(chain, "http://upstream.test/v1", transport=upstream)) as client:
        response = (client.get(path) if path == "/v1/models" else
                    client.post(path, json={**ASK, "stream": stream}))
    assert response.status_code == 502 and response.headers[OUTCOME] == "error"
    assert "Hi there" not in response.text and upstream.asked == ["identity"]
    if path != "/v1/models":  # (its error names the failure's kind only)
        assert f"encoded as {encoding!r}" in response.json()["error"]["message"]


@pytest.mark.parametrize("declared", [{}, {"content-encoding": "identity"}])
def test_a_plain_answer_is_read_however_the_transport_holds_it(tmp_path, declared):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=ANSWER, headers=declared))  # (read whole)
    chain = chain_from(tmp_path, "retries: 0\n")
    with TestClient(create_app(chain, "http://upstream.test/v1", transport=transport)) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 200 and response.json()["choices"][0]["message"]["content"] == "Hi there"
