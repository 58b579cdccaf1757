"""Our loop of a Presidio pattern recogniser's patterns gives Presidio's own results."""
from __future__ import annotations

import copy
import importlib

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from guardlayer.guards.pii.engine import PatternTimeout, fail_closed
from guardlayer.guards.pii.patterns import is_plain, pattern_analyze

_FACTORIES = ["CreditCardRecognizer", "UsSsnRecognizer", "IpRecognizer", "DateRecognizer",
              "UrlRecognizer", "UsBankRecognizer", "NhsRecognizer", "MacAddressRecognizer",
              "UuidRecognizer", "CryptoRecognizer", "UkNinoRecognizer"]


def _recognizers() -> list:
    from presidio_analyzer import predefined_recognizers

    return fail_closed([getattr(predefined_recognizers, name)() for name in _FACTORIES])


def _seen(results: list) -> list:
    return [(r.entity_type, r.start, r.end, r.score, r.recognition_metadata,
             vars(r.analysis_explanation)) for r in results]


_RECOGNIZERS = _recognizers()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -./:abcfx@\n", max_size=60)
       | st.sampled_from(["4111 1111 1111 1111 and 078-05-1120", "10.0.0.7 or ::1 at 01/02/2020",
                          "https://example.org/a 943 476 5919 AA:BB:CC:DD:EE:FF",
                          "078-05-1120 078-05-1120 000-00-0000", "QQ 12 34 56 C, 2020-01-31"]))
def test_the_loop_gives_presidios_results(text: str) -> None:
    from presidio_analyzer import PatternRecognizer

    for recognizer in _RECOGNIZERS:
        expected = PatternRecognizer.analyze(recognizer, text, recognizer.supported_entities)
        assert _seen(pattern_analyze(recognizer)(text, recognizer.supported_entities)) == _seen(expected)
        some = recognizer.patterns[:1]
        narrow = copy.copy(recognizer)  # (Presidio's own analyze, on the first pattern only)
        narrow.patterns = some
        assert _seen(pattern_analyze(recognizer, some)(text, [])) == _seen(
            PatternRecognizer.analyze(narrow, text, []))


def test_only_plain_recognizers_are_plain() -> None:
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

    assert all(map(is_plain, _RECOGNIZERS))
    assert not is_plain(IbanRecognizer()) and not is_plain(object())


def test_patterns_not_compiled_with_the_flags_are_left_to_presidio() -> None:
    from presidio_analyzer import Pattern, PatternRecognizer

    recognizer = PatternRecognizer(supported_entity="X", patterns=[Pattern("x", r"ab", 0.5)],
                                   global_regex_flags=regex.MULTILINE)
    loop = pattern_analyze(recognizer)
    assert [r.start for r in loop("AB ab", [])] == [3]  # (not compiled yet: Presidio compiles)
    assert [r.start for r in loop("AB ab", [], None, regex.IGNORECASE)] == [0, 3]
    assert [r.start for r in loop("AB ab", [])] == [3]


def test_a_time_out_in_the_loop_fails_closed(monkeypatch) -> None:
    recognizer = next(r for r in _recognizers() if r.name == "CreditCardRecognizer")
    monkeypatch.setattr(importlib.import_module("presidio_analyzer.pattern_recognizer"),
                        "REGEX_TIMEOUT_SECONDS", 1e-9)
    with pytest.raises(PatternTimeout, match="timed out"):
        pattern_analyze(recognizer)("4111 1111 1111 1111 " * 20_000, [])
