"""Policy rules on a pydantic instance a `json` guard parsed, through chains as users write them:
field rules read its fields (by their JSON names), text fixes redact it and hand back an
instance of the same model."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Literal

import pytest
from pydantic import BaseModel, Field, computed_field

from guardlayer import Blocked, guarded
from guardlayer.context import Context
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


# A fix stands only when the value handed on passes the rules: the text rules fix the text, but
# the application gets the parsed value.

CARD = {"id": "card", "kind": "regex", "pattern": r"\b\d{16}\b", "action": "fix"}


class Charge(BaseModel):
    card: int
    note: str = ""
    discount: int = 0
    kind: Literal["guaranteed refund", "sale"] = "sale"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def terms(self) -> str:
        return "no guaranteed refund" if self.discount > 50 else "standard"


def charge(answer: str, *rules: dict, schema: type[BaseModel] | None = Charge):
    return guarded(ScriptedModel([answer]), output=[JsonGuard(schema=schema), PolicyGuard(rules=list(rules))],
                   retries=0)("q")


@pytest.mark.parametrize("schema", [Charge, None])
def test_a_number_the_text_rules_redact_only_in_the_text_blocks(schema):
    with pytest.raises(Blocked, match="card"):
        charge('{"card": 4111111111111111, "note": "paid"}', CARD, schema=schema)
    with pytest.raises(Blocked, match="card"):  # a string redacted too: the number still stays
        charge('{"card": 4111111111111111, "note": "4111111111111111"}', CARD, schema=schema)


def test_a_phrase_in_a_key_blocks():
    deny = {"id": "plan", "kind": "deny", "phrases": ["secret plan"], "action": "fix"}
    with pytest.raises(Blocked, match="plan"):
        charge('{"secret plan": 1}', deny, schema=None)


@pytest.mark.parametrize("rule", [
    {"id": "short", "kind": "max_length", "max": 20, "action": "fix"},
    {"id": "disclaimer", "kind": "require", "phrases": ["not financial advice"], "action": "fix"},
])
def test_a_fix_of_the_text_alone_blocks_a_value(rule):
    with pytest.raises(Blocked, match=rule["id"]):
        charge('{"card": 1, "note": "a note long enough to cut"}', rule)


def test_a_default_the_model_puts_back_blocks():
    rule = {"id": "no-discount", "kind": "field", "action": "fix", "require": "discount absent"}
    with pytest.raises(Blocked, match="no-discount"):  # dropped, then 0 again by default
        charge('{"card": 1, "discount": 20}', rule)


def test_what_the_model_computes_or_refuses_after_a_fix_blocks():
    deny = {"id": "promise", "kind": "deny", "phrases": ["guaranteed refund"], "action": "fix"}
    with pytest.raises(Blocked, match="promise"):  # computed again from the fields: still there
        charge('{"card": 1, "discount": 60}', deny)
    with pytest.raises(Blocked, match="promise"):  # "[REDACTED]" is no kind the model takes
        charge('{"card": 1, "kind": "guaranteed refund"}', deny)
    assert charge('{"card": 1, "note": "a guaranteed refund"}', deny) == Charge(card=1, note="a [REDACTED]")


def test_a_tool_calls_arguments_are_read_again_from_a_text_fix_but_a_value_fix_must_hold():
    guard = PolicyGuard(rules=[{"id": "plan", "kind": "deny", "phrases": ["secret plan"], "action": "fix"}, CARD])
    key = guard.check('{"secret plan": 1}', Context(side="output", source="tool_call", value={"secret plan": 1}))
    assert key.fixed == '{"[REDACTED]": 1}' and not key.has_value  # the chain reads the arguments again
    args = {"card": 4111111111111111, "note": "4111111111111111"}
    card = guard.check(json.dumps(args), Context(side="output", source="tool_call", value=args))
    assert card.fixed is None and not card.has_value  # the number stays in the fixed value: no fix


class ExactRefund(BaseModel):
    amount: Decimal
    approved: bool = False


@pytest.mark.parametrize("schema", [ExactRefund, None])
def test_an_amount_a_float_cannot_hold_still_meets_the_rules(schema):
    # read exactly, it must still compare as a number: it passed unapproved, as a string
    for amount in ("5000.000000000000000001", '"5000.000000000000000001"'):
        if schema is None and amount.startswith('"'):
            continue  # without a model a string is a string
        answer = f'{{"amount": {amount}, "approved": false}}'
        ask = guarded(ScriptedModel([answer]), output=[JsonGuard(schema=schema), PolicyGuard(rules=RULES[:1])],
                      retries=0)
        with pytest.raises(Blocked, match="approval"):
            ask("q")
    ok = guarded(ScriptedModel(['{"amount": 99.000000000000000001, "approved": false}']),
                 output=[JsonGuard(schema=schema), PolicyGuard(rules=RULES[:1])], retries=0)("q")
    assert (ok.amount if schema else ok["amount"]) == Decimal("99.000000000000000001")


def test_a_fix_on_a_value_holding_an_exact_number_keeps_it():
    rules = [{"id": "no-secret", "kind": "deny", "phrases": ["secret"], "action": "fix"}]
    ask = guarded(ScriptedModel(['{"amount": 0.12345678901234567891, "note": "a secret"}']),
                  output=[JsonGuard(), PolicyGuard(rules=rules)], retries=0)
    out = ask("q")
    assert out["amount"] == Decimal("0.12345678901234567891") and "secret" not in out["note"]
