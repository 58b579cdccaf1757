"""Through @guarded, a call that holds no text at all (a user turn of only a file or an image, no
system prompt) is limited: the chain runs the guards of the whole call (token_limit) on it once, as
an empty text of the argument that holds it; a fix of that text is refused, naming the guard."""
from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from guardlayer import Blocked, Verdict, guarded
from guardlayer.chain import last_report
from guardlayer.errors import ConfigError
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


class Appends:
    """A guard of the whole call that fixes the text it is given."""

    name = "appends"
    whole_call = True

    def check(self, text: str, ctx: Any) -> Verdict:
        return Verdict.ok(fixed=text + " [checked]")


class Passes:
    name = "passes"
    whole_call = True

    def check(self, text: str, ctx: Any) -> Verdict:
        return Verdict.ok()


IMAGE = {"type": "image_url", "image_url": {"url": "https://example.org/a.png"}}
GEMINI_IMAGE = {"role": "user", "parts": [{"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}}]}


@pytest.mark.parametrize("arguments", [
    {"messages": [{"role": "user", "content": [IMAGE]}]},
    {"contents": [GEMINI_IMAGE]},
    {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://example.org/a.png"}]}]},
])
def test_a_fix_of_a_media_only_calls_empty_text_is_refused_naming_the_guard(arguments: dict[str, Any]) -> None:
    """It raised a raw KeyError ('messages') on Gemini contents and Responses input."""
    @guarded(input=[Appends()])
    def call(**kwargs: Any) -> str:
        return "ok"

    with pytest.raises(ConfigError, match="appends"):
        call(**arguments)


@pytest.mark.parametrize(("name", "value"), [("contents", [GEMINI_IMAGE]),
                                             ("input", [{"role": "user", "content": [{"type": "input_image",
                                                                                      "image_url": "https://x/a.png"}]}])])
def test_a_media_only_call_is_judged_as_the_argument_it_gives(name: str, value: list) -> None:
    @guarded(input=[Passes()])
    def call(**kwargs: Any) -> str:
        return "ok"

    assert call(**{name: value}) == "ok"
    assert [check.target for check in last_report().checks] == [name]
