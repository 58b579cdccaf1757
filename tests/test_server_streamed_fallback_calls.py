"""A streamed request whose fallback model answers with tool calls (which the stream of its text
the chain serves cannot carry: `chain.Chain._fall_back`) fails as the upstream's failure did,
chat or Responses; it never gets that answer without its calls."""
from __future__ import annotations

from typing import Any

import pytest
import test_server_responses as responses_tests
from fake_openai import FakeOpenAI
from test_server import ASK, chain_from, proxy

from guardlayer.server import OUTCOME


def calling(*args: Any, **body: Any) -> dict[str, Any]:
    """The fallback model: a chat completion with a tool call."""
    return {"id": "chatcmpl-second", "object": "chat.completion", "created": 1, "model": "second-model",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": "Sending it.",
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "send", "arguments": "{}"}}]}}]}


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses"])
def test_a_streamed_fallback_with_calls_is_an_error_not_an_answer_without_them(tmp_path, path):
    chain = chain_from(tmp_path, f"retries: 0\nfallback:\n  - call: {__name__}:calling\n")
    if path == "/v1/responses":
        with responses_tests.proxy(chain, responses_tests.FakeResponses(failures=[500])) as client:
            response = client.post(path, json={"model": "m", "input": "Hi", "stream": True,
                                               "tools": [{"type": "function", "name": "send"}]})
    else:
        with proxy(chain, FakeOpenAI(failures=[500])) as client:
            response = client.post(path, json={**ASK, "stream": True, "tools": [
                {"type": "function", "function": {"name": "send", "parameters": {"type": "object"}}}]})
    assert response.status_code == 502 and response.headers[OUTCOME] == "error"
    assert response.json()["error"]["type"] == "upstream_error" and "Sending it." not in response.text
