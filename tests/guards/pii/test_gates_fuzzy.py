"""A recogniser with a fuzzy pattern (``regex``'s ``{e<=1}``) found nothing once gated: Python's
parser, which reads the patterns for the gates, took ``{e<=1}`` for the text "{e<=1}", so every
match seemed to need a digit (the "1") and the recogniser ran only on stretches with digits.
Such a pattern is not read: the recogniser runs on the whole text and finds what it finds
ungated. A counted repeat, and a ``{`` in a class or escaped, are read as before."""
from __future__ import annotations

import pytest
import regex
from presidio_analyzer import Pattern, PatternRecognizer

from guardlayer.guards.pii.gates import gated, is_local, needs_digit

TEXTS = ["my password is x", "my pass-wor is x", "no secret here 12", "pass-word1 and passw0rd"]


def _recognizer(pattern: str) -> PatternRecognizer:
    return PatternRecognizer(supported_entity="SECRET", name="Mine", patterns=[Pattern("p", pattern, 0.9)])


@pytest.mark.parametrize("pattern", [r"\b(?:pass-word){e<=1}\b", r"\bpassword{e<=1}", r"(?:password){i<=1,d<=1}"])
def test_a_fuzzy_pattern_finds_the_same_gated(pattern: str) -> None:
    found = {t: [(r.start, r.end) for r in _recognizer(pattern).analyze(t, ["SECRET"])] for t in TEXTS}
    assert found["my password is x"]
    assert not needs_digit(_recognizer(pattern)) and not is_local(_recognizer(pattern))
    recognizer = gated(_recognizer(pattern))
    assert {t: [(r.start, r.end) for r in recognizer.analyze(t, ["SECRET"])] for t in TEXTS} == found


@pytest.mark.parametrize("pattern", [r"[0-9]{3}-[0-9]{2,}x", r"[{}]\d{1,3}", r"\{e\}\d", r"[]{]\d\d{,4}"])
def test_counted_repeats_and_literal_braces_are_still_read(pattern: str) -> None:
    assert needs_digit(_recognizer(pattern)) and is_local(_recognizer(pattern))


@pytest.mark.parametrize("pattern, flags", [("(?x) # note [\n(?:passw0rd){e<=1} # ]", 0),
                                            ("# note [\n(?:passw0rd){e<=1} # ]", regex.VERBOSE),
                                            ("(?x: # note [\n(?:passw0rd){e<=1} # ]\n)", 0)])
def test_a_fuzzy_repeat_after_a_bracket_in_a_verbose_comment_is_not_read(pattern: str, flags: int) -> None:
    """A ``[`` in a comment was read as opening a class, which hid the ``{e<=1}`` after it: the
    "0" seemed needed, and "passwrd" was missed gated. A verbose pattern is not read now."""
    recognizer = PatternRecognizer(supported_entity="SECRET", name="Mine", global_regex_flags=flags,
                                   patterns=[Pattern("p", pattern, 0.9)])
    text = "my passwrd x"
    found = [(r.start, r.end) for r in recognizer.analyze(text, ["SECRET"])]
    assert found and not needs_digit(recognizer) and not is_local(recognizer)
    assert [(r.start, r.end) for r in gated(recognizer).analyze(text, ["SECRET"])] == found
