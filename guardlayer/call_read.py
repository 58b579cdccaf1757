"""The untrusted texts of a call's arguments, as `Slot`s: texts, messages (OpenAI chat,
Anthropic, Gemini, LangChain), Responses items, stored prompts and documents; text that cannot be
read is refused with a `ConfigError`."""
from __future__ import annotations

from typing import Any

from .call_fields import checked_leaves, field_names, holds_text, strings_at
from .call_kinds import (CALL_ITEMS, DOCUMENT_READ, GEMINI_KEYS, ID_FIELDS, INSTRUCTION_FIELDS, ITEM_FIELDS,
                         KNOWN_ITEMS, MEDIA_PARTS, NAME_FIELD, PART_FIELDS, PLAIN_FIELDS, STORED_PROMPT,
                         TEXT_PARTS, TOOL_OUTPUT_ITEMS, TURN_KINDS)
from .call_parts import gemini_part_slots, part_field_slots, part_text, side_slots
from .call_slot import (HISTORY, HISTORY_ROLES, KIND_ROLES, OWN_SOURCES, PAIR_ROLES, SYSTEM, TOOL_ROLES,
                        TRUSTED_ROLES, Slot)
from .errors import ConfigError
from .providers import field
from .providers.tools import ToolCall, tool_calls
from .verdict import MISSING


def is_item(value: Any) -> bool:
    """A message or a Responses input item: a mapping or an SDK object, not text."""
    return not isinstance(value, (str, bytes)) and (
        isinstance(value, dict) or hasattr(value, "role") or hasattr(value, "type"))


def arg_slots(name: str, value: Any, source: str, upstream: bool = False) -> list[Slot]:
    """The texts of an argument read as ``source``: a text, a list of texts or items (messages,
    Responses items, documents), or one item (a prediction, a document); ``upstream``: references
    to items kept upstream are let through unread (`message_slots`)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [Slot(name, None, source, value)]
    if isinstance(value, (list, tuple)):
        return message_slots(name, value, source, upstream)
    if is_item(value) or hasattr(value, "page_content"):
        return _item_slots(name, None, value, source, upstream)
    raise ConfigError(f"argument {name!r} is untrusted but holds {type(value).__name__}, not text, "
                      "a list of texts or of messages")


def config_slots(arg: str, config: Any) -> list[Slot]:
    """The system instruction of Gemini's ``config`` (`INSTRUCTION_FIELDS`), the application's own
    text as ``system=`` is: a text, a ``Content`` (its parts), a part, or a list of texts and parts;
    a part that holds text elsewhere is refused (`gemini_part_slots`)."""
    out: list[Slot] = []
    for key in INSTRUCTION_FIELDS:
        value = field(config, key)
        given = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)] if value is not None else []
        for k, one in given:
            at = (key,) if k is None else (key, k)
            where = f"{arg}.{key}" + ("" if k is None else f"[{k}]")
            parts = field(one, "parts")
            if isinstance(one, str):
                out.append(Slot(arg, None, SYSTEM, one, path=at))
            elif isinstance(parts, (list, tuple)):
                out += [slot for j, part in enumerate(parts) for slot in
                        gemini_part_slots(arg, None, part, SYSTEM, (*at, "parts", j), f"{where}.parts[{j}]")]
            elif not _is_media(one):
                out += gemini_part_slots(arg, None, one, SYSTEM, at, where)
    return out


def message_slots(arg: str, messages: Any, default: str = "user", upstream: bool = False) -> list[Slot]:
    """The untrusted texts of a list of messages (or Responses input items, texts, documents),
    in order: a message without a role is of ``default`` source; a tool's output is of source
    ``tool``. A reference to an item kept upstream (`_is_reference`) is a turn the guards never see:
    refused, unless ``upstream`` (the application lets its calls build on turns kept upstream)."""
    return [slot for i, message in enumerate(messages) for slot in _item_slots(arg, i, message, default, upstream)]


def _is_reference(item: Any, listed: bool) -> bool:
    """Is ``item`` a Responses ``item_reference``: typed so, or (among a list of items, ``listed``)
    an item with an ``id``, neither role nor kind, and no field but those naming an item (the API
    reads ``{"id": "msg_..."}`` as a reference; one with ``variables`` or a ``version`` is a stored
    prompt, whose variables are read)?"""
    kind = field(item, "type")
    return kind == "item_reference" or (
        listed and kind is None and field(item, "role") is None and isinstance(field(item, "id"), str)
        and set(field_names(item)) <= ID_FIELDS)


def _item_slots(arg: str, i: int | None, item: Any, default: str, upstream: bool = False) -> list[Slot]:
    """The texts of one message, Responses item, text or document (`message_slots`)."""
    where = arg if i is None else f"{arg}[{i}]"
    if isinstance(item, str):
        return [Slot(arg, i, default, item)]
    if _is_media(item):
        return []
    if (pair := _role_pair(item, where)) is not None:  # LangChain's ``("human", "...")``
        return [Slot(arg, i, _role_source(pair, default), item[1], path=(1,))]
    if _is_gemini_part(item):
        return gemini_part_slots(arg, i, item, default, (), where)
    if not is_item(item) and not hasattr(item, "page_content"):
        raise ConfigError(f"{where} holds {type(item).__name__}, not text or a message: it cannot be checked")
    kind, role = field(item, "type"), field(item, "role")
    if isinstance(text := field(item, "page_content"), str):  # a LangChain ``Document``
        return [Slot(arg, i, default, text, path=("page_content",)), *_document_fields(arg, i, item, default)]
    if _is_reference(item, i is not None):
        if upstream:
            return []
        raise ConfigError(f"{where} refers to an item kept upstream ({field(item, 'id')!r}), a turn the input "
                          "guards never see: send the item itself, or let calls build on turns kept upstream "
                          "(upstream_turns=True)")
    if role is None and kind is None and isinstance(field(item, "id"), str) and set(field_names(item)) <= STORED_PROMPT:
        return _stored_prompt_slots(arg, i, item, where)
    if kind in TEXT_PARTS and role is None:  # a bare text block
        text = field(item, "text")  # (Anthropic's ``system=[{"type": "text", ...}]``)
        return [Slot(arg, i, default, text)] if isinstance(text, str) else []
    if kind in KNOWN_ITEMS and kind not in TURN_KINDS:  # whatever its role (a tool's output is no turn)
        return _responses_slots(arg, i, item, kind, where)  # (read field by field: the rest holds no text)
    if role is None and kind is not None and kind not in (*TURN_KINDS, *KIND_ROLES):
        if default == "document" and isinstance(text := field(item, "text"), str):
            return [Slot(arg, i, default, text, path=("text",)), *_document_fields(arg, i, item, default)]
        if holds_text(item, ID_FIELDS):  # (a document of the application's own kind: {"type": "faq", "text": ...})
            raise ConfigError(f"{where} is an item of type {kind!r}, which guardlayer does not read, "
                              "and it holds text: it cannot be checked")
        return []
    out = _turn_slots(arg, i, item, default, where)
    if role is None and kind is None:
        out += _document_fields(arg, i, item, default)
    if not out and _source(item, default) not in OWN_SOURCES and holds_text(item, PLAIN_FIELDS):
        held = [k for k in field_names(item) if k not in PLAIN_FIELDS and holds_text(field(item, k))]
        raise ConfigError(f"{where} holds text in {', '.join(map(repr, held))}, which no provider reads "
                          "as the message's text: give it as its content (text or parts)")
    return out


def is_text(value: Any, depth: int = 0) -> bool:
    """Is ``value`` text, a container (list, tuple, set, dict) holding text, or a message or
    document holding text? (Another object, bytes or a number is not; too deep to tell is.)"""
    if isinstance(value, str) or (is_item(value) or hasattr(value, "page_content")) and holds_text(value):
        return True
    if depth > 32:
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple, set, frozenset)) and any(is_text(v, depth + 1) for v in value)


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
    return [Slot(arg, i, source, text, path=path, beside=True) for key in field_names(item)
            if key not in DOCUMENT_READ and key not in ID_FIELDS
            for path, text in strings_at(field(item, key), ("**",), (key,))]


def _stored_prompt_slots(arg: str, i: int | None, item: Any, where: str) -> list[Slot]:
    """The user's texts of a Responses stored prompt: its ``variables`` (`STORED_PROMPT`)."""
    out = []
    variables = field(item, "variables") or {}
    for key, value in (variables.items() if isinstance(variables, dict) else ()):
        if isinstance(value, str):
            out.append(Slot(arg, i, "user", value, path=("variables", key)))
        elif field(value, "type") == "input_text" and isinstance(text := field(value, "text"), str):
            out.append(Slot(arg, i, "user", text, path=("variables", key, "text")))
        elif field(value, "type") in MEDIA_PARTS:  # (a file's name is read: `PART_FIELDS`)
            out += [Slot(arg, i, "user", text, path=("variables", key, *path))
                    for spec, _ in PART_FIELDS.get(field(value, "type"), ()) for path, text in strings_at(value, spec)]
        elif holds_text(value, ID_FIELDS):
            raise ConfigError(f"{where}.variables[{key!r}] holds text that is neither a string nor an "
                              "input_text item: it cannot be checked")
    if not isinstance(variables, dict) and holds_text(variables):
        raise ConfigError(f"{where}.variables is not a mapping: it cannot be checked")
    return out


def _responses_slots(arg: str, i: int | None, item: Any, kind: str, where: str) -> list[Slot]:
    """The texts of a Responses item other than a turn: a tool's output (source ``tool``: text, or
    parts read as a message's are; else no text, a screenshot, or refused), a call's arguments
    (the assistant's, as its tool calls), and the fields of `ITEM_FIELDS`."""
    out = []
    if kind in TOOL_OUTPUT_ITEMS:
        output = field(item, "output")
        if isinstance(output, str):
            out.append(Slot(arg, i, "tool", output))
        elif isinstance(output, (list, tuple)):
            out += [Slot(arg, i, "tool", text, j) for j, (_, text)
                    in enumerate(part_text(p, "tool") for p in output) if text is not None]
            out += part_field_slots(arg, i, output, f"{where}.output", "tool", key="output")
        elif field(output, "type") not in MEDIA_PARTS and holds_text(output, ID_FIELDS):
            raise ConfigError(f"{where}.output holds {type(output).__name__}, not text or a list of parts: "
                              "it cannot be checked")
    if kind in CALL_ITEMS:
        out += _tool_call_slots(arg, i, item)
    for spec, source in ITEM_FIELDS.get(kind, ()):
        out += [Slot(arg, i, source, text, path=path) for path, text in strings_at(item, spec)]
    return out


def _turn_slots(arg: str, i: int | None, message: Any, default: str, where: str) -> list[Slot]:
    """The texts of a message (chat, Anthropic, Responses or Gemini): its content, part by part,
    or its Gemini ``parts``; its ``refusal`` and ``name``; an assistant turn's tool calls; an item
    with neither role nor content: its ``text`` (a document)."""
    out: list[Slot] = []
    role = field(message, "role") or KIND_ROLES.get(field(message, "type"))
    low = str(role or default).lower()
    source = _source(message, default)
    content, parts = field(message, "content"), field(message, "parts")
    if isinstance(content, str):
        out.append(Slot(arg, i, source, content))
    elif isinstance(content, (list, tuple)):
        out += [Slot(arg, i, part_source, text, j) for j, (part_source, text)
                in enumerate(part_text(p, source) for p in content) if text is not None]
        out += side_slots(arg, i, content, ())
        out += part_field_slots(arg, i, content, f"{where}.content", source)
    elif content is not None:
        raise ConfigError(f"message {i} ({low}) holds {type(content).__name__} content, "
                          "not text or a list of parts: it cannot be checked")
    elif isinstance(parts, (list, tuple)):
        out += [slot for j, part in enumerate(parts)
                for slot in gemini_part_slots(arg, i, part, source, ("parts", j), f"{where}.parts[{j}]")]
    elif role is None and isinstance(text := field(message, "text"), str):  # a document {"text": ...}
        out.append(Slot(arg, i, source, text, path=("text",)))
    if isinstance(refusal := field(message, "refusal"), str) and refusal:
        out.append(Slot(arg, i, source, refusal, path=("refusal",)))
    if role is not None and low not in TOOL_ROLES and isinstance(name := field(message, "name"), str) and name:
        out.append(Slot(arg, i, SYSTEM, name.replace("_", " "), path=NAME_FIELD))
    if source == HISTORY:
        out += _tool_call_slots(arg, i, message)
    return out


def _source(message: Any, default: str) -> str:
    """The source of a message's text, by its role (or LangChain kind): ``default`` without one."""
    return _role_source(field(message, "role") or KIND_ROLES.get(field(message, "type")), default)


def _role_source(role: Any, default: str) -> str:
    low = str(KIND_ROLES.get(role, role) if role else default).lower()
    return (HISTORY if low in HISTORY_ROLES else SYSTEM if low in TRUSTED_ROLES
            else "tool" if low in TOOL_ROLES else default)


def _tool_call_slots(arg: str, index: int, message: Any) -> list[Slot]:
    """The strings in the arguments of an assistant turn's tool calls (OpenAI ``tool_calls``,
    Anthropic ``tool_use``), one slot each: a slot changed is put back into the parsed
    arguments, which are written again as JSON (never patched as text)."""
    out = []
    for call in item_calls(message):
        if call.parsed is MISSING:
            out.append(Slot(arg, index, HISTORY, call.arguments, tool=(call.index, None)))
        else:
            out += [Slot(arg, index, HISTORY, text, tool=(call.index, path))
                    for path, text in checked_leaves(call.parsed, f"{arg}[{index}] tool call {call.index}'s arguments",
                                              call.arguments)]
    return out


def item_calls(message: Any) -> list[ToolCall]:
    """The tool calls of an assistant turn, or the one call a Responses call item is."""
    return tool_calls([message] if field(message, "type") in CALL_ITEMS else message, invalid=True)
