"""A part of a name the call already holds (a surname, a given name, with a title) is not new
personal data in an answer: it is left as written, not redacted."""
import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard


@pytest.mark.parametrize("answer", ["Thank you, Mr. Smith.", "Dear John, your order shipped.",
                                    "Thanks, MR SMITH.", "Smith, J.: see below"])
def test_a_part_of_a_pseudonymised_name_is_left(ner_guard: PIIGuard, answer: str) -> None:
    ctx = Context()
    assert ner_guard.check("I am John Smith.", ctx).fixed == "I am <PERSON_1>."
    ctx.side = "output"
    verdict = ner_guard.check(answer, ctx)
    assert verdict.passed and verdict.fixed is None


def test_another_person_with_a_shared_given_name_is_still_new(ner_guard: PIIGuard) -> None:
    ctx = Context()
    ner_guard.check("I am John Smith.", ctx)
    ctx.side = "output"
    verdict = ner_guard.check("Thank you, Mr. Smith. Your adviser is John Kowalczyk.", ctx)
    assert not verdict.passed
    assert verdict.fixed == "Thank you, Mr. Smith. Your adviser is <PERSON>."


@pytest.mark.parametrize(("answer", "fixed"), [
    ("Also ask Mary Smith and John Jones.", "Also ask <PERSON> and <PERSON>."),
    ("Ask Jones Smith.", "Ask <PERSON>."),
])
def test_words_of_two_known_people_make_a_new_one(ner_guard: PIIGuard, answer: str, fixed: str) -> None:
    ctx = Context()
    ner_guard.check("I am John Smith, my colleague is Mary Jones.", ctx)
    ctx.side = "output"
    verdict = ner_guard.check(answer, ctx)
    assert not verdict.passed
    assert verdict.fixed == fixed


def test_the_words_of_one_known_name_in_another_order_are_known(ner_guard: PIIGuard) -> None:
    ctx = Context()
    ner_guard.check("I am John Smith, my colleague is Mary Jones.", ctx)
    ctx.side = "output"
    verdict = ner_guard.check("Dear Smith John, please call Ms. Jones.", ctx)
    assert verdict.passed and verdict.fixed is None
