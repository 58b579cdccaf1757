"""Through @guarded, a call that holds no text at all (a user turn of only a file or an image, no
system prompt) is limited: the chain runs the guards of the whole call (token_limit) on it once."""
from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.limits import TokenLimit


def pdf(size: int) -> str:
    return "data:application/pdf;base64," + base64.b64encode(random.Random(size).randbytes(size)).decode()


@guarded(input=[TokenLimit(max_tokens=10_000, model="gpt-4o")])
def chat(messages: list) -> str:
    return "ok"


@guarded(input=[TokenLimit(max_tokens=10_000, model="gpt-4o")])
def responses(**kwargs: Any) -> str:
    return "ok"


def file_turn(size: int) -> list:
    return [{"role": "user", "content": [{"type": "file", "file": {"filename": "a.pdf", "file_data": pdf(size)}}]}]


def test_a_file_alone_over_the_limit_is_blocked() -> None:
    with pytest.raises(Blocked, match="token_limit"):
        chat(file_turn(20_000))
    assert chat(file_turn(5_000)) == "ok"


def test_a_file_alone_given_by_id_fails_closed() -> None:
    with pytest.raises(Blocked, match="file_tokens"):
        chat([{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}])


def test_a_responses_input_of_only_a_file_is_limited() -> None:
    item = {"role": "user", "content": [{"type": "input_file", "file_data": pdf(20_000)}]}
    with pytest.raises(Blocked, match="token_limit"):
        responses(model="gpt-4o", input=[item])
