"""What a store does when its server misbehaves or would lose counts: every Redis error is
`StoreUnavailable` (a call is refused before the model; at settle the answer still comes back),
a server that may evict keys is refused when the store opens, and the memory store drops
expired keys of ids it never sees again."""
from __future__ import annotations

import redis

import pytest

from guardlayer import guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import ConfigError
from guardlayer.stores import StoreUnavailable, Window
from guardlayer.stores.memory import MemoryStore
from guardlayer.stores.redis import RedisStore


def _answer(prompt: str) -> dict:
    return {"model": "gpt-4o", "choices": [{"message": {"role": "assistant", "content": "answer"}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def test_redis_out_of_memory_is_store_unavailable_and_the_answer_still_comes_back(redis_server) -> None:
    server = redis_server(persistent=False)
    admin = redis.Redis.from_url(server.url)
    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}], server.url, model="gpt-4o")

    @guarded(budget=budget)
    def model(prompt: str) -> dict:
        admin.config_set("maxmemory", 1)  # memory fills up while the model answers: writes refused
        return _answer(prompt)

    with scope(user="alice"):
        assert model("hello")["choices"][0]["message"]["content"] == "answer"
        error = last_report().extra["budget"]["error"]
        assert "not settled" in error and "maxmemory" in error
        with pytest.raises(StoreUnavailable, match="refused the operation.*maxmemory"):
            model("hello")
    admin.config_set("maxmemory", 0)


def test_a_read_only_replica_is_store_unavailable(redis_server) -> None:
    primary = redis_server(persistent=False)
    replica = redis_server(persistent=False)
    store = RedisStore(replica.url)  # the epoch is written while it is still a primary
    redis.Redis.from_url(replica.url).replicaof("127.0.0.1", primary.port)
    with pytest.raises(StoreUnavailable):  # READONLY, or the epoch lost in the resync
        store.reserve([Window(("k",), 10, 1, 60)], 1.0, "op")


@pytest.mark.parametrize("policy", ["volatile-lru", "allkeys-lru", "volatile-ttl"])
def test_a_server_that_may_evict_keys_is_refused(redis_server, policy) -> None:
    server = redis_server(persistent=False, args=("--maxmemory-policy", policy))
    with pytest.raises(ConfigError, match=f"maxmemory-policy '{policy}'.*noeviction"):
        Budget([{"per": "user", "tokens": 1000, "window": "day"}], server.url)
    assert redis.Redis.from_url(server.url).dbsize() == 0  # nothing written


def test_reopening_checks_the_policy_again(redis_server) -> None:
    server = redis_server(persistent=False)
    store = RedisStore(server.url)
    redis.Redis.from_url(server.url).config_set("maxmemory-policy", "volatile-lru")
    with pytest.raises(ConfigError, match="volatile-lru"):
        store.reopen()


def test_the_policy_is_read_from_info_where_config_is_disabled(redis_server) -> None:
    evicting = redis_server(persistent=False, args=("--maxmemory-policy", "volatile-lru",
                                                   "--rename-command", "CONFIG", ""))
    with pytest.raises(redis.ResponseError):
        redis.Redis.from_url(evicting.url).config_get("maxmemory-policy")
    with pytest.raises(ConfigError, match="volatile-lru"):
        RedisStore(evicting.url)
    safe = redis_server(persistent=False, args=("--rename-command", "CONFIG", ""))
    store = RedisStore(safe.url)
    assert store.reserve([Window(("k",), 10, 4, 60)], 1.0, "op").used == (4.0,)


def test_memory_store_purges_expired_keys_of_ids_not_seen_again() -> None:
    now = [1_000_000.0]
    budget = Budget([{"per": "session", "requests": 10, "window": "1m"},
                     {"per": "session", "tokens": 10_000, "window": "1h", "algorithm": "sliding"},
                     {"per": "session", "requests": 5, "window": "1m", "algorithm": "token_bucket"}],
                    "memory://", model="gpt-4o", clock=lambda: now[0])

    def one_call(session: str) -> None:
        ctx = Context(scope=Scope(session=session))
        budget.settle(budget.reserve(ctx, prompt="hi"), ctx)

    for i in range(3000):
        one_call(f"early-{i}")
        now[0] += 0.1
    now[0] += 7 * 86400  # every window of the early sessions is long over
    for i in range(1000):
        one_call(f"late-{i}")
    store = budget.store
    assert isinstance(store, MemoryStore)
    # what is left is the late sessions' (a counter per fixed and sliding window, a bucket)
    assert (len(store._counters), len(store._buckets)) == (2000, 1000)
    assert all("session=late-" in key for key in [*store._counters, *store._buckets])


def test_a_user_that_may_not_read_the_policy_is_told_what_to_grant(redis_server) -> None:
    server = redis_server(persistent=False)
    redis.Redis.from_url(server.url).acl_setuser("limited", enabled=True, passwords=["+s3cretpw"],
                                                 keys=["*"], commands=["+@all", "-info", "-config"])
    url = f"redis://limited:s3cretpw@127.0.0.1:{server.port}/0"
    with pytest.raises(ConfigError, match=r"ACL \+info") as info:
        RedisStore(url)
    assert "s3cretpw" not in str(info.value) and "limited:***@" in str(info.value)


def test_messages_never_show_the_password() -> None:
    with pytest.raises(StoreUnavailable) as info:
        RedisStore("redis://app:hunter22@127.0.0.1:1/0", socket_timeout=0.2, retries=0)
    assert "hunter22" not in str(info.value) and "app:***@127.0.0.1:1" in str(info.value)
