"""Files in the messages count: one sent inline as a token a byte and one PDF page at least; one
given by id or URL, whose size the guard cannot read, fails the call unless ``file_tokens`` says
what it costs. Before, a file part counted as its JSON text (a file id: about 20 tokens)."""
from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from guardlayer import Blocked, guarded
from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.limits import TokenLimit
from guardlayer.tokens import count_messages
from guardlayer.tokens.chat import FILE_PAGE_TOKENS, file_tokens

SYSTEM = {"role": "system", "content": "Answer from the attached file."}


def pdf(size: int) -> str:
    """A data URL of ``size`` bytes (random: as compressed PDF streams are), the same every run."""
    data = random.Random(size).randbytes(size)
    return "data:application/pdf;base64," + base64.b64encode(data).decode()


def openai_file(size: int) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": "Summarize this."},
                                        {"type": "file", "file": {"filename": "a.pdf", "file_data": pdf(size)}}]}


def chat(limit: int, **options: Any):
    @guarded(input=[TokenLimit(limit, model="gpt-4o", **options)])
    def call(messages: list, **kwargs: Any) -> str:
        return "ok"
    return call


def test_an_inline_file_costs_a_token_a_byte() -> None:
    messages = [SYSTEM, openai_file(40_000)]
    counted = count_messages(messages, "gpt-4o")
    assert counted.exact is False and counted.tokens >= 40_000
    with pytest.raises(Blocked, match="token_limit"):
        chat(39_000)(messages)  # (counted as its base64 text: 0.9 tokens a byte)
    assert chat(45_000)(messages) == "ok"


def test_a_small_file_costs_a_pdf_page_at_least() -> None:
    messages = [SYSTEM, openai_file(1_000)]
    assert count_messages(messages, "gpt-4o").tokens > FILE_PAGE_TOKENS
    with pytest.raises(Blocked, match="token_limit"):
        chat(FILE_PAGE_TOKENS)(messages)


@pytest.mark.parametrize("part", [
    {"type": "input_file", "file_data": pdf(20_000)},  # Responses
    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",  # Anthropic
                                    "data": pdf(20_000).partition(",")[2]}},
    {"type": "file", "source_type": "base64", "data": pdf(20_000).partition(",")[2]},  # LangChain
])
def test_each_providers_inline_file_is_counted(part: dict[str, Any]) -> None:
    assert file_tokens(part) == 20_000
    with pytest.raises(Blocked, match="token_limit"):
        chat(19_500)([SYSTEM, {"role": "user", "content": [part]}])


def test_a_plain_text_document_is_text_not_a_file() -> None:
    part = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "hello"}}
    assert file_tokens(part) is None
    assert count_messages([{"role": "user", "content": [part]}], "gpt-4o").tokens < 100


@pytest.mark.parametrize("part", [
    {"type": "file", "file": {"file_id": "file-abc123"}},
    {"type": "input_file", "file_url": "https://example.org/report.pdf"},
    {"type": "document", "source": {"type": "file", "file_id": "file_011"}},
])
def test_a_file_given_by_id_or_url_fails_closed_unless_file_tokens_is_given(part: dict[str, Any]) -> None:
    messages = [SYSTEM, {"role": "user", "content": [{"type": "text", "text": "Summarize."}, part]}]
    with pytest.raises(Blocked, match="file_tokens"):
        chat(100_000)(messages)
    assert chat(100_000, file_tokens=20_000)(messages) == "ok"
    with pytest.raises(Blocked, match="token_limit"):
        chat(10_000, file_tokens=20_000)(messages)


def test_a_responses_input_file_by_id_fails_closed() -> None:
    @guarded(input=[TokenLimit(100_000, model="gpt-4o")])
    def responses(**kwargs: Any) -> str:
        return "ok"

    item = {"role": "user", "content": [{"type": "input_text", "text": "Summarize."},
                                        {"type": "input_file", "file_id": "file-abc123"}]}
    with pytest.raises(Blocked, match="file_tokens"):
        responses(model="gpt-4o", input=[item])


def test_a_call_of_only_a_file_is_judged_when_the_guard_is_run_on_it() -> None:
    """A user turn holding only a file, and no system prompt: the guard, run on the call (its
    text empty), counts the file (the chain runs it only on texts: see the report of R5's c1)."""
    ctx = Context(model="gpt-4o")
    ctx.side, ctx.source = "input", "user"
    ctx.messages = [{"role": "user", "content": [{"type": "file", "file": {"file_data": pdf(30_000)}}]}]
    verdict = TokenLimit(29_000, model="gpt-4o").check("", ctx)  # (as its base64 text: 27,303)
    assert not verdict.passed and verdict.meta["tokens"] >= 30_000


@pytest.mark.parametrize("bad", [0, -5, 2.5, "many", True])
def test_file_tokens_must_be_a_positive_whole_number(bad: Any) -> None:
    with pytest.raises(ConfigError, match="file_tokens"):
        TokenLimit(1000, model="gpt-4o", file_tokens=bad)
