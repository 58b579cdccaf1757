"""A conversation's history, sent again with every turn, is analysed once."""
from __future__ import annotations

from typing import Any

import pytest

from guardlayer.decorator import guarded
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.recent import Recent


class Span:
    def __init__(self, start: int) -> None:
        self.start = start


def test_each_distinct_text_is_analysed_once_and_the_oldest_forgotten() -> None:
    seen: list[str] = []

    def analyze(text: str) -> list[Any]:
        seen.append(text)
        return [Span(len(text))]

    recent = Recent(2)
    for text in ["a", "bb", "a", "bb", "ccc", "a", "bb"]:
        assert [r.start for r in recent.analysed(text, analyze)] == [len(text)]
    assert seen == ["a", "bb", "ccc", "a", "bb"]  # "a" then "bb" were forgotten for newer texts


def test_results_come_out_as_copies_and_none_are_kept_with_size_0() -> None:
    recent = Recent(4)
    first = recent.analysed("text", lambda text: [Span(1)])
    first[0].start = 99  # a caller moving a span changes no later answer
    assert recent.analysed("text", lambda text: [])[0].start == 1
    calls: list[str] = []
    none = Recent(0)
    none.analysed("text", lambda text: calls.append(text) or [])
    none.analysed("text", lambda text: calls.append(text) or [])
    assert calls == ["text", "text"]


def test_an_analysis_that_fails_is_not_kept() -> None:
    recent = Recent(4)

    def fails(text: str) -> list[Any]:
        raise TimeoutError("pattern timed out")

    with pytest.raises(TimeoutError):
        recent.analysed("text", fails)
    assert recent.analysed("text", lambda text: [Span(3)])[0].start == 3


class Counting:
    """The real, shared Presidio engine, counting the texts it is given."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.texts = engine, []

    def analyze(self, text: str, **kwargs: Any) -> list[Any]:
        self.texts.append(text)
        return self.engine.analyze(text, **kwargs)


@pytest.mark.parametrize("mode", ["regex", "ner"])
def test_a_chat_turn_analyses_only_its_new_messages_with_the_same_result(mode: str) -> None:
    cached, fresh = PIIGuard(mode=mode), PIIGuard(mode=mode, recent=0)
    counting = cached._engine = Counting(cached._engine)
    seen: dict[str, list[Any]] = {"cached": [], "fresh": []}

    def chat(which: str, guard: PIIGuard) -> Any:
        return guarded(input=[guard], output=[guard])(
            lambda messages: seen[which].append(messages) or "Noted, Olivia.")

    history = [{"role": "user", "content": "I'm Olivia Brown, olivia@example.com, +1 202 555 0134."}]
    for which, guard in (("cached", cached), ("fresh", fresh)):
        chat(which, guard)(history)
    assert len(counting.texts) == 2  # the message, then the answer
    history += [{"role": "assistant", "content": "Noted, Olivia."},
                {"role": "user", "content": "Ship it to 12 Baker Street, London NW1 6XE."}]
    for which, guard in (("cached", cached), ("fresh", fresh)):
        chat(which, guard)(history)
    # the first message and the answer (as the earlier turn and as this answer) were analysed before
    assert counting.texts[2:] == ["Ship it to 12 Baker Street, London NW1 6XE."]
    assert seen["cached"] == seen["fresh"]  # what the model saw, scrubbed, is the same
