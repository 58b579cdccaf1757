"""The schema guard: validates ctx.value (draft 2020-12 or pydantic), extracts when missing."""
from pydantic import BaseModel

from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.schema import SchemaGuard
from guardlayer.verdict import MISSING

ORDER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "lines": {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
        "qty": {"type": "integer", "minimum": 1},
    },
    "required": ["id", "qty"],
    "unevaluatedProperties": False,
}


class Point(BaseModel):
    x: int
    y: int


def ctx_with(value=MISSING):
    return Context(side="output", source="output", value=value)


def test_validates_the_value_an_earlier_guard_parsed():
    ctx = ctx_with()
    first = JsonGuard().check("Result: {'x': 1, 'y': '2'}", ctx)
    ctx.value = first.value  # what the chain does between guards
    verdict = SchemaGuard(Point).check("ignored text", ctx)
    assert verdict.passed and verdict.value == Point(x=1, y=2)


def test_extracts_itself_when_nothing_was_parsed():
    verdict = SchemaGuard(Point).check('```json\n{"x": 3, "y": 4}\n```', ctx_with())
    assert verdict.passed and verdict.value == Point(x=3, y=4)


def test_accepts_a_model_instance_from_an_earlier_guard():
    verdict = SchemaGuard({"type": "object", "required": ["x"]}).check("", ctx_with(Point(x=1, y=2)))
    assert verdict.passed and verdict.value == {"x": 1, "y": 2}


def test_draft_2020_12_keywords_are_enforced():
    guard = SchemaGuard(ORDER, extra="keep")
    assert guard.check("", ctx_with({"id": "a", "qty": 1, "lines": ["head", 1, 2]})).passed
    bad_prefix = guard.check("", ctx_with({"id": "a", "qty": 1, "lines": [{"n": 1}, 2]}))
    assert not bad_prefix.passed and "field `lines[0]`" in bad_prefix.reason
    extra = guard.check("", ctx_with({"id": "a", "qty": 1, "note": "x"}))
    assert not extra.passed and "`note`" in extra.reason


def test_reason_for_missing_and_out_of_range_fields():
    verdict = SchemaGuard(ORDER).check("", ctx_with({"qty": 0}))
    assert not verdict.passed
    assert "missing required field `id`" in verdict.reason
    assert "field `qty`" in verdict.reason and "minimum 1" in verdict.reason and "got 0" in verdict.reason


def test_pydantic_errors_are_reported_by_field():
    class Strictish(BaseModel):
        when: int

        @classmethod
        def model_json_schema(cls, *args, **kwargs):
            return {"type": "object"}  # let pydantic itself find the problem

    verdict = SchemaGuard(Strictish).check("", ctx_with({"when": "soon"}))
    assert not verdict.passed and "field `when`" in verdict.reason and 'got "…" (string)' in verdict.reason


def test_strict_refuses_what_lenient_coerces():
    assert SchemaGuard(Point).check("", ctx_with({"x": "1", "y": 2})).passed
    strict = SchemaGuard(Point, strict=True).check("", ctx_with({"x": "1", "y": 2}))
    assert not strict.passed and "field `x`" in strict.reason


def test_coerced_value_is_written_back_as_text():
    verdict = SchemaGuard(Point).check("", ctx_with({"x": "1", "y": 2}))
    assert verdict.fixed == '{"x":1,"y":2}'


def test_a_reason_quotes_no_string_of_the_answer() -> None:
    # after the pii guard, strings are the originals put back: a name must not reach the log
    # or the re-ask; the schema's own words (its enum) are still quoted
    schema = {"type": "object", "properties": {"age": {"type": "integer"},
                                               "tier": {"enum": ["gold", "silver"]},
                                               "tags": {"type": "array", "items": {"type": "integer"}}}}
    ctx = Context()
    ctx.value = {"age": "John Smith", "tier": "Jane \"JJ\" Doe", "tags": ["Ann Lee"]}
    verdict = SchemaGuard(schema).check("{}", ctx)
    assert not verdict.passed
    logged = verdict.reason + str(verdict.to_dict())
    assert not any(name in logged for name in ("John Smith", "Jane", "Doe", "Ann Lee"))
    assert 'got "…" (string)' in verdict.reason and '"gold", "silver"' in verdict.reason
    assert "field `age`" in verdict.reason and "tags[0]" in verdict.reason


def test_a_reason_on_extracted_json_quotes_no_string_of_it() -> None:
    verdict = SchemaGuard({"type": "object", "properties": {"age": {"type": "integer"}}}).check(
        '{"age": "Maria Garcia"}', Context())
    assert not verdict.passed and "Maria Garcia" not in verdict.reason + str(verdict.to_dict())
