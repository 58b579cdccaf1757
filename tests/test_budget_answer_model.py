"""A fallback that names its model only inside its body is charged at the price of the model
its answer names (OpenAI ``response.model``, Anthropic ``message.model``, a dict's "model"),
a dated name at its family's price; an answer naming a model without a price, as before."""
from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from guardlayer import guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.testing import ProviderFailure
from guardlayer.tokens import count, model_info, register_model

PROMPT = [{"role": "user", "content": "Summarise the plot of Hamlet in one line."}]
ANSWER = "A prince avenges his father and everyone dies."


def _openai(model: str) -> Any:
    """A chat completion as the OpenAI SDK gives it (attributes, not keys)."""
    message = SimpleNamespace(role="assistant", content=ANSWER, tool_calls=None)
    return SimpleNamespace(model=model, choices=[SimpleNamespace(index=0, message=message, finish_reason="stop")],
                           usage=SimpleNamespace(prompt_tokens=1200, completion_tokens=800))


def _anthropic(model: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "model": model, "stop_reason": "end_turn",
            "content": [{"type": "text", "text": ANSWER}],
            "usage": {"input_tokens": 1200, "output_tokens": 800}}


def _charged(budget_model: str, answer: Any) -> dict[str, Any]:
    """The budget's ``call`` summary of a call whose model fails and whose fallback answers ``answer``."""
    budget = Budget([{"per": "user", "cost": 5.0, "window": "day"}], model=budget_model)

    def first(messages: list[dict[str, str]]) -> str:
        raise ProviderFailure(503)  # answered with an error: charged its prompt only

    def second(messages: list[dict[str, str]]) -> Any:
        return answer  # (client.chat.completions.create(model=..., ...) in a real application)

    with scope(user="ann"):
        guarded(retries=0, budget=budget, fallback=[second])(first)(PROMPT)
    return last_report().extra["budget"]["call"]


def _price(model: str, inp: int, out: int) -> float:
    info = model_info(model)
    assert info is not None and info.cost(inp, out) is not None
    return info.cost(inp, out)


@pytest.mark.parametrize("answer", [_openai("gpt-4o-mini-2024-07-18"), _openai("gpt-4o-mini"),
                                    _anthropic("gpt-4o-mini-2024-07-18")])
def test_a_fallbacks_answer_is_charged_at_the_price_of_the_model_it_names(answer: Any) -> None:
    call = _charged("gpt-4o", answer)
    prompt = count(PROMPT[0]["content"], "gpt-4o").tokens
    expected = _price("gpt-4o", call["input_tokens"] - 1200, 0) + _price("gpt-4o-mini", 1200, 800)
    assert prompt < call["input_tokens"] - 1200 < prompt + 10  # the 503: its messages, counted
    assert call["cost"] == pytest.approx(expected, abs=2e-6)
    assert call["cost"] < _price("gpt-4o", 1200, 800) / 10  # not at the budget's model's price
    assert "unpriced" not in call


def test_an_answer_without_usage_is_counted_and_priced_as_the_model_it_names() -> None:
    answer = {"model": "gpt-4o-mini-2024-07-18",
              "choices": [{"message": {"role": "assistant", "content": ANSWER}}]}
    call = _charged("gpt-4o", answer)
    first = count(PROMPT[0]["content"], "gpt-4o").tokens
    inp = call["input_tokens"] // 2  # both requests sent the same messages
    out = count(ANSWER, "gpt-4o-mini").tokens
    assert call["input_tokens"] == 2 * inp and inp > first and call["output_tokens"] == out
    expected = _price("gpt-4o", inp, 0) + _price("gpt-4o-mini", inp, out)
    assert call["cost"] == pytest.approx(expected, abs=2e-6)


def test_a_dated_name_of_a_registered_family_takes_its_price() -> None:
    family = f"zeta-{uuid.uuid4().hex[:6]}"  # the price table is global: a family of this test's own
    register_model(family, context_window=100_000, input_price=1.0, output_price=2.0)
    call = _charged("gpt-4o", _anthropic(f"{family}-20250514"))
    assert call["cost"] == pytest.approx(_price("gpt-4o", call["input_tokens"] - 1200, 0) + 0.0012 + 0.0016,
                                         abs=2e-6)


def test_an_answer_naming_a_model_without_a_price_is_priced_as_the_budgets_model() -> None:
    call = _charged("gpt-4o", _openai("house-llm-7"))
    assert call["unpriced"] == ["house-llm-7"] and call["priced_as"] == "gpt-4o"
    assert call["cost"] == pytest.approx(_price("gpt-4o", call["input_tokens"], 800), abs=2e-6)
