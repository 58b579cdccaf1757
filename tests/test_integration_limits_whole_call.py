"""Through @guarded, the limit holds on everything the call sends (R3's tl1, tl10, tl13): a system
prompt or instructions argument, earlier assistant turns in a Responses ``input``, tool
definitions, and a system prompt beside a user message that holds only an image."""
from __future__ import annotations

from typing import Any

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.limits import TokenLimit

BIG = "You are a helpful assistant. " * 2000  # 12,001 o200k tokens
TOOLS = [{"type": "function", "function": {"name": f"tool_{i}", "description": "does a thing " * 100}}
         for i in range(10)]
IMAGE = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]


def limit() -> list:
    return [TokenLimit(max_tokens=1000, model="gpt-4o")]


@guarded(input=limit())
def anthropic(messages: list, system: Any = None, tools: Any = None) -> str:
    return "ok"


@guarded(input=limit())
def responses(**kwargs: Any) -> str:
    return "ok"


@pytest.mark.parametrize(("fn", "kwargs"), [
    (anthropic, {"messages": [{"role": "user", "content": "hi"}], "system": BIG}),
    (anthropic, {"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS}),
    (anthropic, {"messages": [{"role": "system", "content": BIG}, {"role": "user", "content": IMAGE}]}),
    (anthropic, {"messages": [{"role": "system", "content": "s"}, {"role": "assistant", "content": BIG}]}),
    (responses, {"model": "gpt-4o", "instructions": BIG, "input": "hi"}),
    (responses, {"model": "gpt-4o", "input": [{"role": "user", "content": "hi"},
                                               {"role": "assistant", "content": BIG},
                                               {"role": "user", "content": "?"}]}),
])
def test_what_the_application_sends_counts(fn, kwargs) -> None:
    with pytest.raises(Blocked, match="token_limit"):
        fn(**kwargs)


def test_a_call_within_the_limit_passes() -> None:
    assert anthropic([{"role": "user", "content": "hi"}], system="Be brief.", tools=TOOLS[:1]) == "ok"
    assert responses(model="gpt-4o", instructions="Be brief.", input="hi") == "ok"
