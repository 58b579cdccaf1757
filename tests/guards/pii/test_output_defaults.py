"""What the output side flags by default: new data that identifies someone (names, contact
details, numbers, secrets, addresses), not the dates, places, organisations and NRPs that
ordinary answers name; ``output_entities`` changes that, and ``entities`` still wins."""
import pytest

from guardlayer import guarded, step
from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.pii import PIIGuard

ORDINARY = [  # answers to a prompt without personal data: they reach the user unchanged
    "Deliveries leave the warehouse on Tuesday and arrive by Thursday.",
    "We are open from 8 am to 6 pm on weekdays, and until noon on Saturday.",
    "Madrid is the capital of Spain, and Lisbon is the capital of Portugal.",
    "Both Google and IBM sell managed databases.",
    "The Treaty of Versailles was signed in June 1919.",
    "Most Canadians and Australians drive on different sides of the road.",
]

IDENTIFYING = [  # (answer, entity): new in the answer, so flagged by default
    ("You can reach the manager at petra.novak@example.org.", "EMAIL_ADDRESS"),
    ("Her direct line is +44 20 7946 0958.", "PHONE_NUMBER"),
    ("The account belongs to Daniel Whitfield, who opened it in 2019.", "PERSON"),
    ("Use the card 4111 1111 1111 1111 for the test.", "CREDIT_CARD"),
    ("Send it to 742 Evergreen Terrace, Springfield.", "STREET_ADDRESS"),
]


def _answer(guard: PIIGuard, answer: str, prompt: str = "Tell me something.") -> tuple[bool, str]:
    ctx = Context()
    guard.check(prompt, ctx)
    ctx.side = "output"
    verdict = guard.check(answer, ctx)
    return verdict.passed, verdict.fixed if verdict.fixed is not None else answer


@pytest.mark.parametrize("answer", ORDINARY)
def test_an_ordinary_answer_passes_unchanged(ner_guard: PIIGuard, answer: str) -> None:
    assert _answer(ner_guard, answer) == (True, answer)


@pytest.mark.parametrize(("answer", "entity"), IDENTIFYING, ids=[e for _, e in IDENTIFYING])
def test_new_identifying_data_in_an_answer_is_redacted(ner_guard: PIIGuard, answer: str, entity: str) -> None:
    passed, fixed = _answer(ner_guard, answer)
    assert not passed and f"<{entity}>" in fixed


def test_placeholders_are_restored_whatever_is_flagged() -> None:
    guard = PIIGuard()
    ctx = Context()
    scrubbed = guard.check("I live in Lyon and work for Renault.", ctx).fixed
    assert scrubbed is not None and "<LOCATION_1>" in scrubbed and "<ORGANIZATION_1>" in scrubbed
    ctx.side = "output"
    verdict = guard.check("So <ORGANIZATION_1> in <LOCATION_1>, near Geneva.", ctx)
    assert verdict.passed and verdict.fixed == "So Renault in Lyon, near Geneva."


def test_output_entities_all_flags_every_kind() -> None:
    passed, fixed = _answer(PIIGuard(output_entities="all"), ORDINARY[2])
    assert not passed and "<LOCATION>" in fixed


def test_output_entities_lists_what_is_flagged() -> None:
    guard = PIIGuard(output_entities=["LOCATION"])
    assert _answer(guard, ORDINARY[2])[1].count("<LOCATION>") == 4
    assert _answer(guard, IDENTIFYING[0][0]) == (True, IDENTIFYING[0][0])


def test_entities_win_over_the_default() -> None:
    guard = PIIGuard(entities=["LOCATION", "EMAIL_ADDRESS"])
    assert not _answer(guard, ORDINARY[2])[0]
    assert _answer(guard, IDENTIFYING[2][0]) == (True, IDENTIFYING[2][0])  # a PERSON is not looked for


@pytest.mark.parametrize(("options", "message"), [
    ({"output_entities": "PERSON"}, "'all' or a list"),
    ({"entities": ["PERSON"], "output_entities": ["PERSON", "PHONE_NUMBER"]}, "never be found"),
])
def test_bad_output_entities_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PIIGuard(mode="regex", **options)


def test_the_quickstart_chain_keeps_an_ordinary_answer() -> None:
    answer = "Lisbon is lovely in May; the aquarium opens at 10 am."

    @guarded(input=[step("pii", "fix", operator="pseudonymize")], output=[step("pii")])
    def ask(prompt: str) -> str:
        return answer

    assert ask("What should I see in Portugal?") == answer
