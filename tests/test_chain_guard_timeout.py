"""A step's ``timeout`` bounds its guard's check: past it the verdict fails (an error, fail
closed) and the step's ``on_fail`` decides, on every side and path where a step judges."""
from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from support import Deny
from test_chain_budget_io import beats_while

from guardlayer import (
    Blocked,
    Chain,
    ConfigError,
    RuleFileError,
    Verdict,
    guarded,
    last_report,
    load_rules,
    register,
    step,
)
from guardlayer.chain import IDLE_GUARD_WORKERS, STUCK_LIMIT
from guardlayer.registry import unregister
from guardlayer.verdict import Action

LIMIT = 0.2


class Hang:
    """Waits on ``release`` before passing when ``word`` is in the text (all texts: ``""``)."""

    def __init__(self, release: threading.Event, word: str = "", holdback: int | None = None) -> None:
        self.release, self.word, self.started = release, word, 0
        self.name = "hang"
        if holdback is not None:
            self.holdback = holdback

    def check(self, text: str, ctx: object) -> Verdict:
        if self.word in text:
            self.started += 1
            self.release.wait(30)
        return Verdict.ok()


class ToolHang(Hang):
    tool_arguments = True


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # the stuck checks' threads end


def timed_out(report: Any) -> Any:
    check = next(c for c in report.checks if c.verdict.guard == "hang" and not c.verdict.passed)
    assert check.verdict.reason == f"guard timed out after {LIMIT:g}s" and check.verdict.meta["error"]
    assert LIMIT * 1000 * 0.9 <= check.ms < LIMIT * 1000 * 5
    return check


def test_an_input_guard_that_hangs_blocks_the_call_within_its_limit(release: threading.Event) -> None:
    called = []
    ask = guarded(input=[step(Hang(release), "block", timeout=LIMIT)])(lambda prompt: called.append(prompt))
    start = time.perf_counter()
    with pytest.raises(Blocked, match="guard timed out after 0.2s") as info:
        ask("hello")
    assert time.perf_counter() - start < LIMIT * 5 and not called
    assert timed_out(info.value.report).action is Action.BLOCK


@pytest.mark.parametrize("on_fail, action", [("log", Action.LOG), ("fix", Action.BLOCK),
                                             ("fallback", Action.FALLBACK)])
def test_on_fail_decides_for_a_timed_out_guard_as_for_a_crashed_one(release: threading.Event, on_fail: str,
                                                                    action: Action) -> None:
    ask = guarded(output=[step(Hang(release), on_fail, timeout=LIMIT)], fallback="sorry")(
        lambda prompt: "answer")
    if action is Action.BLOCK:  # a fix needs fixed text: there is none
        with pytest.raises(Blocked):
            ask("q")
        report = last_report()
    else:
        assert ask("q") == ("answer" if action is Action.LOG else "sorry")
        report = last_report()
    assert timed_out(report).action is action


def test_a_guard_that_answers_in_time_is_unaffected(release: threading.Event) -> None:
    release.set()
    ask = guarded(input=[step(Deny(), "fix", timeout=5)], output=[step(Hang(release), timeout=5)])(
        lambda prompt: f"echo {prompt}")
    assert ask("a bad word") == "echo a *** word"
    assert [c.verdict.passed for c in last_report().checks] == [False, True]


def test_a_guard_raising_in_its_thread_still_fails_closed_with_its_error() -> None:
    class Late:
        def check(self, text: str, ctx: object) -> Verdict:
            raise TimeoutError("its own socket")

    with pytest.raises(Blocked, match="guard raised TimeoutError: its own socket"):
        guarded(input=[step(Late(), timeout=5)])(lambda prompt: "x")("q")


def test_a_guard_stuck_again_and_again_holds_a_bounded_number_of_threads(release: threading.Event) -> None:
    guard = Hang(release)
    ask = guarded(input=[step(guard, "log", timeout=0.1)])(lambda prompt: "answer")
    threads = threading.active_count()
    for _ in range(STUCK_LIMIT + 4):
        assert ask("q") == "answer"
    assert guard.started == STUCK_LIMIT  # then its checks failed at once, adding no threads
    assert threading.active_count() <= threads + STUCK_LIMIT
    (check,) = last_report().checks
    assert "still running past their timeout" in check.verdict.reason and check.verdict.meta["error"]
    assert check.ms < 100  # failed at once, not after its limit
    release.set()
    deadline = time.monotonic() + 10
    while guard.started == STUCK_LIMIT and time.monotonic() < deadline:
        ask("q")  # its threads came back: the guard runs again
    assert guard.started > STUCK_LIMIT


def test_concurrent_calls_check_at_once_and_keep_a_bounded_number_of_idle_threads() -> None:
    # every check waits until all calls are checking: checks queued behind a fixed pool of
    # threads would never start, and the running ones would time out
    many = IDLE_GUARD_WORKERS + 8
    everyone = threading.Barrier(many, timeout=10)

    class Together:
        def check(self, text: str, ctx: object) -> Verdict:
            everyone.wait()
            return Verdict.ok()

    ask = guarded(input=[step(Together(), timeout=8)])(lambda prompt: "ok")
    with ThreadPoolExecutor(many) as callers:
        assert list(callers.map(ask, ["q"] * many)) == ["ok"] * many

    def guard_threads() -> int:
        return sum(t.name == "guardlayer-call guards" for t in threading.enumerate())

    deadline = time.monotonic() + 5
    while guard_threads() > IDLE_GUARD_WORKERS and time.monotonic() < deadline:
        time.sleep(0.01)
    assert guard_threads() <= IDLE_GUARD_WORKERS


def test_a_streamed_answer_is_cut_when_a_prefix_guard_hangs(release: threading.Event) -> None:
    def model(prompt: str) -> Iterator[str]:
        yield from ["fine words, ", "then stop", " and more"]

    guard = Hang(release, word="stop", holdback=4)
    pieces = []
    with pytest.raises(Blocked, match="stream cut by hang: guard timed out"):
        for piece in guarded(model, output=[step(guard, timeout=LIMIT)])("q"):
            pieces.append(piece)
    assert "stop" not in "".join(pieces)
    timed_out(last_report())


def test_a_streamed_answer_is_rejected_at_its_end_when_a_whole_answer_guard_hangs(
        release: threading.Event) -> None:
    def model(prompt: str) -> Iterator[str]:
        yield from ["one ", "two"]

    with pytest.raises(Blocked, match="rejected by hang: guard timed out"):
        list(guarded(model, output=[step(Hang(release), timeout=LIMIT)])("q"))


def test_a_tool_call_check_that_hangs_blocks(release: threading.Event) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "run", "arguments": json.dumps({"q": "x"})}}
    response = {"choices": [{"message": {"role": "assistant", "content": "ok", "tool_calls": [call]}}]}
    guard = ToolHang(release, word='"q"')
    with pytest.raises(Blocked, match="guard timed out"):
        guarded(output=[step(guard, timeout=LIMIT)])(lambda prompt: response)("q")
    assert timed_out(last_report()).target == "tool_calls[0].arguments"


async def test_an_async_call_is_blocked_in_time_and_the_loop_goes_on(release: threading.Event) -> None:
    async def model(prompt: str) -> str:
        return "answer"

    async def ask() -> None:
        with pytest.raises(Blocked, match="guard timed out") as info:
            await guarded(model, output=[step(Hang(release), timeout=LIMIT)])("q")
        timed_out(info.value.report)

    assert await beats_while(ask()) >= 3  # the guard's wait was in a thread (on the loop: 0)


async def test_an_async_stream_is_cut_when_a_prefix_guard_hangs(release: threading.Event) -> None:
    async def model(prompt: str) -> AsyncIterator[str]:
        for piece in ["fine words, ", "then stop", " and more"]:
            yield piece

    with pytest.raises(Blocked, match="guard timed out"):
        async for _ in guarded(model, input=[step(Deny(), timeout=5)],
                               output=[step(Hang(release, word="stop", holdback=4), timeout=LIMIT)])("q"):
            pass
    timed_out(last_report())


def test_the_chain_wide_limit_applies_to_steps_without_their_own() -> None:
    chain = Chain.build([Deny(), step(Deny("x"), timeout=3)], [Deny()], guard_timeout=1.5)
    assert [s.timeout for s in (*chain.input, *chain.output)] == [1.5, 3, 1.5]
    assert [s.timeout for s in Chain.build([Deny()]).input] == [None]
    assert guarded(input=[Deny()], guard_timeout=0.5)(lambda prompt: "x").chain.input[0].timeout == 0.5


@pytest.mark.parametrize("limit", [0, -1, "2", True, float("nan"), float("inf")])
def test_a_bad_limit_in_code_names_the_field(limit: Any) -> None:
    with pytest.raises(ConfigError, match="timeout") as info:
        step(Deny(), timeout=limit)
    assert info.value.field == "timeout"


@pytest.mark.parametrize("limit", [0, -1, "abc", float("nan")])
def test_a_bad_chain_wide_limit_in_code_names_the_option(limit: Any) -> None:
    with pytest.raises(ConfigError) as info:
        Chain.build([Deny()], guard_timeout=limit)
    assert info.value.field == "guard_timeout"


@pytest.fixture
def hang_guard(release: threading.Event) -> Iterator[None]:
    register("hang")(lambda: Hang(release))
    yield
    unregister("hang")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chain.yaml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.usefixtures("hang_guard")
def test_a_rule_file_sets_a_guards_limit_and_a_default(tmp_path: Path) -> None:
    path = write(tmp_path, f"""
        guard_timeout: 7
        input:
          - guard: hang
            on_fail: block
            timeout: {LIMIT}
        output:
          - guard: hang
            name: later
    """)
    chain = load_rules(path)
    assert [s.timeout for s in (*chain.input, *chain.output)] == [LIMIT, 7]
    with pytest.raises(Blocked, match="guard timed out"):
        guarded(lambda prompt: "x", rules=path)("q")
    timed_out(last_report())


@pytest.mark.usefixtures("hang_guard")
@pytest.mark.parametrize("value", ["-1", "abc", "0"])
def test_a_bad_limit_in_a_rule_file_names_the_file_line_and_field(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"""
        input:
          - guard: hang
            on_fail: block
            timeout: {value}
    """)
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 5, "input[0].timeout")
    assert "timeout" in err.message and value in err.message


@pytest.mark.usefixtures("hang_guard")
def test_a_bad_chain_wide_limit_in_a_rule_file_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, """
        name: x
        guard_timeout: -1
        input: [{guard: hang}]
    """)
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    assert (info.value.line, info.value.field) == (3, "guard_timeout")


class CallsAService:
    """A guard whose own constructor takes ``timeout`` (its HTTP client's)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def check(self, text: str, ctx: Any) -> Verdict:
        return Verdict.ok()


@pytest.fixture
def service_guard() -> Iterator[None]:
    register("service")(CallsAService)
    yield
    unregister("service")


@pytest.mark.usefixtures("service_guard")
def test_a_step_timeout_that_would_hide_the_guards_own_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="would hide") as info:
        step("service", timeout=2)
    assert info.value.field == "timeout"
    path = write(tmp_path, """
        input:
          - guard: service
            timeout: 2
    """)
    with pytest.raises(RuleFileError) as ruled:
        load_rules(path)
    assert (ruled.value.line, ruled.value.field) == (4, "input[0].timeout")
    assert step("service").guard.timeout == 10.0  # untimed, the guard keeps its own
    assert step(CallsAService(timeout=3), timeout=2).timeout == 2  # built by the caller: both
