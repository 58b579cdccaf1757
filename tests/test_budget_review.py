"""Budget accounting cases from a review: a stream that fails before its first chunk is settled,
a late settle never refills a token bucket, an unpriced answer is priced as the model its request
was sent to, a function's default model prices its first request, text beside the messages is
charged when the answer reports no usage, and a budget whose ``extend`` takes ``**kwargs`` still
learns a fallback's model."""
from __future__ import annotations

import asyncio

import pytest

from guardlayer import Backoff, guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded, GuardlayerError
from guardlayer.report import Attempt, Usage
from guardlayer.testing import ProviderFailure
from guardlayer.tokens import count, model_info

FAST = Backoff(initial=0.001, max=0.01)


def _used(budget: Budget) -> list[float]:
    return [x["used"] for x in budget.remaining(Context(scope=Scope(user="ann")))]


def _tokens_budget() -> Budget:
    return Budget([{"per": "user", "tokens": 100_000, "window": "day"}], model="gpt-4o",
                  reserve_output_tokens=500)


def test_a_stream_failing_before_its_first_chunk_is_settled() -> None:
    def primary(prompt, stream=True):
        def chunks():
            raise ProviderFailure(503)  # the request goes out when the first chunk is asked for
            yield ""
        return chunks()

    budget = _tokens_budget()
    with scope(user="ann"):
        for _ in range(3):
            with pytest.raises(GuardlayerError):
                guarded(budget=budget, retries=0)(primary)("hello")
    assert last_report().extra.get("budget") is not None
    assert _used(budget)[0] < 50  # the prompts only: no reserved output left charged


def test_an_async_stream_failing_before_its_first_chunk_is_settled() -> None:
    async def primary(prompt, stream=True):
        async def chunks():
            raise ProviderFailure(429)
            yield ""
        return chunks()

    budget = _tokens_budget()

    async def run() -> None:
        with scope(user="ann"), pytest.raises(GuardlayerError):
            await guarded(budget=budget, retries=0)(primary)("hello")

    asyncio.run(run())
    assert _used(budget)[0] < 50


def test_a_late_settle_does_not_refill_a_token_bucket() -> None:
    class Clock:
        now = 1_717_200_000.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    start = clock.now
    budget = Budget([{"per": "user", "requests": 5, "window": "minute", "algorithm": "token_bucket"}],
                    model="gpt-4o", clock=clock)

    def call(settle: bool = True):
        ctx = Context(scope=Scope(user="ann"))
        ticket = budget.reserve(ctx, "hi")
        ctx.report.attempts.append(Attempt("m", "call", usage=Usage(1, 1)))
        if settle:
            budget.settle(ticket, ctx)
        return ticket, ctx

    long_ticket, long_ctx = call(settle=False)  # a long stream, sent first
    clock.now = start + 125
    with pytest.raises(BudgetExceeded):
        for _ in range(10):
            call()
    clock.now = start + 130
    budget.settle(long_ticket, long_ctx)  # it ends long after its window
    clock.now = start + 132
    with pytest.raises(BudgetExceeded):
        call()


def test_an_unpriced_answer_is_priced_as_the_model_its_request_was_sent_to() -> None:
    budget = Budget([{"per": "user", "cost": 1.0, "window": "day"}], model="gpt-4o", reserve_output_tokens=100)

    def primary(prompt):
        raise ProviderFailure(503)

    def second(prompt, model="gpt-4o-mini"):
        return {"object": "chat.completion", "model": "my-azure-mini-deployment",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
                "usage": {"prompt_tokens": 1000, "completion_tokens": 1000, "total_tokens": 2000}}

    with scope(user="u"):
        guarded(retries=0, budget=budget, fallback=[second])(primary)("hello")
    cost = last_report().extra["budget"]["call"]["cost"]
    assert cost == pytest.approx(model_info("gpt-4o-mini").cost(1000, 1000), rel=0.01)


def test_the_first_request_is_reserved_at_the_functions_default_model() -> None:
    budget = Budget([{"per": "user", "cost": 0.004, "window": "day"}], model="gpt-4o-mini",
                    reserve_output_tokens=1000)
    sent: list[str] = []

    def ask(prompt, model="gpt-4o"):
        sent.append(model)
        return "fine"

    # gpt-4o's reservation (1,000 output tokens) is over $0.004, gpt-4o-mini's is not
    with scope(user="u"), pytest.raises(BudgetExceeded):
        guarded(retries=1, backoff=FAST, budget=budget)(ask)("hello")
    assert sent == []


def test_text_beside_the_messages_is_charged_without_a_usage_report() -> None:
    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}], model="gpt-4o",
                    reserve_output_tokens=10)
    system = "You are a careful assistant. " * 200

    def create(*, model, system, messages, max_tokens=10):
        return "ok"  # plain text: no usage reported

    with scope(user="u"):
        guarded(budget=budget, retries=0)(create)(model="gpt-4o", system=system,
                                                  messages=[{"role": "user", "content": "hi"}])
    charged = last_report().extra["budget"]["call"]
    assert charged["input_tokens"] >= count(system, "gpt-4o").tokens


def test_a_budget_whose_extend_takes_kwargs_learns_the_fallbacks_model() -> None:
    seen: list[list[str]] = []

    class Audited(Budget):
        def extend(self, *args, **kwargs):
            seen.append(sorted(kwargs))
            return super().extend(*args, **kwargs)

    budget = Audited([{"per": "user", "cost": 1.0, "window": "day"}], model="gpt-4o", reserve_output_tokens=1000)

    def primary(prompt):
        raise ProviderFailure(503)

    def second(prompt, model="gpt-4o-mini"):
        return "ok"

    with scope(user="u"):
        guarded(retries=0, budget=budget, fallback=[second])(primary)("hello")
    assert seen and all("model" in kwargs for kwargs in seen)
