"""A stream whose chunks guardlayer cannot read (a Responses event, bytes) is
refused when output guards are set, as the same answer not streamed is: its text would reach the
caller unjudged. Without output guards it streams as before."""
from __future__ import annotations

import pytest

from support import Deny

from guardlayer import ConfigError, guarded

RESPONSES = [{"type": "response.output_text.delta", "delta": "The secret is CANARY-1234"},
             {"type": "response.completed"}]


@pytest.mark.parametrize("chunks", [RESPONSES, [b"The secret is CANARY-1234"]])
def test_unreadable_chunks_are_refused_under_output_guards(chunks: list) -> None:
    @guarded(output=[Deny("CANARY-1234")])
    def ask(prompt):
        return iter(chunks)

    with pytest.raises(ConfigError, match="cannot read the text"):
        list(ask("q"))


def test_readable_chunks_with_no_text_still_pass() -> None:
    events = [{"type": "message_start", "message": {"role": "assistant", "content": []}}, {"type": "ping"},
              {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
              {"type": "message_stop"}]
    chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]},
              {"choices": [{"index": 0, "delta": {"content": "Hello"}}]}, {"choices": [], "usage": {"prompt_tokens": 1}}]

    for stream in (events, chunks):
        @guarded(output=[Deny("CANARY-1234")])
        def ask(prompt, stream=stream):
            return iter(stream)

        assert "".join(ask("q")) == "Hello"


def test_without_output_guards_a_stream_is_not_refused() -> None:
    @guarded(retries=0)
    def ask(prompt):
        return iter(RESPONSES)

    assert len(list(ask("q"))) >= 0  # read to its end without an error
