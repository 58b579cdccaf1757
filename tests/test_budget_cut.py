"""An attempt cut while the provider may have been generating (a timeout, a stream that broke)
is charged a guess, marked not exact, whether the text it received is shorter or longer than
the output reserved for it: the provider bills what it generated, which may be more."""
from __future__ import annotations

import pytest

from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.report import Attempt
from guardlayer.tokens import count

TEXT = "An answer that went on for a while before the stream stopped. " * 30


def _settled(attempt: Attempt, reserve_output_tokens: int) -> dict:
    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}], model="gpt-4o",
                    reserve_output_tokens=reserve_output_tokens)
    ctx = Context(scope=Scope(user="ann"))
    ticket = budget.reserve(ctx, "hi")
    ctx.report.attempts.append(attempt)
    call = budget.settle(ticket, ctx)["call"]
    assert budget.remaining(ctx)[0]["used"] == call["total_tokens"]
    return call


@pytest.mark.parametrize("reserved", [5, 5000])
def test_a_cut_attempt_is_charged_a_guess(reserved: int) -> None:
    received = count(TEXT, "gpt-4o").tokens
    assert 5 < received < 5000
    call = _settled(Attempt("m", "call", error="CallTimeout: no chunk within 1.0 s", prompt="hi",
                            output=TEXT), reserved)
    assert call["output_tokens"] == max(received, reserved)
    assert call["exact"] is False


def test_a_whole_answer_counted_without_a_report_is_exact() -> None:
    call = _settled(Attempt("m", "call", prompt="hi", output=TEXT), 5)
    assert call["output_tokens"] == count(TEXT, "gpt-4o").tokens and call["exact"] is True
