"""Chat messages counted as OpenAI bills them: each message costs ``tokens_per_message`` plus
its fields, a ``name`` field ``tokens_per_name`` more, and the reply is primed with
``reply_priming`` tokens (``<|start|>assistant<|message|>``). Images and files are estimated
(`IMAGE_PART_TOKENS`, `file_tokens`)."""
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
FILE_PAGE_TOKENS = 4_800
"""What one page of a PDF may cost: its text (Anthropic: 1,500-3,000 tokens a page) and the
image of the page that OpenAI and Anthropic add to it (up to about 1,600 tokens)."""
FILE_PARTS = frozenset({"file", "input_file", "document"})
"""Content parts that carry a file (OpenAI chat, Responses, Anthropic, LangChain)."""


def count_messages(messages: Sequence[Any], model: str | None = None, *,
                   encoding: str | None = None, referenced: int = FILE_PAGE_TOKENS) -> Count:
    """Tokens a chat request's messages take, reply priming included.

    Text content (a string or ``{"type": "text"}`` parts) counts exactly; image parts, file parts
    (`file_tokens`; ``referenced``: what a file given by id or URL counts) and structured fields
    such as ``tool_calls`` are counted approximately and make ``exact`` False.
    """
    counter = counter_for(model, encoding=encoding)
    info = (model_info(model) if model else None) or ModelInfo(None, 0)
    total, exact = info.reply_priming, counter.exact
    for message in messages:
        total += info.tokens_per_message
        for key, value in as_mapping(message).items():
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
    """What a file part may cost, or None when ``part`` is no file (an Anthropic ``document`` or
    a LangChain file block of plain text: text, counted as such).

    A file sent inline (base64, a data URL) costs a token a byte of it, and one PDF page at
    least (`FILE_PAGE_TOKENS`): byte-level BPE spends at most a token a byte of text, and a PDF,
    billed as its text and an image of each page, is covered while its pages average 4.8 KB or
    more (most do: fonts, images); a dense text-only PDF compressed below that can cost more,
    which no rule can tell without reading the file. A file given by id or URL has no size
    here: it costs ``referenced`` (`referenced_files` finds them)."""
    source = _file(as_mapping(part))
    if source is None:
        return None
    data = _inline(source)
    if data is None:
        return referenced
    head, comma, body = data.partition(",") if data.startswith("data:") else ("", "", data)
    plain = comma and not head.endswith(";base64")  # (a data URL of text, not base64)
    size = len(body.encode("utf-8", "surrogatepass")) if plain else len(body.rstrip("=")) * 3 // 4
    return max(FILE_PAGE_TOKENS, size)


def referenced_files(messages: Sequence[Any]) -> int:
    """How many file parts among ``messages``' content are given by id or URL, not inline:
    their size, and so their tokens, cannot be known here (`file_tokens`)."""
    found = 0
    for message in messages:
        try:
            content = as_mapping(message).get("content")
            parts = [as_mapping(p) for p in content if not isinstance(p, str)] if isinstance(content, list) else []
        except ConfigError:  # (a text, a LangChain pair, bytes: no file part)
            continue
        found += sum(1 for part in parts if (source := _file(part)) is not None and _inline(source) is None)
    return found


def _file(part: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Where a file part keeps its data or reference (OpenAI chat: ``file``; Anthropic:
    ``source``; Responses and LangChain: the part itself), or None when it is no file."""
    if part.get("type") not in FILE_PARTS:
        return None
    inner = part["file"] if part.get("type") == "file" and part.get("file") is not None else part.get("source", part)
    source = {} if isinstance(inner, str) else as_mapping(inner)
    kind = source.get("source_type") if inner is part else source.get("type")
    return None if kind in ("text", "content") else source


def _inline(source: Mapping[str, Any]) -> str | None:
    """A file's inline data (base64 or a data URL), None when it is given by id or URL."""
    return next((source[k] for k in ("file_data", "data", "base64") if isinstance(source.get(k), str)), None)


def _field(counter: TokenCounter, value: Any, referenced: int) -> tuple[int, bool]:
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
            elif (cost := file_tokens(part, referenced)) is not None:
                tokens, exact = tokens + cost, False
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
