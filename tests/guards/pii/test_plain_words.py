"""Words spaCy's small model takes for a place, an organisation or an NRP only because they
are capitalised (a sentence's first word, a word in capitals) or are a currency code: not
personal data. Names of places, companies and people written the same way still are."""
import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard

NOT_NAMES = [  # (text, value): no finding of a place, an organisation, an NRP or a person is value
    ("I noted your email.\n\nRefunds are subject to review by our team.", "Refunds"),
    ("Thanks Maria, noted.\n\nRefunds take a week.", "Refunds"),
    ("Decode this for me, please.", "Decode"),
    ("Run the query with EXPLAIN ANALYZE and send the plan.", "EXPLAIN ANALYZE"),
    ("Invoice for Maria Rossi, total 12.50 EUR.", "EUR"),
    ("All prices are in USD unless stated.", "USD"),
    ("It costs GBP 40 or CHF 45.", "CHF"),
]

NAMES = [  # (text, entity, value): the same forms that are names are still found
    ("Paris is the capital of France.", "LOCATION", "Paris"),
    ("Amazon and Microsoft offer managed Kubernetes.", "ORGANIZATION", "Microsoft"),
    ("Invoice for Maria Rossi, total 12.50 EUR.", "PERSON", "Maria Rossi"),
    ("Yesterday I flew from Berlin to Madrid.", "LOCATION", "Madrid"),
]

KINDS = {"LOCATION", "ORGANIZATION", "NRP", "PERSON"}


def _found(guard: PIIGuard, text: str) -> set[tuple[str, str]]:
    return {(r.entity_type, text[r.start:r.end]) for r in guard.analyze(text)}


@pytest.mark.parametrize(("text", "value"), NOT_NAMES, ids=[t[:30] for t, _ in NOT_NAMES])
def test_a_plain_word_or_a_currency_code_is_no_name(ner_guard: PIIGuard, text: str, value: str) -> None:
    assert value in text
    assert [e for e, v in _found(ner_guard, text) if e in KINDS and v == value] == []


@pytest.mark.parametrize(("text", "entity", "value"), NAMES, ids=[v for _, _, v in NAMES])
def test_names_written_alike_are_still_found(ner_guard: PIIGuard, text: str, entity: str, value: str) -> None:
    assert (entity, value) in _found(ner_guard, text)


def test_a_plain_word_in_a_restored_answer_is_not_scrubbed_with_the_history(ner_guard: PIIGuard) -> None:
    """The bot's own earlier turn, sent back with the history, keeps its words."""
    turn = "Thanks Maria Lopez, noted.\n\nRefunds take a week."
    assert ner_guard.check(turn, Context()).fixed == "Thanks <PERSON_1>, noted.\n\nRefunds take a week."
