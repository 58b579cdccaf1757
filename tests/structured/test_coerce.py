"""Each coercion kind, recorded; ambiguity raises."""
import pytest

from guardlayer.structured.coerce import Ambiguous, Coercer
from guardlayer.structured.conform import parse
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
    ("10-20", {"type": "number"}),
    ("5 apples and 5 pears", {"type": "integer"}),
])
def test_ambiguous_text_fails_rather_than_guesses(value, schema):
    with pytest.raises(Ambiguous):
        run(value, schema)


PRIORITY = {"enum": ["low", "medium", "high"]}


@pytest.mark.parametrize("value, schema, words", [
    ("not high", PRIORITY, "negates 'high'"),
    ("non-urgent", {"enum": ["urgent", "routine"]}, "negates 'urgent'"),
    ("non-high", PRIORITY, "negates 'high'"),
    ("it isn’t high", PRIORITY, "negates 'high'"),
    ("never HIGH", PRIORITY, "negates 'high'"),
    ("(100)", {"type": "number"}, "parentheses"),
    ("($1,200.50)", {"type": "number"}, "parentheses"),
    ("(100 USD)", {"type": "number"}, "parentheses"),
    ("minus 5", {"type": "integer"}, "sign"),
    ("\u22125", {"type": "number"}, "sign"),
    ("12%", {"type": "number"}, "percentage"),
    ("12 per cent", {"type": "integer"}, "percentage"),
    ("5 million", {"type": "integer"}, "scaled"),
    ("3.5 bn", {"type": "number"}, "scaled"),
    ("over 5", {"type": "integer"}, "bound"),
    ("at least 5", {"type": "integer"}, "bound"),
    ("5+", {"type": "integer"}, "bound"),
    ("5 or more", {"type": "integer"}, "bound"),
    ("not 5", {"type": "integer"}, "negates the number"),
    ("1,500", {"type": "number"}, "decimal comma"),
    ("1,500", {"type": "integer"}, "decimal comma"),
    ("about 1,500 users", {"type": "integer"}, "decimal comma"),
    ("(100)", {"enum": [100, -100]}, "parentheses"),
])
def test_meaning_changing_text_is_refused(value, schema, words):
    with pytest.raises(Ambiguous, match=words):
        run(value, schema)


@pytest.mark.parametrize("value, schema, expected", [
    ("high, no doubt", PRIORITY, "high"),
    ("I would say no", {"enum": ["yes", "no"]}, "no"),
    ("it has not started yet", {"enum": ["started", "not_started"]}, "not_started"),
    ("roughly 5 units", {"type": "integer"}, 5),
    ("5 mins", {"type": "integer"}, 5),
    ("No. of users: 40", {"type": "integer"}, 40),
    ("1,234,567", {"type": "integer"}, 1234567),
])
def test_plain_readings_still_coerce(value, schema, expected):
    assert run(value, schema)[0] == expected


def test_a_value_named_inside_a_longer_one_is_not_ambiguous():
    assert run("it is in progress", {"enum": ["progress", "in progress"]})[0] == "in progress"


def test_unfixable_values_are_left_for_validation():
    assert run("twelve", {"type": "integer"}) == ("twelve", [])
    assert run("12.5", {"type": "integer"}) == ("12.5", [])
    assert run("maybe", {"type": "boolean"}) == ("maybe", [])
    assert run("5k", {"type": "number"}) == ("5k", [])
    assert run("1,5", {"type": "number"}) == ("1,5", [])
    assert run("--5", {"type": "number"}) == ("--5", [])


@pytest.mark.parametrize("text, field", [
    ('{"priority": "not high", "amount": 1}', "priority"),
    ('{"priority": "low", "amount": "(100)"}', "amount"),
    ('{"priority": "low", "amount": "12%"}', "amount"),
])
def test_a_refused_field_fails_the_answer_and_names_the_field(text, field):
    schema = Schema({"type": "object", "required": ["priority", "amount"],
                     "properties": {"priority": PRIORITY, "amount": {"type": "number"}}})
    outcome = parse(text, schema)
    assert not outcome.ok and f"field `{field}`" in "; ".join(outcome.problems)


def test_a_refused_union_branch_is_not_taken():
    schema = {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert run("(100)", schema) == ("(100)", [])
