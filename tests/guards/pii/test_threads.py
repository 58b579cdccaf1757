"""Many threads checking large texts at once: no check may fail closed on a time-out that other
threads' work caused (the ``regex`` module's limit counts the process's CPU time)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard

LINE = ("Dear {n}, this is Anna Schmidt from billing. Mail anna.schmidt{n}@example.com or call "
        "+1 (415) 555-01{d:02d}. Ship to {n} Baker Street, Apt. 5, London W1U 6TJ. Card 4111 1111 "
        "1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN 078-05-1120, IP 192.168.{d}.7.\n")


def test_concurrent_checks_of_large_texts_do_not_time_out(regex_guard: PIIGuard) -> None:
    text = "".join(LINE.format(n=i, d=i % 100) for i in range(140))  # ~30 KB
    assert len(text) > 28_000
    alone = regex_guard.check(text, Context()).fixed

    def check(_: int) -> str:
        return regex_guard.check(text, Context()).fixed

    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(check, range(48)))  # an exception (a time-out) would escape here
    assert results == [alone] * 48
