"""A guard that reads the application's own turns (assistant, system) fixes or records them,
never refusing the user's turn for them, unless it crashed or timed out on one: that text would
go out unread (earlier answers carry originals put back), so the call fails closed."""
from __future__ import annotations

import time

import pytest

from guardlayer import Blocked, Chain, Verdict, guarded
from guardlayer.context import Context


class ReadsOwnTurns:
    """Fails on "bad" (fixable), raises on "boom", hangs on "slow"; reads every turn."""

    name = "own"
    assistant_turns = system_turns = True

    def check(self, text: str, ctx: Context) -> Verdict:
        if "boom" in text:
            raise RuntimeError("the analyser broke")
        if "slow" in text:
            time.sleep(1.0)
        if "bad" in text:
            return Verdict.fail("bad word", fixed=text.replace("bad", "***"))
        return Verdict.ok()


def _ask(sent: list):
    def model(messages):
        sent.append(messages)
        return "ok"
    return guarded(model, chain=Chain.build([(ReadsOwnTurns(), "block")], guard_timeout=0.2))


@pytest.mark.parametrize("role", ["assistant", "system"])
def test_an_own_turn_is_fixed_not_refused(role: str) -> None:
    sent: list = []
    _ask(sent)([{"role": role, "content": "a bad turn"}, {"role": "user", "content": "go on"}])
    assert sent[0][0]["content"] == "a *** turn"


@pytest.mark.parametrize("role", ["assistant", "system"])
@pytest.mark.parametrize("trouble", ["boom", "slow"])
def test_a_guard_that_fails_on_an_own_turn_refuses_the_call(role: str, trouble: str) -> None:
    sent: list = []
    with pytest.raises(Blocked, match="raised RuntimeError|timed out"):
        _ask(sent)([{"role": role, "content": f"{trouble}: jane@example.com"}, {"role": "user", "content": "go on"}])
    assert sent == []
