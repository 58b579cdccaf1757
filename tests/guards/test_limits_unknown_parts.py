"""Truncating a conversation whose content list holds a part of an unknown type: the cut brings it
within the limit and takes no more than needed. A typed part no provider shape names is counted as
its JSON beside the texts, so the cut is the one the same conversation without it gets, plus the
part's own tokens; a mapping that is no part makes the whole list counted as JSON (its texts
escaped: a token cut may take several with it), and keeping one more token of the text cut last
would put the conversation over the limit."""
from __future__ import annotations

import copy
import functools
import json
import random
from typing import Any

from guardlayer import guarded
from guardlayer.guards.limits import TokenLimit, truncate
from guardlayer.tokens import count_messages, counter_for

MODEL = "gpt-4o"
WORDS = ["alpha", "beta", "gamma", "the", "of", "and", "to", ",", ".", "42", "naïve", "café", "\n",
         '"quoted"', "back\\slash"]
"""Words whose JSON differs from their text (line breaks, quotes, backslashes, accents) and none a
cut must go around (placeholders, graphemes of several characters: `test_limits_cuts`)."""


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 80)))


def conversation(rng: random.Random) -> list[dict[str, Any]]:
    """A system message, turns of user texts (a string or text parts) and assistant answers, and
    a last user message of text parts."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    for _ in range(rng.randint(1, 4)):
        parts = [{"type": "text", "text": text(rng)} for _ in range(rng.randint(1, 3))]
        messages.append({"role": "user", "content": text(rng) if rng.random() < 0.4 else parts})
        messages.append({"role": "assistant", "content": " ".join(rng.choices(WORDS[:6], k=5))})
    messages.append({"role": "user", "content": [{"type": "text", "text": text(rng)} for _ in range(rng.randint(1, 3))]})
    return messages


def with_part(messages: list[dict[str, Any]], rng: random.Random, part: dict[str, Any]) -> list[dict[str, Any]]:
    """``messages`` with ``part`` put among the content parts of one of them."""
    new = copy.deepcopy(messages)
    content = new[rng.choice([i for i, m in enumerate(new) if isinstance(m["content"], list)])]["content"]
    content.insert(rng.randint(0, len(content)), part)
    return new


def cut(messages: list[dict[str, Any]], limit: int, strategy: str) -> list[dict[str, Any]]:
    chat = guarded(input=[TokenLimit(max_tokens=limit, model=MODEL, strategy=strategy)])(lambda messages: messages)
    return chat(messages)


def tokens(messages: list[dict[str, Any]]) -> int:
    return count_messages(messages, MODEL).tokens


def cases(part: Any) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]], int, str]]:
    """150 random conversations, each without and with an unknown part, a limit that cuts them
    (30-90% of the one without, and more than the one with holds with its user texts at a
    token each) and a strategy."""
    out = []
    for seed in range(150):
        rng = random.Random(seed)
        messages = conversation(rng)
        unknown = with_part(messages, rng, part(seed))
        least = tokens(functools.reduce(lambda m, at: with_text(m, at[0], at[1], "a"), user_texts(unknown), unknown))
        out.append((messages, unknown, max(tokens(messages) * rng.randint(30, 90) // 100, least + 5),
                    rng.choice(["truncate_tail", "truncate_head"])))
    return out


def test_a_typed_unknown_part_costs_the_cut_only_its_own_tokens() -> None:
    counter = counter_for(MODEL)
    for messages, unknown, limit, strategy in cases(lambda seed: {"type": "cache_point", "id": f"cp{seed}"}):
        own = counter.count(json.dumps(next(p for m in unknown if isinstance(m["content"], list)
                                            for p in m["content"] if p["type"] == "cache_point")))
        assert tokens(unknown) == tokens(messages) + own  # (counted as its JSON beside the texts)
        kept, kept_without = tokens(cut(unknown, limit, strategy)), tokens(cut(messages, limit, strategy))
        assert kept <= limit
        assert tokens(unknown) - kept <= tokens(messages) - kept_without + own, (limit, strategy)


def user_texts(messages: list[dict[str, Any]]) -> list[tuple[int, int | None, str]]:
    """Each user text with where it is: (message, part or None)."""
    return [(i, j, t) for i, m in enumerate(messages) if m["role"] == "user"
            for j, t in ([(None, m["content"])] if isinstance(m["content"], str) else
                         [(j, p["text"]) for j, p in enumerate(m["content"]) if "text" in p])]


def with_text(messages: list[dict[str, Any]], i: int, j: int | None, new: str) -> list[dict[str, Any]]:
    out = copy.deepcopy(messages)
    if j is None:
        out[i]["content"] = new
    else:
        out[i]["content"][j]["text"] = new
    return out


def test_a_list_counted_as_json_is_cut_no_more_than_needed() -> None:
    counter = counter_for(MODEL)
    checked = 0
    for _, unknown, limit, strategy in cases(lambda seed: {"note": seed}):
        kept = cut(unknown, limit, strategy)
        assert tokens(kept) <= limit < tokens(unknown)
        for (i, j, before), (_, _, after) in zip(user_texts(unknown), user_texts(kept)):
            size = counter.count(after)
            if after == before or size <= 1:
                continue  # (not cut, or cut to a token: longer texts were cut first)
            longer = next(t for keep in range(size + 1, counter.count(before) + 1)
                          if len(t := truncate(before, counter, keep, strategy.removeprefix("truncate_"))) > len(after))
            assert tokens(with_text(kept, i, j, longer)) > limit, (limit, strategy, i, j)
            checked += 1
    assert checked >= 100  # (most cuts leave a text cut partly)
