"""Async callables, sync and async streams, holdback and cutting a stream."""
from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest
from support import Deny, LiveUpper, ParseInt, Upper

from guardlayer import (Action, Backoff, Blocked, ConfigError, Context, ProviderError, guarded,
                        last_report, scope)
from guardlayer.budget import Budget
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


def test_end_only_guards_validate_but_do_not_rewrite_what_already_streamed():
    ask = guarded(ScriptedModel(["a good answer"], chunk=3), output=[Upper()])
    assert "".join(ask("q")) == "a good answer"
    assert last_report().checks[-1].verdict.fixed == "A GOOD ANSWER"


def test_streamed_json_keeps_its_parsed_value_in_the_report():
    ask = guarded(ScriptedModel([" 42 "], chunk=1), output=[ParseInt()])
    assert "".join(ask("q")) == " 42 "
    assert last_report().value == 42


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


class Redact:
    """Redacts phone-like numbers and reports where they are (like the PII guard)."""

    name = "redact"
    holdback = 16

    def check(self, text, ctx):
        import re

        from guardlayer import Finding, Verdict

        found = [Finding("PHONE", m.start(), m.end()) for m in re.finditer(r"\d{3}-\d{3}-\d{4}", text)]
        fixed = re.sub(r"\d{3}-\d{3}-\d{4}", "[phone]", text)
        return Verdict.ok(fixed=fixed if found else None, findings=found)


@pytest.mark.parametrize("size", [1, 3, 4, 7])
def test_a_value_straddling_the_cut_is_never_released_in_part(size):
    answer = "Call me at 555-123-4567 any time you like, or at 555-987-6543 after six."
    chunks = list(guarded(ScriptedModel([answer], chunk=size), output=[Redact()])("q"))
    assert "".join(chunks) == "Call me at [phone] any time you like, or at [phone] after six."
    assert not any(ch.isdigit() for ch in "".join(chunks))


def test_a_fallback_model_that_streams_is_guarded_too():
    def backup(prompt):
        yield from ["here is the se", "cret plan"]

    ask = guarded(ScriptedModel([ProviderFailure(503)]), retries=0,
                  output=[Deny("secret", holdback=8)], fallback=[backup])
    with pytest.raises(Blocked):
        "".join(ask("q"))


def test_provider_error_mid_stream_falls_back_when_nothing_left_yet():
    def flaky(prompt):
        yield "par"
        raise ProviderFailure(502)

    ask = guarded(flaky, output=[Deny("zzz", holdback=50)], fallback="Sorry.")
    assert list(ask("q")) == ["Sorry."]
    ask = guarded(flaky, output=[LiveUpper()], fallback="Sorry.")
    with pytest.raises(ProviderError):
        list(ask("q"))


def test_a_cut_stream_closes_the_provider_stream():
    closed = []

    class Upstream:
        def __init__(self):
            self.parts = iter(["a secret ", "and more"])

        def __iter__(self):
            return self

        def __next__(self):
            return next(self.parts)

        def close(self):
            closed.append(True)

    with pytest.raises(Blocked):
        list(guarded(lambda prompt: Upstream(), output=[Deny("secret", holdback=0)])("q"))
    assert closed == [True]


def test_anthropic_stream_usage_is_merged_across_events():
    events = [{"type": "message_start", "message": {"usage": {"input_tokens": 25, "output_tokens": 1}}},
              {"type": "content_block_delta", "delta": {"text": "hi"}},
              {"type": "message_delta", "usage": {"output_tokens": 15}}]
    assert "".join(guarded(lambda prompt: iter(events), output=[LiveUpper()])("q")) == "HI"
    assert last_report().attempts[0].usage.input_tokens == 25
    assert last_report().attempts[0].usage.output_tokens == 15


def test_sync_stream_timeout_between_chunks_closes_the_stream_once_its_chunk_arrives():
    closed = threading.Event()

    def slow(prompt: str):
        try:
            yield "first "
            time.sleep(0.4)
            yield "late"
        finally:
            closed.set()

    ask = guarded(slow, timeout=0.1, output=[LiveUpper()])
    with pytest.raises(ProviderError, match="no chunk within 0.1 s"):
        list(ask("q"))
    assert not closed.is_set()  # still sleeping in the worker thread
    assert closed.wait(5)


async def test_async_stream_timeout_between_chunks():
    async def slow(prompt: str):
        yield "first "
        await asyncio.sleep(2)
        yield "late"

    ask = guarded(slow, timeout=0.1, output=[LiveUpper()])
    with pytest.raises(ProviderError, match="no chunk within 0.1 s"):
        [c async for c in ask("q")]


async def test_sync_fallback_in_an_async_chain_runs_in_a_thread_under_the_timeout():
    import time

    def slow_second(prompt: str) -> str:
        time.sleep(1.0)
        return "late"

    async def down(prompt: str) -> str:
        raise ProviderFailure(503)

    ticks = []

    async def ticker():
        for _ in range(5):
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.05)

    ask = guarded(down, retries=0, timeout=0.2, fallback=[slow_second, "gave up"])
    started = time.perf_counter()
    result, _ = await asyncio.gather(ask("q"), ticker())
    assert result == "gave up" and time.perf_counter() - started < 0.9
    assert max(b - a for a, b in zip(ticks, ticks[1:])) < 0.15  # the loop kept running


class RedactKey:
    """An end-only guard (no holdback) that fails and fixes: redacts an API key."""

    name = "redact-key"

    def check(self, text, ctx):
        from guardlayer import Verdict

        if "sk-SECRET" not in text:
            return Verdict.ok()
        return Verdict.fail("api key", fixed=text.replace("sk-SECRET", "[REDACTED]"))


def test_an_end_only_fix_of_text_already_sent_cuts_the_stream():
    @guarded(output=[(RedactKey(), "fix")])
    def ask(prompt: str):
        yield from ["your key ", "is sk-SE", "CRET ok"]

    with pytest.raises(Blocked, match="redact-key would fix text already sent") as info:
        list(ask("q"))
    report = info.value.report
    assert report.outcome == "blocked" and Action.BLOCK in report.actions


def test_an_end_only_fix_of_text_still_held_back_is_applied():
    # the long holdback keeps the whole answer back, so the fix changes nothing already sent
    @guarded(output=[Deny("zzz", holdback=100), (RedactKey(), "fix")])
    def ask(prompt: str):
        yield from ["your key ", "is sk-SE", "CRET ok"]

    assert "".join(ask("q")) == "your key is [REDACTED] ok"
    assert last_report().outcome == "fixed"


@pytest.mark.parametrize("chunks", [
    [{"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "c1", "type": "function", "function": {"name": "rm", "arguments": ""}}]}}]},
     {"choices": [{"index": 0, "delta": {"tool_calls": [
         {"index": 0, "function": {"arguments": "{\"path\": \"/tmp\"}"}}]}}]}],
    [{"type": "content_block_start", "index": 1,
      "content_block": {"type": "tool_use", "id": "c1", "name": "rm", "input": {}}},
     {"type": "content_block_delta", "index": 1,
      "delta": {"type": "input_json_delta", "partial_json": "{\"path\": \"/tmp\"}"}}],
])
def test_a_streamed_tool_call_is_never_dropped_silently(chunks):
    """The stream's tool calls are assembled and handed back once it is exhausted (more in
    test_stream_tool_calls.py)."""
    head = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Sure. "}}]}
    stream = guarded(lambda prompt: iter([head, *chunks]), output=[LiveUpper()])("q")
    assert "".join(stream) == "SURE. "
    assert [(c.id, c.name, c.parsed) for c in stream.tool_calls] == [("c1", "rm", {"path": "/tmp"})]


def test_a_tool_the_provider_runs_is_skipped_in_a_stream_and_its_text_guarded():
    chunks = [{"type": "content_block_start", "index": 0,
               "content_block": {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}}},
              {"type": "content_block_delta", "index": 0,
               "delta": {"type": "input_json_delta", "partial_json": '{"query": "weather"}'}},
              {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "sunny"}}]
    stream = guarded(lambda prompt: iter(chunks), output=[LiveUpper()])("q")
    assert "".join(stream) == "SUNNY" and stream.tool_calls == []


class Upstream:
    """A provider stream that records being closed."""

    def __init__(self, parts):
        self.parts, self.closed = iter(parts), []

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.parts)

    def close(self):
        self.closed.append(True)


@pytest.mark.parametrize("drop", ["close", "with", "del"])
def test_a_stream_never_read_is_settled_closed_and_reported(drop):
    budget = Budget([{"per": "user", "tokens": 1_000, "window": "day"}], "memory://", model="gpt-4o")
    upstream = Upstream(["chunk ", "chunk"])
    ask = guarded(lambda prompt: upstream, budget=budget)
    with scope(user="ann") as s:
        stream = ask("hi")
        if drop == "close":
            stream.close()
        elif drop == "with":
            with stream:
                pass
        else:
            del stream
            gc.collect()
        used = budget.remaining(Context(scope=s))[0]["used"]
    assert upstream.closed == [True]
    assert last_report().outcome == "abandoned"
    assert used == last_report().extra["budget"]["call"]["total_tokens"] < 10  # not the reservation


def test_closing_a_stream_read_to_its_end_changes_nothing():
    upstream = Upstream(["a ", "b"])
    with guarded(lambda prompt: upstream, output=[LiveUpper()])("q") as stream:
        assert "".join(stream) == "A B"
    assert last_report().outcome == "ok" and upstream.closed == [True]


async def test_an_async_stream_never_read_is_closed_and_reported():
    closed = []

    async def upstream():
        try:
            yield "never read"
        finally:
            closed.append(True)

    class Source:
        def __init__(self):
            self.gen = upstream()

        def __aiter__(self):
            return self

        async def __anext__(self):
            return await self.gen.__anext__()

        async def aclose(self):
            closed.append("aclose")

    async def ask(prompt: str):
        return Source()

    stream = await guarded(ask)("q")
    await stream.aclose()
    assert closed == ["aclose"] and last_report().outcome == "abandoned"
    stream = await guarded(ask)("q")
    del stream
    gc.collect()
    await asyncio.sleep(0)  # the provider's aclose was scheduled on this loop
    assert closed == ["aclose", "aclose"] and last_report().outcome == "abandoned"


async def test_a_stream_whose_task_is_cancelled_is_abandoned_not_an_error():
    closed, waiting = [], asyncio.Event()

    async def upstream():
        try:
            yield "first "
            waiting.set()
            await asyncio.sleep(5)  # the client goes away while the next chunk is awaited
            yield "never"
        finally:
            closed.append(True)

    async def ask(prompt: str):
        return upstream()

    task = asyncio.create_task(_reported(_read(guarded(ask)("q"))))
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed == [True] and _REPORTED[-1].outcome == "abandoned"


async def test_a_call_whose_task_is_cancelled_is_abandoned_not_an_error():
    async def hangs(prompt: str) -> str:
        await asyncio.sleep(5)
        return "late"

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_reported(guarded(hangs)("q")), 0.05)
    assert _REPORTED[-1].outcome == "abandoned"


_REPORTED: list = []


async def _reported(work):
    """Await ``work`` in a task; its Report (seen only inside the task) kept in _REPORTED."""
    try:
        return await work
    finally:
        _REPORTED.append(last_report())


async def _read(opening) -> list[str]:
    return [piece async for piece in await opening]


class Counting:
    """A prefix guard that counts the characters it is given."""

    name = "counting"
    holdback = 16

    def __init__(self):
        self.seen = 0

    def check(self, text, ctx):
        from guardlayer import Verdict

        self.seen += len(text)
        return Verdict.ok()


def test_prefix_guards_judge_a_long_stream_in_near_linear_work():
    guard = Counting()
    answer = "word " * 4_000
    chunks = list(guarded(ScriptedModel([answer], chunk=4), output=[guard])("q"))
    assert "".join(chunks) == answer and len(chunks) > 20
    assert guard.seen < 30 * len(answer)  # judging every chunk's prefix: ~2,500 times the length


def test_a_sync_function_returning_an_async_stream_is_reported_as_an_error():
    async def pieces():
        yield "never"

    with pytest.raises(ConfigError, match="make it async"):
        list(guarded(lambda prompt: pieces())("q"))
    assert last_report().outcome == "error"


class SdkAsyncStream:
    """Like the OpenAI and Anthropic SDKs' ``AsyncStream`` before they added ``aclose``: an
    async iterator whose ``close()`` is a coroutine."""

    def __init__(self, parts):
        self.parts, self.closed = iter(parts), 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return next(self.parts)
        except StopIteration:
            raise StopAsyncIteration from None

    async def close(self):
        self.closed += 1


@pytest.mark.filterwarnings("error::RuntimeWarning")  # "coroutine ... was never awaited"
@pytest.mark.parametrize("how", ["read", "aclose", "drop"])
async def test_an_sdk_async_stream_is_closed_by_awaiting_its_close(how):
    upstream = SdkAsyncStream(["a ", "b"])

    async def ask(prompt: str):
        return upstream

    stream = await guarded(ask, output=[LiveUpper()])("q")
    if how == "read":
        assert "".join([piece async for piece in stream]) == "A B"
    elif how == "aclose":
        await stream.aclose()
    else:
        del stream
        gc.collect()
        await asyncio.sleep(0)  # the close was scheduled on this loop
    assert upstream.closed >= 1
    assert last_report().outcome == ("ok" if how == "read" else "abandoned")


@pytest.mark.parametrize("together", [False, True])
def test_a_stream_of_several_choices_is_refused_not_mixed(together: bool):
    chunks = [{"choices": [{"index": i, "delta": {"content": f"answer {i}. "}}]} for i in (0, 1, 0)]
    if together:  # one chunk carrying both choices (choice 1's tool call was dropped silently)
        chunks = [{"choices": [{"index": 0, "delta": {"content": "hi"}}, {"index": 1, "delta": {"tool_calls": [
            {"index": 0, "id": "z", "type": "function", "function": {"name": "rm_rf", "arguments": "{}"}}]}}]}]
    ask = guarded(lambda prompt: iter(chunks), output=[LiveUpper()])
    with pytest.raises(ConfigError, match="choice 1.*n=1"):
        list(ask("q"))
