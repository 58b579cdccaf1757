"""The third review of reading provider answers: content that is not text, app objects with a
``message``, two tool_calls guards that fix, Ollama's logprobs and ``done``, LangChain's
``error``, Ollama's and Cohere's usage."""
from __future__ import annotations

import json
from typing import Any

import pytest

from guardlayer import ConfigError, ProviderError, guarded, last_report, step
from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.providers import usage_of
from guardlayer.report import Usage

EMAIL = "john.smith@example.com"


def pii(action: str = "block") -> list[Any]:
    return [step(PIIGuard(mode="regex", entities=["EMAIL_ADDRESS"]), action)]


def answered(resp: Any, guards: list[Any]) -> Any:
    return guarded(output=guards)(lambda prompt: resp)("q")


# 1. content that is not text is refused, never judged as ""

@pytest.mark.parametrize("resp", [
    {"content": {"email": EMAIL}},
    {"message": {"role": "assistant", "content": {"email": EMAIL}}},
    {"message": {"role": "assistant", "content": [{"type": "output_text", "text": EMAIL}]}},
    {"content": [{"type": "output_text", "text": EMAIL}]},
    {"content": [EMAIL]},
    {"content": EMAIL.encode()},
    {"choices": [{"index": 0, "message": {"role": "assistant", "content": {"email": EMAIL}}}]},
])
def test_content_that_is_not_text_is_refused(resp: Any) -> None:
    with pytest.raises(ConfigError, match="cannot read the answer text"):
        answered(resp, pii())


@pytest.mark.parametrize("resp", [
    {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "run_sql", "input": {"sql": "1"}}]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "run_sql", "arguments": "{}"}}]},
    {"role": "assistant", "content": [{"type": "thinking", "thinking": "..."}, {"type": "text", "text": "ok"}]},
])
def test_content_of_calls_or_text_parts_is_still_read(resp: Any) -> None:
    assert answered(resp, pii()) == resp


# 2. an app's object with a ``message`` is not a provider's answer

@pytest.mark.parametrize("resp", [
    {"status": "ok", "message": {"content": "Saved.", "author": "bot"}, "data": {"email": EMAIL}},
    {"message": {"content": "Saved."}},
])
def test_an_apps_message_object_stays_refused(resp: Any) -> None:
    with pytest.raises(ConfigError, match="cannot read the answer text"):
        answered(resp, pii("fix"))


@pytest.mark.parametrize("resp", [
    {"model": "llama3.1", "created_at": "2026-11-24T11:00:00Z", "message": {"content": f"Mail {EMAIL}"}},
    {"done": True, "message": {"content": f"Mail {EMAIL}"}},
    {"finish_reason": "COMPLETE", "message": {"content": [{"type": "text", "text": f"Mail {EMAIL}"}]}},
    {"message": {"role": "assistant", "content": f"Mail {EMAIL}"}},
])
def test_a_provider_marked_message_is_read(resp: Any) -> None:
    out = answered(resp, pii("fix"))
    assert EMAIL not in json.dumps(out) and "<EMAIL_ADDRESS>" in json.dumps(out)


def test_calls_in_an_unmarked_message_are_refused_not_read() -> None:
    answer = {"message": {"tool_calls": [{"id": "c", "type": "function",
                                          "function": {"name": "run_sql", "arguments": "{}"}}]}}
    for resp in (answer, json.dumps(answer)):
        v = ToolCallGuard({"run_sql": {}}).check(json.dumps(answer), Context(side="output", response=resp))
        assert not v.passed and "nothing marks as a provider's" in v.reason


# 3. a second tool_calls guard starts from the calls the first one's fix kept

SQL = {"run_sql": {"rules": [{"id": "no-drop", "kind": "field", "require": "sql not matches '(?i)drop'",
                              "action": "fix"}]}, "send_email": {}}
MAIL = {"send_email": {"rules": [{"id": "no-evil", "kind": "field", "require": "to not matches '@evil'",
                                  "action": "fix"}]}, "run_sql": {}}


def completion(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    listed = [{"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
              for i, (name, args) in enumerate(calls)]
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": listed}}]}


@pytest.mark.parametrize("mail, kept", [("x@evil.com", []), ("a@ok.com", ["send_email"])])
def test_a_call_the_first_guard_dropped_never_comes_back(mail: str, kept: list[str]) -> None:
    answer = completion(("send_email", {"to": mail}), ("run_sql", {"sql": "DROP TABLE users"}))
    out = answered(answer, [step(ToolCallGuard(SQL), "fix"), step(ToolCallGuard(MAIL), "fix")])
    assert [call["name"] for call in out] == kept
    assert [call.name for call in last_report().tool_calls] == kept


# 6. a fix drops Ollama's logprobs, token by token of the old text

def test_ollama_logprobs_are_dropped_by_a_fix() -> None:
    tokens = ["Mail ", "john", ".smith", "@example", ".com"]
    resp = {"model": "llama3.1", "done": True, "message": {"role": "assistant", "content": "".join(tokens)},
            "logprobs": [{"token": t, "logprob": -0.1} for t in tokens]}
    out = answered(resp, pii("fix"))
    assert out["message"]["content"] == "Mail <EMAIL_ADDRESS>" and out["logprobs"] is None
    assert resp["logprobs"] is not None  # the original is untouched


# 7. LangChain's ``error`` quotes the arguments a fix rewrote

def langchain(args: str, error: str) -> dict[str, Any]:
    return {"type": "ai", "content": "", "tool_calls": [],
            "invalid_tool_calls": [{"name": "send", "args": args, "id": "x", "type": "invalid_tool_call",
                                    "error": error}]}


def test_langchain_error_quotes_the_rewritten_arguments() -> None:
    args = f'{{"to": "{EMAIL}", "body": "hi"'
    out = answered(langchain(args, f"Function send arguments:\n\n{args}\n\nare not valid JSON."), pii("fix"))
    call = out["invalid_tool_calls"][0]
    assert EMAIL not in call["args"] and call["error"] == f"Function send arguments:\n\n{call['args']}\n\nare not valid JSON."


def test_langchain_error_quoting_them_otherwise_is_cleared() -> None:
    args = f'{{"to": "{EMAIL}", "body": "hi"'
    out = answered(langchain(args, f"bad JSON near {EMAIL!r}"), pii("fix"))
    assert EMAIL not in json.dumps(out) and out["invalid_tool_calls"][0]["error"] is None


# 8. Ollama's ``done`` ends an answer; Ollama's and Cohere's usage are read

def test_a_stream_broken_after_ollamas_done_is_charged_as_reported() -> None:
    def chunk(content: str = "", **extra: Any) -> dict[str, Any]:
        return {"model": "llama3.1", "message": {"role": "assistant", "content": content}, **extra}

    def ask(prompt: str) -> Any:
        yield chunk("Hello there", done=False)
        yield chunk(done=True, done_reason="stop", prompt_eval_count=26, eval_count=3)
        raise ConnectionError("reset after the answer was complete")

    with pytest.raises(ProviderError, match="stream failed"):
        "".join(guarded(output=[step("canary", "block")])(ask)("q"))
    attempt = last_report().attempts[-1]
    assert attempt.error is None and attempt.usage == Usage(26, 3)


@pytest.mark.parametrize("resp, usage", [
    ({"model": "llama3.1", "done": True, "message": {"content": "hi"}, "prompt_eval_count": 26, "eval_count": 3},
     Usage(26, 3)),
    ({"finish_reason": "COMPLETE", "message": {"content": []},
      "usage": {"billed_units": {"input_tokens": 9, "output_tokens": 2}, "tokens": {"input_tokens": 70, "output_tokens": 2}}},
     Usage(70, 2)),
    ({"finish_reason": "COMPLETE", "usage": {"billed_units": {"input_tokens": 9, "output_tokens": 2}}}, Usage(9, 2)),
    ({"usage": {"prompt_tokens": 5, "completion_tokens": 1}}, Usage(5, 1)),
    ({"model": "m", "message": {"content": "hi"}}, None),
])
def test_usage_of_ollama_and_cohere(resp: Any, usage: Usage | None) -> None:
    assert usage_of(resp) == usage
