"""The extraction shortcuts give what the plain way gives: the block scanner (alternatives
reordered) finds the same brackets as the straightforward pattern, the decoder and the lenient
reader end blocks where the bracket count does, and a block repaired with a leading space
repairs to what json-repair makes of the block alone. Then each reader's path, by example."""
from __future__ import annotations

import json

import json_repair
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from guardlayer.structured import extract
from guardlayer.structured.extract import _span, candidates
from guardlayer.structured.repair import INSIDE as _INSIDE

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


def _counted(text: str, begin: int) -> tuple[int, bool]:
    """The block's end by the straightforward bracket count (end, truncated)."""
    depth = 0
    for token in _INSIDE.finditer(text, begin):
        if not token.group(1):
            break
        depth += 1 if token.group(1) in "{[" else -1
        if depth == 0:
            return token.end(), False
    return len(text), True


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="{}[]\"':, ab1\n", max_size=40))
def test_fast_readers_end_blocks_where_the_bracket_count_does(text: str) -> None:
    # Without comments, where the readers may know better, every reader agrees on the end.
    text = "x " + text
    for begin in [i for i, c in enumerate(text) if c in "{["]:
        assert _span(text, begin, 0)[0][1:3] == _counted(text, begin), (text, begin)


def _found(text: str) -> list[tuple]:
    return [(c.value, c.form, c.start, c.end, c.repaired, c.truncated) for c in candidates(text)]


def test_valid_block_in_prose_is_read_by_the_decoder() -> None:
    assert _found('Result: {"a": [1, "x]"]} done') == [({"a": [1, "x]"]}, "prose", 8, 24, False, False)]


def test_commonly_broken_block_in_prose_is_read_without_json_repair() -> None:
    assert _found("Here: {'a': 1, b: [True,]} thanks") == [({"a": 1, "b": [True]}, "prose", 6, 26, True, False)]
    assert _found("x {'s': 'a b', t: \"]}[{\"} y") == [({"s": "a b", "t": "]}[{"}, "prose", 2, 25, True, False)]


def test_cut_off_block_is_closed_and_marked() -> None:
    assert _found('Sure: {"a": [1, {"b": "cut mid-wo') == [
        ({"a": [1, {"b": "cut mid-wo"}]}, "prose", 6, 33, True, True)]
    assert _found("[1, 2] and [3, 4") == [([1, 2], "prose", 0, 6, False, False), ([3, 4], "prose", 11, 16, True, True)]


def test_several_blocks_each_by_the_reader_it_needs() -> None:
    # valid JSON, a common breakage, and a missing comma only json-repair mends
    assert _found('a {"x": 1} b {y: 2} c {"z": 3 "w": 4}') == [
        ({"x": 1}, "prose", 2, 10, False, False), ({"y": 2}, "prose", 13, 19, True, False),
        ({"z": 3, "w": 4}, "prose", 22, 37, True, False)]


def test_stray_closer_makes_one_value_of_the_blocks() -> None:
    assert _found('{"a": 1}, "b": 2}') == [({"a": 1, "b": 2}, "prose", 0, 17, True, False)]
    assert _found("{'a': 1}, 'b': 2}") == [({"a": 1, "b": 2}, "prose", 0, 17, True, False)]


def test_bracket_in_a_comment_does_not_end_the_block() -> None:
    assert _found('Note {"a": 1, // see [x\n "b": 2} end') == [({"a": 1, "b": 2}, "prose", 5, 32, True, False)]


def test_fenced_broken_block() -> None:
    assert _found("```json\n{'a': 1, // c\n}\n```") == [({"a": 1}, "fenced", 8, 23, True, False)]


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                     max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_JSON), st.dictionaries(st.text(max_size=4), _JSON)), st.data())
def test_the_decoder_window_reads_what_the_whole_text_reads(value: object, data: st.DataObject) -> None:
    text = "x " + json.dumps(value)
    if data.draw(st.booleans()):  # a breakage somewhere, or a cut
        at = data.draw(st.integers(3, len(text)))
        text = text[:at] + data.draw(st.sampled_from(["", "'", "x", "\\", '"', "}", "tr"]))
    try:
        whole: object = json.JSONDecoder().raw_decode(text, 2)
    except ValueError:
        whole = None
    saved = extract._WINDOW
    try:
        for size in (1, 2, 3, 5, 8, 17):
            extract._WINDOW = size
            assert repr(extract._decode(text, 2)) == repr(whole), (text, size)
    finally:
        extract._WINDOW = saved
