"""Every request of a call is reserved before it is sent, like its first: a re-ask that would
pass a limit is not sent (`BudgetExceeded`, or the fallback value with ``on_exceeded:
fallback``), a retry of a provider error is not sent (the call fails as the provider did), a
fallback model is not called (the fixed fallback value serves, if any), so calls cannot
together overspend what they reserve."""
from __future__ import annotations

import threading

import pytest
from support import ParseInt

from guardlayer import Backoff, ProviderError, guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded
from guardlayer.testing import ProviderFailure

FAST = Backoff(initial=0.001, max=0.01)


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


def _failing(sent: list[int]):
    def ask(prompt: str, max_tokens: int) -> dict:
        sent.append(1)
        raise ProviderFailure(503)

    async def ask_async(prompt: str, max_tokens: int) -> dict:
        return ask(prompt, max_tokens)

    return ask, ask_async


@pytest.mark.parametrize("is_async", [False, True])
async def test_a_retry_that_would_pass_the_limit_is_not_sent(tmp_path, is_async) -> None:
    budget = _budget(f"sqlite:///{tmp_path / 'b.db'}", 5000)
    sent: list[int] = []
    fn = _failing(sent)[is_async]
    ask = guarded(retries=4, backoff=FAST, budget=budget)(fn)
    with scope(user="eve"), pytest.raises(ProviderError, match="not retried: .*would be exceeded"):
        result = ask("hello", max_tokens=2000)
        if is_async:
            await result
    assert len(sent) == 2  # 2 x (2000 + the prompt) fit in 5000, a third would not
    assert 0 < _used(budget, "eve") < 100  # refused requests are charged their prompts only


def test_a_fallback_model_the_budget_cannot_cover_is_not_called(tmp_path) -> None:
    budget = _budget(f"sqlite:///{tmp_path / 'b.db'}", 3000)
    called: list[str] = []

    def second(prompt: str, max_tokens: int) -> dict:
        called.append(prompt)
        return _chat("from the second model", 10)

    ask = guarded(retries=0, budget=budget, fallback=[second, "Sorry, try later."])(_failing([])[0])
    with scope(user="fay"):
        assert ask("hello", max_tokens=2000) == "Sorry, try later."
    assert called == [] and "fallback models not called" in last_report().fallback_reason
    bare = guarded(retries=0, budget=budget, fallback=[second])(_failing([])[0])
    with scope(user="gus"), pytest.raises(BudgetExceeded):
        bare("hello", max_tokens=2000)
    assert called == []


def test_a_streamed_call_gets_its_fixed_fallback_as_a_stream_when_the_budget_refuses_the_model(tmp_path) -> None:
    budget = _budget(f"sqlite:///{tmp_path / 'b.db'}", 3000)

    def chunks():
        raise ProviderFailure(503)
        yield "never"

    def backup(prompt: str, max_tokens: int):
        return iter(["from the backup"])

    ask = guarded(retries=0, budget=budget, fallback=[backup, "Sorry, try later."])(
        lambda prompt, max_tokens: chunks())
    with scope(user="hal"):
        stream = ask("hello", max_tokens=2000)
        assert not isinstance(stream, str) and list(stream) == ["Sorry, try later."]
