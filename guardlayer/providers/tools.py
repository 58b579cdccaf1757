"""Read and replace the tool calls of a model response without importing any SDK.

Shapes understood, as objects or dicts: OpenAI chat completions (every choice's
``message.tool_calls[i].function.arguments``, a JSON string, and the legacy
``message.function_call``), a bare OpenAI message, a list of calls, LangChain's ``AIMessage``
(``tool_calls[i].args``, a dict), and Anthropic messages (``content[i]`` blocks of type
``tool_use``, whose ``input`` is a dict; ``server_tool_use`` blocks are tools the provider ran
itself, not calls for the program, and are skipped). A call whose arguments are missing, or
could be read from two places (``arguments`` and ``args``; a ``function`` beside a name or
arguments of the call's own), has unreadable arguments, never ``{}``.
"""
from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ..verdict import MISSING
from . import _set, field


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call: its position among the response's calls, id, tool name, the arguments
    as JSON text and parsed (``MISSING`` when the text is not JSON)."""

    index: int
    id: str | None
    name: str | None
    arguments: str
    parsed: Any = MISSING

    def with_value(self, value: Any) -> ToolCall:
        """The same call with ``value`` as its arguments (the text re-dumped, never patched)."""
        return replace(self, parsed=value, arguments=json.dumps(value, ensure_ascii=False))

    def with_text(self, text: str) -> ToolCall:
        """The same call with ``text`` as its arguments' text."""
        return replace(self, arguments=text, parsed=_parsed(text))


def tool_calls(resp: Any) -> list[ToolCall]:
    """The tool calls of ``resp`` in order ([] when it has none or is not a known shape)."""
    return [_read(i, raw) for i, raw in enumerate(_raw_calls(resp))]


def written(text: str | None, calls: Iterable[ToolCall]) -> str | None:
    """What the model wrote: ``text`` and each call's name and arguments, a line each (for
    counting its tokens when the provider reports no usage)."""
    lines = [f"{call.name or ''} {call.arguments}" for call in calls]
    return "\n".join([text or "", *lines]) if lines else text


def with_tool_arguments(resp: Any, calls: Iterable[ToolCall]) -> Any:
    """A deep copy of ``resp`` in which the given calls (matched by ``index``) carry their new
    arguments: as JSON text where the response held text (OpenAI), as the parsed dict where it
    held a dict (Anthropic's ``input``). The original is left untouched. Raises ValueError when
    a dict is due and the new arguments are not a JSON object."""
    new = copy.deepcopy(resp)
    raws = _raw_calls(new)
    for call in calls:
        holder, key = _arguments_slot(raws[call.index])
        if key == "arguments" and not isinstance(field(holder, key), dict):
            _set(holder, key, call.arguments)
        elif isinstance(call.parsed, dict):
            _set(holder, key, call.parsed)
        else:
            raise ValueError(f"tool call {call.name!r}: its arguments must stay a JSON object")
    return new


def _raw_calls(resp: Any) -> list[Any]:
    """The call objects themselves (inside ``resp``), in the order `tool_calls` numbers them."""
    if isinstance(resp, (str, bytes)) or resp is None:
        return []
    if isinstance(resp, (list, tuple)):
        return list(resp)
    choices = field(resp, "choices")
    if isinstance(choices, (list, tuple)):
        return [c for choice in choices for c in _message_calls(field(choice, "message"))]
    content = field(resp, "content")  # Anthropic blocks; or an OpenAI message's text parts
    blocks = [b for b in content if field(b, "type") == "tool_use"] if isinstance(content, (list, tuple)) else []
    return blocks + _message_calls(resp)


def _message_calls(message: Any) -> list[Any]:
    if message is None:
        return []
    listed = field(message, "tool_calls")
    calls = list(listed) if isinstance(listed, (list, tuple)) else []  # (not a string's characters)
    legacy = field(message, "function_call")
    return calls + [legacy] if legacy is not None else calls


def _arguments_slot(raw: Any) -> tuple[Any, str]:
    """Where a call keeps its name and arguments: a ``tool_use`` block's ``input``, else the
    ``arguments`` (LangChain: ``args``) of its ``function`` (or of the call itself: legacy,
    flat and LangChain calls)."""
    if field(raw, "type") == "tool_use":
        return raw, "input"
    fn = field(raw, "function")
    holder = raw if fn is None else fn
    return holder, ("args" if field(holder, "arguments") is None and field(holder, "args") is not None else "arguments")


def _ambiguous(raw: Any, holder: Any) -> bool:
    """Could a tool read the call otherwise: arguments in both ``arguments`` and ``args``, or a
    ``function`` beside a name or arguments of the call's own?"""
    if field(raw, "type") == "tool_use":
        return False
    both = all(field(holder, key) is not None for key in ("arguments", "args"))
    return both or holder is not raw and any(field(raw, key) is not None for key in ("name", "arguments", "args"))


def _read(index: int, raw: Any) -> ToolCall:
    holder, key = _arguments_slot(raw)
    name, args = field(holder, "name"), field(holder, key)
    if args is None or _ambiguous(raw, holder):
        return ToolCall(index, field(raw, "id"), name if isinstance(name, str) else None, "", MISSING)
    if isinstance(args, str):
        text, parsed = args, _parsed(args)
    else:  # (Anthropic's ``input``: already parsed, and judged as its JSON would be: NaN is not)
        try:
            text = json.dumps(args, ensure_ascii=False, default=str)
            parsed = args if _parsed(text) is not MISSING else MISSING
        except (ValueError, RecursionError):  # a cycle, or nesting too deep to write
            text, parsed = "", MISSING
    return ToolCall(index, field(raw, "id"), name if isinstance(name, str) else None, text, parsed)


def _parsed(text: str) -> Any:
    """The arguments' JSON value; MISSING (unreadable arguments) when a tool might read them
    otherwise than the guards: NaN, Infinity or 1e999 (not finite numbers; every comparison with
    NaN is false, so a schema's ``maximum`` let it through), a key given twice (the guards saw one value, a tool's
    parser may keep the other), nesting too deep to read."""
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):
        return MISSING


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):  # 1e999
        raise ValueError(f"{number} is too large for a number")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key is given twice")
    return found
