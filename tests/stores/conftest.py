"""Store URLs for the store tests: memory, a real SQLite file and (when the test set-up runs
one, as CI does) a real Redis server given by GUARDLAYER_TEST_REDIS_URL."""
from __future__ import annotations

import os
import uuid

import pytest

REDIS_URL = os.environ.get("GUARDLAYER_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="GUARDLAYER_TEST_REDIS_URL is not set: no test Redis server "
                          "(scripts/test.sh starts a redis-server and sets it)")


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=needs_redis)])
def store(request, tmp_path):
    from guardlayer.stores import open_store

    if request.param == "memory":
        s = open_store("memory://")
    elif request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'budget.db'}")
    else:
        from guardlayer.stores.redis import RedisStore

        s = RedisStore(REDIS_URL, namespace=f"test-{uuid.uuid4().hex}")
    yield s
    s.close()


@pytest.fixture
def ns() -> str:
    """A key prefix no other test (or other run on the same Redis) uses."""
    return f"t{uuid.uuid4().hex[:12]}"
