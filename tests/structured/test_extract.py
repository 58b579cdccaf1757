"""Extraction forms: plain, fences, prose, several blocks, bare scalar, truncated, tuples."""
from guardlayer.structured.extract import candidates

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
