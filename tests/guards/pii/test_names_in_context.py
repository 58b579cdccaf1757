"""People named where a small NER model misses them or calls them a firm: texts written all in
lower case or in capitals, names after a cue ("calls me", "speak with", a quote's "said"), names
with particles or an inner capital ("van den Berg", "MacAulay"); and ordinary texts (products,
headings, questions, "call me back") where none of this finds anyone."""
from __future__ import annotations

import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.casing import for_ner
from guardlayer.guards.pii.people import find_names


def _found(guard: PIIGuard, text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], f.kind) for f in guard.check(text, Context()).findings]


@pytest.mark.parametrize(("text", "person"), [
    # caseless texts
    ("please transfer the deposit to my landlord tomasz wójcik before friday", "tomasz wójcik"),
    ("hi, can you check the booking for ingrid halvorsen on the 5th?", "ingrid halvorsen"),
    ("I SPOKE WITH TOMASZ WÓJCIK ABOUT THE LEASE YESTERDAY", "TOMASZ WÓJCIK"),
    ("PLEASE FORWARD THE CONTRACT TO SIOBHAN KAVANAGH", "SIOBHAN KAVANAGH"),
    # cues
    ("Everyone in the office calls me Bartek.", "Bartek"),
    ("you can call me anneliese", "anneliese"),
    ("I need to speak with Rohan Deshpande before the audit.", "Rohan Deshpande"),
    ('"We shipped it on Monday," said Ilse.', "Ilse"),
    ("Her maiden name is MacAulay.", "MacAulay"),
    ("Contact person: Ana de la Fuente", "Ana de la Fuente"),
    ("name: siobhan kavanagh", "siobhan kavanagh"),
    # particles
    ("Our new tenant, Hendrik van der Voort, moves in on Monday.", "Hendrik van der Voort"),
    ("The invoice went to Sophie van den Broek yesterday.", "Sophie van den Broek"),
    ("I booked the room for Karim bin Talal and two guests.", "Karim bin Talal"),
    # a list that names two people
    ("Rota for Saturday: Radek, Ngozi, Wojciech, Björn and Tamar.", "Björn"),
    ("Rota for Saturday: Radek, Ngozi, Wojciech, Björn and Tamar.", "Tamar"),
])
def test_a_person_a_small_model_misses_is_found(ner_guard: PIIGuard, text: str, person: str) -> None:
    assert (person, "PERSON") in _found(ner_guard, text)


def test_a_list_of_products_beside_a_person_names_no_one_else(ner_guard: PIIGuard) -> None:
    found = _found(ner_guard, "Anna Kowalski compared Asana, Trello and Basecamp for the team.")
    assert ("Trello", "PERSON") not in found and ("Basecamp", "PERSON") not in found


@pytest.mark.parametrize("text", [
    "call me back later please",
    "Please call me when you're ready.",
    "We met with Microsoft last week.",
    "Please talk to Customer Service about the refund.",
    "She asked questions and said nothing.",
    "Getting Started With Docker Compose",
    "Apple released a new iPhone today.",
    "Rio de Janeiro and Costa del Sol are both lovely in May.",
])
def test_cues_name_no_one_in_ordinary_text(text: str) -> None:
    assert find_names(text) == []


@pytest.mark.parametrize("text", [
    "can you summarise this article about climate change for me",
    "how do i cancel my subscription and get a refund",
    "i love the new album, the drummer is amazing",
    "WHY DOES MY LAPTOP FAN GET SO LOUD AFTER THE UPDATE",
])
def test_caseless_ordinary_text_has_no_people(ner_guard: PIIGuard, text: str) -> None:
    assert _found(ner_guard, text) == []


def test_ner_sees_a_caseless_text_truecased_character_for_character() -> None:
    text = "my iban is on file; please ask tomasz wójcik, we'll sign at 10"
    cased = for_ner(text)
    assert cased == "my iban is on file; please ask Tomasz Wójcik, we'll sign at 10"
    assert for_ner(text.upper()) == cased
    assert for_ner("Mixed Text, left as it is") == "Mixed Text, left as it is"
