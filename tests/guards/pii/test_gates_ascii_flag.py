"""An inline ASCII flag (``(?a)``, ``(?a:...)``) was read as Unicode by the gates: under it ``\\S``
and ``[^\\s]`` match a no-break space, where the views split the text, so a gated recogniser
missed "123\\u00a045\\u00a06789". Such a pattern is not read: the recogniser runs on the whole text."""
from __future__ import annotations

import pytest
from presidio_analyzer import Pattern, PatternRecognizer

from guardlayer.guards.pii.gates import gated, is_line_local, is_local, needs_digit

CASES = [(r"(?a)\d{3}\S\d{2}\S\d{4}", "ssn 123\u00a045\u00a06789 end"),
         (r"(?a)\b\d{3}\S\d{4}\b", "call 555\u20037777 now"),
         (r"\d{3}(?a:\S)\d{4}", "call 555\u20037777 now"),
         (r"(?a)[^\s]\d{3}x", "a\u00a0123x")]


def _recognizer(pattern: str) -> PatternRecognizer:
    return PatternRecognizer(supported_entity="X", name="Mine", patterns=[Pattern("p", pattern, 0.9)])


@pytest.mark.parametrize("pattern, text", CASES)
def test_an_ascii_pattern_finds_the_same_gated(pattern: str, text: str) -> None:
    found = [(r.start, r.end) for r in _recognizer(pattern).analyze(text, ["X"])]
    assert found
    assert not is_local(_recognizer(pattern)) and not is_line_local(_recognizer(pattern))
    assert [(r.start, r.end) for r in gated(_recognizer(pattern)).analyze(text, ["X"])] == found


def test_a_pattern_without_the_flag_is_still_read() -> None:
    assert is_local(_recognizer(r"\d{3}\S\d{4}")) and needs_digit(_recognizer(r"(?i:x)\d{3}\S\d{4}"))
