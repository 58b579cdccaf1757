"""Suite-wide checks. In CI the Redis tests must run, not skip: scripts/test.sh starts a
redis-server and sets GUARDLAYER_TEST_REDIS_URL."""
from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not os.environ.get("GUARDLAYER_TEST_REDIS_URL"):
        raise pytest.UsageError("CI is set but GUARDLAYER_TEST_REDIS_URL is not: run the suite "
                                "through scripts/test.sh (make test), which starts redis-server")
