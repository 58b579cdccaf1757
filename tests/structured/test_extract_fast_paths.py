"""The extraction shortcuts give what the plain way gives: the block scanner (alternatives
reordered) finds the same brackets as the straightforward pattern, and a block repaired with a
leading space repairs to what json-repair makes of the block alone."""
from __future__ import annotations

import json_repair
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from guardlayer.structured.extract import _INSIDE, candidates

# The scanner as first written: lookbehind before the quote, alternatives in reading order.
_PLAIN = regex.compile(r"""(?:"(?:[^"\\]++|\\.)*+"|(?<=[{\[,:]\s*)'(?:[^'\\]++|\\.)*+'"""
                       r"""|[^{}\[\]"']++|["'])*+([{}\[\]]|\Z)""", regex.S)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="{}[]\"'\\:, ab\n", max_size=40))
def test_scanner_finds_the_same_brackets(text: str) -> None:
    assert [m.span(1) for m in _INSIDE.finditer(text)] == [m.span(1) for m in _PLAIN.finditer(text)]


BROKEN = [
    "{'a': 1, b: [1, 2,], // note\n 'c': None}",
    '{"items": [{"id": 1, "name": "x"}, {"id": 2, "name": "cut off mid-wo',
    "[1, 2, 3,]",
    '{"a": "x", "b": } trailing words',
    "{name: 'it''s', ok: True}",
    '{"nested": {"deep": [1, {"k": \'v\'}]}, "n": 12,}',
]


def test_repaired_blocks_match_json_repair_on_the_block() -> None:
    for raw in BROKEN:
        found = candidates("Here you go:\n" + raw)
        assert found, raw
        block = found[0]
        assert block.repaired, raw
        assert block.value == json_repair.repair_json(("Here you go:\n" + raw)[block.start:block.end],
                                                      return_objects=True), raw
