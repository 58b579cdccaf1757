"""Small guards for the chain's tests."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from guardlayer import Finding, Verdict


class Deny:
    """Fails when ``word`` appears; its fix replaces the word with stars."""

    def __init__(self, word: str = "bad", holdback: int | None = None) -> None:
        self.word = word
        self.name = f"deny-{word}"
        if holdback is not None:
            self.holdback = holdback

    def check(self, text: str, ctx: object) -> Verdict:
        at = text.find(self.word)
        if at < 0:
            return Verdict.ok()
        return Verdict.fail(f"says {self.word!r}", score=0.9,
                            fixed=text.replace(self.word, "*" * len(self.word)),
                            findings=[Finding(self.word, at, at + len(self.word))])


class Crash:
    name = "crash"

    def check(self, text: str, ctx: object) -> Verdict:
        raise RuntimeError("boom")


class Upper:
    """Passes and transforms: upper-cases the text (like PII restore does on output)."""

    name = "upper"

    def check(self, text: str, ctx: object) -> Verdict:
        return Verdict.ok(fixed=text.upper())


class ParseInt:
    """An output guard that parses an int value, or asks again."""

    name = "int"

    def check(self, text: str, ctx: object) -> Verdict:
        try:
            return Verdict.ok(value=int(text.strip()))
        except ValueError:
            return Verdict.fail(f"expected a whole number, got {text[:20]!r}")


class LiveUpper(Upper):
    """`Upper` that judges streamed prefixes (holdback 0: nothing held back)."""

    holdback = 0


class Restore:
    """Replaces ``<X>`` with ``ex``; never lets a stream be cut inside ``<...>``."""

    name = "restore"
    holdback = 10
    restores = True  # like the PII guard on output: puts hidden originals back

    def check(self, text: str, ctx: object) -> Verdict:
        return Verdict.ok(fixed=text.replace("<X>", "ex"))

    def safe_boundary(self, text: str) -> int:
        opened = text.rfind("<")
        return opened if opened > text.rfind(">") else len(text)


async def leave_mid_request(app: Any, path: str, body: bytes, started: Callable[[], bool]) -> list[dict[str, Any]]:
    """POST ``body`` to the ASGI ``app`` at ``path`` and disconnect once ``started()`` (polled)
    holds: what the app sent, once its call has ended."""
    gone = asyncio.Event()
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop()
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "client": ("127.0.0.1", 5000), "server": ("proxy.test", 80),
             "headers": [(b"content-type", b"application/json")]}
    call = asyncio.create_task(app(scope, receive, send))
    while not started():
        await asyncio.sleep(0.01)
    gone.set()
    await call
    return sent
