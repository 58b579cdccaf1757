"""A call whose requests run in different windows (a retry sent after the minute turned) is
checked and charged request by request in the window each was sent in, as a provider's rate
limit counts it, on every store (memory, a SQLite file, a real redis-server)."""
from __future__ import annotations

import pytest

from guardlayer import Backoff, guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded
from guardlayer.report import Attempt, Usage
from guardlayer.testing import ProviderFailure

START = 1_717_200_050.0  # 2024-06-01 00:00:50 UTC: 10 s before the minute turns


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite", "redis"])
def url(request, tmp_path, redis_server) -> str:
    if request.param == "redis":
        return redis_server(persistent=False).url
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'b.db'}"


def _budget(url: str, clock: Clock, algorithm: str = "fixed", tokens: int = 1000) -> Budget:
    return Budget([{"per": "user", "tokens": tokens, "window": "minute", "algorithm": algorithm},
                   {"per": "user", "requests": 5, "window": "minute", "algorithm": algorithm}],
                  url, model="gpt-4o", reserve_output_tokens=600, clock=clock)


def _used(budget: Budget, clock: Clock, at: float) -> list[float]:
    clock.now, before = at, clock.now
    try:
        return [row["used"] for row in budget.remaining(Context(scope=Scope(user="ann")))]
    finally:
        clock.now = before


def test_a_retry_in_the_next_minute_is_reserved_and_charged_there(url) -> None:
    clock = Clock()
    budget = _budget(url, clock)
    ctx = Context(scope=Scope(user="ann"))
    ticket = budget.reserve(ctx, "hello")
    with pytest.raises(BudgetExceeded):  # a second request of ~605 tokens does not fit this minute
        budget.extend(ticket, ctx, "hello")
    ctx.report.attempts.append(Attempt("m", "call", error="HTTP 503", prompt="hello", refused=True))
    clock.now = START + 20  # the retry goes out in the next minute, which has room for it
    budget.extend(ticket, ctx, "hello")
    ctx.report.attempts.append(Attempt("m", "retry", usage=Usage(10, 100)))
    out = budget.settle(ticket, ctx)
    first = ctx.report.attempts[0]
    prompt = _prompt_tokens("hello")
    assert first.refused and _used(budget, clock, START) == [prompt, 1]
    assert _used(budget, clock, START + 20) == [110, 1]
    assert [row["used"] for row in out["limits"]] == [110, 1]  # what is left now: the retry's minute


def _prompt_tokens(text: str) -> int:
    from guardlayer.tokens import count

    return count(text, "gpt-4o").tokens


def test_a_sliding_window_counts_a_retry_from_when_it_was_sent(url) -> None:
    clock = Clock()
    budget = _budget(url, clock, "sliding", tokens=2000)
    ctx = Context(scope=Scope(user="ann"))
    ticket = budget.reserve(ctx, "hello")
    ctx.report.attempts.append(Attempt("m", "call", usage=Usage(10, 50)))  # (answered, then re-asked)
    clock.now = START + 30
    budget.extend(ticket, ctx, "hello")
    ctx.report.attempts.append(Attempt("m", "retry", usage=Usage(10, 100)))
    budget.settle(ticket, ctx)
    assert _used(budget, clock, START + 31) == [170, 2]
    assert _used(budget, clock, START + 75) == [110, 1]  # the first has slid out, the retry has not


def test_a_guarded_call_retried_after_the_minute_turned_is_charged_per_minute(url) -> None:
    clock = Clock()
    budget = _budget(url, clock)
    sent: list[float] = []

    def ask(prompt: str, max_tokens: int) -> dict:
        sent.append(clock.now)
        if len(sent) == 1:
            clock.now = START + 15  # the provider took 15 s to answer 503: the retry is next minute
            raise ProviderFailure(503)
        return {"object": "chat.completion", "model": "gpt-4o",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
                "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10}}

    with scope(user="ann"):
        assert guarded(retries=2, backoff=Backoff(initial=0.001, max=0.01), budget=budget)(ask)(
            "hello", max_tokens=500)["choices"][0]["message"]["content"] == "hi"
    assert [a.kind for a in last_report().attempts] == ["call", "retry"]
    assert _used(budget, clock, START)[1] == 1 and _used(budget, clock, START + 15) == [10, 1]
