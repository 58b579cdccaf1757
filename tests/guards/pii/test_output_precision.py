"""In an answer precision counts more than recall (a false find garbles it): people that only the
names lists find ("Morgan Stanley", "Santa Barbara"), and one-word firms or places that are given
names, are not taken for new people there; in a prompt they still are."""
import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard

NOT_PEOPLE = ["I worked at Morgan Stanley.", "We drove to Santa Barbara.", "Pour some Jack Daniels.",
              "Play Billie Jean and Eleanor Rigby.", "A Tim Hortons coffee."]


@pytest.mark.parametrize("mode", ["ner", "regex"])
@pytest.mark.parametrize("answer", NOT_PEOPLE)
def test_names_lists_alone_find_no_new_person_in_an_answer(ner_guard: PIIGuard, regex_guard: PIIGuard,
                                                           mode: str, answer: str) -> None:
    guard = ner_guard if mode == "ner" else regex_guard
    ctx = Context()
    ctx.side = "output"
    verdict = guard.check(answer, ctx)
    assert verdict.passed and verdict.fixed is None


def test_a_name_spacy_finds_too_is_still_new_in_an_answer(ner_guard: PIIGuard) -> None:
    ctx = Context()
    ctx.side = "output"
    verdict = ner_guard.check("Your adviser is Maria Kowalczyk, she will call you.", ctx)
    assert not verdict.passed and verdict.fixed == "Your adviser is <PERSON>, she will call you."


@pytest.mark.parametrize("mode", ["ner", "regex"])
def test_the_names_lists_still_find_people_in_a_prompt(ner_guard: PIIGuard, regex_guard: PIIGuard,
                                                       mode: str) -> None:
    guard = ner_guard if mode == "ner" else regex_guard
    text = "please forward this to david lange, thanks"
    assert guard.check(text, Context()).fixed == "please forward this to <PERSON_1>, thanks"
    ctx = Context()
    ctx.side = "output"
    # in an answer, redacted where spaCy finds it too, left where only the lists do
    assert guard.check(text, ctx).passed is (mode == "regex")


def test_an_unknown_side_is_refused(regex_guard: PIIGuard) -> None:
    with pytest.raises(ValueError, match="side must be"):
        regex_guard.analyze("I am Anna Schmidt.", "answer")  # type: ignore[arg-type]
