import pytest

from guardlayer.structured.extract import candidates
from guardlayer.structured.repair import (
    BULK,
    MIN_READS,
    READS_PER_CHAR,
    READS_PER_STEP,
    Budget,
    Counted,
    Unreadable,
    repair,
)

# Flat shapes on which json-repair is quadratic (12 KB of the first: 16 s with no budget)
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


@pytest.mark.parametrize("text", COSTLY.values(), ids=COSTLY.keys())
def test_a_quadratic_shape_is_refused_after_a_few_passes_over_the_text(text: str) -> None:
    # its parser hardly moves while it re-reads the rest of the text at every quote: refused
    # once the reads outrun the progress, not after 50 reads per character
    budget = Budget(len(text))
    with pytest.raises(Unreadable):
        repair(text, budget=budget)
    assert budget.spent <= MIN_READS + (READS_PER_CHAR + 1) * len(text)


def test_long_ordinary_broken_json_is_still_repaired():
    items = [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(800)]
    text = str(items).replace("]}", "],}")  # Python quotes and trailing commas, about 40 KB
    assert len(text) * READS_PER_CHAR > MIN_READS
    assert repair(text) == items


def test_short_texts_get_the_floor():
    assert repair("['a', 'b'") == ["a", "b"]


def test_the_blocks_of_one_answer_share_its_budget():
    # each block alone is repaired within its own budget; together they cost more than the answer
    block = "[" + '"a ' * 60 + "] "
    assert repair(" " + block) is not None
    with pytest.raises(Unreadable, match="too costly to repair"):
        candidates("Here they are: " + block * 400)


class Parser:
    """What `Budget` reads of json-repair's parser: where it is."""

    def __init__(self, index: int) -> None:
        self.index = index


def test_reads_beyond_the_start_are_earned_by_the_parsers_progress():
    budget = Budget(0)
    budget.parser = Parser(0)
    budget.charge(MIN_READS)
    with pytest.raises(Unreadable, match="too costly"):
        budget.charge(1)
    budget = Budget(0)
    budget.parser = Parser(10)
    budget.charge(MIN_READS + READS_PER_STEP * 10)
    assert budget.spent == MIN_READS + READS_PER_STEP * 10
    with pytest.raises(Unreadable):
        budget.charge(1)


def test_an_index_costs_a_read_a_slice_and_a_find_one_per_bulk_of_characters():
    budget = Budget(0)
    text = Counted("abcdef" * BULK, budget)
    assert text[0] + text[1] == "ab"
    assert budget.spent == 2
    assert text[1:1 + 2 * BULK] == ("bcdefa" * BULK)[:2 * BULK]
    assert budget.spent == 2 + 3
    assert text.find("z") == -1
    assert budget.spent == 2 + 3 + 1 + 6


def test_a_rebuilt_text_keeps_the_count():
    budget = Budget(0)
    text = Counted("abcdef", budget)
    rebuilt = text[:2] + "{" + text[2:]
    assert rebuilt == "ab{cdef"
    assert isinstance(rebuilt, Counted) and rebuilt.budget is budget
    rebuilt[0]
    assert budget.spent == 1 + 1 + 1


def test_repaired_values_are_plain_strings():
    value = repair("{'key': 'value'")
    assert value == {"key": "value"}
    assert all(type(s) is str for s in (*value, *value.values()))
