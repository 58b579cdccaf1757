"""Changing the strings inside a parsed value."""
from __future__ import annotations

import dataclasses
from collections import namedtuple

from pydantic import BaseModel

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
