"""What the proxy's ``POST /v1/responses`` sends back of the upstream's answer: its items in
order with their ids (several messages, reasoning, function calls), and what it refuses: an
answer the guards cannot read (not retried, charged as reported), a ``failed`` response."""
from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import test_server
from test_server import EMAIL, chain_from
from test_server_responses import USAGE, FakeResponses, proxy, text_of

from guardlayer import register
from guardlayer.registry import unregister
from guardlayer.server import OUTCOME

chain = test_server.chain  # the fixture: injection blocked, pii pseudonymised and restored
BUDGET = """
retries: 2
backoff: {initial: 0, max: 0}
budget:
  store: memory://
  model: gpt-4o
  limits:
    - {per: user, tokens: 100000, window: day}
"""
PII_OUT = "output:\n  - guard: pii\n    on_fail: fix\n    mode: regex\n"


def message(text: str, id: str, phase: str) -> dict[str, Any]:
    return {"type": "message", "id": id, "role": "assistant", "status": "completed", "phase": phase,
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def budget_of(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """The last logged Report's budget summary of the call."""
    reports = [r.guardlayer for r in caplog.records if getattr(r, "guardlayer", None) is not None]
    return reports[-1]["budget"]["call"]


@pytest.mark.parametrize("output", ["", PII_OUT], ids=["no output guard", "output guards"])
def test_an_answer_item_the_guards_cannot_read_is_refused_once_and_charged_as_reported(tmp_path, caplog, output):
    chain = chain_from(tmp_path, BUDGET + output)
    compaction = {"type": "compaction", "id": "cmp_1", "encrypted_content": "opaque"}
    upstream = FakeResponses(before=[compaction])
    with caplog.at_level(logging.INFO, logger="guardlayer"), proxy(chain, upstream) as client:
        response = client.post("/v1/responses", json={"model": "gpt-4o", "input": "Hi", "user": "u1"})
    assert response.status_code == 502 and response.headers[OUTCOME] == "error"
    assert response.json()["error"]["type"] == "upstream_error"
    assert "'compaction' item the guards cannot judge" in response.json()["error"]["message"]
    assert len(upstream.requests) == 1  # not retried: the upstream would answer alike
    spent = budget_of(caplog)
    assert (spent["input_tokens"], spent["output_tokens"], spent["exact"]) == (
        USAGE["input_tokens"], USAGE["output_tokens"], True)


def test_a_message_whose_content_is_a_string_is_read(tmp_path):
    chain = chain_from(tmp_path, "input:\n  - guard: pii\n    on_fail: fix\n    mode: regex\n" + PII_OUT)
    plain = {"type": "message", "id": "msg_plain", "role": "assistant", "content": "Sent to <EMAIL_ADDRESS_1>."}
    upstream = FakeResponses(after=[plain])
    with proxy(chain, upstream) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": f"Mail {EMAIL}"})
    assert response.status_code == 200
    last = response.json()["output"][-1]
    assert last["id"] == "msg_plain" and last["content"][0]["text"] == f"Sent to {EMAIL}."


def test_each_upstream_message_comes_back_as_its_own_item_with_its_id_and_phase(chain):
    upstream = FakeResponses(before=[message("Hello <EMAIL_ADDRESS_1>,", "msg_1", "commentary")],
                             after=[message("World.", "msg_3", "final_answer")])
    with proxy(chain, upstream) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": f"Greet {EMAIL}"})
    output = response.json()["output"]
    assert [(item["id"], item.get("phase")) for item in output] == [
        ("msg_1", "commentary"), ("msg_up", None), ("msg_3", "final_answer")]
    assert [item["content"][0]["text"] for item in output] == [f"Hello {EMAIL},", f"Noted: Greet {EMAIL}", "World."]


def test_a_fix_that_takes_a_join_away_sends_the_judged_text_back_as_one_message(tmp_path):
    from support import Deny

    register("deny")(Deny)
    try:  # (a guard that stars out the paragraph separator the texts were joined with)
        chain = chain_from(tmp_path, 'output:\n  - guard: deny\n    word: "\\u2029"\n    on_fail: fix\n')
        upstream = FakeResponses(before=[message("Hello", "msg_1", "commentary")])
        with proxy(chain, upstream) as client:
            response = client.post("/v1/responses", json={"model": "m", "input": "Hi"})
    finally:
        unregister("deny")
    output = response.json()["output"]
    assert [item["id"] for item in output] == ["msg_up"]  # the last message: the final answer
    assert text_of(response.json()) == "Hello\n*\nNoted: Hi"  # all of it, as judged


@pytest.mark.parametrize("code, status, sent", [("server_error", 502, 3), ("invalid_prompt", 400, 1)])
def test_a_failed_response_is_an_error_retried_when_the_upstream_failed(tmp_path, code, status, sent):
    chain = chain_from(tmp_path, "retries: 2\nbackoff: {initial: 0, max: 0}\n")
    failed = {"status": "failed", "error": {"code": code, "message": "It failed."}}
    upstream = FakeResponses(fields=failed)
    with proxy(chain, upstream) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": "Hi"})
    assert response.status_code == status and response.headers[OUTCOME] == "error"
    assert "the upstream's response failed: It failed." in response.json()["error"]["message"]
    assert "Noted" not in response.text and len(upstream.requests) == sent


def test_the_tool_loop_of_the_openai_sdk_sends_the_items_back(chain):
    """The SDK's loop: the answer's items (reasoning, function call) appended to the input as
    they came back, with the call's output; the upstream gets them with its own ids."""
    reasoning = {"type": "reasoning", "id": "rs_up", "encrypted_content": "gAAAA-opaque", "summary": []}
    call = {"type": "function_call", "id": "fc_up", "call_id": "call_1", "name": "send", "status": "completed",
            "arguments": '{"to": "<EMAIL_ADDRESS_1>"}'}
    first = FakeResponses(before=[reasoning], after=[call])
    ask = [{"role": "user", "content": f"Please email {EMAIL} the report"}]
    with proxy(chain, first) as client:
        items = client.post("/v1/responses", json={"model": "m", "input": ask, "store": False}).json()["output"]
    second = FakeResponses()
    turn = [*ask, *items, {"type": "function_call_output", "call_id": "call_1", "output": "sent"}]
    with proxy(chain, second) as client:
        response = client.post("/v1/responses", json={"model": "m", "input": turn, "store": False})
    assert response.status_code == 200
    sent = second.requests[0]["input"]
    assert [item.get("id") for item in sent[1:4]] == ["rs_up", "msg_up", "fc_up"]
    assert sent[1] == reasoning and json.loads(sent[3]["arguments"]) == {"to": "<EMAIL_ADDRESS_1>"}
