"""Best partial parse of a streamed answer's prefixes."""
from guardlayer.guards.json_output import JsonGuard
from guardlayer.structured.partial import partial_parse
from guardlayer.verdict import MISSING

ANSWER = 'Sure!\n```json\n{"name": "Ada", "skills": ["math", "code"], "age": 36}\n```'


def test_nothing_before_json_starts():
    assert partial_parse("Sure!\n") is MISSING


def test_prefixes_grow_toward_the_final_value():
    seen = [partial_parse(ANSWER[:n]) for n in range(len(ANSWER) + 1)]
    dicts = [v for v in seen if isinstance(v, dict)]
    assert dicts[-1] == {"name": "Ada", "skills": ["math", "code"], "age": 36}
    assert {"name": "Ada"} in dicts or any(d.get("name") == "Ada" and "age" not in d for d in dicts)


def test_open_containers_are_closed():
    assert partial_parse('{"a": 1, "b": [2') == {"a": 1, "b": [2]}


def test_exposed_on_the_guard():
    assert JsonGuard.partial('[1, 2') == [1, 2]


def test_a_fence_inside_a_string_does_not_end_the_prefix():
    prefix = 'Sure!\n```json\n{"code": "```py\\nx = 1\\n```", "n": [1'
    assert partial_parse(prefix) == {"code": "```py\nx = 1\n```", "n": [1]}
