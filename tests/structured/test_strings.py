"""Changing the strings inside a parsed value; reading and writing JSON string literals."""
from __future__ import annotations

import dataclasses
import json
from collections import namedtuple
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from guardlayer.structured import strings
from guardlayer.structured.strings import map_strings


class Inner(BaseModel):
    name: str
    tags: list[str]


class Outer(BaseModel):
    inner: Inner
    count: int


@dataclasses.dataclass(frozen=True)
class Pair:
    left: str
    right: Outer


Point = namedtuple("Point", "x label")


def test_every_string_is_changed_and_the_rest_kept() -> None:
    value = {"a": [Pair("x", Outer(inner=Inner(name="n", tags=["t"]), count=3)), Point(1, "p")],
             "k": ("y", None, 2.5)}
    out = map_strings(value, str.upper)
    assert out == {"A": [Pair("X", Outer(inner=Inner(name="N", tags=["T"]), count=3)), Point(1, "P")],
                   "K": ("Y", None, 2.5)}
    assert isinstance(out["A"][1], Point)
    assert value["a"][0].left == "x"  # a copy: the original is untouched


@settings(max_examples=80, deadline=None)
@given(value=st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(), inner, max_size=3), max_leaves=6),
       ascii_=st.booleans(), data=st.data())
def test_a_prefix_keeps_the_literals_of_the_whole(value: Any, ascii_: bool, data: st.DataObject) -> None:
    """A stream's prefix: whether a position is in a literal never changes as the text grows."""
    text = json.dumps(value, ensure_ascii=ascii_)
    whole = strings.json_literals(text)
    assert whole == [(a, b) for a, b, _ in strings.json_strings(text)]
    cut = data.draw(st.integers(0, len(text)))
    inside = {i for a, b in whole for i in range(a, b)}
    assert {i for a, b in strings.json_literals(text[:cut]) for i in range(a, b)} == {i for i in inside if i < cut}


def test_an_escape_the_end_cuts_runs_to_the_end() -> None:
    assert strings.json_escapes("a\\u00") == [(1, 5)]
    assert strings.json_escapes("\\ud83d\\ude00x\\") == [(0, 12), (13, 14)]
    assert strings.json_literals('{"a": "x\\u00') == [(2, 3), (7, 12)]


def test_escape_and_unescape_are_inverse_and_a_broken_piece_stays_as_written() -> None:
    for string in ['say "hi"\n', "C:\\dir", "\u00e9\U0001f600\x00\u2028"]:
        contents = strings.json_escape(string)
        assert json.loads(f'"{contents}"') == string == strings.json_unescape(contents)
    assert strings.json_unescape("x\\u00") == "x\\u00"
    assert strings.json_escape("a\ud800b") == "a\\ud800b"  # (UTF-8 cannot carry a lone surrogate)


def test_rewrite_gives_each_edit_where_it_was_and_where_it_is() -> None:
    assert strings.rewrite("ab cd ef", [(0, 2, "X"), (3, 5, "long")]) == ("X long ef", [(0, 2, 0, 1), (3, 5, 2, 6)])
    assert strings.rewrite("same", []) == ("same", [])
