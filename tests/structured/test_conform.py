"""The pipeline's failures: what cannot be read fails with a reason, never raises."""
from guardlayer.structured.conform import Options, conform, parse
from guardlayer.structured.lenient import read
from guardlayer.structured.partial import partial_parse
from guardlayer.structured.repair import MAX_DEPTH
from guardlayer.structured.schema import Schema
from guardlayer.verdict import MISSING

_LIST = Schema({"type": "array"})


def test_broken_json_nested_too_deeply_fails_with_a_reason():
    for text in ('["' * 2 * (MAX_DEPTH + 50), "Here: " + "{'" * 2 * (MAX_DEPTH + 50), "[1," * (MAX_DEPTH + 50)):
        for schema in (None, _LIST):
            outcome = parse(text, schema)
            assert not outcome.ok and f"more than {MAX_DEPTH} levels" in outcome.reason, (text[:9], schema)


def test_valid_json_nested_deeply_is_still_read():
    text = "[" * (MAX_DEPTH + 100) + "]" * (MAX_DEPTH + 100)
    outcome = parse(text, None)
    assert outcome.ok and outcome.value == text_value(MAX_DEPTH + 100)


def text_value(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_json_too_deep_for_python_fails_with_a_reason_instead_of_raising():
    text = "[" * 100_000 + "]" * 100_000
    for schema in (None, _LIST):
        outcome = parse(text, schema)
        assert not outcome.ok and "nested too deeply" in outcome.reason
    deep = text_value(5_000)
    outcome = conform(deep, Schema({"type": "array", "items": {"$ref": "#"}}), Options())
    assert not outcome.ok and "nested too deeply" in outcome.reason


def test_the_fast_reader_declines_beyond_the_depth_limit():
    assert read("[1," * MAX_DEPTH)[0] is not MISSING
    assert read("[1," * (MAX_DEPTH + 1))[0] is MISSING


def test_a_streamed_prefix_too_deep_to_repair_has_no_partial_value():
    assert partial_parse('["' * 2 * (MAX_DEPTH + 1)) is MISSING


_REFUND = Schema({"type": "object", "properties": {"refund": {"type": "number", "minimum": 0, "maximum": 100}},
                  "required": ["refund"]})


def test_nan_and_infinity_are_not_json_in_any_parse_path():
    answers = ['{"refund": NaN}', 'Sure: {"refund": Infinity} done', '```json\n{"refund": -Infinity}\n```',
               "{'refund': NaN, 'note': 'x',}", '{"refund": NaN, b: 1,}', "[1, 2, -Infinity", "-Infinity"]
    for text in answers:
        for schema in (None, _REFUND):
            outcome = parse(text, schema)
            assert not outcome.ok and "is not a JSON value" in outcome.reason, (text, schema)
        assert partial_parse(text) is MISSING, text


def test_nan_inside_a_string_is_text():
    for text in ('{"refund": 5, "note": "NaN"}', "{'refund': 5, 'note': 'not NaN or Infinity',}"):
        outcome = parse(text, _REFUND)
        assert outcome.ok and outcome.value["refund"] == 5, text


_ORDER = Schema({"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
    "type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}}}})


def test_strict_refuses_an_answer_cut_off_before_its_json_closes():
    for text in ('{"items": [{"sku": "A-1"}, {"sku": "B-2"}', 'Sure:\n```json\n{"items": [{"sku": "A-1"},'):
        for schema in (None, _ORDER):
            lenient = parse(text, schema)
            assert lenient.ok and lenient.source.truncated, (text, schema)
            strict = parse(text, schema, Options(strict=True))
            assert not strict.ok and "Strict mode: the JSON is incomplete" in strict.reason, (text, schema)
            assert strict.meta["truncated"] is True


def test_strict_takes_a_complete_answer():
    assert parse('Here: {"items": [{"sku": "A-1"}]}', _ORDER, Options(strict=True)).ok


def test_repeated_values_count_once_and_many_are_told_apart_in_linear_time():
    from guardlayer.structured.conform import _distinct

    assert _distinct([[1], [1.0], {"a": [1]}, {"a": [True]}, [2], 1, 1.0, "1"]) == [[1], {"a": [1]}, [2], 1, 1.0, "1"]
    calls = 0

    class Counted(list):
        def __eq__(self, other):
            nonlocal calls
            calls += 1
            return list.__eq__(self, other)

    distinct = _distinct([Counted([i]) for i in range(2000)])
    assert len(distinct) == 2000 and calls == 0  # (all compared with all: 2 million comparisons)
