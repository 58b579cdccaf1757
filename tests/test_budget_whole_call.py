"""A budget estimates a call's first request from everything it sends: in a call without a
messages list (a Responses `input`, an Anthropic-style `system=` beside a prompt), the
application's own instructions and earlier assistant turns count too."""
from __future__ import annotations

import pytest

from guardlayer import guarded, scope
from guardlayer.budget import Budget
from guardlayer.context import Scope
from guardlayer.errors import BudgetExceeded

INSTRUCTIONS = "Answer as a careful librarian would, citing the catalogue. " * 200  # ~2,200 tokens


def _budget() -> Budget:
    return Budget([{"per": "user", "tokens": 2_000, "window": "day"}], model="gpt-4o",
                  reserve_output_tokens=100)


def test_responses_instructions_count_before_the_call() -> None:
    sent = []

    @guarded(budget=_budget())
    def create(**kwargs):
        sent.append(kwargs)
        return "ok"

    with scope(Scope(user="u")), pytest.raises(BudgetExceeded):
        create(model="gpt-4o", instructions=INSTRUCTIONS, input="Which shelf holds atlases?")
    assert sent == []
    with scope(Scope(user="v")):
        assert create(model="gpt-4o", instructions="Be brief.", input="Which shelf holds atlases?") == "ok"


def test_earlier_assistant_turns_of_a_responses_input_count() -> None:
    @guarded(budget=_budget())
    def create(**kwargs):
        return "ok"

    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": INSTRUCTIONS},
             {"role": "user", "content": "And atlases?"}]
    with scope(Scope(user="u")), pytest.raises(BudgetExceeded):
        create(model="gpt-4o", input=turns)


def test_a_system_prompt_beside_the_messages_counts() -> None:
    @guarded(budget=_budget())
    def create(messages, system=""):
        return "ok"

    with scope(Scope(user="u")), pytest.raises(BudgetExceeded):
        create([{"role": "user", "content": "Which shelf holds atlases?"}], system=INSTRUCTIONS)
    with scope(Scope(user="v")):
        assert create([{"role": "user", "content": "Which shelf holds atlases?"}], system="Be brief.") == "ok"
