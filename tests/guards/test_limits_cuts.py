"""Where truncation cuts (never inside a placeholder or a grapheme), a reserve that leaves no
input refused when the guard is built, and an estimated count held to the limit by its upper
bound."""
from __future__ import annotations

import base64
import hashlib

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from guardlayer import Blocked, guarded
from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.limits import TokenLimit, truncate
from guardlayer.tokens import count, counter_for

PSEUDONYMIZED = "Please write to <PERSON_1> at <EMAIL_ADDRESS_1> about the order <ID_12> today."
PLACEHOLDER = regex.compile(r"<[A-Z][A-Z0-9_]*>")
EMOJI = "🇩🇪🇫🇷 👨‍👩‍👧 日本語 ñ and é 👍🏽 🏳️‍🌈"


def pieces(text: str) -> list[str]:
    """What a cut may leave of a placeholder: ``<``, ``<PERSON``, ``_1>``... anything with ``<``
    or ``>`` but not a whole placeholder."""
    return [p for p in regex.split(r"\s+", PLACEHOLDER.sub("", text)) if "<" in p or ">" in p]


@pytest.mark.parametrize("cut", ["head", "tail", "middle"])
def test_no_cut_leaves_part_of_a_placeholder(cut: str) -> None:
    counter = counter_for("gpt-4o")
    for keep in range(1, counter.count(PSEUDONYMIZED)):
        out = truncate(PSEUDONYMIZED, counter, keep, cut, "\n[...]\n")
        assert counter.count(out) <= keep and not pieces(out.replace("\n[...]\n", " ")), (keep, out)


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4o", "mystery-model"])
@pytest.mark.parametrize("cut", ["head", "tail", "middle"])
def test_no_cut_splits_a_grapheme(model: str, cut: str) -> None:
    counter = counter_for(model)
    whole = regex.findall(r"\X", EMOJI)
    for keep in range(1, counter.count(EMOJI)):
        out = truncate(EMOJI, counter, keep, cut, "|")
        assert counter.count(out) <= keep
        for part in out.split("|"):  # each side is a run of the text's own graphemes
            found = regex.findall(r"\X", part)
            assert any(whole[i:i + len(found)] == found for i in range(len(whole) - len(found) + 1)), (keep, out)


PARTS = list("ab <>_AZ19\n") + ["<EMAIL_1>", "🇩🇪", "👨‍👩‍👧", "e\u0301", "\u0301", "日", "👍🏽"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PARTS), max_size=40).map("".join), st.integers(1, 30),
       st.sampled_from(["head", "tail", "middle"]), st.sampled_from(["gpt-4o", "gpt-4", "mystery-model"]))
def test_any_cut_keeps_whole_graphemes_of_the_text(text: str, keep: int, cut: str, model: str) -> None:
    counter = counter_for(model)
    out = truncate(text, counter, keep, cut, "|")
    assert counter.count(out) <= keep or out in ("", "|")  # (a marker alone may be over)
    whole = regex.findall(r"\X", text)
    for part in out.split("|"):
        found = regex.findall(r"\X", part)
        assert any(whole[i:i + len(found)] == found for i in range(len(whole) - len(found) + 1))


def test_a_truncated_prompt_keeps_its_placeholders_whole() -> None:
    seen = []

    @guarded(input=[TokenLimit(max_tokens=12, model="gpt-4o", strategy="truncate_tail")])
    def ask(prompt: str) -> str:
        seen.append(prompt)
        return "ok"

    ask(PSEUDONYMIZED)
    assert seen == ["Please write to <PERSON_1> at "]


def test_a_reserve_that_leaves_no_input_is_refused_when_built() -> None:
    for reserve in (128_000, 200_000):
        with pytest.raises(ConfigError, match="reserve_output") as info:
            TokenLimit(model="gpt-4o", reserve_output=reserve)
        assert info.value.field == "reserve_output"
    assert TokenLimit(model="gpt-4o", reserve_output=127_999).limit("gpt-4o") == 1
    with pytest.raises(ConfigError, match="reserve_output"):  # the model known only at call time
        TokenLimit(reserve_output=10_000).limit("gpt-4")


def test_an_estimate_is_held_to_the_limit_by_its_upper_bound() -> None:
    # R3's tl9.py: 2,889 cl100k tokens of base64 passed a limit set to the estimate (1,402).
    data = base64.b64encode(b"".join(hashlib.sha256(bytes([i])).digest() for i in range(94))).decode()
    estimate = count(data, "mystery-model")
    assert estimate.upper >= counter_for("gpt-4").count(data)

    @guarded(input=[TokenLimit(max_tokens=estimate.tokens, model="mystery-model")])
    def ask(prompt: str) -> str:
        return "ok"

    with pytest.raises(Blocked, match="upper bound"):
        ask(data)
    ok = TokenLimit(max_tokens=estimate.upper, model="mystery-model").check(data, Context(model="mystery-model"))
    assert ok.passed and ok.meta["limit"] == estimate.upper and ok.meta["exact"] is False
