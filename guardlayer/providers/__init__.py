"""Read model responses and stream chunks of any provider without importing its SDK.

Shapes understood: plain ``str``; OpenAI chat completions and their stream chunks
(``choices[0].message.content`` / ``choices[0].delta.content``); Anthropic messages and
stream events (``content[i].text`` / ``delta.text``); the same shapes as dicts. Tool calls
are read and replaced by `providers.tools`.
"""
from __future__ import annotations

import copy
from typing import Any

from ..report import Usage


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for mappings, ``obj.name`` otherwise."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _first_choice(resp: Any) -> Any:
    choices = field(resp, "choices")
    return choices[0] if isinstance(choices, (list, tuple)) and choices else None


def text_of(resp: Any) -> str | None:
    """The answer text of a response, or ``None`` when it has none (e.g. only tool calls)."""
    if isinstance(resp, str):
        return resp
    choice = _first_choice(resp)
    if choice is not None:
        message = field(choice, "message")
        content = field(message, "content") if message is not None else field(choice, "text")
        return _join_parts(content)
    content = field(resp, "content")
    if content is not None:
        return _join_parts(content)
    return None


def unreadable(resp: Any) -> str | None:
    """Why the output guards could not judge ``resp`` (None: `text_of` reads its one answer)."""
    choices = field(resp, "choices")
    if isinstance(choices, (list, tuple)) and len(choices) > 1:
        return f"the response holds {len(choices)} choices and guardlayer checks one answer: ask for n=1"
    if (isinstance(resp, str) or _first_choice(resp) is not None or field(resp, "content") is not None
            or _carries_calls(resp)):
        return None
    return (f"guardlayer cannot read the answer text of a {type(resp).__name__}: return the text, "
            "or an OpenAI- or Anthropic-shaped response")


def _carries_calls(resp: Any) -> bool:
    """Is ``resp`` a bare OpenAI message with tool calls (its text, if any, is its content)?"""
    return not isinstance(resp, (list, tuple)) and bool(field(resp, "tool_calls") or field(resp, "function_call"))


def _join_parts(content: Any) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        parts = [field(p, "text") for p in content if field(p, "type", "text") == "text"]
        return "".join(p for p in parts if isinstance(p, str))
    return None


def with_text(resp: Any, text: str) -> Any:
    """A copy of ``resp`` whose answer text is ``text`` (the original is left untouched); an
    OpenAI message that held only tool calls keeps them, with ``text`` as its content. The
    choice's ``logprobs``, token by token of the old text (what a guard redacted included), are
    dropped (None)."""
    if isinstance(resp, str) or (_first_choice(resp) is None and field(resp, "content") is None
                                 and not _carries_calls(resp)):
        return text
    new = copy.deepcopy(resp)
    choice = _first_choice(new)
    if choice is not None:
        message = field(choice, "message")
        target, key = (message, "content") if message is not None else (choice, "text")
        _set(target, key, text)
        if field(choice, "logprobs") is not None:
            _set(choice, "logprobs", None)
        return new
    content = field(new, "content")
    if content is None or isinstance(content, str):  # (None: a bare message of tool calls)
        _set(new, "content", text)
        return new
    blocks = [b for b in content if field(b, "type", "text") == "text"]
    for i, block in enumerate(blocks):
        _set(block, "text", text if i == 0 else "")
    return new


def _set(obj: Any, key: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[key] = value
    else:
        setattr(obj, key, value)


def usage_of(resp: Any) -> Usage | None:
    """Token usage the provider reported, if any (OpenAI and Anthropic field names). Anthropic's
    ``input_tokens`` leave out the prompt read from or written to its cache: they are added."""
    usage = None if isinstance(resp, str) else field(resp, "usage")
    if usage is None:
        return None
    prompt = field(usage, "prompt_tokens")
    if prompt is None and (prompt := field(usage, "input_tokens")) is not None:
        prompt += sum(field(usage, key) or 0 for key in ("cache_creation_input_tokens",
                                                          "cache_read_input_tokens"))
    completion = field(usage, "completion_tokens", field(usage, "output_tokens"))
    if prompt is None and completion is None:
        return None
    return Usage(int(prompt or 0), int(completion or 0))


def model_of(resp: Any) -> str | None:
    model = None if isinstance(resp, str) else field(resp, "model")
    return model if isinstance(model, str) else None


def chunk_text(chunk: Any) -> str:
    """The text a stream chunk adds ("" for role, usage or tool-call chunks)."""
    if isinstance(chunk, str):
        return chunk
    choice = _first_choice(chunk)
    if choice is not None:
        delta = field(choice, "delta")
        text = field(delta, "content") if delta is not None else field(choice, "text")
        return text if isinstance(text, str) else ""
    delta = field(chunk, "delta")
    text = field(delta, "text") if delta is not None else None
    return text if isinstance(text, str) else ""


ANTHROPIC_EVENTS = frozenset({"message_start", "content_block_start", "content_block_delta", "content_block_stop",
                              "message_delta", "message_stop", "ping", "error"})
"""The kinds of Anthropic stream events (`chunk_known`)."""


def chunk_known(chunk: Any) -> bool:
    """Whether `chunk_text` knows a stream chunk's shape: text, an OpenAI chunk (``choices``), an
    Anthropic event. Another's text (an Ollama dict, a Responses event, a LangChain chunk, bytes)
    would be read as none."""
    return (isinstance(chunk, str) or isinstance(field(chunk, "choices"), (list, tuple))
            or field(chunk, "type") in ANTHROPIC_EVENTS)


def choice_index(chunk: Any) -> int:
    """Which of several answers (OpenAI's ``n``) a stream chunk belongs to: the largest
    ``index`` of its choices (a choice that names none is 0; a chunk may carry several)."""
    choices = field(chunk, "choices") if not isinstance(chunk, str) else None
    if not isinstance(choices, (list, tuple)):
        return 0
    indexes = [field(c, "index") for c in choices]
    return max([i for i in indexes if isinstance(i, int)] + [len(choices) - 1])


def is_stream(resp: Any) -> bool:
    """True for an iterator of chunks (not a str, dict, list or response object)."""
    if isinstance(resp, (str, bytes, dict, list, tuple)):
        return False
    return hasattr(resp, "__next__") or hasattr(resp, "__anext__")
