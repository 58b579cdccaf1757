"""A budget store that fails after the model answered costs the call neither its answer nor
its own error (the chain's `_Run.settle`)."""
from __future__ import annotations

import os
import uuid

import pytest
from support import Deny

from guardlayer import Blocked, guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.stores.redis import RedisStore

REDIS_URL = os.environ.get("GUARDLAYER_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="GUARDLAYER_TEST_REDIS_URL is not set: no test Redis "
                                          "server (scripts/test.sh starts a redis-server and sets it)")
@pytest.mark.parametrize("blocked", [False, True])
def test_a_store_lost_at_settle_costs_the_call_neither_its_answer_nor_its_error(blocked: bool) -> None:
    import redis

    namespace = uuid.uuid4().hex
    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}],
                    RedisStore(REDIS_URL, namespace=namespace), model="gpt-4o")
    client = redis.Redis.from_url(REDIS_URL)

    def model(prompt: str) -> str:
        client.delete(f"{{{namespace}}}:epoch")  # Redis flushed or restarted during the call
        return "the answer you paid for"

    ask = guarded(model, budget=budget, output=[(Deny("paid"), "block")] if blocked else [])
    with scope(user="ann"):
        if blocked:
            with pytest.raises(Blocked) as caught:  # not StoreUnavailable
                ask("q")
            report = caught.value.report
        else:
            assert ask("q") == "the answer you paid for"
            report = last_report()
    assert report.extra["budget"]["error"].startswith("not settled: Redis budget store")
