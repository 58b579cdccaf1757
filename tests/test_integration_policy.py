"""Policy rules and tool-call guards driven through the chain, including streamed answers."""
from __future__ import annotations

import pytest

from guardlayer import Action, Blocked, guarded, last_report
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.policy import PolicyGuard
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.testing import ScriptedModel

POLICY = PolicyGuard(rules=[
    {"id": "no-promise", "kind": "deny", "phrases": ["guaranteed refund"], "action": "block"},
    {"id": "internal", "kind": "deny", "phrases": ["backoffice admin"], "action": "fix"},
    {"id": "disclaimer", "kind": "require", "phrases": ["subject to review"], "action": "fix",
     "append": "Refunds are subject to review.", "sides": ["output"]},
    {"id": "refund-limit", "kind": "field", "action": "fallback", "when": {"action": "refund"},
     "require": "amount <= 500"},
])


def test_rule_actions_override_on_fail():
    ask = guarded(ScriptedModel(["You get a gu\u200baranteed refund."]), output=[(POLICY, "fix")])
    with pytest.raises(Blocked) as info:
        ask("q")
    assert info.value.verdicts[0].meta["action"] == "block"


def test_a_step_that_logs_is_shadow_mode_whatever_its_rules_ask():
    answer = "You get a guaranteed refund."
    ask = guarded(ScriptedModel([answer]), output=[(POLICY, "log")])
    assert ask("q") == answer
    check = last_report().checks[0]
    assert check.action is Action.LOG and check.verdict.meta["action"] == "block"


def test_fix_redacts_and_appends_the_disclaimer():
    ask = guarded(ScriptedModel(["Ask the backoffice admin."]), output=[POLICY])
    out = ask("q")
    assert "backoffice admin" not in out and out.endswith("Refunds are subject to review.")
    assert last_report().checks[0].action is Action.FIX


def test_field_rule_on_the_parsed_value_serves_the_fallback():
    ask = guarded(ScriptedModel(['{"action": "refund", "amount": 900}']),
                  output=[JsonGuard(), POLICY], fallback="A person will review your refund.")
    assert ask("q") == "A person will review your refund."
    assert "refund-limit: a field rule is broken" in last_report().fallback_reason


def test_stream_is_cut_before_a_denied_phrase_split_across_chunks_leaves():
    model = ScriptedModel(["Sure, this is a guaran", "teed ref", "und for you."])

    @guarded(output=[POLICY])
    def ask(prompt: str):
        yield from model.answers

    sent = []
    with pytest.raises(Blocked):
        for chunk in ask("q"):
            sent.append(chunk)
    assert "guaran" not in "".join(sent)


def test_streamed_answer_gets_the_disclaimer_at_the_end():
    ask = guarded(ScriptedModel(["Your order ships on Monday, " * 8], chunk=7), output=[POLICY])
    out = "".join(ask("q"))
    assert out.startswith("Your order ships on Monday,") and out.endswith("subject to review.")


def test_tool_calls_are_checked_before_the_program_runs_them():
    tools = ToolCallGuard({"run_sql": {
        "schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
        "rules": [{"id": "no-destructive-sql", "kind": "field",
                   "require": r"sql not matches '(?i)\b(drop|delete|truncate)\b'"}]}})
    call = {"id": "c1", "type": "function",
            "function": {"name": "run_sql", "arguments": '{"sql": "DROP TABLE users"}'}}
    response = {"choices": [{"message": {"content": None, "tool_calls": [call]}}]}
    with pytest.raises(Blocked) as info:
        guarded(ScriptedModel([response]), output=[tools])("q")
    assert "no-destructive-sql" in info.value.verdicts[0].reason
    safe = {**call, "function": {"name": "run_sql", "arguments": '{"sql": "SELECT 1"}'}}
    ok = {"choices": [{"message": {"content": None, "tool_calls": [safe]}}]}
    assert guarded(ScriptedModel([ok]), output=[tools])("q") == ok
