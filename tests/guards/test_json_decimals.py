"""A number written with zeros ending its fraction (``0.10``, ``12.50``) keeps them where they
carry meaning, a pydantic ``Decimal`` field (money), and is the float it always was everywhere
else: float fields, plain values, comparisons, policy conditions."""
from __future__ import annotations

import json
import pickle
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from guardlayer import guarded, step
from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard, json_data
from guardlayer.guards.schema import SchemaGuard
from guardlayer.structured.extract import loads
from guardlayer.structured.repair import Written, read_float


class Price(BaseModel):
    amount: Decimal
    rate: float = 0.0
    tax: Decimal | None = None
    prices: list[Decimal] = []
    label: str = ""


ANSWERS = ['{"amount": 0.10, "rate": 0.10, "tax": 12.50, "prices": [1.10, 2.000], "label": 0.50}',
           ('Here it is:\n```json\n{"amount": 0.10, "rate": 0.10, "tax": 12.50, "prices": [1.10, 2.000], '
            '"label": 0.50,}\n```'),  # fenced and broken: read by the lenient reader
           "{'amount': 0.10, 'rate': 0.10, 'tax': 12.50, 'prices': [1.10, 2.000], 'label': 0.50"]  # cut off


@pytest.mark.parametrize("answer", ANSWERS)
def test_a_decimal_field_keeps_the_number_as_written(answer: str) -> None:
    verdict = JsonGuard(Price).check(answer, Context())
    assert verdict.passed, verdict.reason
    value = verdict.value
    assert str(value.amount) == "0.10" and str(value.tax) == "12.50"
    assert [str(p) for p in value.prices] == ["1.10", "2.000"]
    assert type(value.rate) is float and value.rate == 0.1
    assert value.label == "0.50"  # a string field gets the number's text


@pytest.mark.parametrize("guards", [[("json", Price)], ["json", ("schema", Price)]])
def test_through_a_chain_too(guards: list[Any]) -> None:
    output = [step(g) if isinstance(g, str) else step(g[0], schema=g[1]) for g in guards]
    value = guarded(output=output)(lambda prompt: ANSWERS[0])("Price?")
    assert str(value.amount) == "0.10" and str(value.tax) == "12.50"


def test_a_json_schema_number_stays_a_plain_float() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": ["number", "string"]}}}
    value = JsonGuard(schema).check('{"a": 0.10, "b": 0.10}', Context()).value
    assert value == {"a": 0.1, "b": 0.1} and [type(v) for v in value.values()] == [float, float]


def test_a_json_schema_field_marked_decimal_gets_the_text() -> None:
    schema = {"type": "object", "properties": {"a": {"type": ["number", "string"], "format": "decimal"}}}
    assert JsonGuard(schema).check('{"a": 0.10}', Context()).value == {"a": "0.10"}


def test_without_a_schema_the_number_is_a_float_that_remembers_its_text() -> None:
    value = JsonGuard().check('{"a": 0.10, "b": [1.50, 1.0, 1e10, 2.5]}', Context()).value
    a = value["a"]
    assert isinstance(a, float) and a == 0.1 and a < 0.11 and a + 1 == 1.1 and json.dumps(value) == \
        '{"a": 0.1, "b": [1.5, 1.0, 10000000000.0, 2.5]}'
    assert a.text == "0.10" and value["b"][0].text == "1.50"
    assert [type(v) for v in value["b"][1:]] == [float, float, float]  # written as a float writes them
    assert pickle.loads(pickle.dumps(a)).text == "0.10"


@pytest.mark.parametrize("text", ["0.10", "12.50", "-3.000", "0.100000000000000000"])
def test_read_float_keeps_the_text_of_zeros_ending_a_fraction(text: str) -> None:
    number = read_float(text)
    assert type(number) is Written and number == float(text) and number.text == text


def test_a_model_dumped_for_a_later_guard_keeps_the_decimal_as_written() -> None:
    price = Price(amount=Decimal("0.10"))
    data = json_data(price)
    assert data["amount"] == 0.1 and data["amount"].text == "0.10"
    ctx = Context()
    ctx.side, ctx.value = "output", data

    class Other(BaseModel):
        amount: Decimal

    assert str(SchemaGuard(Other).check("", ctx).value.amount) == "0.10"


def test_loads_gives_floats_equal_to_json_loads() -> None:
    text = '[0.10, 1.0, 2.50e3, 0.0, -0.0, 100.00, 3.14]'
    assert loads(text) == json.loads(text)


def test_what_the_caller_gets_holds_plain_floats() -> None:
    """`Written` keeps "12.50" for a Decimal field inside the chain; the caller gets floats
    (orjson and PyYAML refuse float subclasses)."""
    import yaml

    from guardlayer import guarded

    value = guarded(output=["json"])(lambda prompt: '{"price": 12.50, "items": [{"w": 0.10}]}')("q")
    assert value == {"price": 12.5, "items": [{"w": 0.1}]}
    assert type(value["price"]) is float and type(value["items"][0]["w"]) is float
    assert yaml.safe_dump(value)
