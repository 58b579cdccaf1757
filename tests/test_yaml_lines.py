"""YAML that remembers lines: what rule and policy files may not contain is a RuleFileError
that names the file and the line, never a raw Python error."""
from __future__ import annotations

import time

import pytest

from guardlayer.errors import RuleFileError
from guardlayer.yaml_lines import load

LAUGHS = "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
                 for p, n in zip(["", "a", "b", "c", "d", "e"], "abcdef"))  # 9 ** 6 values expanded


def refused(tmp_path, text: str) -> RuleFileError:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as info:
        load(path)
    assert info.value.file == str(path)
    return info.value


@pytest.mark.parametrize("text, field, words", [
    ("input: &x\n  - guard: injection\n  - *x\n", "input[1]", "a cycle"),
    (LAUGHS, "f", "more than 100,000 values once aliases are expanded"),  # billion laughs
])
def test_aliases_that_cycle_or_expand_too_far_are_refused(tmp_path, text, field, words):
    start = time.perf_counter()
    err = refused(tmp_path, text)
    assert err.field.startswith(field) and words in err.message and err.line is not None
    assert time.perf_counter() - start < 5  # (it took 16 s and 135 MB when it expanded them all)


def test_aliases_of_collections_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {guard: deny}\ninput:\n  - *b\noutput:\n  - *b\n")
    data, _ = load(path)
    assert data["input"] == data["output"] == [{"guard": "deny"}]


def test_aliases_of_scalars_still_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("a: &w hello\nb: [*w, *w]\n")
    data, lines = load(path)
    assert data == {"a": "hello", "b": ["hello", "hello"]} and lines[("b", 1)] == 2


@pytest.mark.parametrize("key, shown", [("1", "1"), ("yes", "True"), ("~", "None"), ("2.5", "2.5"),
                                         ("[a, b]", "['a', 'b']")])
def test_keys_must_be_strings(tmp_path, key, shown):
    text = f"input:\n  - guard: injection\n    {'? ' + key + chr(10) + '    : 2' if key.startswith('[') else key + ': 2'}\n"
    err = refused(tmp_path, text)
    assert err.line == 3 and err.field == "input[0]"
    assert shown in err.message and "quote" in err.message


def test_deep_nesting_is_an_error_not_a_recursion_error(tmp_path):
    err = refused(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert err.line == 1 and "deep" in err.message


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(RuleFileError, match="not UTF-8") as info:
        load(path)
    assert info.value.file == str(path)


def test_numbers_only_yaml_1_1_reads_stay_text(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text("zip: 02137\nat: 1:30\nlong: 12:00:05.5\nbits: 0b101\nquoted: '0755'\n"
                    "plain: [0, 10, -3, 1_000, 0x1F, 1.5, yes, no, 2.0e+3]\n")
    data, _ = load(path)
    assert data["zip"] == "02137" and data["at"] == "1:30" and data["long"] == "12:00:05.5"
    assert data["bits"] == "0b101" and data["quoted"] == "0755"
    assert data["plain"] == [0, 10, -3, 1000, 31, 1.5, True, False, 2000.0]


def test_an_alias_is_placed_at_the_alias(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("base: &b\n  guard: deny\nlist: &l [1, 2]\ninput:\n  - *b\nlimit: *l\n")
    data, lines = load(path)
    assert data["input"] == [{"guard": "deny"}] and data["limit"] == [1, 2]
    assert lines[("input", 0)] == 5 and lines[("limit",)] == 6
    assert lines[("input", 0, "guard")] == 2  # written at the anchor


def test_a_reused_anchor_names_both_places(tmp_path):
    err = refused(tmp_path, "a: &x 1\nb: &x 2\n")
    assert err.line == 2 and "duplicate anchor 'x'" in err.message and "(line 1)" in err.message
