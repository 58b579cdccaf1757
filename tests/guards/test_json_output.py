"""The json guard: extraction to a value, schema in one step, strict mode, reasons, ambiguity."""
import json
from enum import Enum

import pytest
from pydantic import BaseModel

from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.json_output import JsonGuard
from guardlayer.verdict import MISSING


class Status(str, Enum):
    ONE = "ONE"
    TWO = "TWO"


class Ticket(BaseModel):
    status: Status
    price: float
    tags: list[str] = []


def check(guard, text):
    return guard.check(text, Context(side="output", source="output"))


def test_plain_json_passes_without_changing_the_text():
    verdict = check(JsonGuard(), '{"a": [1, 2]}')
    assert verdict.passed and verdict.value == {"a": [1, 2]} and verdict.fixed is None


@pytest.mark.parametrize("text", [
    '```json\n{"a": 1}\n```', 'Here is the result: {"a": 1}', '{"a": 1} -- done', "{'a': 1,}", '{"a": 1',
    '~~~\n{"a": 1}\n~~~',
])
def test_extracted_value_and_clean_text(text):
    verdict = check(JsonGuard(), text)
    assert verdict.passed and verdict.value == {"a": 1}
    assert json.loads(verdict.fixed) == {"a": 1}


def test_a_closer_with_no_opener_continues_the_object():
    # json-repair merges the members after the first object into it; they are not dropped
    verdict = check(JsonGuard(), '{"key": "value"}, "key2": "value2"}')
    assert verdict.passed and verdict.value == {"key": "value", "key2": "value2"}
    assert [(f.kind, f.start, f.end, f.detail) for f in verdict.findings] == [("repaired", 0, 35, "syntax")]


def test_no_json_fails_with_a_reason():
    verdict = check(JsonGuard(), "I cannot do that.")
    assert not verdict.passed and verdict.value is MISSING and "No JSON" in verdict.reason


def test_several_different_blocks_without_a_schema_are_ambiguous():
    verdict = check(JsonGuard(), '{"a": 1} or maybe {"a": 2}')
    assert not verdict.passed and "ambiguous" in verdict.reason and "exactly one" in verdict.reason


def test_pydantic_model_instance_is_the_value():
    verdict = check(JsonGuard(schema=Ticket), 'Sure:\n```json\n{"status": "one", "price": "$1,234.5"}\n```')
    assert verdict.passed and isinstance(verdict.value, Ticket)
    assert verdict.value == Ticket(status=Status.ONE, price=1234.5, tags=[])
    kinds = [c["kind"] for c in verdict.meta["coercions"]]
    assert {"enum_case", "number_format"} <= set(kinds)
    assert all(f.kind in ("coercion", "repaired") for f in verdict.findings)


def test_strict_mode_refuses_coercions_it_would_make():
    verdict = check(JsonGuard(schema=Ticket, strict=True), '{"status": "one", "price": 3}')
    assert not verdict.passed
    assert "status" in verdict.reason and "enum_case" in verdict.reason and '"one"' in verdict.reason
    assert check(JsonGuard(schema=Ticket, strict=True), '{"status": "ONE", "price": 3}').passed


@pytest.mark.parametrize("text, kind", [
    ('{"status": "one", "price": 1}', "enum_case"),
    ('{"status": "It is TWO", "price": 1}', "enum_in_text"),
    ('{"status": "ONE", "price": "2"}', "number_from_string"),
    ('{"status": "ONE", "price": "$2"}', "number_format"),
    ('{"status": "ONE", "price": 1, "tags": "x"}', "wrap_list"),
    ('{"status": ["ONE"], "price": 1}', "unwrap_list"),
    ('{"status": "ONE", "price": 1, "tags": [5]}', "string_from_number"),
])
def test_strict_refuses_each_coercion_kind(text, kind):
    lenient = check(JsonGuard(schema=Ticket), text)
    assert lenient.passed and kind in [c["kind"] for c in lenient.meta["coercions"]]
    strict = check(JsonGuard(schema=Ticket, strict=True), text)
    assert not strict.passed and kind in strict.reason


def test_reason_names_field_expected_and_got():
    verdict = check(JsonGuard(schema=Ticket), '{"status": "THREE", "price": "cheap"}')
    assert not verdict.passed
    assert "field `price`" in verdict.reason and "number" in verdict.reason and '"cheap"' in verdict.reason
    assert "field `status`" in verdict.reason and '"THREE"' in verdict.reason
    assert "ONE" in verdict.reason and "TWO" in verdict.reason
    assert verdict.reason.rstrip().endswith("Reply with only the corrected JSON.")


def test_two_enum_values_named_fail_as_ambiguous():
    verdict = check(JsonGuard(schema={"enum": ["ONE", "TWO"]}), "Either ONE or TWO.")
    assert not verdict.passed and "ambiguous" in verdict.reason and "'ONE'" in verdict.reason


def test_enum_in_a_sentence_at_the_top_level():
    verdict = check(JsonGuard(schema={"enum": ["ONE", "TWO"]}), "The answer is One.")
    assert verdict.passed and verdict.value == "ONE"


def test_pick_the_block_that_fits_the_schema():
    schema = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}
    verdict = check(JsonGuard(schema=schema), 'Wrong: {"colour": "red"}\nRight: {"code": "Q1"}')
    assert verdict.passed and verdict.value == {"code": "Q1"}


def test_several_objects_become_the_list_the_schema_asks_for():
    schema = {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}
    verdict = check(JsonGuard(schema=schema), 'One: {"n": 1}\nTwo: {"n": 2}')
    assert verdict.passed and verdict.value == [{"n": 1}, {"n": 2}]


def test_extra_keys_configurable():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert check(JsonGuard(schema=schema), '{"a": 1, "b": 2}').value == {"a": 1}
    assert check(JsonGuard(schema=schema, extra="keep"), '{"a": 1, "b": 2}').value == {"a": 1, "b": 2}
    refused = check(JsonGuard(schema=schema, extra="forbid"), '{"a": 1, "b": 2}')
    assert not refused.passed and "field `b`" in refused.reason


def test_repair_false_accepts_only_json_as_written():
    assert not check(JsonGuard(repair=False), "{'a': 1}").passed
    assert check(JsonGuard(repair=False), '```json\n{"a": 1}\n```').passed


def test_schema_from_a_json_file(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}))
    assert check(JsonGuard(schema=str(path)), '{"n": "3"}').value == {"n": 3}


def test_schema_from_a_module_path():
    guard = JsonGuard(schema="tests.guards.test_json_output:Ticket")
    value = check(guard, '{"status": "TWO", "price": 1}').value
    assert type(value).__name__ == "Ticket" and value.status.value == "TWO"


@pytest.mark.parametrize("bad", [{"type": "nonsense"}, "missing.json", "no_such_module:X", 42])
def test_bad_schema_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        JsonGuard(schema=bad)


def test_does_not_judge_prefixes():
    assert not hasattr(JsonGuard(), "holdback")


@pytest.mark.parametrize("text", ["[" * 5000, "[" * 5000 + "]" * 5000, "Here: " + '{"a": ' * 3000])
def test_json_nested_beyond_the_recursion_limit_fails_with_a_reason(text):
    verdict = JsonGuard().check(text, Context())
    assert not verdict.passed
    assert "nested too deeply" in verdict.reason


@pytest.mark.parametrize("answer", ['{"refund": NaN}', '[Infinity]', '{"a": -Infinity}'])
def test_nan_and_infinity_are_refused_on_the_fast_path_too(answer: str) -> None:
    verdict = JsonGuard().check(answer, Context())  # no schema: plain JSON's own path
    assert not verdict.passed and "is not a JSON value" in verdict.reason
