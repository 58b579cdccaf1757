"""The guard proxy's ``POST /v1/responses`` keeps the upstream's order of output items when a
function call comes before a message, streamed or not: a streamed message that follows a call
waits for the call to be judged (at the end), then comes after it, as the upstream sent them."""
from __future__ import annotations

import json
from typing import Any

import pytest
import test_server
from test_server import EMAIL
from test_server_responses_stream_items import (
    CALL,
    REASONING,
    Scripted,
    ask,
    message,
    sent,
    streamed,
)

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored
TOOLS = [{"type": "function", "name": "lookup"}]
MAILED = {**CALL, "arguments": '{"to": "<EMAIL_ADDRESS_1>"}'}


def added(data: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(d["output_index"], d["item"]["id"]) for d in data if d["type"] == "response.output_item.added"]


def texts(data: list[dict[str, Any]]) -> dict[str, str]:
    """Each message's text as its deltas sent it, checked against the output index it was added at."""
    at = {item: index for index, item in added(data)}
    said: dict[str, str] = {}
    for d in data:
        if d["type"] == "response.output_text.delta":
            assert d["output_index"] == at[d["item_id"]]
            said[d["item_id"]] = said.get(d["item_id"], "") + d["delta"]
    return said


@pytest.mark.parametrize("stream", [False, True])
def test_a_call_before_a_message_comes_before_it(chain, stream):
    output = [MAILED, message("Sent to <EMAIL_ADDRESS_1>.")]
    response = ask(chain, Scripted(streamed(output)), stream=stream, tools=TOOLS, input=f"Mail {EMAIL}")
    final = sent(response)[-1]["response"] if stream else response.json()
    assert [item["id"] for item in final["output"]] == ["fc_up", "msg_up"]
    assert json.loads(final["output"][0]["arguments"]) == {"to": EMAIL}  # (judged: restored)
    assert final["output"][1]["content"][0]["text"] == f"Sent to {EMAIL}."
    if stream:
        data = sent(response)
        assert added(data) == [(0, "fc_up"), (1, "msg_up")]
        assert texts(data) == {"msg_up": f"Sent to {EMAIL}."}


def test_a_streamed_message_before_the_calls_streams_and_one_after_them_waits(chain):
    reasoning = {**REASONING, "id": "rs_2"}
    output = [message("Let me look.", "msg_a", phase="commentary"), CALL, reasoning,
              message("Found it.", "msg_b", phase="final_answer")]
    whole = ask(chain, Scripted(streamed(output)), stream=False, tools=TOOLS).json()["output"]
    data = sent(ask(chain, Scripted(streamed(output)), tools=TOOLS))
    assert added(data) == [(0, "msg_a"), (1, "fc_up"), (2, "rs_2"), (3, "msg_b")]
    assert texts(data) == {"msg_a": "Let me look.", "msg_b": "Found it."}
    kinds = [d["type"] for d in data]
    call_at = next(i for i, d in enumerate(data) if d["type"] == "response.output_item.added" and d["output_index"] == 1)
    assert kinds.index("response.output_text.delta") < call_at  # (the text before the call streamed first)
    assert data[-1]["response"]["output"] == whole
    assert [(item["id"], item.get("phase")) for item in whole] == [
        ("msg_a", "commentary"), ("fc_up", None), ("rs_2", None), ("msg_b", "final_answer")]


def test_a_stream_cut_while_a_message_waits_for_a_call_sends_none_of_its_text(tmp_path):
    from support import Deny
    from test_server import chain_from

    from guardlayer import register
    from guardlayer.registry import unregister

    register("deny")(Deny)
    try:
        blocking = chain_from(tmp_path, "output:\n  - guard: deny\n    word: forbidden\n    on_fail: block\n")
        output = [CALL, message("Some words, then a forbidden one.")]
        data = sent(ask(blocking, Scripted(streamed(output)), tools=TOOLS))
    finally:
        unregister("deny")
    assert data[-1]["type"] == "error" and data[-1]["error"]["type"] == "guardlayer_blocked"
    assert added(data) == [] and "Some words" not in json.dumps(data)
