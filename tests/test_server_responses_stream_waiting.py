"""A streamed Responses answer whose text waits for a function call (`responses_stream._Output`):
the text the upstream adds after the call to a message it had already begun (the same item id
again) is kept by its place in the upstream's order, and sent at the end, never lost."""
from __future__ import annotations

from typing import Any

from test_server import RULES, chain_from
from test_server_responses_stream_items import CALL, Scripted, answered, ask, message, sent


def delta(item: str, text: str) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "item_id": item, "output_index": 0, "content_index": 0,
            "delta": text}


def test_text_added_after_a_call_to_a_message_already_sent_is_sent_too(tmp_path):
    first, second = message("Let me look. Then more.", "msg_a"), message("Found it.", "msg_b")
    script = [{"type": "response.created", "response": {**answered([]), "status": "in_progress"}},
              {"type": "response.output_item.added", "output_index": 0, "item": first}, delta("msg_a", "Let me look."),
              {"type": "response.output_item.added", "output_index": 1, "item": CALL},
              {"type": "response.output_item.done", "output_index": 1, "item": CALL},
              {"type": "response.output_item.added", "output_index": 2, "item": second},
              delta("msg_b", "Found it."), delta("msg_a", " Then more."),
              {"type": "response.completed", "response": answered([first, CALL, second])}]
    data = sent(ask(chain_from(tmp_path, RULES), Scripted(script), tools=[{"type": "function", "name": "lookup"}]))
    assert data[-1]["type"] == "response.completed"
    assert "".join(x["delta"] for x in data if x["type"] == "response.output_text.delta") == (
        "Let me look.Found it. Then more.")
    assert [(item["id"], item["content"][0]["text"] if item["type"] == "message" else None)
            for item in data[-1]["response"]["output"]] == [
        ("msg_a", "Let me look."), ("fc_up", None), ("msg_b", "Found it."), ("msg_a", " Then more.")]
