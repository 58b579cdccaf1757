"""Per-call overhead of the chain (0, 1 and 5 trivial guards, sync and async) against
calling the function bare, and the import time of ``guardlayer``.

    guardlayer bench overhead [--calls N] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

from ._common import percentiles, positive, save_json


class _Pass:
    name = "pass"

    def check(self, text: str, ctx: Any) -> Any:
        from ..verdict import Verdict

        return Verdict.ok()


def _per_call_us(fn: Callable[[str], Any], calls: int) -> float:
    """Median over 5 rounds of the mean time per call, in microseconds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn("hello")
        rounds.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(rounds)


def _per_call_us_async(fn: Callable[[str], Any], calls: int) -> float:
    async def rounds() -> list[float]:
        out = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(calls):
                await fn("hello")
            out.append((time.perf_counter() - start) / calls * 1e6)
        return out

    return statistics.median(asyncio.run(rounds()))


def _import_ms(runs: int) -> dict[str, float]:
    code = "import time; t = time.perf_counter(); import guardlayer; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) * 1000 for _ in range(runs)]
    return {"median": statistics.median(times), **percentiles(times, (50, 95))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="guardlayer bench overhead", description=__doc__)
    parser.add_argument("--calls", type=positive(int), default=20000, help="calls per round")
    parser.add_argument("--imports", type=positive(int), default=15, help="fresh interpreters for import time")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)

    from ..decorator import guarded

    def bare(prompt: str) -> str:
        return "answer"

    async def abare(prompt: str) -> str:
        return "answer"

    results: dict[str, Any] = {"calls_per_round": args.calls, "sync": {}, "async": {}}
    base_sync = _per_call_us(bare, args.calls)
    base_async = _per_call_us_async(abare, args.calls)
    results["sync"]["bare_us"], results["async"]["bare_us"] = base_sync, base_async
    for n in (0, 1, 5):
        guards = [_Pass() for _ in range(n)]
        sync_us = _per_call_us(guarded(bare, input=guards[: (n + 1) // 2], output=guards[(n + 1) // 2:]),
                               args.calls) - base_sync
        async_us = _per_call_us_async(guarded(abare, input=guards[: (n + 1) // 2],
                                              output=guards[(n + 1) // 2:]), args.calls) - base_async
        results["sync"][f"{n}_guards_overhead_us"] = sync_us
        results["async"][f"{n}_guards_overhead_us"] = async_us
    for side in ("sync", "async"):
        r = results[side]
        r["fixed_us"] = r["0_guards_overhead_us"]
        r["per_guard_us"] = (r["5_guards_overhead_us"] - r["0_guards_overhead_us"]) / 5
    results["import_ms"] = _import_ms(args.imports)
    results["targets"] = {"per_guard_us": 20, "fixed_us": 50, "import_ms": 100}

    for side in ("sync", "async"):
        r = results[side]
        print(f"{side:5}: bare {r['bare_us']:.2f} us/call; overhead 0/1/5 guards "
              f"{r['0_guards_overhead_us']:.1f} / {r['1_guards_overhead_us']:.1f} / "
              f"{r['5_guards_overhead_us']:.1f} us; fixed {r['fixed_us']:.1f} us, "
              f"per guard {r['per_guard_us']:.2f} us")
    print(f"import guardlayer: median {results['import_ms']['median']:.1f} ms")
    save_json(args.json, results)
    return 0
