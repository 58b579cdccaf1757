"""Tidying what the analyzer found: spaCy's spans trimmed to the value they name."""
from __future__ import annotations

import pytest
from presidio_analyzer import RecognizerResult

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.results import tidy


@pytest.mark.parametrize(("text", "scrubbed"), [
    ("INSERT INTO users (name, email) VALUES ('Mark Rivers', 'mr@example.org');",
     "INSERT INTO users (name, email) VALUES ('<PERSON_1>', '<EMAIL_ADDRESS_1>');"),
    ("names = ['Mark Rivers', 'Joan Tate']", "names = ['<PERSON_1>', '<PERSON_2>']"),
    ("He said 'ask Olivia Brown' twice.", "He said 'ask <PERSON_1>' twice."),
])
def test_a_name_spacy_runs_into_a_closing_quote_ends_before_it(ner_guard: PIIGuard, text: str,
                                                               scrubbed: str) -> None:
    verdict = ner_guard.check(text, Context())
    assert verdict.fixed == scrubbed  # the quotes stay balanced for the model (SQL, code)


@pytest.mark.parametrize(("text", "value", "kept"), [
    ("Ask Olivia Brown' twice.", "Olivia Brown'", "Olivia Brown"),
    ('The "Mark Rivers" file', 'Mark Rivers"', "Mark Rivers"),
    ("I borrowed James' car.", "James'", "James'"),  # a possessive: not a closing quote
    ("I met 'James' there.", "James'", "James"),  # quoted: the quote before it closes here
])
def test_a_guess_ending_in_a_quote(text: str, value: str, kept: str) -> None:
    start = text.index(value)
    guess = RecognizerResult("PERSON", start, start + len(value), 0.85,
                             recognition_metadata={"recognizer_name": "SpacyRecognizer"})
    assert [text[r.start:r.end] for r in tidy(text, [guess])] == [kept]
