"""A real redis-server restarted under a running budget: with persistence the counts survive
and the client reconnects; while it is down, and after it lost its data, the store refuses
with a clear error instead of answering from nothing."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded
from guardlayer.report import Attempt, Usage
from guardlayer.stores import StoreUnavailable

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(),
                                reason="redis-server is not installed on this machine")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, folder: Path, port: int, persistent: bool) -> None:
        self.folder, self.port, self.persistent, self.proc = folder, port, persistent, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always",
             "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
def server(tmp_path):
    srv = Server(tmp_path, _free_port(), persistent=True)
    srv.start()
    yield srv
    srv.stop()


def spend(budget: Budget, tokens: int) -> None:
    ctx = Context(scope=Scope(user="u"))
    ticket = budget.reserve(ctx)
    ctx.report.attempts.append(Attempt("m", "call", usage=Usage(tokens, 0)))
    budget.settle(ticket, ctx)


def test_restart_with_persistence_is_survived(server) -> None:
    budget = Budget([{"per": "user", "tokens": 100, "window": "day"}],
                    f"redis://127.0.0.1:{server.port}/0", reserve_output_tokens=10)
    for _ in range(6):
        spend(budget, 10)
    server.stop()
    with pytest.raises(StoreUnavailable, match="unreachable"):
        spend(budget, 10)
    server.start()
    spend(budget, 10)  # same client object: it reconnects
    assert budget.remaining(Context(scope=Scope(user="u")))[0]["used"] == 70
    for _ in range(3):
        spend(budget, 10)
    with pytest.raises(BudgetExceeded):
        spend(budget, 10)


def test_data_loss_is_refused_not_recounted(tmp_path) -> None:
    srv = Server(tmp_path, _free_port(), persistent=False)
    srv.start()
    try:
        budget = Budget([{"per": "user", "tokens": 100, "window": "day"}],
                        f"redis://127.0.0.1:{srv.port}/0", reserve_output_tokens=10)
        for _ in range(9):
            spend(budget, 10)
        srv.stop()
        srv.start()  # no persistence: every count is gone
        with pytest.raises(StoreUnavailable, match="lost its data"):
            spend(budget, 10)
    finally:
        srv.stop()
