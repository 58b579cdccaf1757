"""Truncating a message of many parts costs about linear in its parts (an attacker sets their
number): a cut message is not counted again at each cut; a text counted within JSON, whose cost
falls by other than its own count, is still cut to within the limit."""
from __future__ import annotations

from typing import Any

import pytest

from guardlayer import guarded
from guardlayer.chain import last_report
from guardlayer.guards.limits import TokenLimit, cut_conversation
from guardlayer.tokens import count_messages, counter_for
from guardlayer.tokens.counters import TiktokenCounter


def encodes_to_cut(parts: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many texts tiktoken encodes while ``truncate_tail`` cuts one user message of ``parts``
    text parts of 53 tokens each to a tenth of its tokens."""
    calls = [0]
    real = TiktokenCounter._encode

    def counted(self: TiktokenCounter, text: str) -> list[int]:
        calls[0] += 1
        return real(self, text)

    monkeypatch.setattr(TiktokenCounter, "_encode", counted)
    limit = parts * 53 // 10
    chat = guarded(input=[TokenLimit(max_tokens=limit, model="gpt-4o", strategy="truncate_tail")])(
        lambda messages: messages)
    message = {"role": "user", "content": [{"type": "text", "text": f"part {i} " + "word " * 50}
                                           for i in range(parts)]}
    kept = chat([{"role": "system", "content": "Be brief."}, message])
    monkeypatch.setattr(TiktokenCounter, "_encode", real)
    assert count_messages(kept, "gpt-4o").tokens <= limit < count_messages([message], "gpt-4o").tokens
    return calls[0]


def test_cutting_a_message_of_many_parts_encodes_each_part_a_few_times(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = encodes_to_cut(100, monkeypatch), encodes_to_cut(400, monkeypatch)
    assert large <= 12 * 400, large  # (each part counted again at each cut: about 400 * 360)
    assert large <= 4.5 * small, (small, large)


def test_a_text_counted_within_json_is_still_cut_to_within_the_limit() -> None:
    # A content list holding a mapping that is no part is counted as JSON: newlines escaped, a text's
    # cost falls by other than its count, and the messages cut are counted again before it stops.
    limit = 150
    chat = guarded(input=[TokenLimit(max_tokens=limit, model="gpt-4o", strategy="truncate_tail")])(
        lambda messages: messages)
    text = "a line of words, é\n" * 40
    content: list[Any] = [{"type": "text", "text": text}, {"note": 1}]
    messages = [{"role": "user", "content": content}]
    kept = chat(messages)
    verdict = last_report().checks[0].verdict
    tokens = count_messages(kept, "gpt-4o").tokens
    assert verdict.passed and tokens <= limit
    assert verdict.meta["cut_tokens"] == count_messages(messages, "gpt-4o").tokens - tokens
    assert kept[0]["content"][1] == {"note": 1} and text.startswith(kept[0]["content"][0]["text"])


def test_cutting_goes_on_while_the_messages_cut_cost_more_than_their_texts_fell() -> None:
    # A message whose cost falls by half what its texts' counts fell (cost: half the tokens): the
    # first cut seems to reach the limit, the count again shows it does not, and cutting goes on.
    def cost(message: Any) -> int:
        return (count_messages([message], "gpt-4o").tokens + 1) // 2

    counter = counter_for("gpt-4o")
    messages = [{"role": "user", "content": [{"type": "text", "text": f"part {i} " + "word " * 50}
                                             for i in range(4)]}]
    kept = cut_conversation(messages, [cost(messages[0])], cost, counter, 60, "tail")
    assert cost(kept[0]) <= 60 < cost(messages[0])
    assert [counter.count(p["text"]) > 1 for p in kept[0]["content"]].count(True) >= 1
