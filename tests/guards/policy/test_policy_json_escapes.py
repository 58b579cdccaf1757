"""Text rules also judge the strings a JSON answer decodes to: a phrase or key written with
JSON escapes (``\\u0072efund``) is what the application receives, so it is what they judge."""
from __future__ import annotations

import json

import pytest

from guardlayer import Blocked, guarded, last_report
from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.policy import PolicyGuard
from guardlayer.testing import ScriptedModel

DENY = {"id": "no-promise", "kind": "deny", "phrases": ["guaranteed refund"]}
KEY = "sk-proj-\\u0041bcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"


def ask(answer: str, *rules: dict, json_guard: bool = False):
    steps = ([JsonGuard()] if json_guard else []) + [PolicyGuard(rules=list(rules))]
    return guarded(ScriptedModel([answer]), output=steps, retries=0)


@pytest.mark.parametrize("json_guard", [False, True])
@pytest.mark.parametrize("answer,rule", [
    ('{"reply": "you get a guaranteed \\u0072efund"}', DENY),
    ('{"reply": ["ok", "guaranteed\\u0020refund"]}', DENY),
    ('{"reply": "line\\nguaranteed refund"}', DENY),  # "\\ng...": no word boundary in the text
    (f'{{"reply": "{KEY}"}}', {"id": "keys", "kind": "secrets"}),
    ('{"reply": "TICKET-\\u0031234"}', {"id": "tickets", "kind": "regex", "pattern": r"TICKET-\d{4}"}),
    ('{"reply": "see https:\\u002f\\u002fevil.com/x"}', {"id": "links", "kind": "urls",
                                                        "allow_domains": ["example.com"]}),
])
def test_escaped_text_is_judged_decoded(answer, rule, json_guard):
    with pytest.raises(Blocked, match=rule["id"]):
        ask(answer, rule, json_guard=json_guard)("q")


def test_the_finding_names_where_the_decoded_string_is():
    v = PolicyGuard(rules=[DENY]).check('{"a": {"b": ["x", "a guaranteed \\u0072efund"]}}',
                                        Context(side="output"))
    assert not v.passed and [f.kind for f in v.findings] == ["no-promise"]
    assert "a.b[1]" in v.findings[0].detail and v.findings[0].text == "guaranteed refund"


def test_a_hit_seen_in_the_text_is_not_reported_twice():
    v = PolicyGuard(rules=[DENY]).check('{"reply": "line\\na guaranteed refund"}', Context(side="output"))
    assert len(v.findings) == 1 and v.findings[0].end > v.findings[0].start


def test_fix_without_a_json_guard_gives_the_redacted_json_text():
    out = ask('{"reply": "you get a guaranteed \\u0072efund", "n": 1}', {**DENY, "action": "fix"})("q")
    assert isinstance(out, str) and json.loads(out) == {"reply": "you get a [REDACTED]", "n": 1}


def test_fix_with_a_json_guard_gives_the_redacted_value():
    out = ask('{"reply": "you get a guaranteed \\u0072efund"}', {**DENY, "action": "fix"}, json_guard=True)("q")
    assert out == {"reply": "you get a [REDACTED]"}
    assert last_report().checks[-1].verdict.fixed == '{"reply": "you get a [REDACTED]"}'


def test_escapes_that_decode_to_nothing_denied_pass():
    out = ask('{"reply": "caf\\u00e9 \\"open\\"\\nrefunds are reviewed"}', DENY)("q")
    assert json.loads(out)["reply"] == 'café "open"\nrefunds are reviewed'
