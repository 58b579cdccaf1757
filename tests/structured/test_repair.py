import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardlayer.structured.repair import (
    INSIDE,
    MAX_CHARS,
    MAX_DEPTH,
    Unreadable,
    repair,
    too_deep,
)
from guardlayer.verdict import MISSING


def test_nothing_found_is_missing_not_an_empty_string():
    assert repair("just words") is MISSING


def test_a_real_empty_string_is_kept():
    assert repair('""') == ""


def test_repairs_syntax():
    assert repair('{"a": 1,}') == {"a": 1}


def test_nesting_is_counted_outside_strings():
    assert not too_deep("[" * MAX_DEPTH)
    assert too_deep("[" * (MAX_DEPTH + 1))
    assert not too_deep('{"a": "' + "[" * (MAX_DEPTH + 1) + '"}')
    assert not too_deep(("[" * MAX_DEPTH + "]" * MAX_DEPTH) * 3)


# '["' and "{'" nest once per two: the second character opens a string the next one closes
@pytest.mark.parametrize("text", ['["' * (2 * MAX_DEPTH + 4), "{'" * (2 * MAX_DEPTH + 4), "[1," * (MAX_DEPTH + 1)])
def test_a_text_nested_too_deeply_is_not_repaired(text: str) -> None:
    with pytest.raises(Unreadable, match=f"more than {MAX_DEPTH} levels"):
        repair(text)


def test_a_text_too_long_is_not_repaired():
    with pytest.raises(Unreadable, match="characters long"):
        repair('{"a": "' + "x" * MAX_CHARS + '", b: }')


@given(st.text(alphabet="[]{}\"' a,:\\", max_size=60), st.integers(0, 3))
def test_the_depth_is_counted_as_the_bracket_scan_counts_it(rest: str, deep: int) -> None:
    text = "[" * (MAX_DEPTH - 1 + deep) + rest
    depth = peak = 0
    for token in INSIDE.finditer(text):
        if token.group(1):
            depth = depth + 1 if token.group(1) in "[{" else max(depth - 1, 0)
            peak = max(peak, depth)
    assert too_deep(text) == (peak > MAX_DEPTH)
