"""Policy rules on a pydantic instance a `json` guard parsed, through chains as users write them:
field rules read its fields (by their JSON names), text fixes redact it and hand back an
instance of the same model."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, Field

from guardlayer import Blocked, guarded
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.policy import PolicyGuard
from guardlayer.testing import ScriptedModel


class Refund(BaseModel):
    order_id: str = Field(alias="orderId")
    amount: float
    approved: bool = False
    note: str = ""


RULES = [{"id": "approval", "kind": "field", "when": "amount > 100", "require": "approved == true"},
         {"id": "cap", "kind": "field", "require": "amount <= 10000"}]


def refund(answer: str, *rules: dict, fallback: str | None = None):
    return guarded(ScriptedModel([answer]), output=[JsonGuard(schema=Refund), PolicyGuard(rules=list(rules))],
                   retries=0, fallback=fallback)


def test_when_rule_applies_to_a_model_instance():
    with pytest.raises(Blocked, match="approval"):
        refund('{"orderId": "A1", "amount": 5000, "approved": false}', *RULES)("q")


def test_require_rule_holds_on_a_model_instance():
    out = refund('{"orderId": "A1", "amount": 50, "approved": false}', *RULES)("q")
    assert out == Refund(orderId="A1", amount=50)


def test_field_paths_use_the_json_names_of_aliased_fields():
    rule = {"id": "order", "kind": "field", "require": "orderId matches '^A'"}
    assert refund('{"orderId": "A1", "amount": 5}', rule)("q").order_id == "A1"
    with pytest.raises(Blocked, match="order"):
        refund('{"orderId": "B1", "amount": 5}', rule)("q")


def test_text_fix_redacts_the_instance_and_returns_the_model():
    deny = {"id": "promise", "kind": "deny", "phrases": ["guaranteed refund"], "action": "fix"}
    out = refund('```json\n{"orderId": "A1", "amount": 5, "note": "a guaranteed refund"}\n```', deny)("q")
    assert isinstance(out, Refund) and out.note == "a [REDACTED]" and out.order_id == "A1"


def test_a_fix_the_model_cannot_hold_blocks():
    drop = {"id": "no-amount", "kind": "field", "action": "fix", "require": "amount absent"}
    with pytest.raises(Blocked, match="no-amount"):  # dropping a required field: no honest fix
        refund('{"orderId": "A1", "amount": 5}', drop)("q")


def test_escaped_text_in_an_instance_is_redacted_in_the_model():
    deny = {"id": "promise", "kind": "deny", "phrases": ["guaranteed refund"], "action": "fix"}
    out = refund('{"orderId": "A1", "amount": 5, "note": "a guaranteed \\u0072efund"}', deny)("q")
    assert isinstance(out, Refund) and out.note == "a [REDACTED]"


class Payout(BaseModel):
    amount: Decimal
    approved: bool = False
    parts: list[Decimal] = []


def test_decimal_fields_compare_as_the_numbers_they_were_written_as():
    ask = guarded(ScriptedModel(['{"amount": 5000, "parts": [1.5, 4998.5]}']),
                  output=[JsonGuard(schema=Payout), PolicyGuard(rules=[
                      RULES[0], {"id": "parts", "kind": "field", "require": "parts[*] < 5000"}])], retries=0)
    with pytest.raises(Blocked, match="approval") as info:
        ask("q")
    assert "parts" not in str(info.value)
