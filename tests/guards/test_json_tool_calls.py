"""An answer that is only tool calls has no text to parse: the ``json`` and ``schema`` guards
pass it (its calls are the ``tool_calls`` guard's), and nothing is re-asked."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from guardlayer import guarded, step
from guardlayer.chain import last_report
from guardlayer.errors import Blocked


class Weather(BaseModel):
    city: str


def openai(content: str | None) -> dict[str, Any]:
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": json.dumps({"city": "Oslo"})}}
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                                                 "tool_calls": [call]}}]}


def anthropic(text: str | None) -> dict[str, Any]:
    blocks = [{"type": "text", "text": text}] if text is not None else []
    return {"role": "assistant", "content": [
        *blocks, {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}]}


@pytest.mark.parametrize("answer", [openai(None), openai(""), anthropic(None), anthropic("  \n")])
@pytest.mark.parametrize("guards", [["json"], [("json", Weather)], ["json", ("schema", Weather)],
                                    [("schema", Weather)]])
def test_an_answer_of_tool_calls_only_passes_unchanged_and_is_not_reasked(answer: dict[str, Any],
                                                                          guards: list[Any]) -> None:
    calls = []

    def model(prompt: str) -> dict[str, Any]:
        calls.append(prompt)
        return answer

    output = [step(g) if isinstance(g, str) else step(g[0], schema=g[1]) for g in guards]
    assert guarded(output=output, retries=2)(model)("Weather in Oslo?") == answer
    assert len(calls) == 1
    assert all(check.verdict.passed for check in last_report().checks)


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_an_empty_answer_without_tool_calls_still_fails(answer: str | None) -> None:
    ask = guarded(output=[step("json", "block")])(lambda prompt: {"choices": [{"message": {"content": answer}}]})
    with pytest.raises(Blocked, match="No JSON found"):
        ask("Weather in Oslo?")


@pytest.mark.parametrize("answer", [openai("Let me look that up."), anthropic("Checking the forecast now.")])
def test_words_beside_tool_calls_pass_and_the_calls_are_kept(answer: dict[str, Any]) -> None:
    calls = []

    def model(prompt: str) -> dict[str, Any]:
        calls.append(prompt)
        return answer

    assert guarded(output=[step("json")], retries=2)(model)("Weather in Oslo?") == answer
    assert len(calls) == 1 and last_report().tool_calls  # not re-asked: the calls stand


def test_broken_json_beside_tool_calls_is_still_judged() -> None:
    ask = guarded(output=[step("json", "block", schema=Weather)])(lambda prompt: openai('{"town": "Oslo"}'))
    with pytest.raises(Blocked, match="does not match the schema"):
        ask("Weather in Oslo?")
