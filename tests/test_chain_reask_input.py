"""A re-ask sends a longer conversation (the answer and the reason added): input guards that
judge every request (``per_request``, a token limit) judge it too, and one that refuses it
stops the re-asks (the call goes on as when they run out: fallbacks, else `Blocked`)."""
from __future__ import annotations

import pytest
from support import ParseInt

from guardlayer import Blocked, Verdict, guarded, last_report
from guardlayer.context import Context
from guardlayer.testing import ScriptedModel


class AtMost:
    """Per request: refuses a conversation of more than ``turns`` messages (``fix``: keeps the
    last ``turns``)."""

    per_request = True

    def __init__(self, turns: int, fix: bool = False) -> None:
        self.turns, self.fix, self.name, self.seen = turns, fix, "at-most", 0

    def check(self, text: str, ctx: Context) -> Verdict:
        self.seen += 1
        messages = ctx.messages or []
        if len(messages) <= self.turns:
            return Verdict.ok()
        if self.fix:
            return Verdict.fail("too many turns", value=messages[-self.turns:], meta={"messages": True})
        return Verdict.fail("too many turns")


class Counts:
    """Judges once per call: not per request."""

    name = "counts"

    def __init__(self) -> None:
        self.seen = 0

    def check(self, text: str, ctx: Context) -> Verdict:
        self.seen += 1
        return Verdict.ok()


def conversation() -> list[dict[str, str]]:
    return [{"role": "system", "content": "count"}, {"role": "user", "content": "how many?"}]


def test_a_reask_the_per_request_guard_refuses_is_not_sent() -> None:
    model = ScriptedModel(["nope", "3"])
    ask = guarded(lambda messages: model(messages=messages),
                  input=[(AtMost(3), "block")], output=[(ParseInt(), "reask")], retries=2, fallback="-1")
    assert ask(conversation()) == -1  # the fallback: the re-ask (4 messages) was not sent
    assert len(model.calls) == 1 and last_report().reasks == 0
    model = ScriptedModel(["nope", "3"])
    ask = guarded(lambda messages: model(messages=messages),
                  input=[(AtMost(3), "block")], output=[(ParseInt(), "reask")], retries=2)
    with pytest.raises(Blocked, match="expected a whole number"):
        ask(conversation())


def test_a_reask_the_per_request_guard_would_cut_is_not_sent_and_others_judge_once() -> None:
    model = ScriptedModel(["nope", "3"])
    limit, once = AtMost(3, fix=True), Counts()
    ask = guarded(lambda messages: model(messages=messages), input=[(once, "block"), (limit, "fix")],
                  output=[(ParseInt(), "reask")], retries=2, fallback="-1")
    assert ask(conversation()) == -1  # a cut could drop the question itself: not sent
    assert len(model.calls) == 1
    assert once.seen == 1 and limit.seen > 1  # judged the user's text once; the limit, the re-ask too
    roomy, model = AtMost(9, fix=True), ScriptedModel(["nope", "3"])
    ask = guarded(lambda messages: model(messages=messages), input=[(roomy, "fix")],
                  output=[(ParseInt(), "reask")], retries=2)
    assert ask(conversation()) == 3 and len(model.calls[1]) == 4  # a re-ask that fits is sent as it is
