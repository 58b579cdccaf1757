"""A request sent to another model (a fallback) is reserved and charged at that model's
price, not at the price of the model the call was reserved for."""
from __future__ import annotations

import functools

import pytest

from guardlayer.budget import Budget, sent_model
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded
from guardlayer.report import Attempt
from guardlayer.tokens import count, model_info

PROMPT = "Summarise the plot of Hamlet in one line."


def _cost(model: str, inp: int, out: int) -> float:
    info = model_info(model)
    assert info is not None
    return info.cost(inp, out)


def _budget(usd: float, model: str) -> Budget:
    return Budget([{"per": "user", "cost": usd, "window": "day"}], model=model, reserve_output_tokens=1000)


def _spent(budget: Budget) -> float:
    return budget.remaining(Context(scope=Scope(user="ann")))[0]["used"]


def test_a_fallback_request_is_reserved_at_its_own_models_price() -> None:
    budget, ctx = _budget(1.0, "gpt-4o"), Context(scope=Scope(user="ann"))
    ticket = budget.reserve(ctx, PROMPT)
    budget.extend(ticket, ctx, PROMPT, model="gpt-4o-mini")
    for model in ("gpt-4o", "gpt-4o-mini"):
        assert count(PROMPT, model).tokens == count(PROMPT, "gpt-4o").tokens  # one tokenizer
    n = count(PROMPT, "gpt-4o").tokens
    assert _spent(budget) == pytest.approx(_cost("gpt-4o", n, 1000) + _cost("gpt-4o-mini", n, 1000), abs=2e-6)


def test_a_fallback_dearer_than_the_call_is_refused_when_its_price_passes_the_limit() -> None:
    budget, ctx = _budget(0.005, "gpt-4o-mini"), Context(scope=Scope(user="ann"))
    ticket = budget.reserve(ctx, PROMPT)  # ~$0.0006 at gpt-4o-mini's price
    budget.extend(ticket, ctx, PROMPT)  # a retry of the same model fits
    with pytest.raises(BudgetExceeded, match="cost per day"):
        budget.extend(ticket, ctx, PROMPT, model="gpt-4o")  # ~$0.01: it does not


def test_a_fallback_answer_that_names_no_model_is_charged_at_the_fallbacks_price() -> None:
    budget, ctx = _budget(1.0, "gpt-4o"), Context(scope=Scope(user="ann"))
    ticket = budget.reserve(ctx, PROMPT)
    ctx.report.attempts.append(Attempt("main", "call", error="HTTP 503", prompt=PROMPT, refused=True))
    budget.extend(ticket, ctx, PROMPT, model="gpt-4o-mini")
    answer = "A prince avenges his father and everyone dies."
    ctx.report.attempts.append(Attempt("second", "fallback", prompt=PROMPT, output=answer))
    out = budget.settle(ticket, ctx)
    n, m = count(PROMPT, "gpt-4o").tokens, count(answer, "gpt-4o-mini").tokens
    expected = _cost("gpt-4o", n, 0) + _cost("gpt-4o-mini", n, m)
    assert out["call"]["cost"] == pytest.approx(expected, abs=2e-6)
    assert _spent(budget) == pytest.approx(expected, abs=2e-6)


def test_a_fallback_model_without_a_price_is_reserved_and_charged_at_the_calls_price() -> None:
    budget, ctx = _budget(1.0, "gpt-4o"), Context(scope=Scope(user="ann"))
    ticket = budget.reserve(ctx, PROMPT)
    ctx.report.attempts.append(Attempt("main", "call", error="HTTP 503", prompt=PROMPT, refused=True))
    budget.extend(ticket, ctx, PROMPT, model="house-llm-7")  # no ConfigError: never priced at 0
    n = count(PROMPT, "house-llm-7").tokens
    assert _spent(budget) == pytest.approx(_cost("gpt-4o", count(PROMPT, "gpt-4o").tokens, 1000)
                                           + _cost("gpt-4o", n, 1000), abs=2e-6)
    ctx.report.attempts.append(Attempt("second", "fallback", prompt=PROMPT, output="ok"))
    out = budget.settle(ticket, ctx)
    assert out["call"]["unpriced"] == ["house-llm-7"] and out["call"]["priced_as"] == "gpt-4o"
    assert out["call"]["cost"] > 0


def test_sent_model_is_the_model_a_callable_is_called_with() -> None:
    def named(prompt: str, model: str = "gpt-4o-mini") -> str:
        return model

    def anything(prompt: str, **kwargs: object) -> str:
        return prompt

    def inside(prompt: str) -> str:
        return prompt

    def create(*, model: str, messages: list) -> str:
        return model

    assert sent_model(named, {"prompt": "hi"}) == "gpt-4o-mini"
    assert sent_model(named, {"prompt": "hi", "model": "gpt-4o"}) == "gpt-4o"  # the call's wins
    assert sent_model(functools.partial(create, model="gpt-4o-mini"), {"messages": []}) == "gpt-4o-mini"
    assert sent_model(anything, {"prompt": "hi", "model": "o3"}) == "o3"
    assert sent_model(inside, {"prompt": "hi", "model": "o3"}) is None  # it never receives it
    assert sent_model(create, {"messages": []}) is None and sent_model(print, {}) is None
