"""Each coercion kind, recorded; ambiguity raises."""
import pytest

from guardlayer.structured.coerce import Ambiguous, Coercer
from guardlayer.structured.schema import Schema


def run(value, schema, extra="drop"):
    compiled = Schema(schema)
    coercer = Coercer(compiled.json, compiled.fits, extra)
    out = coercer.coerce(value)
    return out, [c.kind for c in coercer.changes]


ENUM = {"enum": ["ONE", "TWO", "IN_PROGRESS"]}


@pytest.mark.parametrize("value, schema, expected, kind", [
    ("one", ENUM, "ONE", "enum_case"),
    ("in progress", ENUM, "IN_PROGRESS", "enum_case"),
    ("The answer is One", ENUM, "ONE", "enum_in_text"),
    ("12", {"type": "integer"}, 12, "number_from_string"),
    ("1,234.5", {"type": "number"}, 1234.5, "number_format"),
    ("$12", {"type": "number"}, 12, "number_format"),
    ("-$3.50", {"type": "number"}, -3.5, "number_format"),
    ("about 40 people", {"type": "integer"}, 40, "number_in_text"),
    (42, {"type": "string"}, "42", "string_from_number"),
    ("yes", {"type": "boolean"}, True, "bool_from_string"),
    ({"a": 1}, {"type": "array", "items": {"type": "object"}}, [{"a": 1}], "wrap_list"),
    ([7], {"type": "integer"}, 7, "unwrap_list"),
    ("hi", {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
     {"text": "hi"}, "wrap_object"),
])
def test_each_kind(value, schema, expected, kind):
    out, kinds = run(value, schema)
    assert out == expected and type(out) is type(expected)
    assert kinds == [kind]


def test_missing_optional_fields_get_defaults_or_null():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 3},
                                               "c": {"type": ["string", "null"]}}, "required": ["a"]}
    out, kinds = run({"a": 1}, schema)
    assert out == {"a": 1, "b": 3, "c": None} and kinds == ["default", "default"]


def test_extra_keys_dropped_kept_or_forbidden():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert run({"a": 1, "z": 2}, schema) == ({"a": 1}, ["extra_dropped"])
    assert run({"a": 1, "z": 2}, schema, "keep") == ({"a": 1, "z": 2}, [])
    compiled = Schema(schema)
    coercer = Coercer(compiled.json, compiled.fits, "forbid")
    coercer.coerce({"a": 1, "z": 2})
    assert coercer.extras == ["z"]


def test_key_case():
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    assert run({"Name": "x"}, schema) == ({"name": "x"}, ["key_case"])


def test_union_takes_the_branch_that_fits_without_change():
    schema = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert run("12", schema) == ("12", [])
    assert run(12, schema) == (12, [])


def test_union_takes_the_branch_with_fewest_changes():
    schema = {"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "number"}}, "required": ["kind", "x"]},
        {"type": "object", "properties": {"kind": {"const": "b"}, "y": {"type": "string"}}, "required": ["kind", "y"]}]}
    out, kinds = run({"kind": "B", "y": 5}, schema)
    assert out == {"kind": "b", "y": "5"} and sorted(kinds) == ["enum_case", "string_from_number"]


def test_refs_from_pydantic_style_defs_are_followed():
    schema = {"$defs": {"Color": {"enum": ["RED", "BLUE"]}},
              "type": "object", "properties": {"color": {"$ref": "#/$defs/Color"}}}
    assert run({"color": "red"}, schema) == ({"color": "RED"}, ["enum_case"])


@pytest.mark.parametrize("value, schema", [
    ("ONE or TWO", ENUM),
    ("not ONE but TWO", ENUM),
    ("between 3 and 4", {"type": "integer"}),
])
def test_ambiguous_text_fails_rather_than_guesses(value, schema):
    with pytest.raises(Ambiguous):
        run(value, schema)


def test_a_value_named_inside_a_longer_one_is_not_ambiguous():
    assert run("it is in progress", {"enum": ["progress", "in progress"]})[0] == "in progress"


def test_unfixable_values_are_left_for_validation():
    assert run("twelve", {"type": "integer"}) == ("twelve", [])
    assert run("12.5", {"type": "integer"}) == ("12.5", [])
    assert run("maybe", {"type": "boolean"}) == ("maybe", [])
