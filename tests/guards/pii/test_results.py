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


def _guess(text: str, value: str, entity: str) -> RecognizerResult:
    start = text.index(value)
    return RecognizerResult(entity, start, start + len(value), 0.85,
                            recognition_metadata={"recognizer_name": "SpacyRecognizer"})


@pytest.mark.parametrize(("text", "value", "entity"), [
    ("I want you to act as an AI writing tutor.", "AI", "LOCATION"),  # an acronym, whatever the type
    ("How can SEO help my small bakery?", "SEO", "ORGANIZATION"),
    ("My Android app shows TypeError after the update.", "Android", "ORGANIZATION"),
    ("My Android app shows TypeError after the update.", "TypeError", "ORGANIZATION"),
    ("It throws NullPointerException on start.", "NullPointerException", "PERSON"),
    ("Version 2.14.3 fixed CVE-2024-3094 in xz-utils 5.6.1.", "CVE-2024-3094", "ORGANIZATION"),
    ("Which is faster, Django or Actix?", "Django", "PERSON"),
    ("Compare Python and Rust for writing a web server.", "Compare Python", "ORGANIZATION"),
    ("PGPASSWORD=S3cretPass! psql -h db", "PGPASSWORD", "ORGANIZATION"),  # a key, not a name
])
def test_guesses_that_name_no_one_are_dropped(text: str, value: str, entity: str) -> None:
    assert tidy(text, [_guess(text, value, entity)]) == []


@pytest.mark.parametrize(("text", "value", "kept"), [
    ("Compare Acme Robotics and Globex.", "Compare Acme Robotics", "Acme Robotics"),
    ("Done. Email Olivia Brown about it.", "Email Olivia Brown", "Olivia Brown"),
    ("- Call Kent Jaworski today", "Call Kent Jaworski", "Kent Jaworski"),
    ("Mark Rivers called.", "Mark Rivers", "Mark Rivers"),  # a verb that is a first name: not listed
    ("We met Call Kent there.", "Call Kent", "Call Kent"),  # not where a sentence starts
])
def test_an_imperative_verb_that_starts_a_sentence_is_cut_from_a_guess(text: str, value: str, kept: str) -> None:
    guess = _guess(text, value, "PERSON")
    assert [text[r.start:r.end] for r in tidy(text, [guess]) if r.entity_type == "PERSON"][:1] == [kept]


@pytest.mark.parametrize("text", [
    "Write a blog post about how AI is changing healthcare.",
    "I want you to act as an AI writing tutor.",
    "My Android app shows TypeError after the update.",
    "Compare Python and Rust for writing a web server. Which is faster, Django or Actix?",
    "The error says: TypeError: Cannot read properties of undefined (reading 'map') at App.js:42:17",
    "Version 2.14.3 fixed CVE-2024-3094 in xz-utils 5.6.1.",
])
def test_ordinary_technical_questions_reach_the_model_unchanged(ner_guard: PIIGuard, text: str) -> None:
    verdict = ner_guard.check(text, Context())
    assert verdict.fixed in (None, text)


def test_a_name_after_a_cut_verb_is_still_scrubbed(ner_guard: PIIGuard) -> None:
    verdict = ner_guard.check("Email Olivia Brown about the invoice.", Context())
    assert verdict.fixed is not None and "Olivia" not in verdict.fixed and "Email" in verdict.fixed
