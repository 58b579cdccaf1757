"""Time limits on this thread's time: other threads' work does not time a pattern out, a
pattern slow on its own still does."""
from __future__ import annotations

import copy
import pickle
import random
import threading
import time

import pytest
import regex

from guardlayer import timed_regex
from guardlayer.timed_regex import each_match, timed_compile


def _busy_elsewhere(seconds: float) -> None:
    """Spend ``seconds`` of the process's CPU time in another thread (this one waits)."""
    def burn() -> None:
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass
    worker = threading.Thread(target=burn)
    worker.start()
    worker.join()


def test_a_regex_iterator_counts_other_threads_work() -> None:
    """Why finditer finds all its matches at once: the module's clock runs from its making."""
    lazy = regex.compile(r"a").finditer("a" * 100, timeout=0.1)
    _busy_elsewhere(0.2)
    with pytest.raises(TimeoutError):
        list(lazy)


def test_finditer_finds_every_match_at_once() -> None:
    pattern = timed_compile(r"\d+")
    found = pattern.finditer("a1 b22 c333", timeout=0.1)
    _busy_elsewhere(0.2)
    assert [m.group() for m in found] == ["1", "22", "333"]
    assert pattern.pattern == r"\d+" and pattern.groups == 0


def test_a_time_out_from_other_threads_work_is_tried_again_with_a_scaled_limit() -> None:
    limits: list[float] = []

    def search(*args: object, timeout: float) -> str:
        limits.append(timeout)
        if len(limits) < 3:
            _busy_elsewhere(0.05)  # the process's time runs out, this thread's does not
            raise TimeoutError("regex timed out")
        return "found"

    assert timed_regex._again(search, ("text",), {}, 0.04, tries=3) == "found"
    assert limits[:2] == [0.04, 0.04] and limits[2] > 0.04


def test_a_pattern_slow_on_its_own_fails_on_its_second_try() -> None:
    calls: list[float] = []

    def search(*args: object, timeout: float) -> str:
        calls.append(timeout)
        end = time.thread_time() + timeout
        while time.thread_time() < end:
            pass
        raise TimeoutError("regex timed out")

    with pytest.raises(TimeoutError):
        timed_regex._again(search, ("text",), {}, 0.02, tries=3)
    assert calls == [0.02, 0.02]


def test_a_catastrophic_pattern_times_out() -> None:
    with pytest.raises(TimeoutError):
        timed_compile(r"(?:a|a)+$").search("a" * 40 + "b", timeout=0.05)


def test_each_match_is_finditer_up_to_its_first_empty_match() -> None:
    rng = random.Random(1)
    patterns = [timed_compile(p) for p in (r"a*", r"\b|x", r"[{}\[\]]|\Z", r"ab|b")]
    for _ in range(2000):
        text = "".join(rng.choice("ab{}[] x") for _ in range(rng.randint(0, 30)))
        pos = rng.randint(0, len(text))
        for p in patterns:
            spans = [m.span() for m in p.compiled.finditer(text, pos)]
            empty = next((i for i, (s, e) in enumerate(spans) if s == e), len(spans) - 1)
            assert [m.span() for m in each_match(p, text, pos)] == spans[:empty + 1]


def test_copies_stay_timed() -> None:
    """Presidio copies recognisers (and their patterns): a copy must not become a bare pattern."""
    pattern = timed_compile(r"a+")
    for copied in (copy.copy(pattern), copy.deepcopy(pattern), pickle.loads(pickle.dumps(pattern))):
        assert isinstance(copied, timed_regex.TimedPattern) and copied.search("baa").span() == (1, 3)
