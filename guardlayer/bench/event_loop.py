"""How long a guarded async call keeps the event loop from running anything else, with the
guards run on the loop and in a worker thread (``offload``): a ticker task that sleeps 1 ms
records the gaps between its ticks while calls check texts with the PII guard.

    guardlayer bench event_loop --corpus FILE [--kb 20] [--mode ner|regex] [--calls 3] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from ._common import percentiles, positive, save_json
from .pii import load_corpus


async def _stalls(text: str, mode: str, offload: bool, calls: int) -> dict[str, Any]:
    from ..decorator import guarded
    from ..guards.pii import PIIGuard

    async def model(prompt: str) -> str:
        return "ok"

    guard = PIIGuard(mode=mode, recent=0)  # type: ignore[arg-type]  # (each call checks the same text)
    ask = guarded(model, input=[guard], offload=offload)
    await ask(text)  # warm: the engine and its patterns
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append((now - last) * 1000)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    took = 0.0
    for _ in range(calls):
        start = time.perf_counter()
        await ask(text)
        took += (time.perf_counter() - start) * 1000 / calls
        await asyncio.sleep(0.005)  # the ticker ticks between calls
    done.set()
    await task
    return {"call_ms": round(took, 1), "longest_stall_ms": round(max(gaps), 1),
            "stall_ms": percentiles(gaps), "ticks": len(gaps)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="guardlayer bench event_loop", description=__doc__)
    ap.add_argument("--corpus", type=Path, required=True, help="PII corpus (presidio-research JSON)")
    ap.add_argument("--kb", type=positive(int), default=20, help="size of the checked text, in KB")
    ap.add_argument("--mode", choices=("ner", "regex"), default="ner")
    ap.add_argument("--calls", type=positive(int), default=3)
    ap.add_argument("--json", dest="out")
    args = ap.parse_args(argv)
    text = "\n".join(d["full_text"] for d in load_corpus(args.corpus))[:args.kb * 1024]
    report: dict[str, Any] = {"mode": args.mode, "chars": len(text)}
    for offload in (False, True):
        report[f"offload={offload}"] = res = asyncio.run(_stalls(text, args.mode, offload, args.calls))
        print(f"{args.mode}, {len(text)} chars, offload={offload}: call {res['call_ms']} ms, "
              f"longest event-loop stall {res['longest_stall_ms']} ms")
    save_json(args.out, report)
    return 0
