"""Read model responses and stream chunks of any provider without importing its SDK.

Shapes understood: plain ``str``; OpenAI chat completions and their stream chunks
(``choices[0].message.content`` / ``choices[0].delta.content``); Anthropic messages and
stream events (``content[i].text`` / ``delta.text``); a message in a ``message`` envelope,
Ollama's ``/api/chat`` answers and their stream chunks and Cohere's chat answers
(``message.content``); the same shapes as dicts. Tool calls are read and replaced by
`providers.tools`.
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


def envelope_message(resp: Any) -> Any:
    """The message of a response that keeps it in a ``message`` field (Ollama's ``/api/chat``
    answers and stream chunks, Cohere's chat answers): None when ``resp`` has ``choices``, text
    or calls of its own, or no such field."""
    if (isinstance(resp, (str, bytes, list, tuple)) or resp is None or field(resp, "choices") is not None
            or _holds_answer(resp)):
        return None
    message = field(resp, "message")
    if message is None or isinstance(message, (str, bytes)) or not _provider_marked(resp, message):
        return None
    return message


def _provider_marked(resp: Any, message: Any) -> bool:
    """Does ``resp`` say it is a provider's answer (not an app's object with a ``message``): an
    assistant's message, Ollama's ``done`` or ``model`` and ``created_at``, Cohere's ``finish_reason``?"""
    return (field(message, "role") == "assistant" or field(resp, "done") is not None
            or field(resp, "finish_reason") is not None
            or field(resp, "model") is not None and field(resp, "created_at") is not None)


def _answer(resp: Any) -> Any:
    """What holds the answer of a response that has no ``choices``: its envelope's message, or itself."""
    message = envelope_message(resp)
    return resp if message is None else message


def _holds_answer(message: Any) -> bool:
    """Does ``message`` hold an answer of its own: ``content`` (text or not) or OpenAI tool calls?"""
    return field(message, "content") is not None or _carries_calls(message)


def _readable(message: Any) -> bool:
    """Can `text_of` read the answer ``message`` holds: text it can read, or only OpenAI tool calls?"""
    content = field(message, "content")
    return _join_parts(content) is not None or content is None and _carries_calls(message)


def text_of(resp: Any) -> str | None:
    """The answer text of a response, or ``None`` when it has none (e.g. only tool calls)."""
    if isinstance(resp, str):
        return resp
    choice = _first_choice(resp)
    if choice is not None:
        return _join_parts(_choice_content(choice))
    return _join_parts(field(_answer(resp), "content"))


def _choice_content(choice: Any) -> Any:
    """A choice's content: its message's, or a completion choice's ``text``."""
    message = field(choice, "message")
    return field(message, "content") if message is not None else field(choice, "text")


def unreadable(resp: Any) -> str | None:
    """Why the output guards could not judge ``resp`` (None: `text_of` reads its one answer)."""
    choices = field(resp, "choices")
    if isinstance(choices, (list, tuple)) and len(choices) > 1:
        return f"the response holds {len(choices)} choices and guardlayer checks one answer: ask for n=1"
    choice = _first_choice(resp)
    if isinstance(resp, str) or choice is None and _readable(_answer(resp)):
        return None
    if choice is not None and ((content := _choice_content(choice)) is None or _join_parts(content) is not None):
        return None
    return (f"guardlayer cannot read the answer text of a {type(resp).__name__}: return the text, "
            "or an OpenAI-, Anthropic-, Ollama- or Cohere-shaped response whose content is text or text parts")


def _carries_calls(resp: Any) -> bool:
    """Is ``resp`` a bare OpenAI message with tool calls (its text, if any, is its content)?"""
    return not isinstance(resp, (list, tuple)) and bool(field(resp, "tool_calls") or field(resp, "function_call"))


def _join_parts(content: Any) -> str | None:
    """The text of a message's ``content``: a str, or the text parts of a list of parts (a part
    without text, a ``tool_use`` block, adds none); None when there is none or it cannot be read:
    another value (a dict, bytes), a part that is not an object, text of another type (``output_text``)."""
    if content is None or isinstance(content, str):
        return content
    if not isinstance(content, (list, tuple)):
        return None
    texts = []
    for part in content:
        text = None if isinstance(part, (str, bytes)) else field(part, "text")
        if isinstance(part, (str, bytes)) or text is not None and (
                not isinstance(text, str) or field(part, "type", "text") != "text"):
            return None
        texts.append(text or "")
    return "".join(texts)


def with_text(resp: Any, text: str) -> Any:
    """A copy of ``resp`` whose answer text is ``text`` (the original is left untouched); an
    OpenAI message that held only tool calls keeps them, with ``text`` as its content. The
    choice's ``logprobs`` (Ollama's beside its message), token by token of the old text (what a
    guard redacted included), are dropped (None)."""
    if isinstance(resp, str) or _first_choice(resp) is None and not _holds_answer(_answer(resp)):
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
    message = _answer(new)
    if message is not new and field(new, "logprobs") is not None:
        _set(new, "logprobs", None)
    content = field(message, "content")
    if content is None or isinstance(content, str):  # (None: a bare message of tool calls)
        _set(message, "content", text)
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
    """Token usage the provider reported, if any (OpenAI, Anthropic and Cohere field names, Cohere's
    ``usage.tokens`` else its ``billed_units``; Ollama's ``prompt_eval_count`` and ``eval_count``).
    Anthropic's ``input_tokens`` leave out the prompt read from or written to its cache: they are added."""
    if isinstance(resp, str) or resp is None:
        return None
    usage = field(resp, "usage")
    if usage is None:
        prompt, completion = field(resp, "prompt_eval_count"), field(resp, "eval_count")
        return None if prompt is None and completion is None else Usage(int(prompt or 0), int(completion or 0))
    usage = next((field(usage, key) for key in ("tokens", "billed_units") if field(usage, key) is not None), usage)
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
    text = field(delta, "text") if delta is not None else field(chunk_message(chunk), "content")
    return text if isinstance(text, str) else ""


ANTHROPIC_EVENTS = frozenset({"message_start", "content_block_start", "content_block_delta", "content_block_stop",
                              "message_delta", "message_stop", "ping", "error"})
"""The kinds of Anthropic stream events (`chunk_known`)."""


def chunk_known(chunk: Any) -> bool:
    """Whether `chunk_text` knows a stream chunk's shape: text, an OpenAI chunk (``choices``), an
    Anthropic event, an Ollama chunk. Another's text (a Responses event, a LangChain chunk,
    bytes) would be read as none."""
    return (isinstance(chunk, str) or isinstance(field(chunk, "choices"), (list, tuple))
            or field(chunk, "type") in ANTHROPIC_EVENTS or chunk_message(chunk) is not None)


def chunk_message(chunk: Any) -> Any:
    """The message of an Ollama stream chunk (``{"message": {...}, "done": ...}``; an Anthropic
    event's ``message`` is not one); None for another chunk."""
    return None if isinstance(chunk, str) or field(chunk, "type") is not None else envelope_message(chunk)


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
