"""`token_limit`: keep a prompt (or a whole conversation) within a token limit.

The limit is ``max_tokens``, or the model's context window minus ``reserve_output``, or the
smaller of both. Over the limit, ``strategy`` decides:

- ``block``: fail.
- ``truncate_head`` / ``truncate_tail`` / ``truncate_middle``: cut that part of the text, on
  token boundaries (the middle cut leaves ``marker`` in its place); the verdict passes with
  the shortened text in ``fixed``.
- ``drop_oldest``: on a conversation (``ctx.messages``), drop the oldest turns, keeping the
  system messages and the latest turn (the last user message and what follows it); the
  verdict passes with the new message list in ``value`` and ``meta["messages"] = True``.
- ``summarize``: ``summarizer(content, max_tokens) -> str`` replaces the text, or the turns
  ``drop_oldest`` would drop (given as a message list; the summary becomes a system message).

``meta`` always has ``tokens``, ``limit``, ``exact`` and ``cut_tokens`` (0 when nothing was
cut). Counts are exact when the model has a tokenizer; otherwise estimated (``exact`` False),
or a `ConfigError` with ``require_exact``. Works on either side; conversations only on input.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Literal

from ..context import Context
from ..errors import ConfigError
from ..tokens import TokenCounter, count_messages, counter_for, model_info
from ..verdict import Verdict

Strategy = Literal["block", "truncate_head", "truncate_tail", "truncate_middle", "drop_oldest",
                   "summarize"]
Summarizer = Callable[[Any, int], str]
_KEPT_ROLES = ("system", "developer")


class TokenLimit:
    name = "token_limit"

    def __init__(self, max_tokens: int | None = None, *, model: str | None = None,
                 encoding: str | None = None, reserve_output: int = 0,
                 strategy: Strategy = "block", summarizer: Summarizer | str | None = None,
                 marker: str = "\n[...]\n", summary_prefix: str = "Summary of the earlier conversation: ",
                 require_exact: bool = False) -> None:
        if max_tokens is not None and max_tokens <= 0:
            raise ConfigError(f"token_limit: max_tokens must be positive, got {max_tokens}")
        if reserve_output < 0:
            raise ConfigError(f"token_limit: reserve_output must be >= 0, got {reserve_output}")
        if model is not None and model_info(model) is None and max_tokens is None:
            raise ConfigError(f"token_limit: unknown model {model!r} and no max_tokens; "
                              "give max_tokens or register the model")
        if strategy == "summarize" and summarizer is None:
            raise ConfigError("token_limit: strategy 'summarize' needs a summarizer")
        self.max_tokens, self.model, self.encoding = max_tokens, model, encoding
        self.reserve_output, self.strategy, self.marker = reserve_output, strategy, marker
        self.summary_prefix, self.require_exact = summary_prefix, require_exact
        self.summarizer = _import(summarizer) if isinstance(summarizer, str) else summarizer

    def limit(self, model: str | None) -> int:
        """The input token limit for ``model``."""
        info = model_info(model) if model else None
        candidates = [self.max_tokens] if self.max_tokens is not None else []
        if info is not None:
            candidates.append(info.context_window - self.reserve_output)
        if not candidates:
            raise ConfigError(f"token_limit: no max_tokens and no context window known for model "
                              f"{model!r}")
        return min(candidates)

    def check(self, text: str, ctx: Context) -> Verdict:
        model = self.model or ctx.model or ctx.scope.model
        counter = counter_for(model, encoding=self.encoding, exact=self.require_exact)
        limit = self.limit(model)
        messages = getattr(ctx, "messages", None) if ctx.side == "input" else None
        if messages:
            return self._conversation(text, list(messages), model, counter, limit)
        return self._text(text, counter, limit)

    def _text(self, text: str, counter: TokenCounter, limit: int) -> Verdict:
        tokens = counter.count(text)
        meta = {"tokens": tokens, "limit": limit, "exact": counter.exact, "counter": counter.name,
                "strategy": self.strategy, "cut_tokens": 0}
        if tokens <= limit:
            return Verdict.ok(meta=meta)
        if self.strategy.startswith("truncate_"):
            fixed = truncate(text, counter, limit, self.strategy.removeprefix("truncate_"), self.marker)
        elif self.strategy == "summarize":
            fixed = self._summarize(text, limit)
        else:
            why = "" if self.strategy == "block" else " (drop_oldest needs a conversation: ctx.messages)"
            return Verdict.fail(f"{tokens} tokens, over the limit of {limit}{why}", meta=meta)
        left = counter.count(fixed)
        if left > limit:
            return Verdict.fail(f"{self.strategy} left {left} tokens, over the limit of {limit}",
                                meta=meta)
        return Verdict.ok(fixed=fixed, reason=f"{self.strategy}: cut {tokens - left} tokens",
                          meta={**meta, "cut_tokens": tokens - left})

    def _conversation(self, text: str, messages: list[dict[str, Any]], model: str | None,
                      counter: TokenCounter, limit: int) -> Verdict:
        def total(msgs: list[dict[str, Any]]) -> int:
            return count_messages(msgs, model, encoding=self.encoding).tokens

        tokens = total(messages)
        meta = {"tokens": tokens, "limit": limit, "exact": counter.exact, "counter": counter.name,
                "strategy": self.strategy, "cut_tokens": 0}
        if tokens <= limit:
            return Verdict.ok(meta=meta)
        if self.strategy.startswith("truncate_"):
            own = counter.count(text)
            if own <= tokens - limit:
                return Verdict.fail(f"conversation has {tokens} tokens (limit {limit}); cutting "
                                    f"this text ({own} tokens) cannot make it fit", meta=meta)
            fixed = truncate(text, counter, own - (tokens - limit),
                             self.strategy.removeprefix("truncate_"), self.marker)
            cut = own - counter.count(fixed)
            return Verdict.ok(fixed=fixed, reason=f"{self.strategy}: cut {cut} tokens",
                              meta={**meta, "cut_tokens": cut})
        if self.strategy not in ("drop_oldest", "summarize"):
            return Verdict.fail(f"conversation has {tokens} tokens, over the limit of {limit}",
                                meta=meta)
        priming = total([])
        kept, dropped = drop_oldest(messages, lambda m: total([m]) - priming, limit - priming)
        if dropped and self.strategy == "summarize":
            frame = total([{"role": "system", "content": self.summary_prefix}]) - priming
            summary = self._summarize(dropped, max(limit - total(kept) - frame, 0))
            first = next((i for i, m in enumerate(kept) if m.get("role") not in _KEPT_ROLES), 0)
            kept.insert(first, {"role": "system", "content": self.summary_prefix + summary})
        left = total(kept)
        if left > limit:
            return Verdict.fail(f"conversation has {tokens} tokens; even with only the system "
                                f"messages and the latest turn it has {left} (limit {limit})",
                                meta=meta)
        return Verdict.ok(value=kept, reason=f"{self.strategy}: dropped {len(dropped)} messages, "
                          f"cut {tokens - left} tokens",
                          meta={**meta, "cut_tokens": tokens - left, "messages": True,
                                "dropped_messages": len(dropped)})

    def _summarize(self, content: Any, limit: int) -> str:
        summary = self.summarizer(content, limit)  # type: ignore[misc]
        if not isinstance(summary, str):
            raise TypeError(f"token_limit: summarizer returned {type(summary).__name__}, not str")
        return summary


def truncate(text: str, counter: TokenCounter, keep: int, cut: str, marker: str = "") -> str:
    """``text`` cut to at most ``keep`` tokens on token boundaries; ``cut`` is the part removed:
    ``head`` (keep the end), ``tail`` (keep the start) or ``middle`` (keep both, ``marker`` between)."""
    if counter.count(text) <= keep:
        return text
    bounds = counter.boundaries(text)
    n = len(bounds) - 1
    spare = counter.count(marker) if cut == "middle" and marker else 0
    if cut == "middle" and keep <= spare:
        cut = "tail"
    head, tail = {"tail": (keep, 0), "head": (0, keep)}.get(cut, ((keep - spare + 1) // 2,
                                                                     (keep - spare) // 2))
    head, tail = min(head, n), min(tail, n)
    while True:
        joint = marker if cut == "middle" else ""
        candidate = text[:bounds[head]] + joint + (text[bounds[n - tail]:] if tail else "")
        if counter.count(candidate) <= keep or head + tail == 0:
            return candidate
        if tail > head or (tail == head and cut == "head"):
            tail -= 1
        else:
            head -= 1


def drop_oldest(messages: list[dict[str, Any]], cost: Callable[[dict[str, Any]], int],
                limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Drop the oldest droppable messages until their summed ``cost`` is within ``limit`` (or
    none are left to drop).

    System/developer messages and the latest turn are kept; an assistant message goes together
    with the ``tool`` results that follow it. Returns (kept, dropped)."""
    costs = [cost(m) for m in messages]
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"),
                    default=len(messages) - 1)
    droppable = [i for i, m in enumerate(messages[:last_user]) if m.get("role") not in _KEPT_ROLES]
    gone: set[int] = set()
    used = sum(costs)
    while droppable and used > limit:
        gone.add(droppable.pop(0))
        while droppable and messages[droppable[0]].get("role") == "tool":
            gone.add(droppable.pop(0))
        used = sum(c for i, c in enumerate(costs) if i not in gone)
    kept = [m for i, m in enumerate(messages) if i not in gone]
    return kept, [messages[i] for i in sorted(gone)]


def _import(path: str) -> Summarizer:
    module, _, attr = path.partition(":")
    try:
        func = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"token_limit: cannot import summarizer {path!r} "
                          "(expected 'package.module:function')") from exc
    if not callable(func):
        raise ConfigError(f"token_limit: summarizer {path!r} is not callable")
    return func
