"""Where the guarded text is in a call, and how to put changed text back.

A `CallShape` is worked out once per wrapped function; a `Call` is one invocation's
arguments. Untrusted text is a ``str`` prompt argument, an OpenAI-style ``messages`` list
(user and tool messages are untrusted; system and assistant are ours), or any argument the
caller names as untrusted (for example retrieved documents).
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, replace
from typing import Any, Callable

from .errors import ConfigError

UNTRUSTED_ROLES = {"user": "user", "tool": "tool", "function": "tool"}


@dataclass(frozen=True, slots=True)
class Slot:
    """One untrusted text in a call: which argument (and message), and its source."""

    arg: str
    index: int | None
    source: str
    text: str

    @property
    def target(self) -> str:
        return self.arg if self.index is None else f"{self.arg}[{self.index}]"


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
        if messages_arg is None and "messages" in params:
            messages_arg = "messages"
        if prompt_arg is None and messages_arg is None and not sources:
            prompt_arg = "prompt" if "prompt" in params else _first_str_param(sig)
        if prompt_arg:
            sources.setdefault(prompt_arg, "user")
        for name in [*sources, *([messages_arg] if messages_arg else [])]:
            if sig and name not in params and not _has_var_kw(sig):
                raise ConfigError(f"{getattr(fn, '__qualname__', fn)!r} has no argument {name!r}")
        return cls(sig, sources, messages_arg)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call:
        if self.signature is None:
            return Call(self, (), {**kwargs, **({"prompt": args[0]} if args else {})})
        bound = self.signature.bind(*args, **kwargs)
        return Call(self, (), dict(bound.arguments))


def _first_str_param(sig: inspect.Signature | None) -> str | None:
    if sig is None:
        return None
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")
              and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    typed = next((p.name for p in params if p.annotation in (str, "str")), None)
    return typed or (params[0].name if params else None)


def _has_var_kw(sig: inspect.Signature) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


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
        bound = inspect.BoundArguments(sig, dict(self.arguments))
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
            elif value is not None:  # unguardable text must not slip through unchecked
                raise ConfigError(f"argument {name!r} is untrusted but holds "
                                  f"{type(value).__name__}, not text or a list of texts")
        for i, message in enumerate(self.messages or ()):
            source = UNTRUSTED_ROLES.get(str(_get(message, "role")))
            text = _content_text(_get(message, "content"))
            if source and text is not None:
                out.append(Slot(self.shape.messages_arg or "messages", i, source, text))
        return out

    def text(self) -> str:
        """All untrusted text of the call, for guards that judge the call as a whole."""
        return "\n\n".join(s.text for s in self.slots())

    def with_slot(self, slot: Slot, text: str) -> Call:
        """This call with one untrusted text replaced."""
        value = self.arguments[slot.arg]
        if slot.index is None:
            new: Any = text
        elif slot.arg == self.shape.messages_arg:
            new = list(value)
            new[slot.index] = _with_content(value[slot.index], text)
        else:
            new = list(value)
            new[slot.index] = text
            new = type(value)(new) if isinstance(value, tuple) else new
        return replace(self, arguments={**self.arguments, slot.arg: new})

    def with_messages(self, messages: list[dict[str, Any]]) -> Call:
        if not self.shape.messages_arg:
            raise ConfigError("this call has no messages argument to replace")
        return replace(self, arguments={**self.arguments, self.shape.messages_arg: list(messages)})

    def with_reask(self, answer: str, reason: str) -> Call:
        """This call with the rejected answer and the reason it was rejected added."""
        note = (f"Your previous answer was not accepted.\n{reason}\n"
                "Reply again with a corrected answer, and nothing else.")
        messages = self.messages
        if messages is not None:
            return self.with_messages([*messages, {"role": "assistant", "content": answer},
                                       {"role": "user", "content": note}])
        prompt = next((s for s in self.slots() if s.index is None), None)
        if prompt is None:
            raise ConfigError("cannot re-ask: the call has neither messages nor a prompt argument")
        return self.with_slot(prompt, f"{prompt.text}\n\nYour previous answer:\n{answer}\n\n{note}")


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key, None)


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    return None


def _with_content(message: Any, text: str) -> Any:
    """A copy of ``message`` (a dict, a pydantic model or any object) with ``text`` as its text."""
    content = _replace_content(_get(message, "content"), text)
    if isinstance(message, dict):
        return {**message, "content": content}
    if hasattr(message, "model_copy"):
        return message.model_copy(update={"content": content})
    new = copy.copy(message)
    setattr(new, "content", content)
    return new


def _replace_content(content: Any, text: str) -> Any:
    """Put ``text`` back into a message's content; a list of parts keeps its non-text parts."""
    if not isinstance(content, list):
        return text
    out, placed = [], False
    for part in content:
        if isinstance(part, dict) and part.get("type") == "text":
            if not placed:
                out.append({**part, "text": text})
                placed = True
        else:
            out.append(part)
    return out
