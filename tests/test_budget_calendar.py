"""Calendar windows (day, week, month) are found from the time given, whatever times came
before: the last window found is reused only for a time inside it, also a microsecond before
its end, where `datetime` rounds the time into the next window."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from guardlayer.budget import Budget, _fixed_window
from guardlayer.context import Context, Scope
from guardlayer.errors import BudgetExceeded

JULY = datetime(2024, 7, 1, tzinfo=UTC).timestamp()  # a Monday: day, week and month turn


def _expected(window: str, now: float) -> tuple[str, float]:
    """The window holding ``now``, worked out from its date alone."""
    t = datetime.fromtimestamp(now, UTC)
    day = datetime(t.year, t.month, t.day, tzinfo=UTC)
    if window == "day":
        return f"d{day:%Y%m%d}", (day + timedelta(days=1)).timestamp()
    if window == "week":
        monday = day - timedelta(days=day.weekday())
        return f"w{monday:%Y%m%d}", (monday + timedelta(days=7)).timestamp()
    first = day.replace(day=1)
    after = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=UTC)
    return f"m{first:%Y%m}", after.timestamp()


@pytest.mark.parametrize("window", ["day", "week", "month"])
def test_a_window_is_the_one_holding_the_time_in_any_order(window: str) -> None:
    rng = random.Random(17)
    near = [JULY + d for d in (-1.0, -2e-6, -1e-6, -6e-7, -4e-7, -1e-7, 0.0, 1e-7, 4e-7, 1e-6, 1.0)]
    times = near + [rng.uniform(0, 4e9) for _ in range(300)]
    for order in (times, sorted(times), sorted(times, reverse=True), near[::-1] * 3):
        for now in order:
            assert _fixed_window(window, now) == _expected(window, now), (window, now)


def test_a_clock_that_goes_back_across_midnight_counts_in_the_earlier_day() -> None:
    clock = [JULY - 10.0]  # 23:59:50 on June 30th
    budget = Budget([{"per": "user", "tokens": 100, "window": "day"}], reserve_output_tokens=60,
                    clock=lambda: clock[0])
    ctx = Context(scope=Scope(user="ann"))
    budget.reserve(ctx)
    clock[0] = JULY + 10.0  # a new day: nothing used in it yet
    assert [row["used"] for row in budget.remaining(ctx)] == [0]
    clock[0] = JULY - 5.0  # another machine's clock, a little behind: June 30th again, 60 used
    assert [row["used"] for row in budget.remaining(ctx)] == [60]
    with pytest.raises(BudgetExceeded, match="60 used of 100"):
        budget.reserve(ctx)
