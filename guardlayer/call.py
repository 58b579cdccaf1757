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
``function_call_output`` tool results, other items field by field: `ITEM_FIELDS`). An untrusted
argument may hold message items too, and documents (LangChain's ``Document``, ``{"text": ...}``:
every string a document holds, its metadata too); a generator or ``deque`` is read and sent as
a list. Anthropic ``document`` (plain text), ``search_result`` and fetched or searched pages
count as documents, even in an assistant turn; LangChain ``(role, text)`` pairs, Gemini parts
(function calls and responses too; images skip) and a Responses stored prompt's ``variables``
are read. Text the guards cannot read is never passed on unread: the call is refused with a
`ConfigError` that says what to pass instead (an item or content part of a kind not known here
that holds text, text given positionally to a ``*args``, an untrusted message whose text is in
a field no provider reads, tool arguments nested deeper than `MAX_NESTING`).
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .errors import ConfigError
from .providers.tools import ToolCall, tool_calls, with_tool_arguments
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
SYSTEM_ARGS = ("system", "instructions", "prediction")
"""Arguments that carry the application's own text beside the messages: Anthropic's ``system``
(text, or a list of text blocks), the OpenAI Responses API's ``instructions``, OpenAI's
Predicted Outputs (``prediction={"type": "content", "content": ...}``)."""
OWN_SOURCES = frozenset({HISTORY, SYSTEM})
"""Sources of the application's own text: never a reason to refuse a call, never cut."""
TOOL_ROLES = frozenset({"tool", "function", "ipython"})
HISTORY_ROLES = frozenset({"assistant", "model"})
"""Roles of the assistant's earlier turns (``model``: Gemini's)."""
KIND_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "function"}
"""The role of a LangChain message, which names it by its ``type``."""
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
"""Content parts that hold text (OpenAI chat, Anthropic, OpenAI Responses: ``output_text`` in an
assistant turn given back); a ``refusal`` part holds it in ``refusal``; a ``tool_result`` part
(Anthropic) holds a tool's output, as a string or text parts."""
TOOL_OUTPUT_ITEMS = frozenset({"function_call_output", "custom_tool_call_output", "local_shell_call_output",
                               "computer_call_output", "mcp_call"})
"""OpenAI Responses input items that hold a tool's output in ``output`` (text, or parts), with no role."""
CALL_ITEMS = frozenset({"function_call", "mcp_call", "mcp_approval_request"})
"""Responses items of a call the model made, its ``arguments`` JSON text: read as the tool
calls of the assistant's turns are."""
ITEM_FIELDS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "custom_tool_call": ((("input",), HISTORY),),
    "mcp_call": ((("error",), "tool"),),
    "mcp_list_tools": ((("tools", "*", "description"), "tool"), (("error",), "tool")),
    "mcp_approval_response": ((("reason",), "user"),),
    "file_search_call": ((("queries", "*"), HISTORY), (("results", "*", "text"), "document")),
    "web_search_call": ((("action", "**"), HISTORY),),
    "computer_call": ((("action", "**"), HISTORY), (("pending_safety_checks", "*", "message"), HISTORY)),
    "computer_call_output": ((("acknowledged_safety_checks", "*", "message"), HISTORY),),
    "local_shell_call": ((("action", "**"), HISTORY),),
    "code_interpreter_call": ((("code",), HISTORY), (("outputs", "*", "logs"), "tool")),
    "reasoning": ((("summary", "*", "text"), HISTORY), (("content", "*", "text"), HISTORY)),
}
"""Other texts of Responses items, as paths (``*``: each item of a list, ``**``: every string
below) with their source: what the model wrote (its calls, reasoning) or read (logs, files)."""
KNOWN_ITEMS = TOOL_OUTPUT_ITEMS | CALL_ITEMS | ITEM_FIELDS.keys() | {
    "message", "content", "image_generation_call", "item_reference"}
"""Kinds of items read here (``content``: a prediction); an item of another kind that holds
text is refused."""
LANGCHAIN_META = frozenset({"response_metadata", "additional_kwargs", "usage_metadata", "artifact", "example",
                            "invalid_tool_calls", "tool_call_chunks"})
"""Fields of a LangChain message that it keeps for the program, not the model: no text for the model."""
PLAIN_FIELDS = frozenset({"role", "type", "id", "call_id", "tool_call_id", "name", "status", "content",
                          "parts", "tool_calls", "function_call", "refusal", "cache_control", "audio"}) | LANGCHAIN_META
"""Fields of a message that are read (or hold no text for the model); a message of an untrusted
source (user, tool, a document) that yields no text but holds text elsewhere is refused; the
application's own turns (assistant, system) never are (``reasoning_content``, metadata)."""
DOCUMENT_READ = frozenset({"content", "parts", "text", "page_content", "refusal"})
"""Fields of a document (an item with neither role nor kind) read as its text; every other
string it holds (a ``title``, a ``url``, a ``snippet``, LangChain's ``metadata`` values) is read
too, as a text of its own: what the application puts in the prompt of a document is not known."""
PAIR_ROLES = frozenset({"human", "user", "ai", "assistant", "system", "developer", "tool", "function",
                        "placeholder"})
"""Roles of a LangChain ``(role, text)`` message."""
STORED_PROMPT = frozenset({"id", "version", "variables"})
"""The fields of a Responses stored prompt (``prompt={"id": "pmpt_...", "variables": {...}}``):
its ``variables`` are read as the user's text (strings, ``input_text`` items), the rest names it."""
MEDIA_PARTS = frozenset({"image", "image_url", "input_image", "input_audio", "audio", "file", "input_file",
                         "video_url", "container_upload", "thinking", "redacted_thinking", "tool_use",
                         "server_tool_use", "mcp_tool_use", "tool_reference"})
"""Content parts read as no text: media, files, the model's thinking (signed, given back as is) and
its calls (``tool_use``: read as its tool calls; server and MCP calls: the provider's)."""
TOOL_RESULT_PARTS = frozenset({"tool_result", "mcp_tool_result"})
"""Anthropic parts that hold a tool's output in ``content`` (text, or parts)."""
PART_FIELDS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "web_search_tool_result": ((("content", "*", "title"), "document"),),
    "code_execution_tool_result": ((("content", "**"), "tool"),),
    "bash_code_execution_tool_result": ((("content", "**"), "tool"),),
    "text_editor_code_execution_tool_result": ((("content", "**"), "tool"),),
    "tool_search_tool_result": ((("content", "**"), "tool"),),
}
"""Texts of other Anthropic parts, as in `ITEM_FIELDS`: third-party text wherever it sits (a page
found by the provider's web search is a document even inside an assistant turn); a
``web_fetch_tool_result`` holds a fetched document (`_document_texts`)."""
KNOWN_PARTS = TEXT_PARTS | MEDIA_PARTS | TOOL_RESULT_PARTS | PART_FIELDS.keys() | {
    "refusal", "search_result", "document", "web_fetch_tool_result"}
"""Kinds of content parts read here; a part of another kind that holds text is refused."""
MAX_NESTING = 100
"""Levels of nesting read in a tool call's arguments (and any structure read string by
string); deeper ones are refused (read recursively, they would overflow the stack)."""
GEMINI_PLAIN = frozenset({"inline_data", "file_data", "thought", "thought_signature", "video_metadata",
                          "inlineData", "fileData", "thoughtSignature", "videoMetadata"})
"""Fields of a Gemini part that hold no text (files, images, flags); a part with ``text`` is read,
so are the fields of `GEMINI_FIELDS`; any other part that holds text is refused."""
GEMINI_FIELDS = {"function_call": ("args", HISTORY), "functionCall": ("args", HISTORY),
                 "executable_code": ("code", HISTORY), "executableCode": ("code", HISTORY),
                 "function_response": ("response", "tool"), "functionResponse": ("response", "tool"),
                 "code_execution_result": ("output", "tool"), "codeExecutionResult": ("output", "tool")}
"""Gemini parts of a call the model made (its arguments, its code: the model's own) or of what
came back (a function's response, the code's output: a tool's), and the field holding the text."""
GEMINI_KEYS = GEMINI_PLAIN | frozenset(GEMINI_FIELDS)
"""The fields of a Gemini part other than ``text``."""
ID_FIELDS = frozenset({"type", "id", "call_id", "status"})
"""Fields of a Responses item that name it, its kind or its state: no text for the guards."""
NAME_FIELD = ("name",)
"""A chat message's ``name``: an identifier (``^[a-zA-Z0-9_-]+$``) that may name a person, read
as the application's own text with its ``_`` as spaces (``John_Smith`` is a person's name to
PII); what a guard makes of it is made a valid name again (`_with_name`)."""
SIDE_FIELDS = ("title", "context")
"""Fields of an Anthropic ``document`` or ``search_result`` part that the model reads besides its
text (a page's title comes from the page): checked as their own texts, of source document."""
RESPONSES_INPUT = "input"
"""The Responses API's argument for the prompt or its items, read in a ``**kwargs`` wrapper."""
GEMINI_CONTENTS = "contents"
"""Gemini's ``generate_content(contents=...)`` (a text, or turns of ``parts``), read likewise."""


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
    path: tuple[Any, ...] | None = None
    """Where the text is inside the message (or argument), when it is not its content or a
    part's text: a message's ``name``, a field of a Responses item, a title in a tool result."""

    @property
    def target(self) -> str:
        where = self.arg if self.index is None else f"{self.arg}[{self.index}]"
        if self.path is not None:
            return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        if self.tool is not None:
            number, path = self.tool
            return f"{where}.tool_calls[{number}].arguments" + "".join(f"[{p!r}]" for p in path or ())
        where = where if self.part is None else f"{where}.content[{self.part}]"
        return where if self.field is None else f"{where}.{self.field}"


@dataclass(frozen=True, slots=True)
class CallShape:
    """Which arguments of a function hold untrusted text, and of what source; ``unnamed``: the
    ``str`` arguments of which none was taken for the prompt (several, none named ``prompt``)."""

    signature: inspect.Signature | None
    sources: dict[str, str]
    messages_arg: str | None
    unnamed: tuple[str, ...] = ()

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
        for name in [*sources, *([messages_arg] if messages_arg else [])]:
            if sig and name not in params and not _has_var_kw(sig):
                raise ConfigError(f"{getattr(fn, '__qualname__', fn)!r} has no argument {name!r}")
        return cls(sig, sources, messages_arg, unnamed)

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
            if isinstance(value, (Iterator, Sequence)) and not isinstance(value, (str, bytes, bytearray, list, tuple)):
                arguments[name] = list(value)
        return Call(self, (), arguments)


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
            out += _arg_slots(name, self.arguments.get(name), source)
        var_pos = _var_pos(self.shape.signature)
        given = self.arguments.get(var_pos, ()) if var_pos and var_pos not in self.shape.sources else ()
        if any(_is_text(v) for v in given):
            read = ", ".join(f"{n}=" for n in [*self.shape.sources, *filter(None, [self.shape.messages_arg])])
            raise ConfigError(f"{len(given)} argument(s) given by position to *{var_pos}, which the input "
                              f"guards do not read: pass the text by keyword ({read or 'prompt_arg='})")
        arg = self.shape.messages_arg or "messages"
        messages = self.arguments.get(arg) if self.shape.messages_arg else None
        if messages is not None and not isinstance(messages, (list, tuple)):
            one = " (one message: pass [message])" if _is_item(messages) else ""
            raise ConfigError(f"argument {arg!r} holds {type(messages).__name__}, not a list of messages{one}")
        return out + _message_slots(arg, messages or ())

    def text(self) -> str:
        """All untrusted text of the call, for guards that judge the call as a whole."""
        return "\n\n".join(s.text for s in self.slots() if s.source not in OWN_SOURCES)

    def with_slot(self, slot: Slot, text: str) -> Call:
        """This call with one untrusted text replaced."""
        value = self.arguments[slot.arg]
        if slot.index is None:
            new: Any = _changed(value, slot, text)
        else:
            new = list(value)
            new[slot.index] = _changed(value[slot.index], slot, text)
            new = type(value)(new) if isinstance(value, tuple) and isinstance(value[slot.index], str) else new
        return replace(self, arguments={**self.arguments, slot.arg: new})

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
            if name == GEMINI_CONTENTS and all(_get(t, "parts") is not None for t in value):
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


def _is_item(value: Any) -> bool:
    """A message or a Responses input item: a mapping or an SDK object, not text."""
    return not isinstance(value, (str, bytes)) and (
        isinstance(value, dict) or hasattr(value, "role") or hasattr(value, "type"))


def _arg_slots(name: str, value: Any, source: str) -> list[Slot]:
    """The texts of an argument read as ``source``: a text, a list of texts or items (messages,
    Responses items, documents), or one item (a prediction, a document)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [Slot(name, None, source, value)]
    if isinstance(value, (list, tuple)):
        return _message_slots(name, value, source)
    if _is_item(value) or hasattr(value, "page_content"):
        return _item_slots(name, None, value, source)
    raise ConfigError(f"argument {name!r} is untrusted but holds {type(value).__name__}, not text, "
                      "a list of texts or of messages")


def _message_slots(arg: str, messages: Any, default: str = "user") -> list[Slot]:
    """The untrusted texts of a list of messages (or Responses input items, texts, documents),
    in order: a message without a role is of ``default`` source; a tool's output is of source
    ``tool``."""
    return [slot for i, message in enumerate(messages) for slot in _item_slots(arg, i, message, default)]


def _item_slots(arg: str, i: int | None, item: Any, default: str) -> list[Slot]:
    """The texts of one message, Responses item, text or document (`_message_slots`)."""
    where = arg if i is None else f"{arg}[{i}]"
    if isinstance(item, str):
        return [Slot(arg, i, default, item)]
    if _is_media(item):
        return []
    if (pair := _role_pair(item, where)) is not None:  # LangChain's ``("human", "...")``
        return [Slot(arg, i, _role_source(pair, default), item[1], path=(1,))]
    if _is_gemini_part(item):
        return _gemini_part_slots(arg, i, item, default, (), where)
    if not _is_item(item) and not hasattr(item, "page_content"):
        raise ConfigError(f"{where} holds {type(item).__name__}, not text or a message: it cannot be checked")
    kind, role = _get(item, "type"), _get(item, "role")
    if isinstance(text := _get(item, "page_content"), str):  # a LangChain ``Document``
        return [Slot(arg, i, default, text, path=("page_content",)), *_document_fields(arg, i, item, default)]
    if role is None and kind is None and isinstance(_get(item, "id"), str) and set(_fields(item)) <= STORED_PROMPT:
        return _stored_prompt_slots(arg, i, item, where)
    if kind in TEXT_PARTS and role is None:  # a bare text block
        text = _get(item, "text")  # (Anthropic's ``system=[{"type": "text", ...}]``)
        return [Slot(arg, i, default, text)] if isinstance(text, str) else []
    if role is None and kind is not None and kind not in ("message", "content", *KIND_ROLES):
        if kind not in KNOWN_ITEMS:
            if _holds_text(item, ID_FIELDS):
                raise ConfigError(f"{where} is an item of type {kind!r}, which guardlayer does not read, "
                                  "and it holds text: it cannot be checked")
            return []
        return _responses_slots(arg, i, item, kind)  # (read field by field: the rest holds no text)
    out = _turn_slots(arg, i, item, default, where)
    if role is None and kind is None:
        out += _document_fields(arg, i, item, default)
    if not out and _source(item, default) not in OWN_SOURCES and _holds_text(item, PLAIN_FIELDS):
        held = [k for k in _fields(item) if k not in PLAIN_FIELDS and _holds_text(_get(item, k))]
        raise ConfigError(f"{where} holds text in {', '.join(map(repr, held))}, which no provider reads "
                          "as the message's text: give it as its content (text or parts)")
    return out


def _is_text(value: Any, depth: int = 0) -> bool:
    """Is ``value`` text, a container (list, tuple, set, dict) holding text, or a message or
    document holding text? (Another object, bytes or a number is not; too deep to tell is.)"""
    if isinstance(value, str) or (_is_item(value) or hasattr(value, "page_content")) and _holds_text(value):
        return True
    if depth > 32:
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple, set, frozenset)) and any(_is_text(v, depth + 1) for v in value)


def _is_media(item: Any) -> bool:
    """Bytes or an image (PIL's): a part of Gemini ``contents`` that holds no text."""
    return not isinstance(item, dict) and (isinstance(item, (bytes, bytearray, memoryview))
                                           or type(item).__module__.split(".")[0] == "PIL")


def _role_pair(item: Any, where: str) -> str | None:
    """The role of a LangChain ``(role, text)`` message (None: ``item`` is not one)."""
    if (not isinstance(item, (tuple, list)) or hasattr(item, "_fields") or len(item) != 2
            or not isinstance(item[0], str) or item[0].lower() not in PAIR_ROLES):
        return None
    if not isinstance(item[1], str):
        raise ConfigError(f"{where} is a ({item[0]!r}, ...) message of {type(item[1]).__name__}, not text: "
                          "it cannot be checked")
    return item[0]


def _is_gemini_part(item: Any) -> bool:
    """A Gemini part given as an item (``contents=[part, "text"]``): a google-genai ``Part``, or a
    mapping with a Gemini field other than ``text`` (a ``{"text": ...}`` alone reads as a document)."""
    if isinstance(item, dict):
        return "role" not in item and "content" not in item and not GEMINI_KEYS.isdisjoint(item)
    return hasattr(item, "inline_data") and hasattr(item, "text")


def _document_fields(arg: str, i: int | None, item: Any, source: str) -> list[Slot]:
    """The strings of a document besides its text (`DOCUMENT_READ`), each a text of its own."""
    return [Slot(arg, i, source, text, path=path) for key in _fields(item)
            if key not in DOCUMENT_READ and key not in ID_FIELDS
            for path, text in _found(_get(item, key), ("**",), (key,))]


def _stored_prompt_slots(arg: str, i: int | None, item: Any, where: str) -> list[Slot]:
    """The user's texts of a Responses stored prompt: its ``variables`` (`STORED_PROMPT`)."""
    out = []
    variables = _get(item, "variables") or {}
    for key, value in (variables.items() if isinstance(variables, dict) else ()):
        if isinstance(value, str):
            out.append(Slot(arg, i, "user", value, path=("variables", key)))
        elif _get(value, "type") == "input_text" and isinstance(text := _get(value, "text"), str):
            out.append(Slot(arg, i, "user", text, path=("variables", key, "text")))
        elif _get(value, "type") not in MEDIA_PARTS and _holds_text(value, ID_FIELDS):
            raise ConfigError(f"{where}.variables[{key!r}] holds text that is neither a string nor an "
                              "input_text item: it cannot be checked")
    if not isinstance(variables, dict) and _holds_text(variables):
        raise ConfigError(f"{where}.variables is not a mapping: it cannot be checked")
    return out


def _responses_slots(arg: str, i: int | None, item: Any, kind: str) -> list[Slot]:
    """The texts of a Responses item with no role: a tool's output (source ``tool``), a call's
    arguments (the assistant's, as its tool calls), and the fields of `ITEM_FIELDS`."""
    out = []
    if kind in TOOL_OUTPUT_ITEMS:
        output = _get(item, "output")
        if isinstance(output, str):
            out.append(Slot(arg, i, "tool", output))
        elif isinstance(output, (list, tuple)):
            out += [Slot(arg, i, "tool", text, j) for j, (_, text)
                    in enumerate(_part_text(p, "tool") for p in output) if text is not None]
    if kind in CALL_ITEMS:
        out += _tool_call_slots(arg, i, item)
    for spec, source in ITEM_FIELDS.get(kind, ()):
        out += [Slot(arg, i, source, text, path=path) for path, text in _found(item, spec)]
    return out


def _turn_slots(arg: str, i: int | None, message: Any, default: str, where: str) -> list[Slot]:
    """The texts of a message (chat, Anthropic, Responses or Gemini): its content, part by part,
    or its Gemini ``parts``; its ``refusal`` and ``name``; an assistant turn's tool calls; an item
    with neither role nor content: its ``text`` (a document)."""
    out: list[Slot] = []
    role = _get(message, "role") or KIND_ROLES.get(_get(message, "type"))
    low = str(role or default).lower()
    source = _source(message, default)
    content, parts = _get(message, "content"), _get(message, "parts")
    if isinstance(content, str):
        out.append(Slot(arg, i, source, content))
    elif isinstance(content, (list, tuple)):
        out += [Slot(arg, i, part_source, text, j) for j, (part_source, text)
                in enumerate(_part_text(p, source) for p in content) if text is not None]
        out += _side_slots(arg, i, content, ())
        out += _part_field_slots(arg, i, content, f"{where}.content")
    elif content is not None:
        raise ConfigError(f"message {i} ({low}) holds {type(content).__name__} content, "
                          "not text or a list of parts: it cannot be checked")
    elif isinstance(parts, (list, tuple)):
        out += [slot for j, part in enumerate(parts)
                for slot in _gemini_part_slots(arg, i, part, source, ("parts", j), f"{where}.parts[{j}]")]
    elif role is None and isinstance(text := _get(message, "text"), str):  # a document {"text": ...}
        out.append(Slot(arg, i, source, text, path=("text",)))
    if isinstance(refusal := _get(message, "refusal"), str) and refusal:
        out.append(Slot(arg, i, source, refusal, path=("refusal",)))
    if role is not None and low not in TOOL_ROLES and isinstance(name := _get(message, "name"), str) and name:
        out.append(Slot(arg, i, SYSTEM, name.replace("_", " "), path=NAME_FIELD))
    if source == HISTORY:
        out += _tool_call_slots(arg, i, message)
        out += _langchain_call_slots(arg, i, message, where)
    return out


def _source(message: Any, default: str) -> str:
    """The source of a message's text, by its role (or LangChain kind): ``default`` without one."""
    return _role_source(_get(message, "role") or KIND_ROLES.get(_get(message, "type")), default)


def _role_source(role: Any, default: str) -> str:
    low = str(KIND_ROLES.get(role, role) if role else default).lower()
    return (HISTORY if low in HISTORY_ROLES else SYSTEM if low in TRUSTED_ROLES
            else "tool" if low in TOOL_ROLES else default)


def _langchain_call_slots(arg: str, i: int | None, message: Any, where: str) -> list[Slot]:
    """The strings in the ``args`` of a LangChain ``AIMessage``'s ``tool_calls`` (dicts with
    ``args``, no ``function``), as the assistant's tool calls."""
    calls = _get(message, "tool_calls")
    return [Slot(arg, i, HISTORY, text, path=("tool_calls", k, "args", *path))
            for k, call in enumerate(calls if isinstance(calls, (list, tuple)) else ())
            if isinstance(call, dict) and "args" in call and "function" not in call
            for path, text in _leaves(call["args"], f"{where}.tool_calls[{k}].args")]


def _leaves(value: Any, where: str, text: str | None = None) -> list[tuple[tuple[Any, ...], str]]:
    """`leaves` of arguments given as JSON-like values; nested deeper than `MAX_NESTING` they
    are refused (a `ConfigError`, not a `RecursionError`). Parsed from a JSON ``text`` of
    `MAX_NESTING` characters or fewer, they cannot be that deep and are not measured."""
    stack = [(value, 0)] if text is None or len(text) > MAX_NESTING else []
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ConfigError(f"{where} is nested deeper than {MAX_NESTING} levels: it cannot be checked")
        if isinstance(item, (dict, list)):
            stack += [(v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return leaves(value)


def _part_field_slots(arg: str, i: int | None, content: Any, where: str) -> list[Slot]:
    """The texts of the parts of `PART_FIELDS` and of web fetch results in ``content`` (paths
    from the message); a part of a kind not known here that holds text, among ``content`` or in
    a tool result's content, is refused."""
    out = []
    for j, part in enumerate(content):
        kind = _get(part, "type")
        if kind == "web_fetch_tool_result":
            out += [Slot(arg, i, "document", text, path=("content", j, "content", "content", *path))
                    for path, text in _document_texts(_get(_get(part, "content"), "content"))]
        out += [Slot(arg, i, source, text, path=("content", j, *path))
                for spec, source in PART_FIELDS.get(kind, ()) for path, text in _found(part, spec)]
        inner = _get(part, "content") if kind in TOOL_RESULT_PARTS else None
        for at, one in [(f"{where}[{j}]", part), *((f"{where}[{j}].content[{k}]", p) for k, p
                                                    in enumerate(inner if isinstance(inner, (list, tuple)) else ()))]:
            if not isinstance(one, str) and _get(one, "type") not in KNOWN_PARTS and _holds_text(one, ID_FIELDS):
                raise ConfigError(f"{at} is a part of type {_get(one, 'type')!r}, which guardlayer does not "
                                  "read, and it holds text: it cannot be checked")
    return out


def _document_texts(document: Any) -> list[tuple[tuple[Any, ...], str]]:
    """The texts of an Anthropic ``document`` block with their paths: a plain-text source's data,
    a content source's text parts, its title and context."""
    source = _get(document, "source")
    if _get(source, "type") == "text":
        found = _found(source, ("data",), ("source",))
    else:
        found = _found(source, ("content", "*", "text"), ("source",)) if _get(source, "type") == "content" else []
    return found + [found for key in SIDE_FIELDS for found in _found(document, (key,))]


def _side_slots(arg: str, i: int | None, content: Any, path: tuple[Any, ...]) -> list[Slot]:
    """The `SIDE_FIELDS` of the documents and search results among ``content``'s parts, and
    among the parts of its tool results (Anthropic), as documents."""
    out = []
    for j, part in enumerate(content):
        kind = _get(part, "type")
        if kind in ("document", "search_result"):
            out += [Slot(arg, i, "document", text, j, key) if not path else
                    Slot(arg, i, "document", text, path=(*path, j, key))
                    for key in SIDE_FIELDS if isinstance(text := _get(part, key), str) and text]
        elif kind in TOOL_RESULT_PARTS and not path and isinstance(inner := _get(part, "content"), (list, tuple)):
            out += _side_slots(arg, i, inner, ("content", j, "content"))
    return out


def _gemini_part_slots(arg: str, i: int | None, part: Any, source: str, at: tuple[Any, ...],
                       where: str) -> list[Slot]:
    """The texts of a Gemini part at path ``at``: its ``text``, or the strings of a call, code, a
    function's response or the code's output (`GEMINI_FIELDS`); files and images hold none; any
    other part that holds text is refused."""
    if isinstance(text := _get(part, "text"), str):
        return [Slot(arg, i, source, text, path=(*at, "text"))]
    out = [Slot(arg, i, owner, text, path=(*at, key, field, *path))
           for key, (field, owner) in GEMINI_FIELDS.items() if (value := _get(part, key)) is not None
           for path, text in _leaves(_get(value, field), f"{where}.{key}.{field}")]
    if _holds_text(part, GEMINI_KEYS):
        raise ConfigError(f"{where} is a Gemini part guardlayer does not read and it holds text: give text, "
                          "inline_data or file_data parts")
    return out


def _fields(item: Any) -> list[Any]:
    """The names of an item's fields (a mapping's keys, an object's attributes)."""
    if isinstance(item, dict):
        return list(item)
    return list(vars(item)) if hasattr(item, "__dict__") and not isinstance(item, type) else []


def _holds_text(value: Any, skip: frozenset[str] = frozenset(), depth: int = 0) -> bool:
    """Does ``value`` hold a string that is not blank (in a field not in ``skip``)? Too deep to
    tell counts as yes (fail closed)."""
    if isinstance(value, str):
        return bool(value.strip())
    if depth > 32:
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_text(v, depth=depth + 1) for v in value)
    return any(_holds_text(_get(value, k), depth=depth + 1) for k in _fields(value) if k not in skip)


def _found(value: Any, spec: tuple[str, ...], path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """The strings (not empty) at ``spec`` in ``value`` (keys; ``*``: each item of a list; ``**``:
    every string below but kinds and ids), each with its path; nested deeper than `MAX_NESTING`:
    refused."""
    if len(path) > MAX_NESTING:
        raise ConfigError(f"a field nested deeper than {MAX_NESTING} levels ({'.'.join(map(str, path[:3]))}...): "
                          "it cannot be checked")
    if not spec or spec[0] == "**":
        if isinstance(value, str):
            return [(path, value)] if value else []
        if not spec or isinstance(value, (bytes, int, float)) or value is None:
            return []
        items = (enumerate(value) if isinstance(value, (list, tuple)) else
                 ((k, _get(value, k)) for k in _fields(value) if k not in ID_FIELDS))
        return [found for key, v in items for found in _found(v, spec, (*path, key))]
    head, rest = spec[0], spec[1:]
    if head == "*":
        return ([found for k, v in enumerate(value) for found in _found(v, rest, (*path, k))]
                if isinstance(value, (list, tuple)) else [])
    plain = value is None or isinstance(value, (str, bytes, int, float, list, tuple))
    return [] if plain else _found(_get(value, head), rest, (*path, head))


def _tool_call_slots(arg: str, index: int, message: Any) -> list[Slot]:
    """The strings in the arguments of an assistant turn's tool calls (OpenAI ``tool_calls``,
    Anthropic ``tool_use``), one slot each: a slot changed is put back into the parsed
    arguments, which are written again as JSON (never patched as text)."""
    out = []
    for call in _calls(message):
        if call.parsed is MISSING:
            out.append(Slot(arg, index, HISTORY, call.arguments, tool=(call.index, None)))
        else:
            out += [Slot(arg, index, HISTORY, text, tool=(call.index, path))
                    for path, text in _leaves(call.parsed, f"{arg}[{index}] tool call {call.index}'s arguments",
                                              call.arguments)]
    return out


def _calls(message: Any) -> list[ToolCall]:
    """The tool calls of an assistant turn, or the one call a Responses call item is."""
    return tool_calls([message] if _get(message, "type") in CALL_ITEMS else message)


def _with_tool_text(message: Any, tool: tuple[int, tuple[Any, ...] | None], text: str) -> Any:
    number, path = tool
    call = _calls(message)[number]
    call = call.with_text(text) if path is None else call.with_value(with_leaf(call.parsed, path, text))
    if _get(message, "type") in CALL_ITEMS:
        return with_tool_arguments([message], [call])[0]
    return with_tool_arguments(message, [call])


def _changed(item: Any, slot: Slot, text: str) -> Any:
    """``item`` (a text, message or item of the call) with ``slot``'s text replaced."""
    if isinstance(item, str):
        return text
    if slot.tool is not None:
        return _with_tool_text(item, slot.tool, text)
    if slot.path == NAME_FIELD:
        return _with_name(item, text)
    if slot.path is not None:
        return _with_path(item, slot.path, text)
    return _with_content(item, text, slot.part, slot.field)


def _with_path(obj: Any, path: tuple[Any, ...], text: str) -> Any:
    """A copy of ``obj`` with ``text`` at ``path`` (keys and list indexes)."""
    if not path:
        return text
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(obj)
        items[head] = _with_path(obj[head], rest, text)
        return tuple(items) if type(obj) is tuple else items
    return _with_field(obj, head, _with_path(_get(obj, head), rest, text))


def _with_name(message: Any, text: str) -> Any:
    """A copy of ``message`` with ``text`` made a valid name (``^[a-zA-Z0-9_-]+$``: any other
    character becomes ``_``, as spaces and a placeholder's brackets do) as its ``name``; without
    a name when nothing of it is left."""
    name = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in text).strip("_")
    if name:
        return _with_field(message, "name", name)
    if isinstance(message, dict):
        return {k: v for k, v in message.items() if k != "name"}
    return _with_field(message, "name", None)


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key, None)


def _part_text(part: Any, source: str) -> tuple[str, str | None]:
    """The source and text of one content part (None: a part without text, such as an image
    or a PDF); a string among parts (LangChain's) is text."""
    if isinstance(part, str):
        return source, part
    kind = _get(part, "type")
    if kind in TEXT_PARTS or kind == "refusal":
        text = _get(part, "text" if kind != "refusal" else "refusal")
        return source, text if isinstance(text, str) else None
    if kind in TOOL_RESULT_PARTS:
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
    try:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):  # (frozen ones too)
            return dataclasses.replace(obj, **{key: value})
        if isinstance(obj, tuple) and hasattr(obj, "_replace"):  # a NamedTuple
            return obj._replace(**{key: value})
        new = copy.copy(obj)
        setattr(new, key, value)
    except (AttributeError, TypeError, ValueError) as exc:  # (a frozen object, a read-only property)
        raise ConfigError(f"cannot write the fixed text back into a frozen {type(obj).__name__} "
                          f"(its {key!r}): give the texts as dicts or mutable objects") from exc
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
    if isinstance(part, str):
        return text
    kind = _get(part, "type")
    if kind in (*TOOL_RESULT_PARTS, "search_result"):
        return _with_field(part, "content", _with_texts(_get(part, "content"), text))
    if kind == "refusal":
        return _with_field(part, "refusal", text)
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
    values, in their places: its lines are matched to the old ones (one to one when as many;
    else by `difflib`, and inside a changed run by likeness, `_owners`); a line added goes with
    the line before, or the one after when it comes first (a note put in front of the whole);
    a text none of whose lines is left is None."""
    if len(texts) == 1:
        return [fixed]
    old = "\n".join(texts).split("\n")
    lines = fixed.split("\n")
    owner = [i for i, t in enumerate(texts) for _ in range(t.count("\n") + 1)]
    if len(lines) == len(old):
        where = owner
    else:
        where = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, lines).get_opcodes():
            if tag == "equal":
                where += owner[i1:i2]
            else:
                where += _owners(old[i1:i2], lines[j1:j2], owner[i1:i2], where[-1] if where else None,
                                 owner[min(i1, len(owner) - 1)])
    out: list[list[str]] = [[] for _ in texts]
    for i, line in zip(where, lines):
        out[i].append(line)
    return ["\n".join(part) if part else None for part in out]


LOOK_AHEAD = 4
"""Old lines `_owners` looks at for the one a changed line was made from."""


def _owners(old: list[str], new: list[str], owner: list[int], before: int | None, after: int) -> list[int]:
    """Whose each of ``new`` (lines that replaced ``old``, of texts ``owner``) is: a line like an
    old one (half its characters or more in common: a line datamarked, a name redacted) is that
    line's text's, taken in order; any other goes with the line before it (``before``: the one
    before the run), else with the next old line (``after``: the one after the run)."""
    out: list[int] = []
    k = 0
    for line in new:
        match = next((m for m in range(k, min(k + LOOK_AHEAD, len(old)))
                      if difflib.SequenceMatcher(None, old[m], line).quick_ratio() >= 0.5), None)
        if match is not None:
            out.append(owner[match])
            k = match + 1
        elif out or before is not None:
            out.append(out[-1] if out else before)  # type: ignore[arg-type]
        else:
            out.append(owner[k] if k < len(owner) else after)
    return out
