"""An upstream that answers with a success status but with what the proxy cannot use (not JSON,
not a chat completion, over the size bound) may have generated, and bills it: its error says so
(``generated``), and the chain's attempt is then not `refused` (a budget charges it as a cut
attempt, a guess, not as an HTTP error: its prompt only)."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from guardlayer import guarded, last_report
from guardlayer.errors import ProviderError
from guardlayer.server.relay import ANSWER_BYTES, Relay, UpstreamError
from guardlayer.server.stopping import Stopping


def relay_answering(status: int, body: bytes) -> Relay:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))
    return Relay(httpx.AsyncClient(transport=transport), "http://upstream.test/v1/chat/completions", {}, Stopping())


@pytest.mark.parametrize("status, body, generated", [
    (200, b"<html>busy</html>", True),  # not JSON
    (200, b'{"object": "list"}', True),  # not a chat completion
    (200, b"x" * (ANSWER_BYTES + 1), True),  # over the bound
    (500, b'{"error": {"message": "down"}}', False),  # an HTTP error: nothing generated
    (500, b"x" * (ANSWER_BYTES + 1), False)])
def test_an_unusable_answer_with_a_success_status_says_it_may_have_generated(status, body, generated):
    async def main() -> UpstreamError:
        with pytest.raises(UpstreamError) as caught:
            await relay_answering(status, body)([{"role": "user", "content": "hi"}], model="m")
        return caught.value

    assert asyncio.run(main()).generated is generated


@pytest.mark.parametrize("generated, refused", [(True, False), (False, True)])
def test_the_chain_counts_such_an_attempt_as_not_refused(generated, refused):
    def model(prompt: str):
        raise UpstreamError("the upstream's answer is not JSON (17 bytes)", generated=generated)

    with pytest.raises(ProviderError):
        guarded(model, retries=0)("hi")
    assert last_report().attempts[0].refused is refused
