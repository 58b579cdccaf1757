"""Store URLs for the store tests: memory, a real SQLite file and (when the test set-up runs
one, as CI does) a real Redis server given by GUARDLAYER_TEST_REDIS_URL; and throwaway
redis-servers of the tests' own (`redis_server`), for tests that restart or reconfigure one."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("GUARDLAYER_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="GUARDLAYER_TEST_REDIS_URL is not set: no test Redis server "
                          "(scripts/test.sh starts a redis-server and sets it)")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
needs_redis_server = pytest.mark.skipif(not Path(REDIS_SERVER).exists(),
                                        reason="redis-server is not installed on this machine")


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real redis-server on a free port, in a folder of its own; ``args`` are extra options."""

    def __init__(self, folder: Path, persistent: bool, args: tuple[str, ...] = ()) -> None:
        self.folder, self.port, self.persistent, self.args = folder, _free_port(), persistent, args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always",
             "--save", "", *self.args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path) -> Iterator[Callable[..., Server]]:
    """Starts redis-servers of this test's own (``redis_server(persistent=False, args=(...))``),
    each stopped when the test ends."""
    if not Path(REDIS_SERVER).exists():  # scripts/setup.sh installs it (the README's test command)
        pytest.fail("redis-server is not installed: run scripts/setup.sh (or apt-get install redis-server)")
    started: list[Server] = []

    def start(persistent: bool = True, args: tuple[str, ...] = ()) -> Server:
        folder = tmp_path / f"redis{len(started)}"
        folder.mkdir()
        server = Server(folder, persistent, args)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()
