"""Chat messages counted as OpenAI bills them: each message costs ``tokens_per_message`` plus
its fields, a ``name`` field ``tokens_per_name`` more, and the reply is primed with
``reply_priming`` tokens (``<|start|>assistant<|message|>``). Images, files, audio and video are
estimated (`file_tokens`, `guardlayer.tokens.media`)."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..call_kinds import GEMINI_KEYS, TOOL_RESULT_PARTS
from ..errors import ConfigError
from .counters import Count, Estimator, TokenCounter
from .media import PDF_PAGE_TOKENS, media_of, media_tokens, one_call
from .models import ModelInfo, counter_for, model_info

FILE_PAGE_TOKENS = PDF_PAGE_TOKENS
"""What a file given by id or URL counts as by default (`count_messages`' ``referenced``)."""
_PART_KEYS = GEMINI_KEYS | {"type", "text"}
"""A mapping with one of these is a content part (OpenAI, Anthropic, LangChain; Gemini's have no type)."""
_SCALARS = (str, int, float, type(None))
_MAX_DEPTH = 8
"""Levels of lists read for files in a message (a part in a tool result in a message: 3)."""


def count_messages(messages: Sequence[Any], model: str | None = None, *,
                   encoding: str | None = None, referenced: int = FILE_PAGE_TOKENS) -> Count:
    """Tokens a chat request's messages take, reply priming included.

    Text content (a string, text parts, Gemini's ``{"text": ...}`` parts) counts exactly; media
    (`file_tokens`; ``referenced``: what a file given by id or URL, or a video, counts), a tool
    result's other fields and structured fields such as ``tool_calls`` are counted approximately
    and make ``exact`` False. A media part given as an item (Gemini's ``contents=[part, ...]``)
    counts as a message holding it.
    """
    counter = counter_for(model, encoding=encoding)
    info = (model_info(model) if model else None) or ModelInfo(None, 0)
    total, exact = info.reply_priming, counter.exact
    with one_call():  # (the messages' PDFs share one inflate and scan budget)
        for message in messages:
            total += info.tokens_per_message
            item = as_mapping(message)
            for key, value in ({"parts": [item]} if media_of(item) else item).items():
                tokens, field_exact = _field(counter, value, referenced)
                total += tokens
                exact = exact and field_exact
                if key == "name":
                    total += info.tokens_per_name
    return Count(total, exact, counter.name, 0.0 if exact else Estimator.error_bound)


def count_tools(tools: Any, model: str | None = None, *, encoding: str | None = None) -> Count:
    """Tokens a request's tool definitions take, estimated (``exact`` False): providers write them
    into the prompt in a format of their own (OpenAI: a TypeScript-like namespace, unpublished),
    which no tokenizer here reproduces. Each definition counts as its compact JSON, which spells
    out more punctuation than such a format, so the count leans high."""
    counter = counter_for(model, encoding=encoding)
    items = tools if isinstance(tools, (list, tuple)) else [tools]
    total = sum(counter.count(json.dumps(as_mapping(tool), separators=(",", ":"), ensure_ascii=False,
                                         default=str)) for tool in items)
    return Count(total, False, counter.name, 0.0 if counter.exact else Estimator.error_bound)


def file_tokens(part: Any, referenced: int = FILE_PAGE_TOKENS) -> int | None:
    """What a media part may cost (`guardlayer.tokens.media.media_tokens`: an image a fixed cost,
    a PDF by its pages, audio by its length, another inline file a token a byte), ``referenced``
    for one whose size cannot be read here (a file given by id or URL, a video), or None when
    ``part`` carries no media (an Anthropic ``document`` or a LangChain file block of plain text:
    text, counted as such)."""
    media = media_of(as_mapping(part))
    if media is None:
        return None
    return media_tokens(media) if media.sized else referenced


def referenced_files(messages: Sequence[Any]) -> int:
    """How many media parts among ``messages`` (their content, Gemini parts and the parts of their
    function responses, tool results and outputs, a part given as an item) have no size to read
    here: files given by id or URL, video (`file_tokens`). Lists nested deeper than `_MAX_DEPTH`
    count as one (unread)."""
    return _unsized(messages, 0)


def _unsized(values: Sequence[Any], depth: int) -> int:
    if depth > _MAX_DEPTH:
        return 1
    found = 0
    for value in values:
        try:
            item = as_mapping(value)
        except ConfigError:  # (a text, a LangChain pair, bytes: no media)
            continue
        if (media := media_of(item)) is not None:
            found += not media.sized
            continue
        inners: Any = item.values()
        if isinstance(response := _function_response(item), Mapping):
            inners = [*inners, response.get("parts")]
        found += sum(_unsized(inner, depth + 1) for inner in inners
                     if isinstance(inner, (list, tuple)) and not all(isinstance(v, str) for v in inner))
    return found


def _field(counter: TokenCounter, value: Any, referenced: int) -> tuple[int, bool]:
    if value is None:
        return 0, True
    if isinstance(value, str):
        return counter.count(value), True
    if isinstance(value, list) and not all(isinstance(p, _SCALARS) for p in value):
        value = [p if isinstance(p, _SCALARS) else as_mapping(p) for p in value]  # (LangChain mixes strings in)
        if all(isinstance(p, str) or isinstance(p, Mapping) and not _PART_KEYS.isdisjoint(p) for p in value):
            tokens, exact = 0, True
            for part in value:
                cost, part_exact = _part(counter, part, referenced)
                tokens, exact = tokens + cost, exact and part_exact
            return tokens, exact
        media = [isinstance(p, Mapping) and media_of(p) is not None for p in value]
        if any(media):  # (a list that mixes in what is no part: its media still cost as media)
            rest = [p for p, is_media in zip(value, media) if not is_media]
            return sum(_part(counter, p, referenced)[0] for p, is_media in zip(value, media) if is_media) + (
                counter.count(json.dumps(rest, default=str))), False
    return (0, True) if value == [] else (counter.count(json.dumps(value, default=str)), False)


def _part(counter: TokenCounter, part: str | Mapping[str, Any], referenced: int) -> tuple[int, bool]:
    """One content part's tokens, and whether they are exact: a string or a text part's text; media
    (`file_tokens`); a tool result's content (a Gemini function response's ``parts``) as parts and
    the rest as JSON."""
    if isinstance(part, str):
        return counter.count(part), True
    kind = part.get("type")
    if kind == "text" or (kind is None and isinstance(part.get("text"), str)):
        return counter.count(str(part.get("text", ""))), True
    if (cost := file_tokens(part, referenced)) is not None:
        return cost, False
    holder, key = (part, "content") if kind in TOOL_RESULT_PARTS else (_function_response(part), "parts")
    if isinstance(holder, Mapping) and isinstance(inner := holder.get(key), list):
        rest = {k: v for k, v in holder.items() if k != key}
        return counter.count(json.dumps(rest, default=str)) + _field(counter, inner, referenced)[0], False
    return counter.count(json.dumps(part, default=str)), False


def _function_response(part: Mapping[str, Any]) -> Any:
    """A Gemini part's function response, whose ``parts`` hold media (``FunctionResponsePart``)."""
    return part.get("function_response", part.get("functionResponse")) if part.get("type") is None else None


def message_text(message: Any) -> str:
    """The text of a message's content (text parts joined), for counting and summarising."""
    content = as_mapping(message).get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [as_mapping(p) for p in content]
        return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")
    return ""


def as_mapping(item: Any) -> Mapping[str, Any]:
    """A message or content part as a mapping: a dict as it is, an SDK object (pydantic: its
    fields that are set; another object: its public attributes) as one."""
    if isinstance(item, Mapping):
        return item
    if hasattr(item, "model_dump"):
        return dict(item.model_dump(exclude_none=True))
    if hasattr(item, "__dict__"):
        return {k: v for k, v in vars(item).items() if not k.startswith("_")}
    raise ConfigError(f"cannot read a {type(item).__name__} as a chat message or content part")
