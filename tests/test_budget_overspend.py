"""Budgets that must not be overspent: an answer from a model without a price is still charged
while a cost limit applies, a call cancelled or timed out is charged the output it may have
been billed for, and concurrent calls reserve the output their ``max_tokens`` allows."""
from __future__ import annotations

import asyncio
import contextvars
import threading
import uuid

import pytest

from guardlayer import ProviderError, guarded, last_report, scope
from guardlayer.budget import Budget, output_cap, priced
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded
from guardlayer.report import Attempt, Usage
from guardlayer.testing import ProviderFailure
from guardlayer.tokens import count, register_model


def _family() -> str:
    """A made-up model family of this test's own (the price table is global)."""
    return f"zeta-{uuid.uuid4().hex[:6]}"


def _anthropic(model: str, out: int) -> dict:
    return {"type": "message", "role": "assistant", "model": model, "stop_reason": "end_turn",
            "content": [{"type": "text", "text": "..."}],
            "usage": {"input_tokens": 2000, "output_tokens": out}}


def test_a_dated_model_name_takes_its_alias_price_and_the_limit_holds() -> None:
    family = _family()
    budget = Budget.from_config({"store": "memory://", "model": f"{family}-4-0",
                                 "prices": {f"{family}-4-0": {"input": 3.0, "output": 15.0}},
                                 "limits": [{"per": "user", "cost": 0.10, "window": "day"}]})
    ask = guarded(budget=budget)(lambda prompt: _anthropic(f"{family}-4-20250514", 2000))
    granted = 0
    with scope(user="alice"), pytest.raises(BudgetExceeded):
        for _ in range(100):
            ask("hello")
            granted += 1
            assert last_report().extra["budget"]["call"]["cost"] == pytest.approx(0.036)
    assert granted == 3  # $0.108: the third call passed on the estimate, the fourth is refused
    assert budget.remaining(Context(scope=Scope(user="alice")))[0]["used"] == pytest.approx(0.108)


def test_an_alias_is_taken_only_when_it_is_unambiguous() -> None:
    family = _family()
    register_model(f"{family}-4-0", input_price=1.0, output_price=1.0, context_window=1000)
    assert priced(f"{family}-4-20250514") is priced(f"{family}-4-0")
    assert priced(f"{family}-4-2025-05-14") is priced(f"{family}-4-0")
    register_model(f"{family}-4-latest", input_price=2.0, output_price=2.0, context_window=1000)
    assert priced(f"{family}-4-20250514") is None  # two aliases, two prices: neither is taken
    assert priced(f"{family}-45-20250514") is None  # another model's price is never taken
    register_model(f"{family}-4", input_price=3.0, output_price=3.0, context_window=1000)
    assert priced(f"{family}-4-20250514") is priced(f"{family}-4")  # a priced prefix, as always


def test_a_model_without_a_price_is_priced_as_the_reserved_one_under_a_cost_limit() -> None:
    budget = Budget([{"per": "user", "cost": 1.0, "window": "day"}], model="gpt-4o",
                    reserve_output_tokens=0)
    c = Context(scope=Scope(user="u"))
    ticket = budget.reserve(c, prompt="hi")
    c.report.attempts.append(Attempt("fb", "fallback", usage=Usage(1000, 1000), model="house-llm-7"))
    out = budget.settle(ticket, c)
    assert out["call"]["unpriced"] == ["house-llm-7"] and out["call"]["priced_as"] == "gpt-4o"
    assert out["call"]["cost"] == pytest.approx((1000 * 2.5 + 1000 * 10.0) / 1e6)
    assert out["limits"][0]["used"] == pytest.approx(0.0125)


def _chat(out: int) -> dict:
    return {"model": "gpt-4o", "choices": [{"message": {"role": "assistant", "content": "x"}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": out, "total_tokens": 10 + out}}


async def test_a_cancelled_or_timed_out_call_is_charged_its_reserved_output() -> None:
    budget = Budget([{"per": "user", "tokens": 1_000_000, "window": "day"}], model="gpt-4o",
                    reserve_output_tokens=700)
    prompt = count("hello", "gpt-4o").tokens

    @guarded(budget=budget)
    async def slow(prompt: str) -> dict:
        await asyncio.sleep(0.5)  # the provider is generating
        return _chat(3000)

    @guarded(budget=budget, timeout=0.05, retries=1)
    async def late(prompt: str) -> dict:
        await asyncio.sleep(0.5)
        return _chat(3000)

    def used(user: str) -> float:
        return budget.remaining(Context(scope=Scope(user=user)))[0]["used"]

    with scope(user="bob"):
        for _ in range(3):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(slow("hello"), 0.05)
    assert used("bob") == 3 * (prompt + 700)
    with scope(user="carol"), pytest.raises(ProviderError):
        await late("hello")  # two attempts, both timed out
    assert used("carol") == 2 * (prompt + 700)


def _settled(attempt: Attempt, *, reserve_output_tokens: int = 5, prompt: str | None = None) -> dict:
    """The ``call`` summary of one call settled with ``attempt`` as its only attempt."""
    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}], model=attempt.model,
                    reserve_output_tokens=reserve_output_tokens)
    c = Context(scope=Scope(user="u"))
    ticket = budget.reserve(c, prompt=prompt)
    c.report.attempts.append(attempt)
    return budget.settle(ticket, c)["call"]


def test_a_failed_attempt_keeps_what_it_read_when_that_is_more() -> None:
    text = "a stream cut off after a while " * 20
    call = _settled(Attempt("m", "call", error="ReadError: cut", output=text, model="gpt-4o"))
    assert call["output_tokens"] == count(text, "gpt-4o").tokens


@pytest.mark.parametrize("arguments, cap", [
    ({"max_tokens": 3000}, 3000), ({"max_completion_tokens": 4000}, 4000),
    ({"max_output_tokens": 2500, "model": "gpt-4o"}, 2500), ({"max_tokens": None}, 0),
    ({"max_tokens": True}, 0), ({"max_tokens": "9"}, 0), ({}, 0),
])
def test_the_output_cap_of_a_call(arguments, cap) -> None:
    assert output_cap(arguments) == cap


def test_the_reservation_is_the_calls_max_tokens_when_larger(tmp_path) -> None:
    budget = Budget([{"per": "user", "tokens": 10_000, "window": "day"}], f"sqlite:///{tmp_path / 'b.db'}",
                    model="gpt-4o", reserve_output_tokens=512)
    c = Context(scope=Scope(user="u"))
    budget.reserve(c, prompt="hi", arguments={"max_tokens": 3000})
    budget.reserve(c, prompt="hi", arguments={"max_tokens": 100})  # the default is larger
    assert budget.remaining(c)[0]["used"] == 2 * count("hi", "gpt-4o").tokens + 3000 + 512


def test_concurrent_calls_that_use_their_max_tokens_never_overspend(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    limit, granted, lock = 20_000, [], threading.Lock()

    def spender() -> None:
        budget = Budget([{"per": "user", "tokens": limit, "window": "day"}], url, model="gpt-4o")
        for _ in range(10):
            c = Context(scope=Scope(user="alice"))
            try:
                ticket = budget.reserve(c, prompt="hello", arguments={"max_tokens": 3000})
            except BudgetExceeded:
                continue
            with lock:
                granted.append(1)
            c.report.attempts.append(Attempt("m", "call", usage=Usage(10, 3000), model="gpt-4o"))
            budget.settle(ticket, c)

    threads = [threading.Thread(target=spender) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spent = len(granted) * 3010
    assert 0 < spent <= limit
    used = Budget([{"per": "user", "tokens": limit, "window": "day"}], url).remaining(
        Context(scope=Scope(user="alice")))[0]["used"]
    assert used == spent


def test_a_guarded_call_reserves_its_own_max_tokens(tmp_path) -> None:
    budget = Budget.from_config({"store": f"sqlite:///{tmp_path / 'b.db'}", "model": "gpt-4o",
                                 "limits": [{"per": "user", "tokens": 5000, "window": "day"}]})
    inside, release = threading.Event(), threading.Event()

    @guarded(budget=budget)
    def ask(prompt: str, max_tokens: int = 256) -> dict:
        inside.set()
        release.wait(5)
        return _chat(10)

    with scope(user="dana"):
        first = threading.Thread(target=contextvars.copy_context().run, args=(ask, "hello"),
                                 kwargs={"max_tokens": 3000})  # in this scope
        first.start()
        assert inside.wait(5)
        try:
            with pytest.raises(BudgetExceeded):  # 3000 + 3000 reserved would pass 5000
                ask("hello", max_tokens=3000)
            ask("hello", max_tokens=100)  # 512 reserved beside the first call's 3000: fits
        finally:
            release.set()
            first.join()


class _Refused(ProviderError):
    status_code = 400


def test_an_attempt_the_provider_refused_is_charged_no_output() -> None:
    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}], model="gpt-4o",
                    reserve_output_tokens=700)

    @guarded(budget=budget, retries=0)
    def ask(prompt: str) -> dict:
        raise _Refused("400 invalid_request_error: bad parameter")

    with scope(user="erin"), pytest.raises(ProviderError):
        ask("hello")
    assert budget.remaining(Context(scope=Scope(user="erin")))[0]["used"] == count("hello", "gpt-4o").tokens


def test_a_stream_cut_before_its_last_usage_event_is_charged_the_text_received() -> None:
    text = "An answer that went on for a while before the stream was cut. " * 40
    # Anthropic's message_start says output_tokens 1; the message_delta with the total never came
    charged = _settled(Attempt("m", "call", usage=Usage(20, 1), output=text,
                               model="claude-sonnet-4-0"))["output_tokens"]
    assert charged == count(text, "claude-sonnet-4-0").tokens > 100


def test_a_complete_report_is_taken_as_it_is() -> None:
    call = _settled(Attempt("m", "call", usage=Usage(20, 30), output="x" * 100, model="gpt-4o"),
                    reserve_output_tokens=512)
    assert call["output_tokens"] == 30


@pytest.mark.parametrize("error", [ProviderFailure(503), ProviderFailure(429),
                                   ConnectionRefusedError("connection refused")])
def test_a_provider_outage_charges_the_prompt_only(error) -> None:
    budget = Budget([{"per": "user", "tokens": 20_000, "window": "day"}], model="gpt-4o-mini")

    @guarded(budget=budget, retries=2, backoff={"initial": 0, "max": 0})
    def ask(prompt: str, max_tokens: int = 4096) -> dict:
        raise error

    with scope(user="fay"):
        for _ in range(5):  # an outage: nothing generated, nothing to hold against the user
            with pytest.raises(Exception):
                ask("hello")
    assert budget.remaining(Context(scope=Scope(user="fay")))[0]["used"] == 15 * count("hello", "gpt-4o-mini").tokens


def test_a_guessed_output_is_not_exact() -> None:
    call = _settled(Attempt("m", "call", error="CallTimeout: no answer", prompt="hi", model="gpt-4o"),
                    reserve_output_tokens=700, prompt="hi")
    assert call["output_tokens"] == 700 and call["exact"] is False
