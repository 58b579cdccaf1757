"""The guard proxy's streamed ``POST /v1/responses``: the guarded text as
``response.output_text.delta`` events (held back and judged as it grows), then the whole guarded
response in ``response.completed``; a stream cut or broken ends with an ``error`` event."""
from __future__ import annotations

import json
from typing import Any

import pytest
import test_server
import test_server_calls
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from test_server import EMAIL, chain_from
from test_server_responses import USAGE, FakeResponses, proxy

from guardlayer.server import OUTCOME

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored
deny = test_server_calls.deny  # the fixture: guard "deny" registered
MORE = " We need the invoke for order 1234 and the delivery note for it as well." * 3
CALL = {"type": "function_call", "id": "fc_up", "call_id": "call_1", "name": "send_email", "status": "completed",
        "arguments": '{"to": "<EMAIL_ADDRESS_1>", "subject": "today"}'}


class StreamingResponses(FakeResponses):
    """`FakeResponses` that streams its answer as the Responses API does (``piece``: characters
    per text delta) when asked to; ``ending``: ``completed``, ``cut`` (the connection closes
    before ``response.completed``) or ``error`` (an error event instead)."""

    def __init__(self, *, piece: int = 4, ending: str = "completed", **options: Any) -> None:
        super().__init__(**options)
        self.piece, self.ending = piece, ending

    async def handle(self, request: Request) -> Response:
        answer = await super().handle(request)
        if not self.requests[-1].get("stream") or answer.status_code != 200:
            return answer
        return StreamingResponse(self.events(json.loads(answer.body)), media_type="text/event-stream")

    async def events(self, whole: dict[str, Any]):  # type: ignore[no-untyped-def]
        def event(kind: str, **fields: Any) -> str:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n"

        yield event("response.created", response={**whole, "status": "in_progress", "output": [], "usage": None})
        for index, item in enumerate(whole["output"]):
            yield event("response.output_item.added", output_index=index, item={**item, "status": "in_progress"})
            if item["type"] == "message":
                text = item["content"][0]["text"]
                for start in range(0, len(text), self.piece):
                    yield event("response.output_text.delta", item_id=item["id"], output_index=index,
                                content_index=0, delta=text[start:start + self.piece])
            yield event("response.output_item.done", output_index=index, item=item)
        if self.ending == "completed":
            yield event("response.completed", response=whole)
        elif self.ending == "error":
            yield event("error", code="server_error", message="the model broke", param=None)


def sent(response: Any) -> list[dict[str, Any]]:
    """The events' data, in order."""
    return [json.loads(line[len("data: "):]) for line in response.text.split("\n") if line.startswith("data: ")]


def deltas(data: list[dict[str, Any]]) -> str:
    return "".join(d["delta"] for d in data if d["type"] == "response.output_text.delta")


def test_a_streamed_response_restores_a_placeholder_split_across_deltas_and_completes(chain):
    upstream = StreamingResponses(after=[CALL])
    ask = {"model": "m", "input": f"Please email {EMAIL} today.{MORE}", "stream": True,
           "tools": [{"type": "function", "name": "send_email"}]}
    with proxy(chain, upstream) as client:
        response = client.post("/v1/responses", json=ask)
    assert response.status_code == 200 and response.headers[OUTCOME] == "streaming"
    assert EMAIL not in json.dumps(upstream.requests) and upstream.requests[0]["stream"] is True
    data = sent(response)
    assert [d["sequence_number"] for d in data] == list(range(len(data)))
    assert data[0]["type"] == "response.created" and data[0]["response"]["id"] == "resp_up"
    pieces = [d for d in data if d["type"] == "response.output_text.delta"]
    assert len(pieces) > 3 and all(d["item_id"] == "msg_up" for d in pieces)  # released as it came
    assert deltas(data) == f"Noted: Please email {EMAIL} today.{MORE}"
    assert "EMAIL_ADDRESS" not in response.text and "unjudged.example" not in response.text
    final = data[-1]["response"]
    assert data[-1]["type"] == "response.completed" and (final["id"], final["usage"]) == ("resp_up", USAGE)
    assert [(item["type"], item["id"]) for item in final["output"]] == [("message", "msg_up"), ("function_call", "fc_up")]
    assert final["output"][0]["content"][0]["text"] == deltas(data)
    assert json.loads(final["output"][1]["arguments"]) == {"to": EMAIL, "subject": "today"}
    assert [d["item"]["id"] for d in data if d["type"] == "response.output_item.done"] == ["msg_up", "fc_up"]
    assert ": guardlayer outcome fixed" in response.text


def test_a_streamed_response_an_output_guard_cuts_ends_with_an_error_event(tmp_path, deny):
    cutting = chain_from(tmp_path, "output:\n  - guard: deny\n    word: forbidden\n    holdback: 8\n")
    answer = "All fine so far, and this part of the answer goes out first. " * 3 + "Then a forbidden word. And more."
    with proxy(cutting, StreamingResponses(reply=answer)) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": "Hi", "stream": True})
    data = sent(response)
    assert data[-1]["type"] == "error" and data[-1]["code"] == "deny"
    assert data[-1]["error"]["type"] == "guardlayer_blocked"
    assert deltas(data) and answer.startswith(deltas(data)) and "forbidden" not in deltas(data)
    assert not any(d["type"] == "response.completed" for d in data)


@pytest.mark.parametrize("how, words", [
    ({"ending": "cut"}, "ended before its response.completed"),
    ({"ending": "error"}, "the upstream's stream failed: the model broke"),
    ({"after": [{"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"query": "unjudged"}}]},
     "'web_search_call' item the guards cannot judge"),
])
def test_a_streamed_response_broken_or_unreadable_ends_with_an_error_event(chain, how, words):
    with proxy(chain, StreamingResponses(**how)) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": "Hi " * 50, "stream": True})
    data = sent(response)
    assert data[-1]["type"] == "error" and words in data[-1]["message"] and deltas(data)
    assert not any(d["type"] == "response.completed" for d in data) and "unjudged" not in response.text


def test_a_streamed_response_whose_upstream_keeps_failing_streams_the_fallback(tmp_path):
    rules = "retries: 0\nfallback: Sorry, try again later.\ninput:\n  - guard: injection\n"
    with proxy(chain_from(tmp_path, rules), StreamingResponses(failures=[500])) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": "Hi", "stream": True})
    data = sent(response)
    assert deltas(data) == "Sorry, try again later." and data[-1]["type"] == "response.completed"
    final = data[-1]["response"]
    assert final["id"] == data[0]["response"]["id"] and [item["type"] for item in final["output"]] == ["message"]
    assert final["output"][0]["id"] == next(d["item_id"] for d in data if d["type"] == "response.output_text.delta")
    assert final["output"][0]["content"][0]["text"] == "Sorry, try again later."
