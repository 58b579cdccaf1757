"""The token_limit guard: each strategy, on plain text and on conversations."""
from __future__ import annotations

import pytest

from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.limits import TokenLimit, truncate
from guardlayer.tokens import count, count_messages, counter_for

TEXT = " ".join(f"Sentence number {i} talks about apples, pears and plums." for i in range(60))


def ctx(model: str | None = "gpt-4o", messages=None, side: str = "input") -> Context:
    c = Context(model=model, side=side)
    if messages is not None:
        c.messages = messages  # the chain's hook: the call's message list
    return c


def tokens(text: str) -> int:
    return count(text, "gpt-4o").tokens


def test_within_limit_passes_untouched() -> None:
    v = TokenLimit(max_tokens=10_000).check(TEXT, ctx())
    assert v.passed and v.fixed is None and v.meta["tokens"] == tokens(TEXT)
    assert v.meta["cut_tokens"] == 0 and v.meta["exact"] is True


def test_block() -> None:
    v = TokenLimit(max_tokens=50).check(TEXT, ctx())
    assert not v.passed and "over the limit of 50" in v.reason
    assert v.meta["tokens"] == tokens(TEXT)


@pytest.mark.parametrize("strategy", ["truncate_head", "truncate_tail", "truncate_middle"])
def test_truncation_fits_and_reports_cut(strategy: str) -> None:
    v = TokenLimit(max_tokens=100, strategy=strategy).check(TEXT, ctx())
    assert v.passed and v.fixed is not None
    left = tokens(v.fixed)
    assert 95 <= left <= 100
    assert v.meta["cut_tokens"] == tokens(TEXT) - left
    if strategy == "truncate_tail":
        assert TEXT.startswith(v.fixed)
    elif strategy == "truncate_head":
        assert TEXT.endswith(v.fixed)
    else:
        head, tail = v.fixed.split("\n[...]\n")
        assert TEXT.startswith(head) and TEXT.endswith(tail) and head and tail


def test_truncation_on_token_boundaries_with_multibyte_text() -> None:
    text = "日本語のテキストと emoji 🎉🎉🎉 が混ざった文章です。" * 20
    counter = counter_for("gpt-4o")
    for cut in ("head", "tail", "middle"):
        out = truncate(text, counter, 40, cut, "…")
        assert counter.count(out) <= 40
        assert "\ufffd" not in out
        pieces = out.split("…") if cut == "middle" else [out]
        assert all(p in text for p in pieces)


def test_window_minus_reserve() -> None:
    guard = TokenLimit(model="gpt-4", reserve_output=8_000)
    assert guard.limit("gpt-4") == 192
    v = guard.check(TEXT, ctx(model=None))
    assert not v.passed and v.meta["limit"] == 192
    assert TokenLimit(reserve_output=100).limit("gpt-4o") == 128_000 - 100
    assert TokenLimit(max_tokens=50, reserve_output=100).limit("gpt-4o") == 50


def test_model_from_context_and_unknown_models() -> None:
    assert TokenLimit(max_tokens=5).check("hello world", ctx(model="gpt-4")).meta["counter"] == "cl100k_base"
    v = TokenLimit(max_tokens=5).check("hello world", ctx(model="mystery"))
    assert v.meta["exact"] is False
    with pytest.raises(ConfigError):
        TokenLimit(max_tokens=5, require_exact=True).check("hello world", ctx(model="mystery"))
    with pytest.raises(ConfigError, match="no max_tokens"):
        TokenLimit().check("hello", ctx(model="mystery"))
    with pytest.raises(ConfigError):
        TokenLimit(model="mystery")


def test_summarize_text() -> None:
    calls = []

    def summarizer(content, max_tokens):
        calls.append(max_tokens)
        return "Apples, pears and plums, sixty times."

    v = TokenLimit(max_tokens=100, strategy="summarize", summarizer=summarizer).check(TEXT, ctx())
    assert v.passed and v.fixed == "Apples, pears and plums, sixty times." and calls == [100]
    assert v.meta["cut_tokens"] == tokens(TEXT) - tokens(v.fixed)

    too_long = TokenLimit(max_tokens=100, strategy="summarize", summarizer=lambda c, n: TEXT)
    assert not too_long.check(TEXT, ctx()).passed


def test_summarizer_by_import_path() -> None:
    guard = TokenLimit(max_tokens=10, strategy="summarize", summarizer="textwrap:dedent")
    assert guard.summarizer.__name__ == "dedent"
    with pytest.raises(ConfigError, match="cannot import"):
        TokenLimit(max_tokens=10, strategy="summarize", summarizer="nope.nothing:f")
    with pytest.raises(ConfigError):
        TokenLimit(max_tokens=10, strategy="summarize")


def conversation() -> list[dict]:
    msgs = [{"role": "system", "content": "You are terse."}]
    for i in range(10):
        msgs.append({"role": "user", "content": f"Question {i}: " + "tell me about fruit " * 20})
        msgs.append({"role": "assistant", "content": f"Answer {i}: " + "fruit is good " * 20})
    msgs.append({"role": "user", "content": "Last question: and vegetables?"})
    return msgs


def test_drop_oldest_keeps_system_and_latest_turn() -> None:
    msgs = conversation()
    total = count_messages(msgs, "gpt-4o").tokens
    limit = total // 3
    v = TokenLimit(max_tokens=limit, strategy="drop_oldest").check(msgs[-1]["content"], ctx(messages=msgs))
    assert v.passed and v.meta["messages"] is True
    kept = v.value
    assert kept[0] == msgs[0] and kept[-1] == msgs[-1]
    assert kept[1:-1] == msgs[len(msgs) - len(kept) + 1:-1]  # a contiguous suffix of the history
    left = count_messages(kept, "gpt-4o").tokens
    assert left <= limit
    assert v.meta["cut_tokens"] == total - left and v.meta["dropped_messages"] == len(msgs) - len(kept)
    # dropping one message fewer would not fit: the guard drops no more than it must
    assert count_messages([msgs[0], msgs[len(msgs) - len(kept)], *kept[1:]], "gpt-4o").tokens > limit


def test_drop_oldest_keeps_tool_results_with_their_call() -> None:
    msgs = [{"role": "system", "content": "sys"},
            {"role": "assistant", "content": "x " * 200, "tool_calls": [{"id": "1"}]},
            {"role": "tool", "content": "result " * 50, "tool_call_id": "1"},
            {"role": "user", "content": "next " * 10}]
    v = TokenLimit(max_tokens=60, strategy="drop_oldest").check("next", ctx(messages=msgs))
    assert v.passed and [m["role"] for m in v.value] == ["system", "user"]


def test_drop_oldest_fails_when_the_essentials_do_not_fit() -> None:
    msgs = [{"role": "system", "content": "rules " * 100}, {"role": "user", "content": "hi"}]
    v = TokenLimit(max_tokens=20, strategy="drop_oldest").check("hi", ctx(messages=msgs))
    assert not v.passed and "latest turn" in v.reason


def test_drop_oldest_on_plain_text_fails_clearly() -> None:
    v = TokenLimit(max_tokens=10, strategy="drop_oldest").check(TEXT, ctx())
    assert not v.passed and "needs a conversation" in v.reason


def test_summarize_conversation() -> None:
    msgs = conversation()
    seen = {}

    def summarizer(old, max_tokens):
        seen["old"], seen["room"] = old, max_tokens
        return f"{len(old)} earlier messages about fruit."

    limit = count_messages(msgs, "gpt-4o").tokens // 2
    v = TokenLimit(max_tokens=limit, strategy="summarize", summarizer=summarizer).check(
        "x", ctx(messages=msgs))
    assert v.passed and v.meta["messages"] is True
    assert v.value[0] == msgs[0] and v.value[-1] == msgs[-1]
    assert v.value[1]["role"] == "system" and "earlier messages about fruit" in v.value[1]["content"]
    assert seen["old"] == msgs[1:len(seen["old"]) + 1] and seen["room"] > 0
    assert count_messages(v.value, "gpt-4o").tokens <= limit


def test_truncate_on_a_conversation_cuts_the_longest_user_text_whatever_the_text_checked() -> None:
    msgs = conversation()
    msgs[5] = {"role": "user", "content": "Pasted log: " + "ERROR disk full on node-7 " * 60}
    total = count_messages(msgs, "gpt-4o").tokens
    guard = TokenLimit(max_tokens=total - 100, strategy="truncate_tail")
    for checked in (msgs[1]["content"], msgs[-1]["content"]):  # a short text, as the chain may run it on
        v = guard.check(checked, ctx(messages=msgs))
        assert v.passed and v.fixed is None and v.meta["messages"] is True
        sent = v.value
        changed = [i for i, (a, b) in enumerate(zip(msgs, sent)) if a != b]
        assert changed == [5] and msgs[5]["content"].startswith(sent[5]["content"])
        left = count_messages(sent, "gpt-4o").tokens
        assert total - 110 <= left <= total - 100 and v.meta["cut_tokens"] == total - left


def test_output_side_ignores_messages() -> None:
    v = TokenLimit(max_tokens=5, strategy="truncate_tail").check(TEXT, ctx(messages=conversation(), side="output"))
    assert v.passed and tokens(v.fixed) <= 5


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        TokenLimit(max_tokens=0)
    with pytest.raises(ConfigError):
        TokenLimit(max_tokens=10, reserve_output=-1)
