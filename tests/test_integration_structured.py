"""JSON and schema guards driven through the chain: re-ask with the errors, the value returned."""
from __future__ import annotations

import textwrap
from typing import Literal

import pytest
from pydantic import BaseModel

from guardlayer import Blocked, guarded, last_report
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.schema import SchemaGuard
from guardlayer.testing import ScriptedModel


class Ticket(BaseModel):
    priority: Literal["low", "medium", "high"]
    title: str
    estimate_hours: float


def test_reask_with_the_validation_error_then_a_model_instance():
    model = ScriptedModel([
        'Sure! ```json\n{"priority": "urgent", "title": "Printer on fire"}\n```',
        'Here you go: {"priority": "High", "title": "Printer on fire", "estimate_hours": "$2"}',
    ])
    ask = guarded(model, output=[JsonGuard(schema=Ticket)], retries=2)
    ticket = ask("triage this")
    assert ticket == Ticket(priority="high", title="Printer on fire", estimate_hours=2.0)
    reask = model.calls[1]
    assert "priority" in reask and "urgent" in reask and "estimate_hours" in reask
    report = last_report()
    assert [a.kind for a in report.attempts] == ["call", "reask"]
    assert [c.verdict.passed for c in report.checks] == [False, True]
    assert report.checks[1].verdict.meta["coercions"]


def test_json_then_schema_from_a_rule_file(tmp_path):
    (tmp_path / "ticket.json").write_text(
        '{"type": "object", "required": ["priority"], "properties": '
        '{"priority": {"enum": ["low", "high"]}}}')
    (tmp_path / "chain.yaml").write_text(textwrap.dedent("""
        retries: 1
        fallback: '{"priority": "low"}'
        output:
          - guard: json
          - guard: schema
            schema: ./ticket.json
    """))
    ask = guarded(ScriptedModel(["no idea", "still no idea"]), rules=tmp_path / "chain.yaml")
    assert ask("q") == {"priority": "low"}  # the fallback is parsed like an answer
    assert last_report().fallback == "value" and last_report().reasks == 1
    ask = guarded(ScriptedModel(['{"priority": "HIGH"}']), rules=tmp_path / "chain.yaml")
    assert ask("q") == {"priority": "high"}


def test_schema_guard_validates_the_value_json_parsed():
    ask = guarded(ScriptedModel(['[1, 2, "three"]']),
                  output=[JsonGuard(), (SchemaGuard({"type": "array", "items": {"type": "integer"}},
                                                    strict=True), "block")])
    with pytest.raises(Blocked) as info:
        ask("q")
    assert 'field `[2]`: expected integer, got "…" (string)' in info.value.verdicts[0].reason  # (never the text: a restored name)
