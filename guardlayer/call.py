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
``function_call_output`` tool results, other items field by field: `call_kinds.ITEM_FIELDS`). An untrusted
argument may hold message items too, and documents (LangChain's ``Document``, ``{"text": ...}``:
every string a document holds, its metadata too); a generator or ``deque`` is read and sent as
a list. Anthropic ``document`` (plain text), ``search_result`` and fetched or searched pages
count as documents, even in an assistant turn; LangChain ``(role, text)`` pairs, Gemini parts
(function calls and responses too; images skip) and a Responses stored prompt's ``variables``
are read; so is a system prompt given beside them (``system``, ``instructions``, the
``system_instruction`` of Gemini's ``config``), as the application's own text. Text the guards
cannot read is never passed on unread: the call is refused with a `ConfigError` that says what
to pass instead (an item or content part of a kind not known here that holds text, a tool's
output that is neither text nor parts, text given positionally to a ``*args``, an untrusted
message whose text is in a field no provider reads, tool arguments nested deeper than
`call_kinds.MAX_NESTING`, a reference to an item kept upstream unless `CallShape.upstream_turns`).
A Responses item of a known kind is read as that kind whatever ``role`` it is given; a file's
``filename`` is read as text of its turn, an inline text file (``text/*``, JSON, XML, YAML,
CSV...: `call_files.TEXT_APPLICATION_TYPES`) as a document (`call_files`; other files, PDFs and
images, are not read).

Parts: `call_slot` (`Slot`, roles and sources), `call_kinds` (the kinds of items and parts read),
`call_read` (messages and items), `call_parts` (content parts), `call_files` (inline text files),
`call_fields` (fields of any value), `call_write` (fixed text put back); here `CallShape` and `Call`.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .call_read import arg_slots, config_slots, is_item, is_text, message_slots
from .call_slot import HISTORY, OWN_SOURCES, SYSTEM, TOOL_ROLES, Slot
from .call_write import changed_all
from .errors import ConfigError
from .providers import field

__all__ = ["HISTORY", "OWN_SOURCES", "SYSTEM", "TOOL_ROLES", "Call", "CallShape", "Slot"]

SYSTEM_ARGS = ("system", "instructions", "prediction")
"""Arguments that carry the application's own text beside the messages: Anthropic's ``system``
(text, or a list of text blocks), the OpenAI Responses API's ``instructions``, OpenAI's
Predicted Outputs (``prediction={"type": "content", "content": ...}``)."""
RESPONSES_INPUT = "input"
"""The Responses API's argument for the prompt or its items, read in a ``**kwargs`` wrapper."""
GEMINI_CONTENTS = "contents"
"""Gemini's ``generate_content(contents=...)`` (a text, or turns of ``parts``), read likewise."""
GEMINI_CONFIG = "config"
"""Gemini's ``config=`` beside ``contents``: its system instruction is read as the application's
own text (`call_read.config_slots`), nothing else of it."""


@dataclass(frozen=True, slots=True)
class CallShape:
    """Which arguments of a function hold untrusted text, and of what source; ``unnamed``: the
    ``str`` arguments of which none was taken for the prompt (several, none named ``prompt``)."""

    signature: inspect.Signature | None
    sources: dict[str, str]
    messages_arg: str | None
    unnamed: tuple[str, ...] = ()
    config_arg: str | None = None
    """The argument read as Gemini's ``config`` (`GEMINI_CONFIG`), when ``contents`` is read."""
    upstream_turns: bool = False
    """Whether calls may refer to items kept upstream (a Responses ``item_reference``, typed or
    not): turns the input guards never see, so refused unless the application opts in here."""

    @classmethod
    def of(cls, fn: Callable[..., Any], *, prompt_arg: str | None = None,
           messages_arg: str | None = None, untrusted: dict[str, str] | None = None,
           upstream_turns: bool = False) -> CallShape:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            sig = None
        params = list(sig.parameters) if sig else []
        sources = dict(untrusted or {})
        open_kw = sig is not None and _has_var_kw(sig)  # (a pass-through ``**kwargs`` wrapper)
        if messages_arg is None and ("messages" in params or open_kw):
            messages_arg = "messages"
        unnamed: tuple[str, ...] = ()
        if prompt_arg is None and "user" not in sources.values():  # (``untrusted`` adds arguments:
            if "prompt" in params:                                  # the prompt is still found)
                prompt_arg = "prompt"
            elif messages_arg not in params and not open_kw:  # (a wrapper's text is in its **kwargs)
                prompt_arg, unnamed = _first_str_param(sig, skip=frozenset(sources))
        if open_kw:  # (whatever else is named: a wrapper passes these on)
            for name in ("prompt", RESPONSES_INPUT, GEMINI_CONTENTS):
                sources.setdefault(name, "user")
        if prompt_arg:
            sources.setdefault(prompt_arg, "user")
        if messages_arg is not None:  # a system prompt given beside the conversation (Anthropic's
            for name in SYSTEM_ARGS:  # ``system``, the Responses API's ``instructions``), as text
                if name in params or open_kw:
                    sources.setdefault(name, SYSTEM)
        config_arg = None
        if sources.get(GEMINI_CONTENTS) and (GEMINI_CONFIG in params or open_kw) and GEMINI_CONFIG not in sources:
            sources[config_arg := GEMINI_CONFIG] = SYSTEM
        for name in [*sources, *([messages_arg] if messages_arg else [])]:
            if sig and name not in params and not _has_var_kw(sig):
                raise ConfigError(f"{getattr(fn, '__qualname__', fn)!r} has no argument {name!r}")
        return cls(sig, sources, messages_arg, unnamed, config_arg, upstream_turns)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call:
        """The call's arguments by name; an iterator or a sequence other than a list or tuple (a
        generator, ``map``, a ``deque``) in an argument the guards read is made a list, read and
        sent as such (a one-shot iterator read by the guards would go out empty)."""
        if self.signature is None:
            arguments = {**kwargs, **({"prompt": args[0]} if args else {})}
        else:
            arguments = dict(self.signature.bind(*args, **kwargs).arguments)
            var_kw = _var_kw(self.signature)
            if var_kw is not None:  # what ``**kwargs`` took is guarded by name, like the rest
                extra = arguments.pop(var_kw, {})
                arguments = {**arguments, **extra}
        for name in [*self.sources, *filter(None, [self.messages_arg])]:
            value = arguments.get(name)
            if type(value) not in _PLAIN and isinstance(value, (Iterator, Sequence)) and not isinstance(
                    value, (str, bytes, bytearray, list, tuple)):
                arguments[name] = list(value)
        return Call(self, (), arguments)


_PLAIN = frozenset({str, list, tuple, dict, type(None)})
"""Types `CallShape.bind` passes as they are without asking the slower abstract checks."""


def _first_str_param(sig: inspect.Signature | None, skip: frozenset[str]) -> tuple[str | None, tuple[str, ...]]:
    """The argument annotated ``str`` (else the first one), and the ``str`` arguments when there
    are several (none is taken: guarding ``model`` in ``ask(model: str, question: str)`` would
    leave the question unchecked; input guards then ask for ``prompt_arg=``). Arguments in
    ``skip`` (named by ``untrusted``) are not candidates; beside them, the first argument is
    taken only if it has no default (``rag(docs, k=4)`` has no prompt)."""
    if sig is None:
        return None, ()
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls", *skip)
              and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    typed = [p.name for p in params if p.annotation in (str, "str")]
    if len(typed) > 1:
        return None, tuple(typed)
    if not typed and skip:
        params = [p for p in params if p.default is p.empty]
    return (typed[0] if typed else (params[0].name if params else None)), ()


def _has_var_kw(sig: inspect.Signature) -> bool:
    return _var_kw(sig) is not None


def takes(sig: inspect.Signature | None, name: str) -> bool:
    """Whether a function of signature ``sig`` takes the keyword ``name`` (by that name, or in
    ``**kwargs``)."""
    return sig is not None and (name in sig.parameters or _has_var_kw(sig))


def default(sig: inspect.Signature | None, name: str) -> Any:
    """The default of the parameter ``name`` (``def ask(p, model="gpt-4o")``), or None."""
    param = sig.parameters.get(name) if sig is not None else None
    return None if param is None or param.default is param.empty else param.default


def _var_kw(sig: inspect.Signature) -> str | None:
    return next((p.name for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD), None)


def _var_pos(sig: inspect.Signature | None) -> str | None:
    return next((p.name for p in sig.parameters.values() if p.kind is p.VAR_POSITIONAL), None) if sig else None


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
        """The untrusted texts of this call, in order. Raises `ConfigError` for text the guards
        cannot read (fail closed)."""
        out: list[Slot] = []
        for name, source in self.shape.sources.items():
            value = self.arguments.get(name)
            out += (config_slots(name, value) if name == self.shape.config_arg
                    else arg_slots(name, value, source, self.shape.upstream_turns))
        var_pos = _var_pos(self.shape.signature)
        given = self.arguments.get(var_pos, ()) if var_pos and var_pos not in self.shape.sources else ()
        if any(is_text(v) for v in given):
            read = ", ".join(f"{n}=" for n in [*self.shape.sources, *filter(None, [self.shape.messages_arg])])
            raise ConfigError(f"{len(given)} argument(s) given by position to *{var_pos}, which the input "
                              f"guards do not read: pass the text by keyword ({read or 'prompt_arg='})")
        arg = self.shape.messages_arg or "messages"
        messages = self.arguments.get(arg) if self.shape.messages_arg else None
        if messages is not None and not isinstance(messages, (list, tuple)):
            one = " (one message: pass [message])" if is_item(messages) else ""
            raise ConfigError(f"argument {arg!r} holds {type(messages).__name__}, not a list of messages{one}")
        return out + message_slots(arg, messages or (), upstream=self.shape.upstream_turns)

    def text(self) -> str:
        """All untrusted text of the call, for guards that judge the call as a whole."""
        return "\n\n".join(s.text for s in self.slots() if s.source not in OWN_SOURCES)

    def with_slot(self, slot: Slot, text: str) -> Call:
        """This call with one untrusted text replaced."""
        return self.with_slots([(slot, text)])

    def with_slots(self, changes: Iterable[tuple[Slot, str]]) -> Call:
        """This call with untrusted texts replaced, as `with_slot` one after another would make it,
        but each argument and message changed copied once, however many of its texts change
        (`call_write.changed_all`: a message of n parts cut n times costs n, not n²)."""
        grouped: dict[str, dict[int | None, list[tuple[Slot, str]]]] = {}
        for slot, text in changes:
            grouped.setdefault(slot.arg, {}).setdefault(slot.index, []).append((slot, text))
        arguments = dict(self.arguments)
        for arg, by_index in grouped.items():
            value = arguments[arg]
            if None in by_index:  # (the argument itself: a prompt, a system prompt's blocks)
                value = changed_all(value, by_index.pop(None))
            if by_index:
                new = list(value)
                for index, group in by_index.items():
                    new[index] = changed_all(value[index], group)
                strings = all(isinstance(value[index], str) for index in by_index)
                value = type(value)(new) if isinstance(value, tuple) and strings else new
            arguments[arg] = value
        return replace(self, arguments=arguments)

    def with_messages(self, messages: list[dict[str, Any]]) -> Call:
        if not self.shape.messages_arg:
            raise ConfigError("this call has no messages argument to replace")
        return replace(self, arguments={**self.arguments, self.shape.messages_arg: list(messages)})

    def _turns(self) -> tuple[str, list[Any]] | None:
        """The Responses ``input`` items or the Gemini ``contents`` of this call, when read and
        given as a list."""
        for name in (RESPONSES_INPUT, GEMINI_CONTENTS):
            if self.shape.sources.get(name) == "user" and isinstance(value := self.arguments.get(name), (list, tuple)):
                return name, list(value)
        return None

    def with_reask(self, answer: str, reason: str) -> Call:
        """This call with the rejected answer and the reason it was rejected added: as two more
        messages (an empty answer written as such: Anthropic refuses empty content), Responses
        ``input`` items or Gemini ``contents`` turns (a list of parts: one more part), else at
        the end of the user's prompt given as text (never of a document, which guards and
        spotlighting treat as data)."""
        note = (f"Your previous answer was not accepted.\n{reason}\n"
                "Reply again with a corrected answer, and nothing else.")
        answer = answer or "(no text)"
        messages = self.messages
        if messages is not None:
            return self.with_messages([*messages, {"role": "assistant", "content": answer},
                                       {"role": "user", "content": note}])
        turns = self._turns()
        if turns is not None:
            name, value = turns
            if name == GEMINI_CONTENTS and all(field(t, "parts") is not None for t in value):
                added = [{"role": "model", "parts": [{"text": answer}]}, {"role": "user", "parts": [{"text": note}]}]
            elif name == GEMINI_CONTENTS:  # (the parts of one user turn: the note is one more)
                added = [f"Your previous answer:\n{answer}\n\n{note}"]
            else:
                added = [{"role": "assistant", "content": answer}, {"role": "user", "content": note}]
            return replace(self, arguments={**self.arguments, name: [*value, *added]})
        prompt = next((s for s in self.slots() if s.index is None and s.source == "user"
                       and isinstance(self.arguments.get(s.arg), str)), None)
        if prompt is None:
            raise ConfigError("cannot re-ask: the call has neither messages nor a prompt argument")
        return self.with_slot(prompt, f"{prompt.text}\n\nYour previous answer:\n{answer}\n\n{note}")
