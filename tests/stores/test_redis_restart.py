"""A real redis-server restarted under a running budget: with persistence the counts survive
and the client reconnects; while it is down, and after it lost its data, the store refuses
with a clear error instead of answering from nothing, until the application accepts the loss."""
from __future__ import annotations

import pytest

from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded
from guardlayer.report import Attempt, Usage
from guardlayer.stores import StoreUnavailable


def spend(budget: Budget, tokens: int) -> None:
    ctx = Context(scope=Scope(user="u"))
    ticket = budget.reserve(ctx)
    ctx.report.attempts.append(Attempt("m", "call", usage=Usage(tokens, 0)))
    budget.settle(ticket, ctx)


def used(budget: Budget) -> float:
    return budget.remaining(Context(scope=Scope(user="u")))[0]["used"]


def restarted(server, spent: int) -> Budget:
    """A budget of 100 tokens on ``server`` with ``spent`` of them spent, and the server
    restarted."""
    budget = Budget([{"per": "user", "tokens": 100, "window": "day"}], server.url,
                    reserve_output_tokens=10)
    for _ in range(spent // 10):
        spend(budget, 10)
    server.stop()
    with pytest.raises(StoreUnavailable, match="unreachable"):
        spend(budget, 10)
    server.start()
    return budget


def test_restart_with_persistence_is_survived(redis_server) -> None:
    budget = restarted(redis_server(persistent=True), 60)
    spend(budget, 10)  # same client object: it reconnects
    assert used(budget) == 70
    for _ in range(3):
        spend(budget, 10)
    with pytest.raises(BudgetExceeded):
        spend(budget, 10)


def test_data_loss_is_refused_until_the_store_is_reopened(redis_server) -> None:
    budget = restarted(redis_server(persistent=False), 90)  # no persistence: every count is gone
    for _ in range(2):  # and stays refused: nothing papers over the loss
        with pytest.raises(StoreUnavailable, match=r"lost its data.*reopen"):
            spend(budget, 10)
    budget.store.reopen()
    spend(budget, 10)
    assert used(budget) == 10
