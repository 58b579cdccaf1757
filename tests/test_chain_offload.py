"""Async chains run slow guards in a worker thread (``offload``), so the event loop stays free."""
from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest
from support import Deny

from guardlayer import Chain, ConfigError, Verdict, guarded, last_report
from guardlayer.guards.pii import PIIGuard
from guardlayer.rules import load_rules
from guardlayer.testing import ScriptedModel

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class Where:
    """Records the thread it judged in (and a context variable it could see)."""

    def __init__(self, offload: bool = False, holdback: int | None = None) -> None:
        self.name, self.offload, self.seen = "where", offload, []
        if holdback is not None:
            self.holdback = holdback

    def check(self, text: str, ctx: object) -> Verdict:
        self.seen.append((threading.get_ident(), REQUEST_ID.get()))
        return Verdict.ok()


class Rendezvous:
    """Passes only when two checks are under way at once (each waits for the other)."""

    name, offload = "rendezvous", True

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=5)

    def check(self, text: str, ctx: object) -> Verdict:
        self.barrier.wait()
        return Verdict.ok()


@pytest.mark.parametrize(("asks", "option", "off_loop"), [
    (True, None, True), (False, None, False), (False, True, True), (True, False, False)])
async def test_guards_run_off_the_event_loop_when_a_guard_asks_or_the_option_says(asks, option, off_loop):
    guard = Where(offload=asks)
    ask = guarded(ScriptedModel(["fine"]).ask, input=[guard], output=[guard],
                  **({} if option is None else {"offload": option}))
    REQUEST_ID.set("req-7")
    assert await ask("q") == "fine"
    loop_thread = threading.get_ident()
    assert len(guard.seen) == 2
    assert all((thread != loop_thread) is off_loop for thread, _ in guard.seen)
    assert all(seen == "req-7" for _, seen in guard.seen)  # the caller's context goes along


async def test_two_calls_check_at_the_same_time_while_the_loop_stays_free():
    # Inline on the loop, the first check would wait on the barrier and block the second
    # call from ever starting: the barrier breaks after 5 s and the guard fails closed.
    guard = Rendezvous()
    ask = guarded(ScriptedModel(["a", "b"]).ask, input=[guard])
    assert sorted(await asyncio.gather(ask("one"), ask("two"))) == ["a", "b"]


async def test_a_blocking_verdict_still_raises_from_the_worker_thread():
    ask = guarded(ScriptedModel(["x"]).ask, input=[Deny("bad"), Where(offload=True)])
    with pytest.raises(Exception, match="bad") as caught:
        await ask("a bad question")
    assert type(caught.value).__name__ == "Blocked" and last_report().outcome == "blocked"


async def test_a_streamed_answer_is_judged_off_the_loop():
    guard = Where(offload=True, holdback=0)
    ask = guarded(ScriptedModel(["a streamed answer"], chunk=4).ask, output=[guard])
    stream = await ask("q")
    assert "".join([piece async for piece in stream]) == "a streamed answer"
    loop_thread = threading.get_ident()
    assert len(guard.seen) > 2 and all(thread != loop_thread for thread, _ in guard.seen)


def test_pii_asks_to_be_offloaded_and_the_option_overrides_it():
    pii = PIIGuard(mode="regex")
    assert Chain.build(input=[pii]).offloads
    assert not Chain.build(input=[pii], offload=False).offloads
    assert not Chain.build(input=[Deny()]).offloads


def test_the_option_is_checked_in_code_and_in_rule_files(tmp_path):
    with pytest.raises(ConfigError, match="offload"):
        Chain.build(input=[Deny()], offload="sometimes")
    good = tmp_path / "good.yaml"
    good.write_text("offload: true\noutput:\n  - guard: canary\n")
    assert load_rules(good).offloads
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: []\noffload: sometimes\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:2 \[offload\]"):
        load_rules(bad)


class Slow:
    """Takes a while in its worker thread (which cannot be stopped)."""

    name, offload = "slow", True

    def __init__(self) -> None:
        self.started, self.done = threading.Event(), threading.Event()

    def check(self, text: str, ctx: object) -> Verdict:
        self.started.set()
        self.done.wait(5)
        return Verdict.ok()


async def test_a_call_cancelled_while_its_guards_run_in_a_thread_raises_cancelled():
    slow = Slow()
    task = asyncio.create_task(guarded(ScriptedModel(["late"]).ask, input=[slow])("q"))
    while not slow.started.is_set():
        await asyncio.sleep(0.005)
    task.cancel()
    await asyncio.sleep(0.02)
    slow.done.set()  # the worker finishes; only then is the call's flow closed
    with pytest.raises(asyncio.CancelledError):  # not "ValueError: generator already executing"
        await task
