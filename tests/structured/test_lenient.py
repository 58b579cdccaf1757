"""The fast reader of commonly broken JSON: concrete values and ends, what it declines, and (the
point) that wherever it reads a block its value is json-repair's on that block, on generated
breakage and fuzz."""
from __future__ import annotations

import json
from typing import Any

import json_repair
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardlayer.structured.lenient import read
from guardlayer.structured.repair import repair
from guardlayer.verdict import MISSING


@pytest.mark.parametrize(("text", "value"), [
    ("{'a': 'b', c: True, 'd': [1, 2,], /* note */ 'e': None}",
     {"a": "b", "c": True, "d": [1, 2], "e": None}),
    ('{"a": 1, // line\n "b": [false, null], # hash\n "c": "x // not a comment"}',
     {"a": 1, "b": [False, None], "c": "x // not a comment"}),
    ('{"s": "}{ ][ \'", \'t\': "it\'s", u: "say \\"hi\\""}', {"s": "}{ ][ '", "t": "it's", "u": 'say "hi"'}),
    ('{"items": [{"id": 1}, {"id": 2, "name": "cut off, mid-wo', {"items": [{"id": 1}, {"id": 2, "name": "cut off, mid-wo"}]}),
    ('{"a": [1, 2', {"a": [1, 2]}),
    ('["a", "b",  ', ["a", "b"]),
    ("[1.5e3, -0.25, 12]", [1500.0, -0.25, 12]),
    ("{true: 1, None:2}", {"true": 1, "None": 2}),
    ('{"a":1,"b":2, c: 3}', {"a": 1, "b": 2, "c": 3}),
    ('{"a": "\\tx\\ny\\"", b: 1,}', {"a": "\tx\ny\"", "b": 1}),
])
def test_common_breakage_is_read(text: str, value: Any) -> None:
    got, end, truncated = read(text)
    assert json.dumps(got) == json.dumps(value)
    assert end == len(text)
    assert truncated == (text.rstrip()[-1] not in "}]")


@pytest.mark.parametrize(("text", "begin", "block"), [
    ('{"a": 1} {"b": 2}', 0, ({"a": 1}, 8, False)),
    ('{"a": 1} {"b": 2}', 9, ({"b": 2}, 17, False)),
    ("{a: 1}, 'b': 2}", 0, ({"a": 1}, 6, False)),
    ("Sure: [1, 'two', None,] and more [", 6, ([1, "two", None], 23, False)),
    ('Cut: {"a": [1, {"b": "x y', 5, ({"a": [1, {"b": "x y"}]}, 25, True)),
])
def test_one_block_is_read_from_where_it_opens(text: str, begin: int, block: tuple) -> None:
    assert read(text, begin) == block


@pytest.mark.parametrize("text", [
    "[1 2]",                      # a missing comma
    "{'a': 'it's'}",              # an apostrophe inside single quotes
    "{_id: 1}",                   # json-repair drops the underscore
    "{a // note\n: 1}",           # json-repair reads a key and a comment as ""
    '{"a": 1, "b',                # cut off in a key
    '{"a": ',                     # cut off after a colon
    "[[",                         # cut off after an opener
    '{"a": "x,',                  # a cut-off string json-repair trims
    '[1, 2.',                     # a cut-off number
    "[tru",                       # a cut-off literal
    '{"a": "x" # ends at } in json-repair }',
    "[1 /* unclosed",
    "{/:0",                       # a lone slash
    '{"a": 1// c\n}',              # json-repair reads a number or literal and // as a string
    '{"a": 1,b: 2}',               # json-repair reads 1,b as the string "1"
    '{"a": 1,// c\n"b": 2}',       # ... and 1,// as "1,/"
    '{"a": "„quoted“"}',          # smart quotes
    '{"a": yes}',                 # a bare word that is no literal
    "[,1]",
    '"just a string"',
    '{"a": "x\\n", b: 1}',        # json-repair strips a string ending in a newline
    '{"a": "\\u00e9", b: 1}',       # escapes json-repair reads its own way
    '[{"a": "\\"["}]',             # an escape and a bracket: json-repair guesses
    '{"a": "[x]" // c\n}',         # a bracket in a string a comment follows: json-repair guesses
    "{'a': '[x]'}",               # a bracket in single quotes: json-repair guesses
    "",
])
def test_anything_else_is_declined(text: str) -> None:
    value, _, truncated = read(text)
    assert value is MISSING and not truncated


@pytest.mark.parametrize(("text", "stop"), [
    ("[1 2]", 2), ("{'a': 'it's'}", 10), ("[1, 2, {a: yes", 10), ("[[", 2)])
def test_a_declined_block_says_where_reading_stopped(text: str, stop: int) -> None:
    assert read(text)[:2] == (MISSING, stop)


def _same_as_json_repair(text: str) -> None:
    value, end, _ = read(text)
    if value is not MISSING:
        expected = json.dumps(json_repair.repair_json(text[:end], return_objects=True))
        assert json.dumps(value) == expected, text
        assert json.dumps(repair(" " + text[:end])) == expected, text


_TEXT = st.text(alphabet="ab é,:{}[]\"'\\/#*\n„“xy0", max_size=8)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False, width=32), _TEXT)
_VALUE = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(_TEXT, st.sampled_from(["id", "a_b", "k9"])),
                                                 inner, max_size=4)), max_leaves=8)
_GAP = st.sampled_from(["", " ", "\n  ", "\t", " // note\n", "// note\n", " /* c */ ", "/*c*/", " # c\n", "#c\n"])


@st.composite
def _broken(draw: st.DrawFn, value: Any) -> str:
    """``value`` written the way models break JSON, each choice drawn."""
    gap = lambda: draw(_GAP)
    if isinstance(value, dict):
        items = [f"{gap()}{_key(draw, k)}{gap()}:{gap()}{draw(_broken(v))}" for k, v in value.items()]
        return "{" + ",".join(items) + ("," if items and draw(st.booleans()) else "") + gap() + "}"
    if isinstance(value, list):
        items = [gap() + draw(_broken(v)) for v in value]
        return "[" + ",".join(items) + ("," if items and draw(st.booleans()) else "") + gap() + "]"
    if isinstance(value, str):
        return draw(st.sampled_from([json.dumps(value), json.dumps(value, ensure_ascii=False), f"'{value}'"]))
    if isinstance(value, bool) or value is None:
        return draw(st.sampled_from([json.dumps(value), repr(value)]))
    return json.dumps(value)


def _key(draw: st.DrawFn, key: str) -> str:
    return draw(st.sampled_from([json.dumps(key), f"'{key}'", key]))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_generated_breakage_reads_as_json_repair_reads_it(data: st.DataObject) -> None:
    value = data.draw(st.one_of(st.lists(_VALUE, max_size=4), st.dictionaries(_TEXT, _VALUE, max_size=4)))
    text = data.draw(_broken(value))
    cut = data.draw(st.integers(1, len(text)))
    _same_as_json_repair(text[:cut])


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from("{["), st.text(alphabet="{}[]:,\"'\\/#* \nabTrueNonl019.-é„“", max_size=30))
def test_fuzz_reads_as_json_repair_reads_it(opener: str, rest: str) -> None:
    _same_as_json_repair(opener + rest)


def test_generated_breakage_is_mostly_accepted() -> None:
    """The differential tests above mean something only if the reader accepts such text."""
    rows = [f"{{'id': {n}, name: 'item {n}', 'ok': {n % 2 == 0}, 'tags': ['a',], 'x': None}}, // row {n}"
            for n in range(50)]
    text = "[\n" + "\n".join(rows) + '\n{"id": 50, "name": "cut off'
    value, end, truncated = read(text)
    assert (end, truncated) == (len(text), True)
    assert len(value) == 51 and value[7] == {"id": 7, "name": "item 7", "ok": False, "tags": ["a"], "x": None}
    assert value[-1] == {"id": 50, "name": "cut off"}
    assert json.dumps(value) == json.dumps(json_repair.repair_json(text, return_objects=True))


def test_json_repair_is_the_version_the_reader_was_checked_against() -> None:
    """The reader copies json-repair's reading of the text it accepts, quirks included; a new
    json-repair may read some of it otherwise. On a new version: run the differential tests
    above with many more examples, fix the token rules, then widen this (and pyproject's pin)."""
    from importlib.metadata import version

    assert version("json-repair").split(".")[:2] == ["0", "64"]


def test_the_benchmark_answers_take_the_paths_they_measure() -> None:
    from guardlayer.bench.json import broken_answer, uncommon_answer

    common, uncommon = broken_answer(10_000), uncommon_answer(10_000)
    assert read(common, common.index("{"))[1:] == (len(common), True)
    assert read(uncommon, uncommon.index("{"))[0] is MISSING


def test_a_text_too_long_for_the_time_limit_is_left_to_json_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    from guardlayer.bench.json import broken_answer
    from guardlayer.structured import extract, lenient

    text = broken_answer(10_000)
    monkeypatch.setattr(lenient, "REGEX_TIMEOUT", 1e-9)
    assert read(text, text.index("{")) == (MISSING, len(text), False)
    [found] = extract.candidates(text)
    assert found.value == json_repair.repair_json(text, return_objects=True) and found.repaired and found.truncated
