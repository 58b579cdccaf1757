"""JSON numbers read exactly: ints stay ints, a float that does not hold the number written
keeps it (a `Decimal`), and a number beyond the largest float is refused, on every path."""
from decimal import Decimal

import pytest
from pydantic import BaseModel

from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard
from guardlayer.structured.extract import dumps, loads
from guardlayer.structured.repair import Unreadable, read_float

BIG = "12345678901234567890.125"


def check(text: str, schema=None):
    return JsonGuard(schema).check(text, Context())


def test_integers_stay_ints_and_floats_that_hold_the_number_stay_floats():
    value = loads('[12345678901234567890, -7, 0.1, 1.5e300, 0.0, -0.0, 123456789012.5]')
    assert value == [12345678901234567890, -7, 0.1, 1.5e300, 0.0, -0.0, 123456789012.5]
    assert [type(v) for v in value] == [int, int, float, float, float, float, float]


@pytest.mark.parametrize("text", [BIG, "0.10000000000000000001", "1e-400", "-1e-330"])
def test_a_float_that_does_not_hold_the_number_keeps_it_exactly(text: str) -> None:
    value = loads(text)
    assert isinstance(value, Decimal) and value == Decimal(text)


def test_a_long_number_a_float_holds_stays_a_float():
    number = read_float("0.1000000000000000000")  # (trailing zeros: the same number, its text kept)
    assert isinstance(number, float) and number == 0.1 and number.text == "0.1000000000000000000"


@pytest.mark.parametrize("answer", [
    '{"a": 1e999}',                 # valid JSON: the fast path
    '[-1e400]',
    "{'a': 1e999, b: 2}",           # the lenient reader's
    '{"a": 1e999 "b": 2}',          # json-repair's (a missing comma)
    'Here: {"a": 1, "b": [2, 3e999]} and {"c": 4}',
])
def test_a_number_beyond_the_largest_float_is_refused_with_a_reason(answer: str) -> None:
    verdict = check(answer)
    assert not verdict.passed
    assert "too large for a JSON number" in verdict.reason and "write a smaller number" in verdict.reason


def test_a_number_beyond_the_largest_float_is_refused_with_a_schema_too():
    verdict = check('{"a": 1e999}', {"type": "object", "properties": {"a": {"type": "number"}}})
    assert not verdict.passed and "too large for a JSON number" in verdict.reason


def test_json_repair_reads_numbers_exactly_too():
    verdict = check('{"a": ' + BIG + ' "b": 0.1}')  # a missing comma: json-repair's to read
    assert verdict.passed and verdict.value == {"a": Decimal(BIG), "b": 0.1}


class Price(BaseModel):
    amount: Decimal
    ratio: float = 0.0


@pytest.mark.parametrize("answer", [
    '{"amount": ' + BIG + '}',
    "{'amount': " + BIG + "}",
    '```json\n{"amount": ' + BIG + ' "ratio": 2}\n```',
])
def test_a_decimal_field_gets_every_digit(answer: str) -> None:
    verdict = check(answer, Price)
    assert verdict.passed, verdict.reason
    assert verdict.value.amount == Decimal(BIG)
    assert {c["kind"] for c in verdict.meta["coercions"]} <= {"default"}  # (no change of the number)


def test_a_float_field_gets_the_nearest_float():
    verdict = check('{"amount": 1, "ratio": 0.10000000000000000001}', Price)
    assert verdict.passed and verdict.value.ratio == 0.1


@pytest.mark.parametrize("schema, expected", [
    ({"type": "number"}, float(BIG)),
    ({"type": ["number", "string"]}, BIG),
    ({"type": "array", "items": {}}, [float(BIG)]),
])
def test_with_a_json_schema_an_exact_number_becomes_what_the_schema_takes(schema, expected) -> None:
    answer = f"[{BIG}]" if schema.get("type") == "array" else BIG
    verdict = check(answer, schema)
    assert verdict.passed and verdict.value == expected and type(verdict.value) is type(expected)


def test_the_fixed_text_writes_an_exact_number_as_it_was():
    verdict = check('Sure:\n```json\n{"a": ' + BIG + ', "b": [1e-400]}\n```')
    assert verdict.passed and verdict.fixed == '{"a": ' + BIG + ', "b": [1E-400]}'
    assert loads(verdict.fixed) == verdict.value


def test_dumps_is_json_dumps_without_decimals():
    value = {"a": [1, 2.5, "é", None, True]}
    assert dumps(value) == '{"a": [1, 2.5, "é", null, true]}'
    with pytest.raises(TypeError):
        dumps({"a": object()})


def test_read_float_refuses_what_overflows():
    with pytest.raises(Unreadable, match="too large"):
        read_float("-1e400")
