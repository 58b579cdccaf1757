"""The guard proxy bounds what it reads of an upstream's answer that is not streamed (an answer
or an error body, chat or Responses, and the model list): past `relay.ANSWER_BYTES` it is an
upstream error (502), and the rest of the body is never read."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from test_server import chain_from

from guardlayer.server import OUTCOME, create_app
from guardlayer.server.relay import ANSWER_BYTES

PIECE = 1024 * 1024


class Endless(httpx.AsyncByteStream):
    """A body of ``pieces`` pieces of a MiB (a JSON string never closed), counting those read."""

    def __init__(self, pieces: int) -> None:
        self.pieces, self.read, self.closed = pieces, 0, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"choices": [], "padding": "'
        for _ in range(self.pieces):
            self.read += 1
            yield b"x" * PIECE

    async def aclose(self) -> None:
        self.closed = True


class Upstream(httpx.AsyncBaseTransport):
    """An upstream whose every answer is ``body`` (status ``status``; ``declared``: its declared length)."""

    def __init__(self, body: Endless, status: int = 200, declared: int | None = None) -> None:
        self.body, self.status, self.requests = body, status, 0
        self.headers = {"content-type": "application/json",
                        **({"content-length": str(declared)} if declared is not None else {})}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return httpx.Response(self.status, headers=self.headers, stream=self.body)


def ask(tmp_path: Any, upstream: Upstream, path: str, stream: bool = False) -> httpx.Response:
    chain = chain_from(tmp_path, "retries: 0\ninput:\n  - guard: injection\n")
    body = {"model": "m", "stream": stream, "input": "Hi", "messages": [{"role": "user", "content": "Hi"}]}
    with TestClient(create_app(chain, "http://upstream.test/v1", transport=upstream)) as client:
        return client.get(path) if path == "/v1/models" else client.post(path, json=body)


@pytest.mark.parametrize("path, status, stream", [
    ("/v1/chat/completions", 200, False), ("/v1/responses", 200, False),
    ("/v1/chat/completions", 500, False), ("/v1/responses", 500, True), ("/v1/models", 200, False)])
def test_an_answer_over_the_limit_is_an_upstream_error_read_no_further(tmp_path, path, status, stream):
    body = Endless(2 * ANSWER_BYTES // PIECE)
    upstream = Upstream(body, status)
    response = ask(tmp_path, upstream, path, stream)
    assert response.status_code == 502 and response.headers[OUTCOME] == "error"
    assert response.json()["error"]["type"] == "upstream_error" and upstream.requests == 1
    if path != "/v1/models":  # (its error names the failure's kind only)
        assert f"over the proxy's limit of {ANSWER_BYTES} bytes" in response.json()["error"]["message"]
    assert body.read == ANSWER_BYTES // PIECE and body.closed  # (to the piece that passed the limit, then closed)


def test_an_answer_declared_over_the_limit_is_refused_before_it_is_read(tmp_path):
    body = Endless(4)
    response = ask(tmp_path, Upstream(body, declared=ANSWER_BYTES + 1), "/v1/chat/completions")
    assert response.status_code == 502 and f"over the proxy's limit of {ANSWER_BYTES} bytes" in response.text
    assert body.read == 0 and body.closed


def test_an_answer_within_the_limit_is_read_whole(tmp_path):
    body = Endless(ANSWER_BYTES // PIECE - 1)  # (its JSON never closes: read whole, then refused as not JSON)
    response = ask(tmp_path, Upstream(body), "/v1/chat/completions")
    assert response.status_code == 502 and body.read == body.pieces
    assert "the upstream's answer is not JSON" in response.json()["error"]["message"]
