"""Extraction forms: plain, fences, prose, several blocks, bare scalar, truncated, tuples."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardlayer.structured.extract import candidates
from guardlayer.verdict import MISSING

F = "```"


def values(text: str) -> list:
    return [c.value for c in candidates(text)]


def test_plain_json_takes_the_fast_path():
    [found] = candidates('  {"a": [1, 2]}\n')
    assert (found.value, found.form, found.repaired) == ({"a": [1, 2]}, "plain", False)


def test_json_fence_backtick_and_tilde():
    assert values(f'text\n{F}json\n{{"a": 1}}\n{F}\nmore') == [{"a": 1}]
    assert values(f'{F}\n[1, 2]\n{F}') == [[1, 2]]
    assert values('~~~json\n{"t": true}\n~~~') == [{"t": True}]
    assert candidates(f'{F}json\n{{"a": 1}}\n{F}')[0].form == "fenced"


def test_fence_in_another_language_is_not_json():
    assert values(f'{F}python\nx = {{"a": 1}}\n{F}\n{F}json\n{{"b": 2}}\n{F}') == [{"b": 2}]


def test_prose_before_and_after():
    [found] = candidates('Here is the result: {"a": 1}. Hope it helps!')
    assert found.value == {"a": 1} and found.form == "prose"


def test_several_blocks_are_all_returned_in_order():
    assert values('first {"a": 1} then [2, 3] and {"b": 4}') == [{"a": 1}, [2, 3], {"b": 4}]


def test_brackets_inside_strings_do_not_split_blocks():
    assert values('x {"s": "}{ ][", \'t\': \'it\\\'s }\'} y') == [{"s": "}{ ][", "t": "it's }"}]


def test_bare_scalar_and_scalar_after_a_marker():
    assert values("42") == [42]
    assert values("Here is the result: 42.") == [42]
    assert values('Answer: "yes"') == ["yes"]


def test_truncated_output_is_closed_and_marked():
    [found] = candidates('Sure: {"a": 1, "b": [1, 2')
    assert found.value == {"a": 1, "b": [1, 2]}
    assert found.truncated and found.repaired


def test_unclosed_fence_is_a_cut_off_answer():
    assert values(f'{F}json\n{{"tags": ["x", "y"') == [{"tags": ["x", "y"]}]


def test_repairs_common_breakage():
    assert values("{'a': 'b', c: True, 'd': [1, 2,], /* note */ 'e': None}") == [
        {"a": "b", "c": True, "d": [1, 2], "e": None}]


def test_prose_in_brackets_is_not_repaired_into_a_value():
    assert values("See [the appendix] and {name} for details.") == []


def test_python_tuple_becomes_a_list():
    assert values("(1, 2)") == [[1, 2]]


def test_no_json_at_all():
    assert values("I cannot help with that.") == []


def test_repair_can_be_refused():
    assert candidates("{'a': 1}", allow_repair=False) == []


def test_a_fence_inside_a_json_string_does_not_close_the_block():
    inner = '{"explanation": "Use this:\\n```python\\nprint(1)\\n```\\nThen run it.", "score": 3}'
    [found] = candidates(f"Here is the answer:\n{F}json\n{inner}\n{F}")
    assert found.value == {"explanation": "Use this:\n```python\nprint(1)\n```\nThen run it.", "score": 3}
    assert (found.form, found.repaired, found.truncated) == ("fenced", False, False)
    assert values(f'{F}json\n{{"code": "use {F}x{F} here"}}\n{F}') == [{"code": f"use {F}x{F} here"}]


def test_a_closing_fence_is_at_least_as_long_as_the_opening_one():
    assert values(f'`{F}json\n{{"a": "{F}"}}\n`{F}') == [{"a": F}]
    assert values('~~~~json\n{"a": 1}\n~~~\n{"b": 2}\n~~~~') == [{"a": 1}, {"b": 2}]


def test_a_fence_in_the_middle_of_a_line_neither_opens_nor_closes():
    # only "```" alone on its line closes the block (CommonMark), so the block is whole
    assert values(f'{F}json\n{{"a": 1,\n "b": "x"}} {F}\n{F}') == [{"a": 1, "b": "x"}]
    assert values(f'Note {{"s": "{F}json [9]"}}') == [{"s": f"{F}json [9]"}]


def test_loads_refuses_what_json_has_not():
    from guardlayer.structured.extract import loads
    from guardlayer.structured.repair import Unreadable
    assert loads(' {"a": [1.5, "NaN"]} ') == {"a": [1.5, "NaN"]}
    for text in ("NaN", '{"a": Infinity}', "[-Infinity]"):
        with pytest.raises(Unreadable, match="is not a JSON value"):
            loads(text)


def test_a_json_fence_opened_at_the_end_of_a_line_of_prose_is_a_fence() -> None:
    text = 'The format is {"name": string}. Here: ```json\n{"name": "Bob"}\n```'
    assert [c.value for c in candidates(text) if c.form == "fenced"] == [{"name": "Bob"}]


def test_a_fence_inside_a_string_on_its_line_opens_nothing() -> None:
    text = 'Answer:\n{"doc": "Example: ```json\n{\\"x\\": 1}\n```", "n": 2}'  # (a raw line break in the string)
    assert values(text) == [{"doc": 'Example: ```json\n{"x": 1}\n```', "n": 2}]


def test_a_block_of_too_many_brackets_is_refused_with_a_reason():
    from guardlayer.structured.repair import Unreadable
    with pytest.raises(Unreadable):  # (too many to count in time, or nested too deeply to repair)
        candidates("[{" * 49_500)


@given(st.text(alphabet="[]{}\"' a1,:\\", max_size=40))
def test_the_bracket_count_skips_an_inner_pair_as_it_would_count_it(rest: str) -> None:
    from guardlayer.structured.extract import _span
    from guardlayer.structured.repair import INSIDE
    text = "[" + rest
    (begin, end, truncated, value, _), _ = _span(text, 0, len(text) + 1)  # (no lenient reading)
    if value is not MISSING:
        return  # read by the decoder
    depth = 0
    expected = (len(text), True)
    for token in INSIDE.finditer(text):
        if not token.group(1):
            break
        depth += 1 if token.group(1) in "[{" else -1
        if depth == 0:
            expected = (token.end(), False)
            break
    assert (end, truncated) == expected
