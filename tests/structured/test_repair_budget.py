import pytest

from guardlayer.structured.repair import (
    MIN_READS,
    READS_PER_CHAR,
    Counted,
    Unreadable,
    repair,
)

# Flat shapes on which json-repair is quadratic (12 KB of the first: 16 s before the budget)
COSTLY = {
    "unclosed single quotes": "[" + "'a " * 4_000,
    "unclosed double quotes": "[" + '"a ' * 4_000,
    "mixed quotes": "[" + "'a\" " * 3_000,
    "after a rewritten duplicate key": '[{"a": 1, "a": 2}, ' + "'a " * 4_000,
}


@pytest.mark.parametrize("text", COSTLY.values(), ids=COSTLY.keys())
def test_a_text_too_costly_to_repair_is_refused(text: str) -> None:
    with pytest.raises(Unreadable, match="too costly to repair"):
        repair(text)


def test_long_ordinary_broken_json_is_still_repaired():
    items = [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(800)]
    text = str(items).replace("]}", "],}")  # Python quotes and trailing commas, about 40 KB
    assert len(text) * READS_PER_CHAR > MIN_READS
    assert repair(text) == items


def test_short_texts_get_the_floor():
    assert repair("['a', 'b'") == ["a", "b"]


def test_reads_are_counted_until_the_budget():
    text = Counted("abcdef", 3)
    assert text[0] + text[1] + text[2] == "abc"
    with pytest.raises(Unreadable):
        text[3]


def test_a_slice_costs_its_length_and_a_find_what_it_passes():
    text = Counted("abcdef", 100)
    assert text[1:4] == "bcd"
    assert text.left == [100 - 4]
    assert text.find("e", 1) == 4
    assert text.left == [100 - 8]
    assert text.find("z") == -1
    assert text.left == [100 - 15]


def test_a_rebuilt_text_keeps_the_count():
    text = Counted("abcdef", 100)
    rebuilt = text[:2] + "{" + text[2:]
    assert rebuilt == "ab{cdef"
    assert isinstance(rebuilt, Counted)
    rebuilt[0]
    assert text.left == rebuilt.left == [100 - (3 + 5 + 1)]


def test_repaired_values_are_plain_strings():
    value = repair("{'key': 'value'")
    assert value == {"key": "value"}
    assert all(type(s) is str for s in (*value, *value.values()))
