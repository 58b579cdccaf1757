"""Budgets: reserve/settle, windows that roll, prices, and concurrent spending that never
overspends or loses a count (threads and spawned processes; SQLite file and Redis)."""
from __future__ import annotations

import multiprocessing as mp
import os
import threading
import uuid

import pytest

from guardlayer.budget import Budget, Limit
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded, ConfigError
from guardlayer.report import Attempt, Usage
from guardlayer.tokens import count, count_messages

REDIS_URL = os.environ.get("GUARDLAYER_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="GUARDLAYER_TEST_REDIS_URL is not set: no test Redis server "
                          "(scripts/test.sh starts a redis-server and sets it)")


class Clock:
    def __init__(self, now: float = 1_717_200_000.0) -> None:  # 2024-06-01 00:00 UTC
        self.now = now

    def __call__(self) -> float:
        return self.now


def ctx(user: str = "alice", **scope) -> Context:
    return Context(scope=Scope(user=user, **scope))


def call(budget: Budget, c: Context, *attempts: Attempt, prompt=None):
    ticket = budget.reserve(c, prompt=prompt)
    c.report.attempts.extend(attempts)
    return budget.settle(ticket, c)


def test_settles_provider_usage_and_reports_what_is_left() -> None:
    budget = Budget([{"per": "user", "tokens": 1000, "window": "day"}], reserve_output_tokens=100)
    c = ctx()
    out = call(budget, c, Attempt("m", "call", usage=Usage(40, 60)))
    assert out["call"]["total_tokens"] == 100 and out["call"]["requests"] == 1
    assert out["limits"] == [{"key": "user=alice", "metric": "tokens", "window": "day",
                              "algorithm": "fixed", "limit": 1000, "used": 100, "remaining": 900}]
    assert c.report.extra["budget"] is out
    assert budget.remaining(ctx())[0]["used"] == 100
    assert budget.remaining(ctx("bob"))[0]["used"] == 0


def test_counts_when_the_provider_reports_nothing_and_sums_every_attempt() -> None:
    budget = Budget([{"per": "user", "tokens": 10_000, "window": "day"},
                     {"per": "user", "cost": 1.0, "window": "month"},
                     {"per": "user", "requests": 10, "window": "day"}], model="gpt-4o")
    messages = [{"role": "user", "content": "Summarise the plot of Hamlet in one line."}]
    answer = "A prince avenges his father and everyone dies."
    attempts = [
        Attempt("m", "call", error="timeout", prompt=messages, model="gpt-4o"),
        Attempt("m", "retry", prompt=messages, output="not json", model="gpt-4o"),
        Attempt("m", "reask", usage=Usage(120, 30), model="gpt-4o"),
        Attempt("fb", "fallback", prompt=messages, output=answer, model="gpt-4o-mini"),
    ]
    c = ctx()
    out = call(budget, c, *attempts, prompt=messages)
    m = count_messages(messages, "gpt-4o").tokens
    inp = 3 * m + 120
    timed_out = budget.reserve_output_tokens  # what the provider may have generated and billed
    outp = timed_out + count("not json", "gpt-4o").tokens + 30 + count(answer, "gpt-4o-mini").tokens
    assert out["call"]["input_tokens"] == inp and out["call"]["output_tokens"] == outp
    assert out["call"]["requests"] == 4 and out["call"]["exact"] is False  # the timed-out output: a guess
    expected_cost = ((2 * m + 120) * 2.5 + (timed_out + count("not json", "gpt-4o").tokens + 30) * 10
                     + m * 0.15 + count(answer, "gpt-4o-mini").tokens * 0.6) / 1e6
    assert out["call"]["cost"] == pytest.approx(expected_cost, abs=2e-6)
    used = {row["metric"]: row["used"] for row in out["limits"]}
    assert used == {"tokens": inp + outp, "cost": pytest.approx(expected_cost, abs=2e-6), "requests": 4}


def test_over_budget_raises_and_charges_nothing() -> None:
    budget = Budget([{"per": "user", "tokens": 1000, "window": "day"},
                     {"per": "user", "requests": 100, "window": "day"}], reserve_output_tokens=300)
    for _ in range(3):
        call(budget, ctx(), Attempt("m", "call", usage=Usage(0, 300)))
    with pytest.raises(BudgetExceeded) as err:
        budget.reserve(ctx())
    assert err.value.key == "user=alice" and err.value.spent == 900 and err.value.limit == 1000
    assert "tokens per day" in str(err.value)
    assert [r["used"] for r in budget.remaining(ctx())] == [900, 3]  # the refused call took no request


def test_no_attempt_refunds_and_settling_twice_changes_nothing() -> None:
    budget = Budget([{"per": "user", "tokens": 1000, "window": "day"}], reserve_output_tokens=400)
    c = ctx()
    ticket = budget.reserve(c)
    assert budget.remaining(c)[0]["used"] == 400
    budget.settle(ticket, c)
    assert budget.remaining(c)[0]["used"] == 0
    budget.settle(ticket, c)
    assert budget.remaining(c)[0]["used"] == 0


def test_limits_per_a_declared_tag_and_missing_keys_skipped_when_asked(caplog) -> None:
    budget = Budget([{"per": "team", "requests": 2, "window": "day"},
                     {"per": "session", "requests": 1, "window": "day"}],
                    tags=["team"], missing_scope="skip")
    c = Context(scope=Scope(user="a", tags={"team": "red"}))
    with caplog.at_level("WARNING", logger="guardlayer"):
        out = call(budget, c, Attempt("m", "call", usage=Usage(1, 1)))
        call(budget, Context(scope=Scope(user="b", tags={"team": "red"})), Attempt("m", "call"))
    assert [r["key"] for r in out["limits"]] == ["team=red"] and "no session" in out["skipped"][0]
    warned = [r.getMessage() for r in caplog.records if "not enforced" in r.getMessage()]
    assert len(warned) == 1 and "no session in scope" in warned[0]  # once, not per call
    with pytest.raises(BudgetExceeded):
        budget.reserve(Context(scope=Scope(user="c", tags={"team": "red"})))
    budget.reserve(Context(scope=Scope(user="c", tags={"team": "blue"})))


def test_refused_for_names_the_limits_a_scope_lacks_the_key_of() -> None:
    limits = [{"per": "global", "requests": 9, "window": "day"}, {"per": "team", "requests": 2, "window": "day"},
              {"per": "session", "requests": 1, "window": "day"}]
    budget = Budget(limits, tags=["team"])
    refused = budget.refused_for(Scope(user="a", tags={"team": "red"}).keys())
    assert [lim.per for lim in refused] == ["session"]
    assert budget.refused_for(Scope(session="s", tags={"team": "red"}).keys()) == []
    assert Budget(limits, tags=["team"], missing_scope="skip").refused_for({}) == []
    with pytest.raises(ConfigError, match="per session: no session in scope"):  # what reserve refuses
        budget.reserve(Context(scope=Scope(user="a", tags={"team": "red"})))


def test_daily_and_monthly_windows_roll_over() -> None:
    clock = Clock()
    budget = Budget([{"per": "user", "tokens": 100, "window": "day"},
                     {"per": "user", "tokens": 250, "window": "month"}],
                    reserve_output_tokens=100, clock=clock)
    budget.reserve(ctx())
    with pytest.raises(BudgetExceeded, match="per day"):
        budget.reserve(ctx())
    clock.now += 86_400
    budget.reserve(ctx())
    clock.now += 86_400
    with pytest.raises(BudgetExceeded, match="per month"):
        budget.reserve(ctx())
    clock.now += 30 * 86_400  # July
    budget.reserve(ctx())


def test_sliding_window() -> None:
    clock = Clock(1000.0)
    budget = Budget([Limit(metric="requests", limit=3, window="60s", algorithm="sliding", buckets=6)],
                    clock=clock)
    for t in (1000, 1020, 1040):
        clock.now = t
        budget.reserve(ctx())
    clock.now = 1055
    with pytest.raises(BudgetExceeded):
        budget.reserve(ctx())
    clock.now = 1071  # the call at 1000 is out of the last minute
    budget.reserve(ctx())
    with pytest.raises(BudgetExceeded):
        budget.reserve(ctx())


def test_token_bucket_rate_limit() -> None:
    clock = Clock(0.0)
    budget = Budget([{"per": "api_key", "requests": 60, "window": "minute",
                      "algorithm": "token_bucket"}], clock=clock)
    c = Context(scope=Scope(api_key="k1"))
    for _ in range(60):
        budget.reserve(c)
    with pytest.raises(BudgetExceeded):
        budget.reserve(c)
    clock.now = 5.0  # refills at one request per second
    for _ in range(5):
        budget.reserve(c)
    with pytest.raises(BudgetExceeded):
        budget.reserve(c)


def test_cost_needs_a_price_and_prices_extend() -> None:
    budget = Budget([{"per": "user", "cost": 1.0, "window": "day"}], model="house-model-1")
    with pytest.raises(ConfigError, match="no price"):
        budget.reserve(ctx())
    name = f"house-{uuid.uuid4().hex[:6]}"
    cfg = Budget.from_config({"store": "memory://", "model": name, "reserve_output_tokens": 0,
                              "prices": {name: {"input": 1000.0, "output": 2000.0}},
                              "limits": [{"per": "user", "cost": 0.01, "window": "day"}]})
    out = call(cfg, ctx(), Attempt("m", "call", usage=Usage(3, 2), model=name))
    assert out["limits"][0]["used"] == pytest.approx(0.007)
    with pytest.raises(BudgetExceeded):
        call(cfg, ctx(), Attempt("m", "call", usage=Usage(3, 2), model=name), prompt="x " * 20)


@pytest.mark.parametrize("cfg, match", [
    ({"limits": []}, "limits"),
    ({"limits": [{"per": "user", "window": "day"}]}, "exactly one"),
    ({"limits": [{"per": "user", "tokens": 5, "window": "fortnight"}]}, "unknown window"),
    ({"limits": [{"per": "user", "tokens": 5, "window": "month", "algorithm": "sliding"}]}, "month"),
    ({"limits": [{"per": "user", "tokens": -5}]}, "greater than 0"),
    ({"store": "ftp://x", "limits": [{"per": "user", "tokens": 5}]}, "unknown store"),
    ({"limits": [{"per": "user", "tokens": 5}], "bogus": 1}, "bogus"),
    ({"limits": [{"per": "user", "requests": 0.5}]}, "requests must be a whole number, not 0.5"),
    ({"limits": [{"per": "user", "requests": 1.9}]}, "requests must be a whole number, not 1.9"),
    ({"limits": [{"metric": "output_tokens", "limit": 0.9}]}, "output_tokens must be a whole number"),
])
def test_bad_config_is_a_clear_error(cfg, match) -> None:
    with pytest.raises(ConfigError, match=match):
        Budget.from_config(cfg)



@pytest.mark.parametrize("limits, options, message", [
    ([{"per": "user", "tokens": -5}], {}, "budget [limits[0].tokens]: Input should be greater than 0 (got -5)"),
    ([Limit(metric="cost", limit=1), {"metric": "requests", "limit": 5, "buckets": 1}], {},
     "budget [limits[1].buckets]: Input should be greater than or equal to 2 (got 1)"),
    ([{"per": "user", "metric": "tokenz", "limit": 5}], {},
     ("budget [limits[0].metric]: Input should be 'tokens', 'input_tokens', 'output_tokens', 'cost' or "
      "'requests' (got 'tokenz')")),
    ([{"per": "user", "requests": 1.5}], {},
     "budget [limits[0]]: requests must be a whole number, not 1.5: only a cost limit (USD) takes a fraction"),
    ([{"per": "user", "tokens": 5, "colour": "red"}], {}, "budget [limits[0].colour]: unknown key"),
    ([{"per": "user", "tokens": 5}], {"on_exceeded": "fallbak", "reserve_output_tokens": -1},
     ("budget [reserve_output_tokens]: Input should be greater than or equal to 0 (got -1); "
      "on_exceeded: Input should be 'raise' or 'fallback' (got 'fallbak')")),
])
def test_limits_given_in_code_are_refused_with_the_field_the_value_and_what_is_allowed(limits, options,
                                                                                       message) -> None:
    with pytest.raises(ConfigError) as info:
        Budget(limits, **options)
    assert str(info.value) == message


def test_a_rule_file_section_given_in_code_is_refused_as_clearly() -> None:
    with pytest.raises(ConfigError) as info:
        Budget.from_config({"limits": [{"per": "user", "cost": 0}], "prices": {"m": {"input": -1, "output": 1}}})
    assert str(info.value) == ("budget [limits[0].cost]: Input should be greater than 0 (got 0); "
                               "prices.m.input: Input should be greater than or equal to 0 (got -1)")


def test_a_store_url_given_in_code_is_refused_naming_the_store() -> None:
    with pytest.raises(ConfigError) as info:
        Budget([{"per": "user", "tokens": 5}], "redis://cache:63a9/0")
    assert str(info.value).startswith("budget [store]: bad store URL 'redis://cache:63a9/0': Port could not")

# -- concurrency ------------------------------------------------------------------------------

def spend_until_refused(url: str, namespace: str, tries: int, limit: int, start, results) -> None:
    """In a spawned process: after everyone is ready, try ``tries`` calls of 10 tokens each."""
    budget = Budget([{"per": "user", "tokens": limit, "window": "day"}], url,
                    reserve_output_tokens=10, namespace=namespace)
    start.wait()
    granted = 0
    for _ in range(tries):
        c = ctx("shared")
        try:
            ticket = budget.reserve(c)
        except BudgetExceeded:
            continue
        c.report.attempts.append(Attempt("m", "call", usage=Usage(0, 10)))
        budget.settle(ticket, c)
        granted += 1
    budget.store.close()
    results.put(granted)


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=needs_redis)])
def shared_url(request, tmp_path) -> str:
    return {"memory": "memory://", "sqlite": f"sqlite:///{tmp_path / 'b.db'}",
            "redis": REDIS_URL}[request.param]


def used(url: str, namespace: str, limit: int, store=None) -> float:
    budget = Budget([{"per": "user", "tokens": limit, "window": "day"}], store or url,
                    namespace=namespace)
    return budget.remaining(ctx("shared"))[0]["used"]


def test_threads_never_overspend_nor_lose_counts(shared_url) -> None:
    namespace, limit = uuid.uuid4().hex, 700
    budget = Budget([{"per": "user", "tokens": limit, "window": "day"}], shared_url,
                    reserve_output_tokens=10, namespace=namespace)
    store = budget.store  # memory:// is per object: threads share this one
    grants: list[int] = []

    def worker() -> None:
        b = Budget(budget.limits, store, reserve_output_tokens=10, namespace=namespace)
        n = 0
        for _ in range(40):
            c = ctx("shared")
            try:
                t = b.reserve(c)
            except BudgetExceeded:
                continue
            c.report.attempts.append(Attempt("m", "call", usage=Usage(0, 7)))
            b.settle(t, c)
            n += 1
        grants.append(n)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(grants)
    spent = used(shared_url, namespace, limit, store)
    assert spent == 7 * total  # every settle landed
    assert spent <= limit and total <= limit // 7
    assert total >= 60  # the budget really was fought over (320 tries for ~100 grants)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=needs_redis)])
def test_processes_never_overspend_nor_lose_counts(backend, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}" if backend == "sqlite" else REDIS_URL
    namespace, limit = uuid.uuid4().hex, 500
    spawn = mp.get_context("spawn")
    start, results = spawn.Barrier(3), spawn.Queue()
    procs = [spawn.Process(target=spend_until_refused, args=(url, namespace, 40, limit, start, results))
             for _ in range(3)]
    for p in procs:
        p.start()
    grants = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    # estimate == actual: each grant holds 10 tokens for good, so exactly 50 calls fit, and no
    # process can make 50 alone (40 tries each)
    assert sum(grants) == limit // 10
    assert used(url, namespace, limit) == limit


def test_a_spent_limit_refuses_even_a_call_estimated_at_zero(shared_url) -> None:
    budget = Budget([{"per": "user", "output_tokens": 100, "window": "day"}], shared_url,
                    reserve_output_tokens=0, namespace=uuid.uuid4().hex)
    call(budget, ctx(), Attempt("m", "call", usage=Usage(10, 1500)))
    with pytest.raises(BudgetExceeded):
        budget.reserve(ctx())


def test_whole_and_fractional_limits_that_are_meant() -> None:
    assert [lim.scaled for lim in Budget([{"per": "user", "requests": 2.0},
                                          {"per": "user", "cost": 0.5}]).limits] == [2, 500_000]
