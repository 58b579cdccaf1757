"""Async callables, sync and async streams, holdback and cutting a stream."""
from __future__ import annotations

import asyncio

import pytest
from support import Deny, LiveUpper, ParseInt, Upper

from guardlayer import Backoff, Blocked, guarded, last_report
from guardlayer.testing import ProviderFailure, ScriptedModel

FAST = Backoff(initial=0.001, max=0.01)


async def test_async_function_gets_every_action():
    model = ScriptedModel([ProviderFailure(429), "nope", "5"])

    @guarded(input=[(Deny("bad"), "fix")], output=[(ParseInt(), "reask")], backoff=FAST)
    async def ask(prompt: str) -> str:
        return await model.ask(prompt)

    assert await ask("a bad question") == 5
    report = last_report()
    assert [a.kind for a in report.attempts] == ["call", "retry", "reask"]
    assert model.calls[0] == "a *** question"


async def test_async_timeout_then_fallback_callable():
    async def hangs(prompt: str) -> str:
        await asyncio.sleep(5)
        return "late"

    async def second(prompt: str) -> str:
        return "from the second model"

    ask = guarded(hangs, timeout=0.05, retries=1, backoff=FAST, fallback=[second])
    assert await ask("q") == "from the second model"
    report = last_report()
    assert [a.kind for a in report.attempts] == ["call", "retry", "fallback"]
    assert report.fallback == "test_async_timeout_then_fallback_callable.<locals>.second"


async def test_async_block():
    ask = guarded(ScriptedModel(["x"]).ask, input=[Deny("bad")])
    with pytest.raises(Blocked):
        await ask("bad")


def test_sync_stream_applies_prefix_guards_as_chunks_arrive():
    ask = guarded(ScriptedModel(["a good answer"], chunk=3), output=[LiveUpper()])
    chunks = list(ask("q"))
    assert "".join(chunks) == "A GOOD ANSWER" and len(chunks) > 1


def test_end_only_transform_cannot_rewrite_what_already_streamed():
    ask = guarded(ScriptedModel(["a good answer"], chunk=3), output=[Upper()])
    assert "".join(ask("q")) == "a good answer"
    assert last_report().extra["stream_diverged"] is True


def test_stream_holdback_fixes_a_word_split_across_chunks():
    model = ScriptedModel(["it is b", "ad indeed"])

    @guarded(output=[(Deny("bad", holdback=4), "fix")])
    def ask(prompt: str):
        yield from model.answers

    chunks = list(ask("q"))
    assert "".join(chunks) == "it is *** indeed"
    assert all("b" not in c for c in chunks)  # the split word never left half-fixed


def test_stream_is_cut_when_a_prefix_guard_blocks():
    @guarded(output=[Deny("secret", holdback=8)])
    def ask(prompt: str):
        yield from ["the ", "sec", "ret is 42", " and more"]

    got = []
    with pytest.raises(Blocked) as info:
        for chunk in ask("q"):
            got.append(chunk)
    assert "secret" not in "".join(got) and "sec" not in "".join(got)
    assert info.value.report.outcome == "blocked"


def test_stream_end_check_rejects_after_delivery():
    ask = guarded(ScriptedModel(["not a number"], chunk=4), output=[(ParseInt(), "reask")])
    with pytest.raises(Blocked, match="streamed answer rejected"):
        list(ask("q"))


def test_stream_end_fallback_when_nothing_was_sent():
    # a long holdback keeps the short answer back, so the fallback can still replace it
    ask = guarded(ScriptedModel(["words"], chunk=2),
                  output=[Deny("zzz", holdback=100), (ParseInt(), "fallback")], fallback="0")
    assert list(ask("q")) == ["0"]
    assert last_report().fallback == "value"


def test_stream_end_fallback_after_delivery_blocks():
    ask = guarded(ScriptedModel(["words"], chunk=2), output=[(ParseInt(), "fallback")],
                  fallback="0")
    with pytest.raises(Blocked):
        list(ask("q"))


def test_openai_style_chunks_and_usage_are_read():
    chunks = [{"choices": [{"delta": {"role": "assistant"}}]},
              {"choices": [{"delta": {"content": "Hel"}}]},
              {"choices": [{"delta": {"content": "lo"}}]},
              {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}]
    ask = guarded(lambda prompt: iter(chunks), output=[LiveUpper()])
    assert "".join(ask("q")) == "HELLO"
    report = last_report()
    assert report.usage.total_tokens == 7 and report.attempts[0].output == "Hello"


async def test_async_generator_function_is_guarded():
    @guarded(input=[Deny("bad")], output=[(Deny("bad", holdback=4), "fix")])
    async def ask(prompt: str):
        for piece in ["so b", "ad", "!"]:
            yield piece

    assert "".join([c async for c in ask("fine")]) == "so ***!"
    with pytest.raises(Blocked):
        [c async for c in ask("bad")]


async def test_async_function_returning_a_stream():
    model = ScriptedModel(["streamed answer"], chunk=4)
    ask = guarded(model.ask, output=[LiveUpper()])
    stream = await ask("q")
    assert "".join([c async for c in stream]) == "STREAMED ANSWER"
    assert last_report().attempts[0].output == "streamed answer"


def test_anthropic_message_and_stream_events():
    message = {"type": "message", "model": "claude-x",
               "content": [{"type": "text", "text": "a bad idea"}],
               "usage": {"input_tokens": 9, "output_tokens": 3}}
    out = guarded(ScriptedModel([message]), output=[(Deny("bad"), "fix")])("q")
    assert out["content"][0]["text"] == "a *** idea"
    assert last_report().usage.total_tokens == 12
    events = [{"type": "message_start"}, {"type": "content_block_delta", "delta": {"text": "hi "}},
              {"type": "content_block_delta", "delta": {"text": "there"}}]
    assert "".join(guarded(lambda prompt: iter(events), output=[LiveUpper()])("q")) == "HI THERE"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_stream_never_cuts_inside_what_a_guard_must_see_whole(size):
    from support import Restore

    answer = "<X>tra long answer with <X>amples, <X>cept that <X>cellent <X>ercises end here."
    chunks = list(guarded(ScriptedModel([answer], chunk=size), output=[Restore()])("q"))
    assert "".join(chunks) == answer.replace("<X>", "ex")
    assert not any("<" in c or ">" in c for c in chunks)
    assert last_report().extra.get("stream_diverged") is None
