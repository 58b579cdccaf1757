"""`token_limit`: keep a prompt (or a whole conversation) within a token limit.

The limit is ``max_tokens``, or the model's context window minus ``reserve_output``, or the
smaller of both. On a conversation (``ctx.messages``, input side) it applies to the whole
conversation as the provider counts it, whichever message the guard is run on, together with
what the call's other untrusted arguments (documents, ``ctx.texts``) hold; a call of several
texts and no messages (a prompt and documents) is limited as a whole too, the longest texts cut
down to one length (`level`). Given the call (``ctx.call``), what it sends beside those counts
too and is never cut (`TokenLimit._beside`): a system prompt or instructions argument, earlier
assistant turns and tool calls among a Responses ``input``, tool definitions (estimated); not a
``prediction`` (Predicted Outputs: what the reply may be, no input to the context window); the
guard is run on the application's own texts as well (``system_turns``, ``assistant_turns``), and
judges the call there without cutting them. Over the limit, ``strategy`` decides:

- ``block``: fail.
- ``truncate_head`` / ``truncate_tail`` / ``truncate_middle``: cut that part of the text, on
  token boundaries (the middle cut leaves ``marker`` in its place); the verdict passes with
  the shortened text in ``fixed``. On a conversation the user and tool texts absorb the
  excess, the longest first (the latest of equal ones): it is cut by the whole excess, or to
  one token when it is shorter, then the next longest, and so on (`cut_conversation`); system,
  developer and assistant messages are never cut. The verdict passes with the new message
  list in ``value`` and ``meta["messages"] = True``; it fails only when those texts, cut to a
  token each, still leave the conversation over the limit. With documents beside the
  conversation, the longest of the documents and of those texts are first cut down to one
  length (`level`), as a prompt and its documents are (a long document beside a short chat
  absorbs the cut; the chain judges the documents first, each verdict cutting one, then the
  messages), and the excess left by counting is cut as above. Other strategies cut no document:
  the conversation gets what the documents leave.
- ``drop_oldest``: on a conversation, drop the oldest turns, keeping the system messages and
  the latest turn (the last user message that is not only tool results, and all after it);
  tool results go with the assistant message that called the tool (`drop_oldest`). The
  verdict passes with the new message list in ``value`` and ``meta["messages"] = True``.
- ``summarize``: ``summarizer(content, max_tokens) -> str`` replaces the text, or the turns
  ``drop_oldest`` would drop (given as a message list; the summary becomes a system message).

Media in the messages are estimated (``exact`` False) by upper-bound rules
(`guardlayer.tokens.media` says why and where they can fall short): a PDF 4,800 tokens a page
(pages counted in the file, else its bytes), another file a token a byte, audio 32 tokens a
second, an image 85 at OpenAI's ``detail: "low"``, else 1,600 (the most of OpenAI's and
Anthropic's), a Gemini image 258. A part is read once a check, however often a cut re-counts it,
and a check's PDFs inflate within one budget (`guardlayer.tokens.pdf`). A file given by id or
URL, or a video, has no cost the guard can read: the call fails (closed) unless ``file_tokens``
says what each such file is to count as (``meta["files"]``: how many there are).

``meta`` always has ``tokens``, ``limit``, ``exact`` and ``cut_tokens`` (0 when nothing was
cut), and ``beside`` when the call's own text counted. Counts are exact when the model has a
tokenizer; otherwise estimated (``exact`` False), and then the estimate's upper bound (+20%,
`Estimator`) must be within the limit (``meta["estimate_limit"]``: what the estimate may
reach), or a `ConfigError` with ``require_exact``. A cut never splits a placeholder
(``<EMAIL_ADDRESS_1>``) or a grapheme (a flag, an emoji family): it goes before it. A
``reserve_output`` that leaves no input is a `ConfigError`. Works on either side;
conversations only on input.

Place it before `spotlight`, and leave room for it: the limit is checked on the text as it is,
and spotlighting then adds tokens. Measured on four documents (20 KB of README.md, DESIGN.md,
300 benign WildGuard prompts, 100 Presidio sample texts), note included: ``delimit`` x1.02-1.04;
``datamark`` x1.6-2.0 with o200k_base (gpt-4o), x2.1-2.8 with cl100k_base (gpt-4); ``encode``
x3.2-4.7 (o200k), x3.3-5.0 (cl100k). So with ``datamark`` a limit of N can let 2 N (o200k) or
3 N (cl100k) tokens reach the model: give ``max_tokens`` a matching share of the window.
"""
from __future__ import annotations

import functools
import importlib
import math
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Callable, Literal, get_origin

from pydantic import PydanticUserError, TypeAdapter

from ..call import OWN_SOURCES, SYSTEM, TOOL_ROLES, Call, CallShape, Slot
from ..call_read import config_slots
from ..context import Context
from ..errors import ConfigError
from ..providers import field
from ..timed_regex import timed_compile
from ..tokens import Count, Estimator, TokenCounter, count_messages, counter_for, model_info
from ..tokens.chat import FILE_PAGE_TOKENS, as_mapping, count_tools, referenced_files
from ..tokens.media import one_call
from ..verdict import Verdict

Strategy = Literal["block", "truncate_head", "truncate_tail", "truncate_middle", "drop_oldest",
                   "summarize"]
Summarizer = Callable[[Any, int], str]
_KEPT_ROLES = ("system", "developer")
TOOLS_ARGS = ("tools", "functions")
"""Arguments that carry tool definitions (OpenAI, Anthropic; ``functions``: OpenAI's older API)."""
CONFIG_SENT = ("tools", "response_schema", "responseSchema", "response_json_schema", "responseJsonSchema")
"""Fields of Gemini's ``config`` sent to the model beside its system instruction: tool definitions
and the schema of the reply (the rest are settings and names)."""
NOT_INPUT = frozenset({"prediction"})
"""Arguments the guard reads but does not count: OpenAI's Predicted Outputs (``prediction``) is
what the reply may be, not input to the context window."""
_PLACEHOLDER = timed_compile(r"<[A-Z][A-Z0-9_]{0,62}>")
"""A placeholder as the PII guard writes it (``<EMAIL_ADDRESS_1>``): truncation keeps it whole."""
_GRAPHEME = timed_compile(r"\X")
_REACH = 64
"""Characters either side of a cut read to find the placeholder or grapheme it splits."""


@dataclass
class _Judged:
    """A call's conversation and the texts beside it, as judged while they stay the same."""

    messages: list[Any]
    texts: tuple[str, ...]
    verdict: Verdict | None = None
    """On the conversation (None: judged when a message is checked, within ``share``)."""
    length: int | None = None
    """What truncation cuts the documents to (None: they are not cut)."""
    share: int = 0
    """The tokens the conversation may hold beside the documents (once cut)."""


class TokenLimit:
    name = "token_limit"
    system_turns = assistant_turns = True  # run on the application's own text too (never cut):
    whole_call = True  # a call whose only untrusted part is an image is judged, its verdict acted on
    per_request = True  # a re-ask's longer conversation is judged before it is sent

    def __init__(self, max_tokens: int | None = None, *, model: str | None = None,
                 encoding: str | None = None, reserve_output: int = 0,
                 strategy: Strategy = "block", summarizer: Summarizer | str | None = None,
                 marker: str = "\n[...]\n", summary_prefix: str = "Summary of the earlier conversation: ",
                 require_exact: bool = False, file_tokens: int | None = None) -> None:
        if max_tokens is not None and max_tokens <= 0:
            raise ConfigError(f"token_limit: max_tokens must be positive, got {max_tokens}")
        if file_tokens is not None and (type(file_tokens) is not int or file_tokens <= 0):
            raise ConfigError(f"token_limit: file_tokens must be a positive whole number, got {file_tokens!r}",
                              field="file_tokens")
        if reserve_output < 0:
            raise ConfigError(f"token_limit: reserve_output must be >= 0, got {reserve_output}")
        if model is not None and model_info(model) is None and max_tokens is None:
            raise ConfigError(f"token_limit: unknown model {model!r} and no max_tokens; "
                              "give max_tokens or register the model")
        if model is not None and (info := model_info(model)) is not None and info.context_window <= reserve_output:
            raise ConfigError(f"token_limit: reserve_output={reserve_output} leaves no input tokens in "
                              f"{model!r}'s context window of {info.context_window}", field="reserve_output")
        if strategy == "summarize" and summarizer is None:
            raise ConfigError("token_limit: strategy 'summarize' needs a summarizer")
        self.max_tokens, self.model, self.encoding = max_tokens, model, encoding
        self.reserve_output, self.strategy, self.marker = reserve_output, strategy, marker
        self.summary_prefix, self.require_exact, self.file_tokens = summary_prefix, require_exact, file_tokens
        self.summarizer = _import(summarizer) if isinstance(summarizer, str) else summarizer
        if model is not None or encoding is not None:  # its encoding loads now: a missing extra fails here
            counter_for(model, encoding=encoding, exact=require_exact)

    def limit(self, model: str | None) -> int:
        """The input token limit for ``model``."""
        info = model_info(model) if model else None
        candidates = [self.max_tokens] if self.max_tokens is not None else []
        if info is not None:
            candidates.append(info.context_window - self.reserve_output)
        if not candidates:
            raise ConfigError(f"token_limit: no max_tokens and no context window known for model "
                              f"{model!r}")
        if min(candidates) < 1:
            raise ConfigError(f"token_limit: reserve_output={self.reserve_output} leaves no input tokens "
                              f"in {model!r}'s context window", field="reserve_output")
        return min(candidates)

    def check(self, text: str, ctx: Context) -> Verdict:
        with one_call(ctx.state):  # (each media part read once in the call, whatever the cuts tried)
            return self._check(text, ctx)

    def _check(self, text: str, ctx: Context) -> Verdict:
        model = self.model or ctx.model or ctx.scope.model
        counter = counter_for(model, encoding=self.encoding, exact=self.require_exact)
        stated = self.limit(model)
        limit = stated if counter.exact else math.floor(stated / (1 + _error_bound(counter)))
        call = getattr(ctx, "call", None) if ctx.side == "input" else None
        files = self._referenced(call, ctx) if ctx.side == "input" and self.file_tokens is None else 0
        if files:
            return Verdict.fail(f"the call holds {files} file(s) given by id or URL, or video, whose tokens cannot be "
                                f"counted here: give token_limit file_tokens= (what one may cost; a PDF page "
                                f"up to about {FILE_PAGE_TOKENS}) to count each as that",
                                meta={"tokens": 0, "limit": stated, "exact": False, "counter": counter.name,
                                      "strategy": self.strategy, "cut_tokens": 0, "files": files})
        beside, exact = self._beside(call, model, ctx) if call is not None else (0, True)
        if beside >= limit:
            verdict = Verdict.fail(f"the call's own text (system prompt, instructions, earlier assistant "
                                   f"turns, tool definitions) has {beside} tokens, which leaves nothing "
                                   f"under the limit of {limit}: no cut the guard may make fits the call",
                                   meta={"tokens": 0, "limit": limit, "exact": exact, "counter": counter.name,
                                         "strategy": self.strategy, "cut_tokens": 0})
        else:
            verdict = self._within(text, ctx, model, counter, limit - beside)
        return _noted(verdict, stated, limit, beside, exact)

    def _beside(self, call: Call, model: str | None, ctx: Context) -> tuple[int, bool]:
        """Tokens the call sends beyond ``ctx.messages`` and ``ctx.texts``, none of them for the
        guard to cut, and whether that count is exact: a system prompt given as an argument
        (Anthropic's ``system``, the Responses API's ``instructions``), costed as a system message;
        an untrusted argument that holds items (the Responses API's ``input``) but for its untrusted
        texts (its earlier assistant turns, tool calls, each item's overhead); tool definitions
        (`count_tools`, estimated); a prediction (`NOT_INPUT`) is not counted; of Gemini's ``config``
        only what is sent of it (`_config_tokens`). Kept in ``ctx`` while those arguments are the
        same objects."""
        names = [name for name, source in call.shape.sources.items() if name not in NOT_INPUT
                 and (source == SYSTEM or _items(call.arguments.get(name)))] + list(TOOLS_ARGS)
        values = [call.arguments.get(name) for name in names]
        seen = ctx.state.get(key := f"token_limit:{id(self)}:beside")
        if seen and len(seen[0]) == len(values) and all(a is b for a, b in zip(seen[0], values)):
            return seen[1]
        counter = counter_for(model, encoding=self.encoding)
        priming = self._count([], model).tokens
        tokens, exact = 0, True
        for name, value in zip(names, values):
            if value is None:
                continue
            if name in TOOLS_ARGS:
                found = count_tools(value, model, encoding=self.encoding)
                tokens, exact = tokens + found.tokens, False
                continue
            if name == call.shape.config_arg:
                found, theirs = self._config_tokens(name, value, model), 0
            elif call.shape.sources[name] == SYSTEM:
                found, theirs = self._count([{"role": "system", "content": value}], model), 0
            else:  # the untrusted texts among the items are in ``ctx.texts``
                found = self._count(list(value), model)
                theirs = sum(counter.count(slot.text) for slot in Call(call.shape, (), {name: value}).slots()
                             if slot.source not in OWN_SOURCES)
            tokens, exact = tokens + max(found.tokens - priming - theirs, 0), exact and found.exact
        ctx.state[key] = (values, (tokens, exact))
        return tokens, exact

    def _config_tokens(self, name: str, config: Any, model: str | None) -> Count:
        """What Gemini's ``config`` sends (reply priming included, as `_count` counts it): its system
        instruction (the texts `config_slots` reads, as a system message) and its tools and response
        schemas (`CONFIG_SENT`, estimated as tool definitions are); its settings are no text, and a
        config of another kind passed through a wrapper (LangChain's) is not sent at all."""
        texts = [slot.text for slot in config_slots(name, config)]
        found = self._count([{"role": "system", "content": "\n".join(texts)}] if texts else [], model)
        sent = [_schema(value) for key in CONFIG_SENT if (value := field(config, key)) is not None]
        tools = [one for value in sent for one in (value if isinstance(value, (list, tuple)) else [value])]
        if not tools:
            return found
        return replace(found, tokens=found.tokens + count_tools(tools, model, encoding=self.encoding).tokens,
                       exact=False)

    def _within(self, text: str, ctx: Context, model: str | None, counter: TokenCounter,
                limit: int) -> Verdict:
        """The verdict on what the guard may cut (and the messages it may not), within ``limit``."""
        messages = getattr(ctx, "messages", None) if ctx.side == "input" else None
        texts = ctx.texts if ctx.side == "input" else ()
        if not messages and ctx.side == "input" and ctx.source in OWN_SOURCES:
            # the application's own text is never cut: the untrusted texts are judged with it counted
            return Verdict.ok(meta={"tokens": 0, "limit": limit, "exact": counter.exact,
                                    "counter": counter.name, "strategy": self.strategy, "cut_tokens": 0})
        if not messages:
            if len(texts) > 1 and any(t is text for t in texts):
                return self._texts(text, texts, self._sizes(texts, counter, ctx), counter, limit)
            return self._text(text, counter, limit)
        # The chain runs this on each untrusted text of the call: judge the whole call once, while
        # it is unchanged (a guard's fix makes new messages and `Context.texts`).
        judged = ctx.state.get(key := f"token_limit:{id(self)}")
        if not (judged and judged.texts is texts and _same(judged.messages, messages)):
            judged = ctx.state[key] = self._judge(list(messages), texts, model, counter, limit, ctx)
        if judged.length is not None and any(t is text for t in texts):
            return self._text(text, counter, judged.length)  # a document: cut to its share
        if judged.verdict is None:  # (a conversation within its share, or cut to fit it)
            judged.verdict = self._conversation(judged.messages, model, counter, judged.share,
                                                self._costs(judged.messages, model, ctx), judged.length)
        return judged.verdict

    def _judge(self, messages: list[Any], texts: tuple[str, ...], model: str | None,
               counter: TokenCounter, limit: int, ctx: Context) -> _Judged:
        """A conversation and the arguments beside it (documents): over the limit, truncation cuts
        the longest of the documents and of the conversation's user and tool texts down to one
        length (`level`), as a prompt and its documents are; other strategies cut no document and
        leave the conversation what the documents do not hold."""
        judged = _Judged(messages, texts)
        sizes = self._sizes(texts, counter, ctx)
        meta = {"tokens": sum(sizes), "limit": limit, "exact": counter.exact, "cut_tokens": 0}
        if not (sizes and self.strategy.startswith("truncate_")):
            if sum(sizes) >= limit:
                judged.verdict = Verdict.fail(f"the call's arguments beside its messages have "
                                              f"{sum(sizes)} tokens, over the limit of {limit}", meta=meta)
            judged.share = limit - sum(sizes)
            return judged
        costs = self._costs(messages, model, ctx)
        meta["tokens"] = tokens = sum(costs) + sum(sizes)
        if tokens <= limit:
            judged.verdict = Verdict.ok(meta={**meta, "counter": counter.name, "strategy": self.strategy})
            return judged
        own = [counter.count(slot.text) for slot in _cuttable(messages)]
        length = level([*sizes, *own], limit - (sum(costs) - sum(own)))
        if length < 1:
            judged.verdict = Verdict.fail(f"the call has {tokens} tokens: with its documents and its user "
                                          "and tool texts cut to a token each it would still be over the "
                                          f"limit of {limit}", meta=meta)
        else:  # the documents are cut to it as the chain judges each, before the messages
            judged.length, judged.share = length, limit - sum(min(size, length) for size in sizes)
        return judged

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

    def _texts(self, text: str, texts: tuple[str, ...], sizes: list[int], counter: TokenCounter,
               limit: int) -> Verdict:
        """``text`` as one of the call's several ``texts`` (a prompt and documents; ``sizes``: their
        tokens): the limit is their total, and truncation (or a summary) cuts the longest down to
        one length (`level`), equal texts alike; the chain runs this on each text in turn, and each
        cut leaves the length the next one is cut to unchanged."""
        tokens = sum(sizes)
        meta = {"tokens": tokens, "limit": limit, "exact": counter.exact, "counter": counter.name,
                "strategy": self.strategy, "cut_tokens": 0}
        if tokens <= limit:
            return Verdict.ok(meta=meta)
        if not (self.strategy.startswith("truncate_") or self.strategy == "summarize"):
            return Verdict.fail(f"the call's {len(texts)} texts have {tokens} tokens, over the limit of "
                                f"{limit}", meta=meta)
        length = level(sizes, limit)
        if length < 1:
            return Verdict.fail(f"the call's {len(texts)} texts have {tokens} tokens: cut to a token "
                                f"each they would still be over the limit of {limit}", meta=meta)
        own = next(size for t, size in zip(texts, sizes) if t is text)
        if own <= length:
            return Verdict.ok(meta=meta)  # longer texts are cut
        fixed = (self._summarize(text, length) if self.strategy == "summarize" else
                 truncate(text, counter, length, self.strategy.removeprefix("truncate_"), self.marker))
        left = counter.count(fixed)
        if left > length:  # (a summary longer than asked for)
            return Verdict.fail(f"{self.strategy} left {left} tokens of this text, over its share of "
                                f"{length}", meta=meta)
        cut = own - left
        return Verdict.ok(fixed=fixed, reason=f"{self.strategy}: cut {cut} tokens of this text",
                          meta={**meta, "cut_tokens": cut})

    def _sizes(self, texts: tuple[str, ...], counter: TokenCounter, ctx: Context) -> list[int]:
        """Each of ``texts``' tokens, kept in ``ctx``: the chain checks every text of a call in turn,
        and counting them all at each would cost the square of their number (a Responses ``input``
        of 800 turn pairs: 2.9 s); a cut text is counted again, the others are not."""
        key = f"token_limit:{id(self)}:sizes:{counter.name}"
        seen_texts, seen = ctx.state.get(key, ((), []))
        if seen_texts is texts:
            return seen
        known = {id(t): size for t, size in zip(seen_texts, seen)}  # (kept alive in ctx: ids stay theirs)
        sizes = [known[id(t)] if id(t) in known else counter.count(t) for t in texts]
        ctx.state[key] = (texts, sizes)
        return sizes

    def _costs(self, messages: list[Any], model: str | None, ctx: Context) -> list[int]:
        """What the reply priming (first) and each message cost, as the provider counts them;
        kept in ``ctx`` while the messages are the same (documents cut one by one leave them)."""
        seen = ctx.state.get(key := f"token_limit:{id(self)}:costs")
        if not (seen and _same(seen[0], messages)):
            priming = self._count([], model).tokens
            seen = ctx.state[key] = (list(messages), [priming, *(
                self._count([m], model).tokens - priming for m in messages)])
        return seen[1]

    def _conversation(self, messages: list[Any], model: str | None, counter: TokenCounter,
                      limit: int, costs: list[int], length: int | None = None) -> Verdict:
        """The verdict on a conversation (``costs``: `_costs`); truncation first cuts its user and
        tool texts to ``length`` tokens when given (`cut_conversation`)."""
        def total(msgs: list[Any]) -> int:
            return self._count(msgs, model).tokens

        priming, *costs = costs
        tokens = priming + sum(costs)
        meta = {"tokens": tokens, "limit": limit, "exact": counter.exact, "counter": counter.name,
                "strategy": self.strategy, "cut_tokens": 0}
        if tokens <= limit:
            return Verdict.ok(meta=meta)
        if self.strategy.startswith("truncate_"):
            kept = cut_conversation(messages, costs, lambda m: total([m]) - priming, counter,
                                    limit - priming, self.strategy.removeprefix("truncate_"),
                                    self.marker, length)
            left = total(kept)
            if left > limit:
                return Verdict.fail(f"conversation has {tokens} tokens; with its user and tool "
                                    f"texts cut to a token each it still has {left} (limit {limit})",
                                    meta=meta)
            return _rewritten(kept, f"{self.strategy}: cut {tokens - left} tokens", tokens - left,
                              meta)
        if self.strategy not in ("drop_oldest", "summarize"):
            return Verdict.fail(f"conversation has {tokens} tokens, over the limit of {limit}",
                                meta=meta)
        kept, dropped = drop_oldest(messages, costs, limit - priming)
        if dropped and self.strategy == "summarize":
            frame = total([{"role": "system", "content": self.summary_prefix}]) - priming
            summary = self._summarize(dropped, max(limit - total(kept) - frame, 0))
            first = next((i for i, m in enumerate(kept) if _role(m) not in _KEPT_ROLES), 0)
            kept.insert(first, {"role": "system", "content": self.summary_prefix + summary})
        left = total(kept)
        if left > limit:
            return Verdict.fail(f"conversation has {tokens} tokens; even with only the system "
                                f"messages and the latest turn it has {left} (limit {limit})",
                                meta=meta)
        return _rewritten(kept, f"{self.strategy}: dropped {len(dropped)} messages, cut "
                          f"{tokens - left} tokens", tokens - left,
                          {**meta, "dropped_messages": len(dropped)})

    def _count(self, messages: list[Any], model: str | None) -> Count:
        """``messages``' tokens as the provider counts them, a file given by id or URL as
        ``file_tokens`` (`count_messages`)."""
        return count_messages(messages, model, encoding=self.encoding,
                              referenced=FILE_PAGE_TOKENS if self.file_tokens is None else self.file_tokens)

    def _referenced(self, call: Call | None, ctx: Context) -> int:
        """How many files the call's messages and items give by id or URL (`referenced_files`);
        kept in ``ctx`` while they are the same lists."""
        lists = [getattr(ctx, "messages", None) or [], *(
            value for name, value in (call.arguments.items() if call is not None else ())
            if name not in NOT_INPUT and _items(value))]
        seen = ctx.state.get(key := f"token_limit:{id(self)}:files")
        if not (seen and _same(seen[0], lists)):
            seen = ctx.state[key] = (lists, referenced_files(list({id(m): m for v in lists for m in v}.values())))
        return seen[1]

    def _summarize(self, content: Any, limit: int) -> str:
        summary = self.summarizer(content, limit)  # type: ignore[misc]
        if not isinstance(summary, str):
            raise TypeError(f"token_limit: summarizer returned {type(summary).__name__}, not str")
        return summary


def _noted(verdict: Verdict, stated: int, limit: int, beside: int, exact: bool) -> Verdict:
    """``verdict``, judged within ``limit`` (the ``stated`` limit, or what an estimate may reach)
    less ``beside`` (`TokenLimit._beside`), told in the stated limit's terms."""
    if stated == limit and not beside:
        return verdict
    notes = [f"the limit less the {beside} tokens of the call's own text: system prompt, instructions, "
             "earlier assistant turns, tool definitions"] if 0 < beside < limit else []
    if stated != limit:
        notes.append(f"tokens estimated: their upper bound must be within the limit of {stated}, so the "
                     f"estimate within {limit}")
    meta = {**verdict.meta, "tokens": verdict.meta.get("tokens", 0) + beside, "limit": stated,
            "beside": beside, "exact": exact and verdict.meta.get("exact", True),
            **({"estimate_limit": limit} if stated != limit else {})}
    return verdict._replace(reason=f"{verdict.reason} ({'; '.join(notes)})" if verdict.reason and notes
                            else verdict.reason, meta=MappingProxyType(meta))


def _schema(value: Any) -> Any:
    """A response schema as what is sent: a type (a pydantic model, ``list[Model]``) as its JSON
    schema, a text as such, a schema as it is."""
    if isinstance(value, type) or get_origin(value) is not None:
        try:
            return _type_schema(value)
        except TypeError:  # (an unhashable type, such as Annotated with a dict: not cached)
            return _type_schema.__wrapped__(value)
    return {"schema": value} if isinstance(value, str) else value


@functools.lru_cache(maxsize=128)
def _type_schema(kind: Any) -> Any:
    """A type's JSON schema, built once per type (`_schema`)."""
    try:
        return TypeAdapter(kind).json_schema()
    except PydanticUserError:  # (a type pydantic cannot describe: counted as its name)
        return {"schema": str(kind)}


def _error_bound(counter: TokenCounter) -> float:
    """The relative error of an estimating counter's counts (the `Estimator`'s when it says none)."""
    return float(getattr(counter, "error_bound", Estimator.error_bound))


def truncate(text: str, counter: TokenCounter, keep: int, cut: str, marker: str = "") -> str:
    """``text`` cut to at most ``keep`` tokens on token boundaries; ``cut`` is the part removed:
    ``head`` (keep the end), ``tail`` (keep the start) or ``middle`` (keep both, ``marker`` between).
    A cut through a placeholder (``<EMAIL_ADDRESS_1>``) or a grapheme (a flag, an emoji family, a
    letter and its accents) goes before it instead, on the side cut away (`_whole`)."""
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
        candidate = ((text[:_whole(text, bounds[head], False)] if head else "") + joint
                     + (text[_whole(text, bounds[n - tail], True):] if tail else ""))
        if counter.count(candidate) <= keep or head + tail == 0:
            return candidate
        if tail > head or (tail == head and cut == "head"):
            tail -= 1
        else:
            head -= 1


def _whole(text: str, pos: int, forward: bool) -> int:
    """``pos``, or where the placeholder or grapheme it falls inside begins (``forward``: ends):
    read within `_REACH` characters of it, so the cost does not grow with the text."""
    for m in _PLACEHOLDER.finditer(text, max(pos - _REACH, 0), pos + _REACH):
        if m.start() < pos < m.end():
            pos = m.end() if forward else m.start()
            break
    if pos in (0, len(text)) or text[pos - 1:pos + 1].isascii():
        return pos
    lo, hi = max(pos - _REACH, 0), min(pos + _REACH, len(text))
    starts = [m.start() for m in _GRAPHEME.finditer(text, lo, hi)]
    if pos in starts:
        return pos
    return min((s for s in starts if s > pos), default=hi) if forward else max(s for s in starts if s < pos)


def level(sizes: list[int], limit: int) -> int:
    """The greatest length L such that texts of ``sizes`` tokens, each cut to at most L, hold
    ``limit`` tokens or fewer (the longest cut down to one length: `TokenLimit._texts`)."""
    left, ordered = limit, sorted(sizes)
    for i, size in enumerate(ordered):
        if size * (len(ordered) - i) > left:
            return left // (len(ordered) - i)
        left -= size
    return ordered[-1] if ordered else limit


def cut_conversation(messages: list[Any], costs: list[int], cost: Callable[[Any], int],
                     counter: TokenCounter, limit: int, cut: str, marker: str = "",
                     length: int | None = None) -> list[Any]:
    """``messages`` with user and tool texts cut (`truncate`, ``cut`` as there) until the
    messages' summed ``cost`` (``costs``: each message's now) is within ``limit``, or every such
    text is down to one token.

    With ``length``, each such text longer is first cut to it (the length it shares with the
    documents beside the conversation: `TokenLimit._judge`). Then the longest text (in tokens;
    the latest of equal ones) is cut, by the whole excess or to one token when it is shorter;
    then the next longest. System, developer and assistant messages are never cut. Returns a
    new list; messages not cut are the same objects.

    The excess is taken as a message's cost falling by what its texts' counts fell, which is
    exact for text content; the messages cut are counted once it seems gone (not at each cut: a
    message of n parts cut n times would cost n² part counts, and each message is written once,
    `Call.with_slots`), and cutting goes on while they are still over. Where they turn out to
    cost less than that (a content list holding what is no part is counted as JSON, its texts
    escaped: a token cut there may take several with it), the fewest of the last excess's tokens
    that bring the conversation within the limit are searched for, each guess counting the
    messages it cuts (a few guesses: regula falsi), and only those are cut."""
    cuts = _Cuts(messages, counter, cut, marker)

    def counted(texts: dict[int, tuple[str, int]]) -> tuple[list[Any], int]:
        """The messages with ``texts`` in them (`_Cuts.texts`), and their summed cost, those cut counted."""
        kept, touched = cuts.messages(texts)
        return kept, sum(costs) + sum(cost(kept[index]) - costs[index] for index in touched)

    base = cuts.first(length)
    order, used = cuts.order(base), sum(costs) - cuts.fall(base)  # (as estimated)
    while True:
        start, excess = used, max(used - limit, 0)
        texts = cuts.texts(base, order, excess)
        kept, used = counted(texts)
        if used <= limit or not (left := cuts.order(texts)):
            break
        base, order = texts, left
    if used >= limit or used == sum(costs) - cuts.fall(texts):
        return kept  # (over with every text at a token; or as estimated: no fewer tokens cut do)
    # Fewer of the ``excess`` tokens may do: each guess takes the cost as falling evenly between
    # the counts either side of the limit (regula falsi; the Illinois rule keeps it from stalling
    # on one side).
    low, high = -1, excess  # (cutting ``high`` brings it within the limit, ``low`` does not)
    over, within, fitted = float(start - limit), float(used - limit), None  # (``low`` taken as none cut)
    while high - low > 1:
        at = max(low, 0)
        probe = min(max(at + math.ceil((high - at) * over / (over - within)), low + 1), high - 1)
        found, tokens = counted(cuts.texts(base, order, probe))
        fits = tokens <= limit
        if fits:
            high, within = probe, float(tokens - limit)
            if tokens >= used:  # (as many tokens left by fewer cut: the fewer)
                kept, used = found, tokens
        else:
            low, over = probe, float(tokens - limit)
        if fits == fitted:  # (the same side twice: the other side's count weighs half)
            over, within = (over / 2, within) if fits else (over, within / 2)
        fitted = fits
    return kept


class _Cuts:
    """The user and tool texts of a conversation that truncation may cut (`cut_conversation`),
    and the messages their cuts make. Texts cut are given as ``{text's number: (text, tokens)}``."""

    def __init__(self, messages: list[Any], counter: TokenCounter, cut: str, marker: str) -> None:
        self.call = Call(CallShape(None, {}, "messages"), (), {"messages": list(messages)})
        self.slots = _cuttable(messages)
        self.counter, self.cut, self.marker = counter, cut, marker
        self.counts = [counter.count(slot.text) for slot in self.slots]
        self._made: dict[tuple[int, str, int], tuple[str, int]] = {}

    def first(self, length: int | None) -> dict[int, tuple[str, int]]:
        """The texts longer than ``length`` cut to it."""
        return {i: self._truncated(i, slot.text, length) for i, (slot, size) in enumerate(zip(self.slots, self.counts))
                if length is not None and size > length}

    def order(self, texts: dict[int, tuple[str, int]]) -> list[int]:
        """The texts that can be cut further once ``texts`` are cut, the longest first (the latest
        of equal ones)."""
        sizes = [texts[i][1] if i in texts else size for i, size in enumerate(self.counts)]
        return sorted((i for i, size in enumerate(sizes) if size > 1), key=lambda i: (-sizes[i], -i))

    def texts(self, base: dict[int, tuple[str, int]], order: list[int], tokens: int) -> dict[int, tuple[str, int]]:
        """``base`` with ``tokens`` more cut (`order`: its texts' order): the longest text by what
        is left to cut, or to one token when it is shorter, then the next longest (a cut that goes
        before a placeholder or a grapheme takes more, and leaves less to cut)."""
        new = dict(base)
        for i in order:
            if tokens <= 0:
                break
            text, size = new.get(i, (self.slots[i].text, self.counts[i]))
            new[i] = self._truncated(i, text, max(size - tokens, 1))
            tokens -= size - new[i][1]
        return new

    def fall(self, texts: dict[int, tuple[str, int]]) -> int:
        """How far the counts of ``texts`` fell."""
        return sum(self.counts[i] - size for i, (_, size) in texts.items())

    def messages(self, texts: dict[int, tuple[str, int]]) -> tuple[list[Any], set[int]]:
        """The messages with ``texts`` in them, and the indexes of those changed."""
        call = self.call.with_slots([(self.slots[i], text) for i, (text, _) in texts.items()])
        return list(call.arguments["messages"]), {index for i in texts if (index := self.slots[i].index)
                                                  is not None}  # (always: a message's slot)

    def _truncated(self, i: int, text: str, keep: int) -> tuple[str, int]:
        """Text ``i`` (now ``text``) cut to ``keep`` tokens, and its tokens; each cut made once."""
        if (i, text, keep) not in self._made:
            cut = truncate(text, self.counter, keep, self.cut, self.marker)
            self._made[i, text, keep] = cut, self.counter.count(cut)
        return self._made[i, text, keep]


def _cuttable(messages: list[Any]) -> list[Slot]:
    """The texts of a conversation that truncation may cut: its user and tool texts."""
    call = Call(CallShape(None, {}, "messages"), (), {"messages": list(messages)})
    return [slot for slot in call.slots() if slot.source not in OWN_SOURCES]


def drop_oldest(messages: list[Any], costs: list[int], limit: int) -> tuple[list[Any], list[Any]]:
    """Drop the oldest droppable messages until their summed ``costs`` are within ``limit`` (or
    none are left to drop).

    System/developer messages and the latest turn (from the last user message that is not only
    tool results) are kept. An assistant message goes together with the tool results that
    follow it (OpenAI ``tool`` messages; Anthropic user messages holding ``tool_result`` parts),
    so no result is left without its call; and an assistant message left first, its question
    dropped, goes too (Anthropic requires a user message first). Returns (kept, dropped)."""
    turn = max((i for i, m in enumerate(messages) if _role(m) == "user" and not _tool_results(m)),
               default=len(messages) - 1)
    groups: list[list[int]] = []
    for i, message in enumerate(messages[:turn]):
        if _role(message) in _KEPT_ROLES:
            continue
        if groups and (_role(message) in TOOL_ROLES or _tool_results(message)):
            groups[-1].append(i)
        else:
            groups.append([i])
    gone: set[int] = set()
    used = sum(costs)
    while groups and (used > limit or (gone and _role(messages[groups[0][0]]) == "assistant")):
        group = groups.pop(0)
        gone.update(group)
        used -= sum(costs[i] for i in group)
    kept = [m for i, m in enumerate(messages) if i not in gone]
    return kept, [messages[i] for i in sorted(gone)]


def _items(value: Any) -> bool:
    """Whether an argument holds a list of items (messages, Responses input items), not texts."""
    return isinstance(value, (list, tuple)) and not all(isinstance(v, str) for v in value)


def _same(seen: list[Any], messages: list[Any]) -> bool:
    """Whether ``messages`` are the very messages ``seen`` (a new list of the same objects)."""
    return len(seen) == len(messages) and all(a is b for a, b in zip(seen, messages))


def _role(message: Any) -> str:
    return str(as_mapping(message).get("role") or "").lower()


def _tool_results(message: Any) -> bool:
    """Whether a message carries Anthropic ``tool_result`` parts (the results of the tool
    calls of the assistant message before it)."""
    content = as_mapping(message).get("content")
    return isinstance(content, list) and any(as_mapping(p).get("type") == "tool_result"
                                             for p in content)


def _rewritten(messages: list[Any], reason: str, cut: int, meta: dict[str, Any]) -> Verdict:
    """A passing verdict that replaces the conversation with ``messages``."""
    return Verdict.ok(value=messages, reason=reason,
                      meta={**meta, "cut_tokens": cut, "messages": True})


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
