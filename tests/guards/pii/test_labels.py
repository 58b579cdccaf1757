"""A label before a value ("Card 4111 ...", "IBAN DE89 ...") is not part of its placeholder: a
guess across the edge of a pattern match does not widen it; a one-word guess of a person that is
an English word and no listed name ("Email") is no one."""
import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard

LABELLED = [
    ("Card 4111 1111 1111 1111, please check it", "Card ", "4111 1111 1111 1111", "CREDIT_CARD"),
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN ", "DE89 3704 0044 0532 0130 00", "IBAN_CODE"),
    ("Visa 4111 1111 1111 1111 expires soon", "Visa ", "4111 1111 1111 1111", "CREDIT_CARD"),
]


@pytest.mark.parametrize(("text", "label", "value", "kind"), LABELLED)
def test_the_label_stays_outside_the_placeholder(ner_guard: PIIGuard, text: str, label: str,
                                                 value: str, kind: str) -> None:
    ctx = Context()
    verdict = ner_guard.check(text, ctx)
    assert verdict.fixed == text.replace(value, f"<{kind}_1>")
    assert label + f"<{kind}_1>" in verdict.fixed
    ctx.side = "output"
    answer = f"Your {label.strip().lower()} <{kind}_1> is fine."
    assert ner_guard.check(answer, ctx).fixed == f"Your {label.strip().lower()} {value} is fine."


@pytest.mark.parametrize("text", ["Email", "Invoice", "Email: please reply"])
def test_a_word_alone_is_no_person(ner_guard: PIIGuard, text: str) -> None:
    assert "PERSON" not in {r.entity_type for r in ner_guard.analyze(text)}


@pytest.mark.parametrize(("text", "name"), [("Thanks, Rose.", "Rose"), ("Smith called me yesterday.", "Smith"),
                                          ("I met Nguyen at the office.", "Nguyen")])
def test_a_listed_or_foreign_name_alone_is_still_a_person(ner_guard: PIIGuard, text: str, name: str) -> None:
    assert ("PERSON", name) in [(r.entity_type, text[r.start:r.end]) for r in ner_guard.analyze(text)]


@pytest.mark.parametrize("text", ["Invoice\nTotal: 12.50 EUR", "## Email\nWrite to us.", "Name, Email, Phone",
                                  "Name | Email | Phone\n1 | 2 | 3"])
def test_a_heading_or_a_list_of_labels_is_no_person(ner_guard: PIIGuard, text: str) -> None:
    assert "PERSON" not in {r.entity_type for r in ner_guard.analyze(text)}


@pytest.mark.parametrize("name", ["Colt", "Gunner", "Maverick", "Rebel", "Journey", "Sailor"])
def test_a_name_that_is_an_english_word_after_a_greeting_is_a_person(ner_guard: PIIGuard, name: str) -> None:
    verdict = ner_guard.check(f"Hi {name}, thanks for the call.", Context())
    assert verdict.fixed == "Hi <PERSON_1>, thanks for the call."
