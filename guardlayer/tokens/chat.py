"""Chat messages counted as OpenAI bills them: each message costs ``tokens_per_message`` plus
its fields, a ``name`` field ``tokens_per_name`` more, and the reply is primed with
``reply_priming`` tokens (``<|start|>assistant<|message|>``)."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigError
from .counters import Count, Estimator, TokenCounter
from .models import ModelInfo, counter_for, model_info

IMAGE_PART_TOKENS = 85
"""What one image part costs at ``detail: low``; higher details cost more, so any image makes
the count inexact."""


def count_messages(messages: Sequence[Any], model: str | None = None, *,
                   encoding: str | None = None) -> Count:
    """Tokens a chat request's messages take, reply priming included.

    Text content (a string or ``{"type": "text"}`` parts) counts exactly; image parts and
    structured fields such as ``tool_calls`` are counted approximately and make ``exact`` False.
    """
    counter = counter_for(model, encoding=encoding)
    info = (model_info(model) if model else None) or ModelInfo(None, 0)
    total, exact = info.reply_priming, counter.exact
    for message in messages:
        total += info.tokens_per_message
        for key, value in as_mapping(message).items():
            tokens, field_exact = _field(counter, value)
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


def _field(counter: TokenCounter, value: Any) -> tuple[int, bool]:
    if value is None:
        return 0, True
    if isinstance(value, str):
        return counter.count(value), True
    if isinstance(value, list) and value and not isinstance(value[0], (str, int, float)):
        value = [as_mapping(p) for p in value]
    if isinstance(value, list) and all(isinstance(p, Mapping) and "type" in p for p in value):
        tokens, exact = 0, True
        for part in value:
            if part["type"] == "text":
                tokens += counter.count(str(part.get("text", "")))
            elif part["type"] in ("image_url", "image", "input_image"):
                tokens, exact = tokens + IMAGE_PART_TOKENS, False
            else:
                tokens, exact = tokens + counter.count(json.dumps(part, default=str)), False
        return tokens, exact
    return counter.count(json.dumps(value, default=str)), False


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
