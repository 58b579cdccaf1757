"""The PII patterns that read runs of blanks or underscores one way: what they match on ordinary
text, and hostile texts (long runs that used to be read at every split) checked without a time-out."""
from pathlib import Path

import pytest

from guardlayer.context import Context
from guardlayer.errors import RuleFileError
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.addresses import find_street_addresses
from guardlayer.guards.pii.recognizers import load_yaml_recognizers
from guardlayer.guards.pii.results import _KEY_BEFORE

RUN = 20_000  # blanks: the old patterns took over a second here, five times the regex time limit


@pytest.mark.parametrize(("text", "found"), [
    ("Meet me at the corner of 5th and Main.", ["the corner of 5th and Main."]),
    ("the corner of Oak St. & Pine Ave in Springfield, ok", ["the corner of Oak St. & Pine Ave"]),
    ("Corner of Rue de Rivoli and Rue du Louvre, Paris", ["Corner of Rue de Rivoli and Rue du Louvre, Paris"]),
    ("corner of Elm Street  and 3rd Ave.", ["corner of Elm Street  and 3rd Ave."]),
    ("corner of  A and B.", ["corner of  A and B."]),          # a one-letter street after two blanks
    ("on the corner of    and Main.", ["the corner of    and Main."]),  # as the old split of blanks did
    ("corner of A and B.", []),
    ("I'm in Apt #  12B now", ["Apt #  12B"]),
    ("Suite 5, and apt.7", ["Suite 5, and", "apt.7"]),
    ("4417 Maple Grove Drive, Apt 12B, Springfield, IL 62704, USA. Thanks",
     ["4417 Maple Grove Drive, Apt 12B, Springfield, IL 62704, USA"]),
])
def test_corners_and_units_found_as_before(text: str, found: list[str]) -> None:
    assert [text[s:e] for s, e, _ in find_street_addresses(text)] == found


@pytest.mark.parametrize("fence", ["```json", "```  JSON  ", "  ``` ", "```"])
def test_a_number_in_a_fenced_json_block_becomes_a_string(regex_guard: PIIGuard, fence: str) -> None:
    answer = f'Here:\n{fence}\n{{"card": 4111111111111111}}\n```'
    verdict = regex_guard.check(answer, Context(side="output"))
    assert verdict.fixed == f'Here:\n{fence}\n{{"card": "<CREDIT_CARD>"}}\n```'


def test_a_fence_of_another_language_is_not_json(regex_guard: PIIGuard) -> None:
    answer = 'Here:\n```js\n{"card": 4111111111111111}\n```'
    assert regex_guard.check(answer, Context(side="output")).fixed == 'Here:\n```js\n{"card": <CREDIT_CARD>}\n```'


@pytest.mark.parametrize(("text", "flagged"), [
    ("user_email = req.body.email", False),   # the key's last part names the field
    ("x-user_name: data.user_name", False),   # after a hyphen, the whole rest is the key
    ("user_name: data.name", False),
    ("x-user_name: data.name", True),
    ("contact = req.body.email", True),
    ("home_site = example.com", True),
])
def test_a_field_copied_from_a_field_of_the_same_name_is_code(regex_guard: PIIGuard, text: str,
                                                             flagged: bool) -> None:
    assert (not regex_guard.check(text, Context()).passed) is flagged


@pytest.mark.parametrize(("side", "text"), [
    ("input", "Meet me at the corner of" + " " * RUN + "!"),
    ("input", "the corner of" + "\t" * RUN + "and"),
    ("input", "12 Baker Street, apt" + " " * RUN + "x"),
    ("output", "Here:\n```" + " " * RUN + "a\n{\"name\": \"x\"}\n```"),
])
def test_long_runs_of_blanks_get_a_verdict(regex_guard: PIIGuard, side: str, text: str) -> None:
    verdict = regex_guard.check(text, Context(side=side))  # used to raise TimeoutError
    assert verdict.passed or all(f.kind == "STREET_ADDRESS" for f in verdict.findings)


@pytest.mark.parametrize("text", ["I live in apt" + " " * RUN + "a, floor 1", "Suite" + "\t" * RUN + "#x1"])
def test_a_unit_word_before_a_long_run_of_blanks_is_no_address(text: str) -> None:
    assert find_street_addresses(text) == []  # used to raise TimeoutError


def test_a_long_run_of_underscores_before_no_colon_is_read_once() -> None:
    assert _KEY_BEFORE.search("_" * RUN + "!") is None  # used to raise TimeoutError
    assert _KEY_BEFORE.search("_" * RUN + "a_b: ")["key"] == "b"


def _recognizers(tmp_path: Path, regex: str) -> Path:
    path = tmp_path / "ids.yaml"
    path.write_text("recognizers:\n  - name: Ids\n    supported_entity: ID\n    patterns:\n"
                    "      - name: plain\n        regex: 'ID-\\d{6}'\n        score: 0.5\n"
                    f"      - name: second\n        regex: '{regex}'\n        score: 0.5\n")
    return path


def test_a_user_recognizer_that_backtracks_is_refused_naming_file_line_and_field(tmp_path: Path) -> None:
    path = _recognizers(tmp_path, r"\w+\s*\w*=")
    with pytest.raises(RuleFileError, match="backtracks catastrophically") as err:
        load_yaml_recognizers([path])
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 9, "recognizers[0].patterns[1].regex")


def test_a_user_recognizer_is_linted_with_the_flags_presidio_runs_it_with(tmp_path: Path) -> None:
    # "[a-z]+[A-Z]*:" reads each letter one way, but not case-blind, as Presidio runs it by default
    with pytest.raises(RuleFileError, match="backtracks catastrophically"):
        load_yaml_recognizers([_recognizers(tmp_path, "[a-z]+[A-Z]*:")])


def test_a_linear_user_recognizer_loads(tmp_path: Path) -> None:
    [recognizer] = load_yaml_recognizers([_recognizers(tmp_path, r"\bEMP-\d{6}\b")])
    assert [p.name for p in recognizer.patterns] == ["plain", "second"]
