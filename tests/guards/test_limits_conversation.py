"""token_limit on conversations: truncation spread over the messages that can absorb the excess,
drop_oldest keeping tool calls and their results together, through the chain as a user runs it."""
from __future__ import annotations

from pathlib import Path

import pytest

from guardlayer import Blocked, guarded
from guardlayer.context import Context
from guardlayer.guards.limits import TokenLimit
from guardlayer.testing import ScriptedModel
from guardlayer.tokens import count, count_messages

RULES = Path(__file__).resolve().parents[2] / "rules"
LOG = "2024-05-01 10:22:11 WARN order-sync retry 3/5 for batch 88213, upstream latency 2300 ms\n"
WORDS = "lorem ipsum dolor sit amet "


def tokens(text: str) -> int:
    return count(text, "gpt-4o").tokens


def check(guard: TokenLimit, messages: list) -> object:
    c = Context(model="gpt-4o")
    c.messages = messages
    return guard.check("any text of the call", c)


@pytest.mark.parametrize("strategy", ["truncate_head", "truncate_tail", "truncate_middle"])
def test_a_short_first_message_does_not_block_the_second_turn(strategy: str) -> None:
    model = ScriptedModel(["ok"])
    ask = guarded(model, input=[TokenLimit(300, model="gpt-4o", strategy=strategy)])
    conv = [{"role": "system", "content": "be brief"},
            {"role": "user", "content": "Hi, I have a question about my log file."},
            {"role": "assistant", "content": "Sure, paste it."},
            {"role": "user", "content": LOG * 30}]
    assert ask(messages=conv) == "ok"
    sent = model.calls[-1]
    assert sent[:3] == conv[:3] and sent[3]["content"] != conv[3]["content"]
    assert 290 <= count_messages(sent, "gpt-4o").tokens <= 300


def test_the_shipped_support_bot_truncates_a_long_second_turn() -> None:
    model = ScriptedModel(["ok"])

    @guarded(rules=RULES / "support_bot.yaml")
    def ask(messages: list) -> str:
        return model(messages=messages)

    first = "Hi, my order sync keeps failing."
    assert ask([{"role": "user", "content": first},
                {"role": "assistant", "content": "Sorry to hear that! Can you paste the log?"},
                {"role": "user", "content": LOG * 400}]).startswith("ok")
    sent = model.calls[-1]
    assert sent[0]["content"] == first
    assert count_messages(sent, "gpt-4o").tokens <= 6000 < tokens(LOG * 400)
    assert "[...]" in sent[2]["content"]  # truncate_middle, as the rule file says


def test_an_excess_larger_than_the_longest_text_goes_on_to_the_next() -> None:
    conv = [{"role": "system", "content": "rules " * 30},
            {"role": "user", "content": "alpha " * 200},
            {"role": "assistant", "content": "noted " * 100},
            {"role": "tool", "tool_call_id": "1", "content": "beta " * 150},
            {"role": "user", "content": "short question?"}]
    total = count_messages(conv, "gpt-4o").tokens
    v = check(TokenLimit(total - 300, strategy="truncate_tail"), conv)
    assert v.passed and v.meta["messages"] is True
    sent = v.value
    assert tokens(sent[1]["content"]) == 1  # the longest, cut to a token: 200 of the 300
    assert 0 < tokens(sent[3]["content"]) < 150 and "beta " * 10 in sent[3]["content"]  # the rest
    assert [sent[i] for i in (0, 2, 4)] == [conv[i] for i in (0, 2, 4)]  # system, assistant: never cut
    assert count_messages(sent, "gpt-4o").tokens <= total - 300


def test_equal_texts_the_latest_is_cut_and_tool_results_are_cut_in_place() -> None:
    result = "row " * 300
    conv = [{"role": "user", "content": result},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "q", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": result}]}]
    total = count_messages(conv, "gpt-4o").tokens
    v = check(TokenLimit(total - 50, strategy="truncate_head"), conv)
    assert v.passed
    sent = v.value
    assert sent[:2] == conv[:2]
    part = sent[2]["content"][0]
    assert part["type"] == "tool_result" and part["tool_use_id"] == "t1"
    assert result.endswith(part["content"]) and tokens(part["content"]) < 300


def test_it_fails_only_when_the_untouchable_messages_are_over_the_limit() -> None:
    conv = [{"role": "system", "content": "rules " * 300}, {"role": "user", "content": "hi " * 50}]
    v = check(TokenLimit(100, strategy="truncate_middle"), conv)
    assert not v.passed and "cut to a token each" in v.reason


def big_exchange(n: int) -> list[dict]:
    """An Anthropic agent turn: a question, a tool call, its result, an answer."""
    return [{"role": "user", "content": f"Question {n}: " + WORDS * 40},
            {"role": "assistant", "content": [{"type": "text", "text": WORDS * 40},
                                              {"type": "tool_use", "id": f"toolu_{n}", "name": "f",
                                               "input": {"n": n}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{n}",
                                          "content": WORDS * 40}]},
            {"role": "assistant", "content": f"Answer {n}."}]


def well_formed(messages: list[dict]) -> None:
    """Every tool_result has its tool_use in the assistant message just before; a user message first."""
    assert messages[0]["role"] == "user"
    for i, m in enumerate(messages):
        parts = m["content"] if isinstance(m["content"], list) else []
        for p in parts:
            if p["type"] == "tool_result":
                before = messages[i - 1]["content"]
                assert i > 0 and any(q.get("id") == p["tool_use_id"] for q in before), (i, p)


def test_drop_oldest_keeps_anthropic_tool_results_with_their_call() -> None:
    latest = [{"role": "user", "content": "And now?"},
              {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_9", "name": "f",
                                                 "input": {}}]},
              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9",
                                            "content": "done"}]}]
    conv = big_exchange(1) + big_exchange(2) + latest
    per_exchange = count_messages(big_exchange(1), "gpt-4o").tokens
    for limit in range(count_messages(latest, "gpt-4o").tokens + 5,
                       count_messages(conv, "gpt-4o").tokens, per_exchange // 3):
        v = check(TokenLimit(limit, strategy="drop_oldest"), conv)
        assert v.passed, limit
        sent = v.value
        well_formed(sent)
        assert sent[-3:] == latest and count_messages(sent, "gpt-4o").tokens <= limit
        assert conv[len(conv) - len(sent):] == sent  # whole exchanges dropped, oldest first


def test_drop_oldest_never_leaves_an_assistant_message_first() -> None:
    conv = [{"role": "system", "content": "sys"},
            {"role": "user", "content": WORDS * 60}, {"role": "assistant", "content": "short reply"},
            {"role": "user", "content": "next"},
            {"role": "assistant", "content": None,
             "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": WORDS * 20}]
    v = check(TokenLimit(count_messages(conv, "gpt-4o").tokens - 100, strategy="drop_oldest"), conv)
    assert v.passed and [m["role"] for m in v.value] == ["system", "user", "assistant", "tool"]
    assert v.meta["dropped_messages"] == 2


def test_an_agent_loop_in_the_latest_turn_is_kept_whole() -> None:
    conv = big_exchange(1)[:3]  # the question and the loop that answers it: one turn
    alone = count_messages(conv[2:], "gpt-4o").tokens  # the result would fit without its call
    v = check(TokenLimit(alone + 10, strategy="drop_oldest"), conv)
    assert not v.passed and "latest turn" in v.reason


def test_message_objects_are_dropped_or_cut_as_objects() -> None:
    from pydantic import BaseModel

    class Message(BaseModel):
        role: str
        content: str

    conv = [Message(role="user", content=WORDS * 60), Message(role="assistant", content="ok"),
            Message(role="user", content="and then?")]
    v = check(TokenLimit(50, strategy="drop_oldest"), conv)
    assert v.passed and v.value == conv[2:]
    v = check(TokenLimit(50, strategy="truncate_middle"), conv)
    assert v.passed and v.value[1:] == conv[1:] and isinstance(v.value[0], Message)
    assert "[...]" in v.value[0].content and count_messages(v.value, "gpt-4o").tokens <= 50


def test_a_text_tiktoken_cannot_read_blocks_the_call() -> None:
    model = ScriptedModel(["ok"])
    ask = guarded(model, input=[TokenLimit(model="gpt-4o", strategy="truncate_tail")])
    with pytest.raises(Blocked, match="cannot tokenize"):
        ask("x" + " " * 1_000_000 + "y")
    assert model.calls == []


def test_the_conversation_is_judged_once_per_call_and_again_when_it_changes() -> None:
    guard = TokenLimit(50, strategy="block")
    conv = [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]
    c = Context(model="gpt-4o")
    c.messages = list(conv)
    first = guard.check("one", c)
    c.messages = list(conv)  # as the chain sets it for the next text: a new list, the same messages
    assert first.passed and guard.check("two", c) is first
    c.messages = [conv[0], {"role": "user", "content": "two " * 100}]  # a guard before changed one
    assert not guard.check("two", c).passed
    other = Context(model="gpt-4o")
    other.messages = list(conv)
    assert guard.check("one", other) is not first  # another call: judged anew
