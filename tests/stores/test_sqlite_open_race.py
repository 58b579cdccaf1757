"""Processes that open one new SQLite budget file at the same moment all open it (switching it to
WAL made some fail with "database is locked": 6 of 90 before)."""
from __future__ import annotations

import multiprocessing as mp


def _open(path: str, barrier, results) -> None:
    from guardlayer.stores.sqlite import SQLiteStore

    barrier.wait()
    try:
        SQLiteStore(path)
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_file_at_once_all_open_it(tmp_path) -> None:
    spawn = mp.get_context("spawn")
    for round_ in range(3):
        path = str(tmp_path / f"b{round_}.db")
        barrier, results = spawn.Barrier(6), spawn.Queue()
        procs = [spawn.Process(target=_open, args=(path, barrier, results)) for _ in range(6)]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert outcomes == ["ok"] * 6
