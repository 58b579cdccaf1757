"""Assemble the tool calls a model streams, chunk by chunk, without importing any SDK.

Shapes understood, as objects or dicts: OpenAI chat chunks, whose
``choices[0].delta.tool_calls[j]`` carry an ``index`` and fragments of ``id``, ``type``,
``function.name`` and ``function.arguments`` (concatenated per index, as the OpenAI SDK does;
a fragment with a new ``id`` starts a new call even at an index already used, and without an
index it adds to the last call, as some OpenAI-compatible servers number parallel calls),
and the legacy ``delta.function_call``; Anthropic events, where ``content_block_start`` opens a
``tool_use`` block (``id``, ``name``, ``input``) and ``content_block_delta`` events of type
``input_json_delta`` add ``partial_json`` fragments to the block at their ``index``. Blocks of
tools the provider runs itself (``server_tool_use``: web search, code execution) are not calls
the program runs, and are skipped, as `tools.tool_calls` skips them in an answer not streamed.
Ollama's chunks carry each call whole (``message.tool_calls[j].function``, its ``arguments`` a
dict): each is a call of its own.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from ..errors import ConfigError
from . import chunk_message, field



@dataclass(slots=True)
class _Parts:
    """One call being assembled: its id, name and argument fragments (and Anthropic's
    ``input``, used when no fragment arrives)."""

    id: str | None = None
    name: str = ""
    fragments: list[str] = dataclass_field(default_factory=list)
    input: Any = None

    def add(self, id: Any, name: Any, arguments: Any) -> None:
        if self.id is None and isinstance(id, str) and id:
            self.id = id
        self.name += name if isinstance(name, str) else ""
        if isinstance(arguments, str):
            self.fragments.append(arguments)

    def arguments(self) -> str:
        text = "".join(self.fragments)
        if text.strip() or self.input is None:
            return text
        return json.dumps(self.input, ensure_ascii=False, default=str)

    def function(self) -> dict[str, Any]:
        return {"name": self.name or None, "arguments": self.arguments()}


class StreamedCalls:
    """Collects the tool-call fragments of one streamed answer; `response` gives them whole."""

    def __init__(self) -> None:
        self._openai: list[_Parts] = []  # in the order they start
        self._latest: dict[int | None, int] = {}  # a delta's index -> its latest call's position
        self._blocks: dict[int, _Parts] = {}  # Anthropic tool_use blocks, by content block index
        self._server: set[int] = set()  # content blocks of tools the provider runs: skipped
        self._legacy: _Parts | None = None

    def __bool__(self) -> bool:
        return bool(self._openai or self._blocks or self._legacy)

    def feed(self, chunk: Any) -> None:
        """Take the tool-call fragments ``chunk`` carries, if any. Raises ConfigError on a
        fragment for a block that opened no tool call."""
        if isinstance(chunk, str):
            return
        choices = field(chunk, "choices")
        if isinstance(choices, (list, tuple)) and choices:
            self._openai_delta(field(choices[0], "delta"))
        for call in field(chunk_message(chunk), "tool_calls") or ():
            fn, whole = field(call, "function"), _Parts()
            arguments = field(fn, "arguments")
            whole.add(field(call, "id"), field(fn, "name"), arguments)
            whole.input = None if isinstance(arguments, str) else arguments
            self._openai.append(whole)
        kind = field(chunk, "type")
        if kind == "content_block_start":
            self._open_block(field(chunk, "index"), field(chunk, "content_block"))
        elif kind == "content_block_delta" and field(field(chunk, "delta"), "type") == "input_json_delta":
            index = field(chunk, "index")
            if index in self._server:
                return
            if index not in self._blocks:
                raise ConfigError(f"the stream sent tool-call arguments for content block {index}, "
                                  "which opened no tool_use block")
            self._blocks[index].add(None, None, field(field(chunk, "delta"), "partial_json"))

    def _openai_delta(self, delta: Any) -> None:
        for part in field(delta, "tool_calls") or ():
            fn = field(part, "function")
            self._slot(part).add(field(part, "id"), field(fn, "name"), field(fn, "arguments"))
        legacy = field(delta, "function_call")
        if legacy is not None:
            self._legacy = self._legacy or _Parts()
            self._legacy.add(None, field(legacy, "name"), field(legacy, "arguments"))

    def _slot(self, part: Any) -> _Parts:
        """The call a fragment adds to: the latest one at its ``index`` (None: it has none),
        unless it names another id, which starts a new call."""
        index, id = field(part, "index"), field(part, "id")
        key = index if isinstance(index, int) else None
        at = self._latest.get(key)
        if at is None or (isinstance(id, str) and id and self._openai[at].id not in (None, id)):
            self._openai.append(_Parts())
            at = self._latest[key] = len(self._openai) - 1
        return self._openai[at]

    def _open_block(self, index: Any, block: Any) -> None:
        kind = field(block, "type")
        if kind == "server_tool_use":
            self._server.add(index)
        elif kind == "tool_use":
            name = field(block, "name")
            self._blocks[index] = _Parts(field(block, "id"), name if isinstance(name, str) else "",
                                         input=field(block, "input"))

    def response(self, text: str) -> dict[str, Any]:
        """An OpenAI-style chat completion holding ``text`` and the calls assembled, in order
        (the legacy ``function_call`` as the message's own), for `tools.tool_calls` to read."""
        parts = self._openai + [self._blocks[index] for index in sorted(self._blocks)]
        calls = [{"id": p.id, "type": "function", "function": p.function()} for p in parts]
        message: dict[str, Any] = {"role": "assistant", "content": text, "tool_calls": calls}
        if self._legacy is not None:
            message["function_call"] = self._legacy.function()
        return {"choices": [{"index": 0, "message": message}]}
