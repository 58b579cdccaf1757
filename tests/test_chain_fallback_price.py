"""The chain reserves and charges a fallback model's requests at that model's price
(`guardlayer.budget.sent_model`: the model it is called with), not the call's model's."""
from __future__ import annotations

import pytest

from guardlayer import guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.testing import ProviderFailure
from guardlayer.tokens import count, model_info

ANSWER = "A prince avenges his father and everyone dies."


def _budget(usd: float, model: str) -> Budget:
    return Budget([{"per": "user", "cost": usd, "window": "day"}], model=model, reserve_output_tokens=1000)


def _failing(prompt: str, model: str) -> str:
    raise ProviderFailure(503)


def test_a_cheaper_fallback_is_charged_at_its_own_price() -> None:
    budget = _budget(1.0, "gpt-4o")

    def second(prompt: str, model: str = "gpt-4o-mini") -> str:
        return ANSWER  # a plain text names no model: only its call tells which it was

    ask = guarded(retries=0, budget=budget, fallback=[second])(lambda prompt: _failing(prompt, "gpt-4o"))
    with scope(user="ann"):
        assert ask("hello") == ANSWER
    n = count("hello", "gpt-4o").tokens  # the 503 is charged its prompt, at gpt-4o's price
    expected = model_info("gpt-4o").cost(n, 0) + model_info("gpt-4o-mini").cost(n, count(ANSWER, "gpt-4o-mini").tokens)
    spent = budget.remaining(Context(scope=Scope(user="ann")))[0]["used"]
    assert last_report().extra["budget"]["call"]["cost"] == pytest.approx(spent)
    assert spent == pytest.approx(expected, abs=2e-6)


def test_a_dearer_fallback_the_budget_cannot_cover_at_its_price_is_not_called() -> None:
    budget = _budget(0.005, "gpt-4o-mini")
    called: list[str] = []

    def dear(prompt: str, model: str = "gpt-4o") -> str:
        called.append(model)
        return ANSWER

    ask = guarded(retries=0, budget=budget, fallback=[dear, "Sorry, try later."])(
        lambda prompt: _failing(prompt, "gpt-4o-mini"))
    with scope(user="bo"):
        assert ask("hello") == "Sorry, try later."  # ~$0.01 at gpt-4o's price: over $0.005
    assert called == [] and "fallback models not called" in last_report().fallback_reason
