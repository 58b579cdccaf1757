"""A re-ask is reserved before it is sent, like the call's first request: one that would pass a
limit is not sent (`BudgetExceeded`, or the fallback value with ``on_exceeded: fallback``), so
calls that re-ask cannot together overspend what they reserve."""
from __future__ import annotations

import threading

import pytest
from support import ParseInt

from guardlayer import guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded


def _chat(text: str, out: int) -> dict:
    return {"object": "chat.completion", "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": out, "total_tokens": 10 + out}}


def _used(budget: Budget, user: str) -> float:
    return budget.remaining(Context(scope=Scope(user=user)))[0]["used"]


def _budget(url: str, limit: int, **options) -> Budget:
    return Budget.from_config({"store": url, "model": "gpt-4o", **options,
                               "limits": [{"per": "user", "tokens": limit, "window": "day"}]})


def test_a_reask_that_would_pass_the_limit_is_not_sent(tmp_path) -> None:
    budget = _budget(f"sqlite:///{tmp_path / 'b.db'}", 5000)
    sent = []

    @guarded(output=[(ParseInt(), "reask")], retries=3, budget=budget)
    def ask(messages: list, max_tokens: int) -> dict:
        sent.append(len(messages))
        return _chat("not a number", 2000)

    with scope(user="ann"), pytest.raises(BudgetExceeded, match="would be exceeded"):
        ask([{"role": "user", "content": "how many?"}], max_tokens=2000)
    assert sent == [1, 3]  # the first request and one re-ask; a second re-ask would pass 5000
    assert _used(budget, "ann") == 2 * 2010  # what the two requests used, the rest given back
    assert [a.kind for a in last_report().attempts] == ["call", "reask"]


def test_a_reask_over_the_limit_serves_the_fallback_when_the_budget_says_so(tmp_path) -> None:
    budget = _budget(f"sqlite:///{tmp_path / 'b.db'}", 3000, on_exceeded="fallback")

    @guarded(output=[(ParseInt(), "reask")], retries=2, budget=budget, fallback="-1")
    def ask(messages: list, max_tokens: int) -> dict:
        return _chat("nope", 2000)

    with scope(user="bo"):
        assert ask([{"role": "user", "content": "how many?"}], max_tokens=2000) == -1
    report = last_report()
    assert report.fallback == "value" and "would be exceeded" in report.fallback_reason
    assert len(report.attempts) == 1


def test_a_reask_within_the_limit_is_sent_and_settled(tmp_path) -> None:
    budget = _budget(f"sqlite:///{tmp_path / 'b.db'}", 20_000)
    answers = iter(["nope", "42"])

    @guarded(output=[(ParseInt(), "reask")], retries=2, budget=budget)
    def ask(messages: list, max_tokens: int) -> dict:
        return _chat(next(answers), 300)

    with scope(user="cy"):
        assert ask([{"role": "user", "content": "how many?"}], max_tokens=2000) == 42
    assert _used(budget, "cy") == 2 * 310


def test_calls_that_reask_never_overspend_together(tmp_path) -> None:
    url, limit = f"sqlite:///{tmp_path / 'shared.db'}", 25_000
    spent, lock = [], threading.Lock()

    def spender() -> None:
        budget = _budget(url, limit)

        @guarded(output=[(ParseInt(), "reask")], retries=2, budget=budget)
        def ask(messages: list, max_tokens: int) -> dict:
            with lock:
                spent.append(3010)
            return _chat("never a number", 3000)

        for _ in range(4):
            with scope(user="dee"), pytest.raises(Exception):
                ask([{"role": "user", "content": "how many?"}], max_tokens=3000)

    threads = [threading.Thread(target=spender) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 0 < sum(spent) <= limit
    assert _used(_budget(url, limit), "dee") == sum(spent)
