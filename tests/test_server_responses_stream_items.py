"""The guard proxy's streamed ``POST /v1/responses`` against a scripted upstream (each request
gets the next script of events): what is not retried, what counts as activity, a client that
leaves early, refusals, several messages and their phases, the items' order, and an event too
large to read."""
from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import test_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from support import leave_mid_request
from test_server import chain_from

from guardlayer.server import OUTCOME, create_app
from guardlayer.server.answers import REFUSED
from guardlayer.server.relay import EVENT_BYTES
from guardlayer.server.responses import ResponsesRelay
from guardlayer.server.stopping import Stopping

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored
USAGE = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
ODD = {"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": "aGVsbG8="}
REASONING = {"type": "reasoning", "id": "rs_up", "encrypted_content": "gAAA", "summary": []}
CALL = {"type": "function_call", "id": "fc_up", "call_id": "call_1", "name": "lookup", "status": "completed",
        "arguments": '{"q": "x"}'}


class Scripted:
    """An upstream Responses API (and chat completions) that answers each request with the next
    of its ``scripts`` (the last again once they run out): events (dicts), raw text, or seconds to
    wait (numbers); a request not streamed gets the response of its ``response.completed``.
    ``closed`` counts the streams that ended, read to the end or not."""

    def __init__(self, *scripts: list[Any]) -> None:
        self.scripts, self.requests, self.closed = scripts, [], 0
        self.app = Starlette(routes=[Route("/v1/responses", self.handle, methods=["POST"]),
                                     Route("/v1/chat/completions", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        script = self.scripts[min(len(self.requests), len(self.scripts)) - 1]
        if not body.get("stream"):
            return JSONResponse(next(e["response"] for e in script if isinstance(e, dict)
                                     and e.get("type") == "response.completed"))

        async def events():  # type: ignore[no-untyped-def]
            try:
                for step in script:
                    if isinstance(step, (int, float)):
                        await asyncio.sleep(step)
                    else:
                        yield step if isinstance(step, str) else f"event: {step['type']}\ndata: {json.dumps(step)}\n\n"
            finally:
                self.closed += 1

        return StreamingResponse(events(), media_type="text/event-stream")


def answered(output: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "resp_up", "object": "response", "created_at": 1, "status": "completed", "model": "m",
            "output": output, "usage": USAGE}


def message(text: str, named: str = "msg_up", **fields: Any) -> dict[str, Any]:
    return {"type": "message", "id": named, "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}], **fields}


def streamed(output: list[dict[str, Any]], *, extra: tuple[dict[str, Any], ...] = ()) -> list[Any]:
    """``output`` streamed as the Responses API does (texts in deltas of 4 characters)."""
    script: list[Any] = [{"type": "response.created", "response": {**answered([]), "status": "in_progress"}}]
    for index, item in enumerate(output):
        script.append({"type": "response.output_item.added", "output_index": index, "item": item})
        for part in item.get("content") or () if item["type"] == "message" else ():
            text = part.get("text") or ""
            script += [{"type": "response.output_text.delta", "item_id": item["id"], "output_index": index,
                        "content_index": 0, "delta": text[at:at + 4]} for at in range(0, len(text), 4)]
        script.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return [*script, *extra, {"type": "response.completed", "response": answered(output)}]


def proxy(chain: Any, upstream: Scripted) -> TestClient:
    return TestClient(create_app(chain, "http://upstream.test/v1", transport=httpx.ASGITransport(app=upstream.app)))


def ask(chain: Any, upstream: Scripted, *, stream: bool = True, **more: Any) -> httpx.Response:
    with proxy(chain, upstream) as client:
        return client.post("/v1/responses", json={"model": "m", "input": "Hi", "stream": stream, **more})


def sent(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: "):]) for line in response.text.split("\n") if line.startswith("data: ")]


@pytest.mark.parametrize("stream", [False, True])
def test_an_unreadable_answer_is_refused_once_not_retried_streamed_or_not(chain, stream):
    upstream = Scripted(streamed([ODD]), streamed([message("A fine answer.")]))
    response = ask(chain, upstream, stream=stream)
    assert len(upstream.requests) == 1 and response.status_code == 502
    assert "'image_generation_call' item the guards cannot judge" in response.json()["error"]["message"]


def test_every_upstream_event_reaches_the_chain_as_a_chunk_so_a_long_tool_call_is_activity():
    arguments = '{"text": "' + "x" * 40 + '"}'
    call = {**CALL, "arguments": arguments}
    script = [{"type": "response.created", "response": {**answered([]), "status": "in_progress"}},
              *[{"type": "response.reasoning_summary_text.delta", "item_id": "rs_up", "delta": "thinking "}] * 3,
              {"type": "response.output_item.added", "output_index": 0, "item": {**call, "arguments": ""}},
              *[{"type": "response.function_call_arguments.delta", "item_id": "fc_up", "delta": arguments[at:at + 4]}
                for at in range(0, len(arguments), 4)],
              {"type": "response.output_item.done", "output_index": 0, "item": call},
              {"type": "response.completed", "response": answered([call])}]

    async def chunks() -> list[Any]:
        transport = httpx.ASGITransport(app=Scripted(script).app)
        async with httpx.AsyncClient(transport=transport) as client:
            relay = ResponsesRelay(client, "http://upstream.test/v1/responses", {}, Stopping())
            return [chunk async for chunk in await relay(model="m", input="Hi", stream=True)]

    read = asyncio.run(chunks())
    assert len(read) == len(script)  # (each a chunk: the chain's per-chunk timeout restarts)
    assert [chunk["choices"][0]["delta"].get("tool_calls") for chunk in read].count(None) == len(script) - 1


def test_a_client_that_leaves_before_the_first_text_closes_the_upstream_stream(chain):
    upstream = Scripted([{"type": "response.created", "response": {**answered([]), "status": "in_progress"}},
                         5.0, *streamed([message("Too late.")])[1:]])
    app = create_app(chain, "http://upstream.test/v1", transport=httpx.ASGITransport(app=upstream.app))
    body = json.dumps({"model": "m", "input": "Hi", "stream": True}).encode()
    # leave once the upstream is streaming (its first event), no text yet
    said = asyncio.run(leave_mid_request(app, "/v1/responses", body, lambda: bool(upstream.requests)))
    said.append({"closed": upstream.closed})  # (before the upstream's pause would have ended)
    assert said[0]["status"] == 499 and dict(said[0]["headers"])[OUTCOME.lower().encode()] == b"cancelled"
    assert said[-1] == {"closed": 1} and len(upstream.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_a_refusal_goes_back_as_the_fixed_refusal_never_its_words(chain, stream):
    refused = {**message(""), "content": [{"type": "refusal", "refusal": "I won't help with the secret plan."}]}
    words = {"type": "response.refusal.delta", "item_id": "msg_up", "output_index": 0, "content_index": 0,
             "delta": "I won't help with the secret plan."}
    response = ask(chain, Scripted(streamed([refused], extra=(words,))), stream=stream)
    final = sent(response)[-1]["response"] if stream else response.json()
    assert final["output"] == [{"type": "message", "id": "msg_up", "role": "assistant", "status": "completed",
                                "content": [{"type": "refusal", "refusal": REFUSED}]}]
    assert "secret plan" not in response.text


def test_messages_stream_apart_with_their_own_ids_and_phases_as_not_streamed(chain):
    output = [message("Let me check.", "msg_a", phase="commentary"),
              message("The answer is 42.", "msg_b", phase="final_answer")]
    whole = ask(chain, Scripted(streamed(output)), stream=False).json()["output"]
    response = ask(chain, Scripted(streamed(output)))
    data = sent(response)
    assert data[-1]["type"] == "response.completed" and data[-1]["response"]["output"] == whole
    assert [(d["item"]["id"], d["item"]["phase"]) for d in data if d["type"] == "response.output_item.added"] == [
        ("msg_a", "commentary"), ("msg_b", "final_answer")]
    texts = {}
    for d in data:
        if d["type"] == "response.output_text.delta":
            texts[d["item_id"]] = texts.get(d["item_id"], "") + d["delta"]
    assert texts == {"msg_a": "Let me check.", "msg_b": "The answer is 42."}
    assert "\u2029" not in response.text  # (the relay's join, `JOIN`, never sent)


def test_the_events_keep_the_upstreams_order_of_items(chain):
    output = [REASONING, message("A fine answer."), CALL]
    response = ask(chain, Scripted(streamed(output)), tools=[{"type": "function", "name": "lookup"}])
    data = sent(response)
    added = [(d["output_index"], d["item"]["id"]) for d in data if d["type"] == "response.output_item.added"]
    assert added == [(0, "rs_up"), (1, "msg_up"), (2, "fc_up")]
    assert {d["output_index"] for d in data if d["type"] == "response.output_text.delta"} == {1}
    assert [item["id"] for item in data[-1]["response"]["output"]] == ["rs_up", "msg_up", "fc_up"]


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/chat/completions"])
def test_an_upstream_event_over_the_limit_is_an_upstream_error(tmp_path, path):
    huge = "data: " + json.dumps({"type": "response.in_progress", "padding": "x" * EVENT_BYTES}) + "\n\n"
    upstream = Scripted([huge, *streamed([message("Fine text.")])])
    body = {"model": "m", "stream": True, "input": "Hi", "messages": [{"role": "user", "content": "Hi"}]}
    with proxy(chain_from(tmp_path, "retries: 0\ninput:\n  - guard: injection\n"), upstream) as client:
        response = client.post(path, json=body)
    assert response.status_code == 502 and len(upstream.requests) == 1
    assert f"an event over the proxy's limit of {EVENT_BYTES} bytes" in response.json()["error"]["message"]


def test_lines_split_between_a_cr_and_its_lf_are_read_as_one_event(chain):
    raw = "".join(f"event: {e['type']}\r\ndata: {json.dumps(e)}\r\n\r\n" for e in streamed([message("Hi there.")]))
    cut = raw.index("\r\n", raw.index("output_text.delta")) + 1  # (between a CR and its LF)
    response = ask(chain, Scripted([raw[:cut], raw[cut:]]))
    data = sent(response)
    assert data[-1]["type"] == "response.completed"
    assert data[-1]["response"]["output"][0]["content"][0]["text"] == "Hi there."
