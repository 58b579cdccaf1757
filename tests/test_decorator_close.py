"""A guarded generator function closed early closes the provider's stream before its Report."""
from __future__ import annotations

import asyncio
import logging

from guardlayer import Verdict, guarded


class _Live:
    holdback = 4

    def check(self, text, ctx):
        return Verdict.ok()


def test_an_async_generator_closed_early_closes_the_provider_first(caplog):
    events = []

    @guarded(output=[_Live()])
    async def chat(prompt: str):
        try:
            for i in range(100):
                await asyncio.sleep(0)
                yield f"tok{i} "
        finally:
            events.append("provider closed")

    async def main():
        stream = chat("hi")
        async for _ in stream:
            break
        await stream.aclose()
        events.append("closed")

    with caplog.at_level(logging.INFO, logger="guardlayer"):
        asyncio.run(main())
    outcomes = [r.guardlayer["outcome"] for r in caplog.records if hasattr(r, "guardlayer")]
    assert events == ["provider closed", "closed"] and outcomes == ["abandoned"]
