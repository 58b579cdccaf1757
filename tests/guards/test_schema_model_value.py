"""`schema` after `json(schema=Model)` in a chain: the instance is checked by its JSON names."""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from guardlayer import guarded
from guardlayer.guards.json_output import JsonGuard, dump, json_data
from guardlayer.guards.schema import SchemaGuard
from guardlayer.testing import ScriptedModel


class Refund(BaseModel):
    order_id: str = Field(alias="orderId")
    amount: float


def test_schema_after_json_with_an_aliased_model():
    ask = guarded(ScriptedModel(['{"orderId": "A1", "amount": "5"}']),
                  output=[JsonGuard(schema=Refund), SchemaGuard(Refund)], retries=0)
    assert ask("q") == Refund(orderId="A1", amount=5)


def test_dump_writes_a_model_by_its_json_names():
    assert dump(Refund(orderId="A1", amount=5)) == '{"orderId":"A1","amount":5.0}'


class Price(BaseModel):
    amount: Decimal
    tax: Decimal


def test_schema_after_json_keeps_decimals_exact():
    ask = guarded(ScriptedModel(['{"amount": "12345678901234567890.125", "tax": 0.1}']),
                  output=[JsonGuard(schema=Price), SchemaGuard(Price)], retries=0)
    assert ask("q") == Price(amount=Decimal("12345678901234567890.125"), tax=Decimal("0.1"))


def test_json_data_gives_decimals_as_numbers_where_exact():
    data = json_data(Price(amount=Decimal("1E+3"), tax=Decimal("0.1")))
    assert data == {"amount": 1000, "tax": 0.1}
    assert json_data(Price(amount=Decimal("0.12345678901234567"), tax=0))["amount"] == Decimal("0.12345678901234567")


class Order(BaseModel):
    order_id: str = Field(serialization_alias="orderId")  # written one way, read another
    amount: float


def test_schema_after_json_with_a_serialization_alias_passes_the_instance():
    ask = guarded(ScriptedModel(['{"order_id": "A1", "amount": 20}']),
                  output=[JsonGuard(schema=Order), SchemaGuard(Order)], retries=0)
    assert ask("q") == Order(order_id="A1", amount=20)
