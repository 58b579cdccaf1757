"""A person found once, found again in the same text: in capitals, in lower case, surname first,
and with the first name NER left beside a surname it found."""
from __future__ import annotations

import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.people import find_names, given_names_before, repeated_names


def _person(text: str, value: str, nth: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return start, start + len(value), "PERSON"


def _values(text: str, spans: list[tuple[int, int, str]]) -> list[str]:
    return [text[s:e] for s, e, _ in spans]


@pytest.mark.parametrize(("text", "name", "again"), [
    ("John Smith called. Please reply to JOHN SMITH.", "John Smith", ["JOHN SMITH"]),
    ("Passenger Maria Garcia. Boarding pass name: GARCIA/MARIA MS", "Maria Garcia", ["GARCIA", "MARIA"]),
    ("Emily Johnson wrote in. emily johnson is a premium member.", "Emily Johnson", ["emily johnson"]),
    ("Kent Jaworski, see JAWORSKI, KENT below.", "Kent Jaworski", ["JAWORSKI", "KENT"]),
    ("Kent Jaworski wrote. Jaworski again.", "Kent Jaworski", ["Jaworski"]),  # as before
    ("John Smith called. Call JOHN  SMITH or john\tsmith.", "John Smith", ["JOHN  SMITH", "john\tsmith"]),
])
def test_a_name_is_found_again_in_capitals_and_lower_case(text: str, name: str, again: list[str]) -> None:
    assert _values(text, repeated_names(text, [_person(text, name)])) == again


def test_a_lower_case_first_name_beside_a_found_surname_joins_it() -> None:
    text = "Emily Johnson wrote in. emily Johnson is a premium member."
    found = [_person(text, "Emily Johnson"), _person(text, "Johnson", 1)]
    assert _values(text, repeated_names(text, found)) == ["emily Johnson"]


@pytest.mark.parametrize(("text", "name"), [
    ("Grant Hill called. We grant access on Monday.", "Grant Hill"),  # a word, alone in lower case
    ("Mark Rivers wrote. MARK AS READ", "Mark Rivers"),  # in capitals, beside no other name
    ("The title refers to 491 St. John Street street in Malmö.", "John Street"),  # other case, beside
])
def test_a_name_word_in_another_case_alone_is_no_name(text: str, name: str) -> None:
    assert repeated_names(text, [_person(text, name)]) == []


@pytest.mark.parametrize(("text", "surname", "name"), [
    ("Customer Priya Raghunathan called.", "Raghunathan", "Priya Raghunathan"),
    ("Ticket escalated by customer Thandiwe Nkosi yesterday.", "Nkosi", "Thandiwe Nkosi"),
    ("Please refund Anne-Marie Okafor today.", "Okafor", "Anne-Marie Okafor"),
])
def test_the_first_name_before_a_found_surname_joins_it(text: str, surname: str, name: str) -> None:
    assert _values(text, given_names_before(text, [_person(text, surname)])) == [name]


@pytest.mark.parametrize(("text", "surname"), [
    ("Priya Raghunathan called.", "Raghunathan"),  # the sentence's first word: capitalised anyway
    ("We met in March Smith and Jones.", "Smith"),  # a month
    ("She moved to France Dupont said.", "Dupont"),  # a country
    ("Read Elizabeth Mitchell's Cautionary Tales.", "Tales"),  # after a possessive: a title's words
    ("Dear Team Smith, hello.", "Smith"),
    ("Ask Dr Smith now.", "Smith"),  # a title: the titled-name finder's
])
def test_a_capitalised_word_that_is_no_first_name_stays(text: str, surname: str) -> None:
    assert given_names_before(text, [_person(text, surname)]) == []


def test_a_name_after_cc_is_found() -> None:
    text = "cc: Anh Tuan Pham"
    assert [text[s:e] for s, e, _ in find_names(text)] == ["Anh Tuan Pham"]


@pytest.mark.parametrize(("text", "values"), [
    ("John Smith called yesterday. Please reply to JOHN SMITH.", ["JOHN", "SMITH", "John"]),
    ("Passenger Maria Garcia. Boarding pass name: GARCIA/MARIA MS", ["GARCIA", "MARIA", "Maria"]),
    ("Emily Johnson wrote in. emily johnson is a premium member.", ["emily", "johnson", "Emily"]),
    ("Customer Priya Raghunathan called.", ["Priya", "Raghunathan"]),
    ("cc: Priya Raghunathan", ["Priya", "Raghunathan"]),
])
def test_no_form_of_a_scrubbed_name_reaches_the_model(ner_guard: PIIGuard, text: str, values: list[str]) -> None:
    verdict = ner_guard.check(text, Context())
    assert verdict.fixed is not None
    for value in values:
        assert value not in verdict.fixed


@pytest.mark.parametrize(("text", "name"), [
    ("Mehmet Yılmaz reported the outage.", "Mehmet Yılmaz"),
    ("Priya Natarajan called about the invoice.", "Priya Natarajan"),
    ("Yesterday Oluwaseun Adeyemi emailed the team.", "Oluwaseun Adeyemi"),
    ("When Siobhan Ní Bhriain said no, we stopped.", "Siobhan Ní Bhriain"),
    ("The refund was late, so Thandiwe Mokoena complained twice.", "Thandiwe Mokoena"),
])
def test_a_name_before_what_people_do_is_found_without_ner(text: str, name: str) -> None:
    found = [text[s:e] for s, e, _ in find_names(text)]
    assert found == [name]


@pytest.mark.parametrize("text", [
    "Project Apollo reported the outage.", "Customer Service called back.", "Release Notes said nothing.",
    "Burkina Faso was hot.", "Because Khajiit had programmed itself to lie.", "GitHub Copilot wrote it.",
    "Monday Morning was slow.", "Data Science has grown.", "The Rolling Stones played.",
])
def test_english_words_countries_and_product_names_before_a_verb_are_no_name(text: str) -> None:
    assert find_names(text) == []


@pytest.mark.parametrize("mode", ["regex", "ner"])
def test_the_guard_scrubs_a_name_before_a_verb_in_both_modes(regex_guard: PIIGuard, ner_guard: PIIGuard,
                                                             mode: str) -> None:
    guard = regex_guard if mode == "regex" else ner_guard
    v = guard.check("Mehmet Yılmaz reported the outage.", Context())
    assert v.fixed == "<PERSON_1> reported the outage."


@pytest.mark.parametrize(("text", "name"), [
    ("Prepared by: Anna Field", "Anna Field"), ("Approved by: Tom Stone", "Tom Stone"),
    ("Reviewed by: Laura Hill\nDate: 3 May", "Laura Hill"), ("Owner: Sarah Brook", "Sarah Brook"),
    ("Author: Mark Rivers", "Mark Rivers"), ("Contact person: Anna Field", "Anna Field"),
    ("Assigned to: James Moore", "James Moore"), ("From: Anna Field <anna@example.com>", "Anna Field"),
    ("cc: Rose Park (Legal)", "Rose Park"), ("Signed by: Laura Hill", "Laura Hill"),
])
def test_a_name_after_a_documents_label_is_found(text: str, name: str) -> None:
    assert [text[s:e] for s, e, _ in find_names(text)] == [name]


@pytest.mark.parametrize("text", [
    "Prepared by: Sales Ops", "Attn: Accounts Payable", "Owner: Platform Team", "Author: Unknown",
    "Approved by: Finance Department", "Assigned to: Build Bot", "Signed by: the customer",
])
def test_a_group_or_a_placeholder_after_a_label_is_no_name(text: str) -> None:
    assert find_names(text) == []
