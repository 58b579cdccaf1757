from guardlayer.structured.repair import repair
from guardlayer.verdict import MISSING


def test_nothing_found_is_missing_not_an_empty_string():
    assert repair("just words") is MISSING


def test_a_real_empty_string_is_kept():
    assert repair('""') == ""


def test_repairs_syntax():
    assert repair('{"a": 1,}') == {"a": 1}
