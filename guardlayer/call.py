"""Where the guarded text is in a call, and how to put changed text back.

A `CallShape` is worked out once per wrapped function; a `Call` is one invocation's
arguments. Untrusted text is a ``str`` prompt argument, a ``messages`` list (OpenAI or Anthropic
style: the text of every message not from the system, developer or assistant role, part by
part; tool messages and Anthropic tool results count as tool output), or any argument the
caller names as untrusted (for example retrieved documents). The assistant's earlier turns are
slots too, of source ``assistant``, for the guards that ask to see them (PII: originals put
back into an answer go to the model again with the conversation). What a ``**kwargs`` takes
is looked up by name too, so a pass-through wrapper ``def create(**kwargs)`` is guarded; there
``input`` is read as the OpenAI Responses API's (a prompt, or a list of items: messages and
``function_call_output`` tool results). An untrusted argument may hold message items too.
Anthropic ``document`` (plain text) and ``search_result`` parts count as documents.
"""
from __future__ import annotations

import copy
import difflib
import inspect
from dataclasses import dataclass, replace
from typing import Any, Callable

from .errors import ConfigError
from .providers.tools import tool_calls, with_tool_arguments
from .structured.strings import leaves, with_leaf
from .verdict import MISSING

TRUSTED_ROLES = frozenset({"system", "developer", "assistant"})
"""Roles whose messages are ours; every other role (none, "user", "User", "tool", ...) is untrusted."""
HISTORY = "assistant"
"""The source of the assistant's earlier turns: trusted, seen only by guards with
``assistant_turns = True``."""
SYSTEM = "system"
"""The source of system and developer messages: trusted, seen only by guards with
``system_turns = True`` (PII: personal data leaves the process in any message)."""
SYSTEM_ARGS = ("system", "instructions")
"""Arguments that carry a system prompt beside the messages: Anthropic's ``system`` (text, or a
list of text blocks), the OpenAI Responses API's ``instructions``."""
OWN_SOURCES = frozenset({HISTORY, SYSTEM})
"""Sources of the application's own text: never a reason to refuse a call, never cut."""
TOOL_ROLES = frozenset({"tool", "function", "ipython"})
TEXT_PARTS = frozenset({"text", "input_text"})
"""Content parts that hold text (OpenAI chat, Anthropic, OpenAI Responses); a ``tool_result``
part (Anthropic) holds a tool's output, as a string or text parts."""
TOOL_OUTPUT_ITEMS = frozenset({"function_call_output", "custom_tool_call_output"})
"""OpenAI Responses input items that hold a tool's output (in ``output``), with no role."""
SIDE_FIELDS = ("title", "context")
"""Fields of an Anthropic ``document`` or ``search_result`` part that the model reads besides its
text (a page's title comes from the page): checked as their own texts, of source document."""
RESPONSES_INPUT = "input"
"""The Responses API's argument for the prompt or its items, read in a ``**kwargs`` wrapper."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One untrusted text in a call: which argument (and message), and its source."""

    arg: str
    index: int | None
    source: str
    text: str
    part: int | None = None  # the content part of a message that holds the text
    field: str | None = None  # a document part's field that holds it besides its text (`SIDE_FIELDS`)
    tool: tuple[int, tuple[Any, ...] | None] | None = None
    """In an assistant turn's tool call: the call's number and the path to the string among its
    parsed arguments (None: arguments that are not JSON, the text whole)."""

    @property
    def target(self) -> str:
        where = self.arg if self.index is None else f"{self.arg}[{self.index}]"
        if self.tool is not None:
            number, path = self.tool
            return f"{where}.tool_calls[{number}].arguments" + "".join(f"[{p!r}]" for p in path or ())
        where = where if self.part is None else f"{where}.content[{self.part}]"
        return where if self.field is None else f"{where}.{self.field}"


@dataclass(frozen=True, slots=True)
class CallShape:
    """Which arguments of a function hold untrusted text, and of what source."""

    signature: inspect.Signature | None
    sources: dict[str, str]
    messages_arg: str | None

    @classmethod
    def of(cls, fn: Callable[..., Any], *, prompt_arg: str | None = None,
           messages_arg: str | None = None, untrusted: dict[str, str] | None = None) -> CallShape:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            sig = None
        params = list(sig.parameters) if sig else []
        sources = dict(untrusted or {})
        open_kw = sig is not None and _has_var_kw(sig)  # (a pass-through ``**kwargs`` wrapper)
        if messages_arg is None and ("messages" in params or open_kw):
            messages_arg = "messages"
        if prompt_arg is None and not sources:
            if "prompt" in params:
                prompt_arg = "prompt"
            elif messages_arg not in params and not open_kw:  # (a wrapper's text is in its **kwargs)
                prompt_arg = _first_str_param(sig)
            if open_kw:
                sources["prompt"] = sources[RESPONSES_INPUT] = "user"
        if prompt_arg:
            sources.setdefault(prompt_arg, "user")
        if messages_arg is not None:  # a system prompt given beside the conversation (Anthropic's
            for name in SYSTEM_ARGS:  # ``system``, the Responses API's ``instructions``), as text
                if name in params or open_kw:
                    sources.setdefault(name, SYSTEM)
        for name in [*sources, *([messages_arg] if messages_arg else [])]:
            if sig and name not in params and not _has_var_kw(sig):
                raise ConfigError(f"{getattr(fn, '__qualname__', fn)!r} has no argument {name!r}")
        return cls(sig, sources, messages_arg)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call:
        if self.signature is None:
            return Call(self, (), {**kwargs, **({"prompt": args[0]} if args else {})})
        arguments = dict(self.signature.bind(*args, **kwargs).arguments)
        var_kw = _var_kw(self.signature)
        if var_kw is not None:  # what ``**kwargs`` took is guarded by name, like the rest
            extra = arguments.pop(var_kw, {})
            arguments = {**arguments, **extra}
        return Call(self, (), arguments)


def _first_str_param(sig: inspect.Signature | None) -> str | None:
    """The argument annotated ``str`` (else the first one); none when several are annotated
    ``str``: guarding ``model`` in ``ask(model: str, question: str)`` would leave the question
    unchecked (input guards then ask for ``prompt_arg=``)."""
    if sig is None:
        return None
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")
              and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    typed = [p.name for p in params if p.annotation in (str, "str")]
    if len(typed) > 1:
        return None
    return typed[0] if typed else (params[0].name if params else None)


def _has_var_kw(sig: inspect.Signature) -> bool:
    return _var_kw(sig) is not None


def _var_kw(sig: inspect.Signature) -> str | None:
    return next((p.name for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD), None)


@dataclass(frozen=True, slots=True)
class Call:
    """The arguments of one call, by name. Immutable: changes make a new `Call`."""

    shape: CallShape
    args: tuple[Any, ...]
    arguments: dict[str, Any]

    def invoke(self, fn: Callable[..., Any]) -> Any:
        sig = self.shape.signature
        if sig is None:
            return fn(*self.args, **self.arguments)
        arguments = {k: v for k, v in self.arguments.items() if k in sig.parameters}
        var_kw = _var_kw(sig)
        if var_kw is not None:
            arguments[var_kw] = {k: v for k, v in self.arguments.items() if k not in sig.parameters}
        bound = inspect.BoundArguments(sig, arguments)  # type: ignore[arg-type]
        return fn(*bound.args, **bound.kwargs)

    @property
    def messages(self) -> list[Any] | None:
        arg = self.shape.messages_arg
        value = self.arguments.get(arg) if arg else None
        return list(value) if isinstance(value, (list, tuple)) else None

    def slots(self) -> list[Slot]:
        """The untrusted texts of this call, in order."""
        out: list[Slot] = []
        for name, source in self.shape.sources.items():
            value = self.arguments.get(name)
            if isinstance(value, str):
                out.append(Slot(name, None, source, value))
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                out += [Slot(name, i, source, v) for i, v in enumerate(value)]
            elif isinstance(value, (list, tuple)) and all(_is_item(v) for v in value):
                out += _message_slots(name, value, source)
            elif value is not None:  # unguardable text must not slip through unchecked
                raise ConfigError(f"argument {name!r} is untrusted but holds "
                                  f"{type(value).__name__}, not text, a list of texts or of messages")
        return out + _message_slots(self.shape.messages_arg or "messages", self.messages or ())

    def text(self) -> str:
        """All untrusted text of the call, for guards that judge the call as a whole."""
        return "\n\n".join(s.text for s in self.slots() if s.source not in OWN_SOURCES)

    def with_slot(self, slot: Slot, text: str) -> Call:
        """This call with one untrusted text replaced."""
        value = self.arguments[slot.arg]
        if slot.index is None:
            new: Any = text
        elif slot.tool is not None:
            new = list(value)
            new[slot.index] = _with_tool_text(value[slot.index], slot.tool, text)
        elif isinstance(value[slot.index], str):
            new = list(value)
            new[slot.index] = text
            new = type(value)(new) if isinstance(value, tuple) else new
        else:
            new = list(value)
            new[slot.index] = _with_content(value[slot.index], text, slot.part, slot.field)
        return replace(self, arguments={**self.arguments, slot.arg: new})

    def with_messages(self, messages: list[dict[str, Any]]) -> Call:
        if not self.shape.messages_arg:
            raise ConfigError("this call has no messages argument to replace")
        return replace(self, arguments={**self.arguments, self.shape.messages_arg: list(messages)})

    def with_reask(self, answer: str, reason: str) -> Call:
        """This call with the rejected answer and the reason it was rejected added: as two more
        messages (an empty answer written as such: Anthropic refuses empty content), else at
        the end of the user's prompt (never of a document, which guards and spotlighting treat
        as data)."""
        note = (f"Your previous answer was not accepted.\n{reason}\n"
                "Reply again with a corrected answer, and nothing else.")
        messages = self.messages
        if messages is not None:
            return self.with_messages([*messages, {"role": "assistant", "content": answer or "(no text)"},
                                       {"role": "user", "content": note}])
        prompt = next((s for s in self.slots() if s.index is None and s.source == "user"), None)
        if prompt is None:
            raise ConfigError("cannot re-ask: the call has neither messages nor a prompt argument")
        return self.with_slot(prompt, f"{prompt.text}\n\nYour previous answer:\n{answer}\n\n{note}")


def _is_item(value: Any) -> bool:
    """A message or a Responses input item: a mapping or an SDK object, not text."""
    return not isinstance(value, (str, bytes)) and (
        isinstance(value, dict) or hasattr(value, "role") or hasattr(value, "type"))


def _message_slots(arg: str, messages: Any, default: str = "user") -> list[Slot]:
    """The untrusted texts of a list of messages (or Responses input items), in order: a
    message without a role is of ``default`` source; a tool's output is of source ``tool``."""
    out: list[Slot] = []
    for i, message in enumerate(messages):
        if _get(message, "type") in TEXT_PARTS and _get(message, "role") is None:  # a bare text block
            text = _get(message, "text")  # (Anthropic's ``system=[{"type": "text", ...}]``)
            out += [Slot(arg, i, default, text)] if isinstance(text, str) else []
            continue
        if _get(message, "type") in TOOL_OUTPUT_ITEMS:
            output = _get(message, "output")
            if isinstance(output, str):
                out.append(Slot(arg, i, "tool", output))
            elif isinstance(output, (list, tuple)):
                out += [Slot(arg, i, "tool", text, j) for j, (_, text)
                        in enumerate(_part_text(p, "tool") for p in output) if text is not None]
            continue
        role = str(_get(message, "role") or default).lower()
        source = (HISTORY if role == HISTORY else SYSTEM if role in TRUSTED_ROLES
                  else "tool" if role in TOOL_ROLES else default)
        content = _get(message, "content")
        if isinstance(content, str):
            out.append(Slot(arg, i, source, content))
        elif isinstance(content, (list, tuple)):
            out += [Slot(arg, i, part_source, text, j) for j, (part_source, text)
                    in enumerate(_part_text(p, source) for p in content) if text is not None]
            out += [Slot(arg, i, "document", text, j, key) for j, p in enumerate(content)
                    if _get(p, "type") in ("document", "search_result") for key in SIDE_FIELDS
                    if isinstance(text := _get(p, key), str) and text]
        elif content is not None:
            raise ConfigError(f"message {i} ({role}) holds {type(content).__name__} content, "
                              "not text or a list of parts: it cannot be checked")
        if source == HISTORY:
            out += _tool_call_slots(arg, i, message)
    return out


def _tool_call_slots(arg: str, index: int, message: Any) -> list[Slot]:
    """The strings in the arguments of an assistant turn's tool calls (OpenAI ``tool_calls``,
    Anthropic ``tool_use``), one slot each: a slot changed is put back into the parsed
    arguments, which are written again as JSON (never patched as text)."""
    out = []
    for call in tool_calls(message):
        if call.parsed is MISSING:
            out.append(Slot(arg, index, HISTORY, call.arguments, tool=(call.index, None)))
        else:
            out += [Slot(arg, index, HISTORY, text, tool=(call.index, path))
                    for path, text in leaves(call.parsed)]
    return out


def _with_tool_text(message: Any, tool: tuple[int, tuple[Any, ...] | None], text: str) -> Any:
    number, path = tool
    call = tool_calls(message)[number]
    call = call.with_text(text) if path is None else call.with_value(with_leaf(call.parsed, path, text))
    return with_tool_arguments(message, [call])


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key, None)


def _part_text(part: Any, source: str) -> tuple[str, str | None]:
    """The source and text of one content part (None: a part without text, such as an image
    or a PDF)."""
    kind = _get(part, "type")
    if kind in TEXT_PARTS:
        text = _get(part, "text")
        return source, text if isinstance(text, str) else None
    if kind == "tool_result":
        return "tool", _joined(_get(part, "content"))
    if kind == "search_result":
        return "document", _joined(_get(part, "content"))
    if kind == "document":
        origin = _get(part, "source")
        if _get(origin, "type") == "text":
            data = _get(origin, "data")
            return "document", data if isinstance(data, str) else None
        if _get(origin, "type") == "content":
            return "document", _joined(_get(origin, "content"))
    return source, None


def _joined(content: Any) -> str | None:
    """A string, or the texts of a list of parts joined by line breaks."""
    if isinstance(content, (list, tuple)):
        texts = [_part_text(p, "tool")[1] for p in content]
        content = "\n".join(t for t in texts if t is not None)
    return content if isinstance(content, str) else None


def _with_field(obj: Any, key: str, value: Any) -> Any:
    """A copy of ``obj`` (a dict, a pydantic model or any object) with ``key`` set to ``value``."""
    if isinstance(obj, dict):
        return {**obj, key: value}
    if hasattr(obj, "model_copy"):
        return obj.model_copy(update={key: value})
    new = copy.copy(obj)
    setattr(new, key, value)
    return new


def _with_content(message: Any, text: str, part: int | None, side: str | None = None) -> Any:
    """A copy of ``message`` with ``text`` as its content (a Responses tool output item: its
    output), or as the text of content ``part`` (`_with_part_text`), or of its ``side`` field."""
    if part is None and _get(message, "type") in TEXT_PARTS and _get(message, "role") is None:
        return _with_field(message, "text", text)  # a bare text block
    key = "output" if _get(message, "type") in TOOL_OUTPUT_ITEMS else "content"
    if part is None:
        return _with_field(message, key, text)
    parts = list(_get(message, key))
    parts[part] = _with_field(parts[part], side, text) if side else _with_part_text(parts[part], text)
    return _with_field(message, key, parts)


def _with_part_text(part: Any, text: str) -> Any:
    """A copy of a content part with ``text`` as its text; a tool result's, a search result's or
    a document's content (its source's) keeps its shape: a string is replaced, a list of parts
    has only its text parts changed, images and other parts kept in order (`_with_texts`)."""
    kind = _get(part, "type")
    if kind in ("tool_result", "search_result"):
        return _with_field(part, "content", _with_texts(_get(part, "content"), text))
    if kind == "document":
        origin = _get(part, "source")
        if _get(origin, "type") == "text":
            return _with_field(part, "source", _with_field(origin, "data", text))
        return _with_field(part, "source", _with_field(origin, "content", _with_texts(_get(origin, "content"), text)))
    return _with_field(part, "text", text)


def _with_texts(content: Any, text: str) -> Any:
    """``content`` (a string, or a list of parts read as their texts joined by line breaks:
    `_joined`) with ``text`` in its place: a string is replaced; in a list only the text parts
    change, each getting back its own lines of ``text`` (`_split_back`), a part left with no
    text dropped; images and other parts are kept, in order."""
    if not isinstance(content, (list, tuple)):
        return text
    texts = [(i, t) for i, t in enumerate(_part_text(p, "tool")[1] for p in content) if t is not None]
    if not texts:  # (nothing was read from it: nothing to put back but the text)
        return [*content, {"type": "text", "text": text}] if text else list(content)
    new = dict(zip((i for i, _ in texts), _split_back([t for _, t in texts], text)))
    return [p if i not in new else _with_part_text(p, new[i]) for i, p in enumerate(content)
            if new.get(i, True) is not None]


def _split_back(texts: list[str], fixed: str) -> list[str | None]:
    """``fixed`` (``texts`` joined by line breaks, then changed) split into the texts' new
    values: its lines are matched to the old ones (one to one when as many; else by `difflib`,
    a changed line staying with the text it was in, an added one going with the line before);
    a text none of whose lines is left is None."""
    old = "\n".join(texts).split("\n")
    lines = fixed.split("\n")
    owner = [i for i, t in enumerate(texts) for _ in range(t.count("\n") + 1)]
    if len(lines) == len(old):
        where = owner
    else:
        where = []
        for _, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, lines).get_opcodes():
            where += [owner[min(i1 + k, i2 - 1) if i2 > i1 else max(i1 - 1, 0)] for k in range(j2 - j1)]
    out: list[list[str]] = [[] for _ in texts]
    for i, line in zip(where, lines):
        out[i].append(line)
    return ["\n".join(part) if part else None for part in out]
