"""The texts of the content parts of a message: text, refusal, tool result, search result and
document parts (OpenAI, Anthropic), the parts of provider tool results, Gemini parts."""
from __future__ import annotations

from typing import Any

from .call_fields import checked_leaves, holds_text, strings_at
from .call_files import file_slots
from .call_kinds import (GEMINI_FIELDS, GEMINI_KEYS, ID_FIELDS, KNOWN_PARTS, MAX_NESTING, PART_FIELDS, SIDE_FIELDS,
                         TEXT_PARTS, TOOL_RESULT_PARTS)
from .call_slot import OWN_SOURCES, Slot
from .errors import ConfigError
from .providers import field


def part_text(part: Any, source: str, depth: int = 0) -> tuple[str, str | None]:
    """The source and text of one content part (None: a part without text, such as an image
    or a PDF); a string among parts (LangChain's) is text. Tool results nested in tool results
    deeper than `MAX_NESTING` (``depth``: so far) are refused."""
    if isinstance(part, str):
        return source, part
    kind = field(part, "type")
    if kind in TEXT_PARTS or kind == "refusal":
        text = field(part, "text" if kind != "refusal" else "refusal")
        if text is not None and not isinstance(text, str) and holds_text(text):  # ({"value": ...}: unread)
            raise ConfigError(f"a {kind} part holds its text as {type(text).__name__}, not a string: "
                              "it cannot be checked")
        return source, text if isinstance(text, str) else None
    if kind in TOOL_RESULT_PARTS:
        if depth >= MAX_NESTING:
            raise ConfigError(f"a {kind} part holds tool results nested deeper than {MAX_NESTING} levels: "
                              "it cannot be checked")
        return "tool", _joined(field(part, "content"), depth + 1)
    if kind == "search_result":
        return "document", _joined(field(part, "content"), depth + 1)
    if kind == "document":
        origin = field(part, "source")
        if field(origin, "type") == "text":
            data = field(origin, "data")
            return "document", data if isinstance(data, str) else None
        if field(origin, "type") == "content":
            return "document", _joined(field(origin, "content"), depth + 1)
    return source, None


def _joined(content: Any, depth: int) -> str | None:
    """A string, or the texts of a list of parts (at nesting ``depth``) joined by line breaks."""
    if isinstance(content, (list, tuple)):
        texts = [part_text(p, "tool", depth)[1] for p in content]
        content = "\n".join(t for t in texts if t is not None)
    return content if isinstance(content, str) else None


def part_field_slots(arg: str, i: int | None, content: Any, where: str, source: str,
                     key: str = "content") -> list[Slot]:
    """The texts of the parts of `PART_FIELDS`, of inline text files (`file_slots`, also among a
    tool result's parts) and of web fetch results in ``content`` (the
    message's ``key``: paths from the message, of ``source``); a part of a kind not known here
    that holds text, among ``content`` or in a tool result's content, is refused, but in the
    application's own turns read string by string as theirs (a LangChain ``reasoning`` or
    ``tool_call`` block)."""
    out = []
    for j, part in enumerate(content):
        kind = field(part, "type")
        if kind == "web_fetch_tool_result":
            out += [Slot(arg, i, "document", text, path=(key, j, "content", "content", *path))
                    for path, text in _document_texts(field(field(part, "content"), "content"))]
        out += file_slots(arg, i, part, (key, j), f"{where}[{j}]")
        out += [Slot(arg, i, theirs or source, text, path=(key, j, *path))
                for spec, theirs in PART_FIELDS.get(kind, ()) for path, text in strings_at(part, spec)]
        inner = field(part, "content") if kind in TOOL_RESULT_PARTS else None
        out += [slot for k, one in enumerate(inner if isinstance(inner, (list, tuple)) else ())
                for slot in file_slots(arg, i, one, (key, j, "content", k), f"{where}[{j}].content[{k}]")]
        for at, one in [(f"{where}[{j}]", part), *((f"{where}[{j}].content[{k}]", p) for k, p
                                                    in enumerate(inner if isinstance(inner, (list, tuple)) else ()))]:
            if isinstance(one, str) or field(one, "type") in KNOWN_PARTS or not holds_text(one, ID_FIELDS):
                continue
            if source in OWN_SOURCES and one is part:
                out += [Slot(arg, i, source, text, path=(key, j, *path)) for path, text in strings_at(part, ("**",))]
            else:
                raise ConfigError(f"{at} is a part of type {field(one, 'type')!r}, which guardlayer does not "
                                  "read, and it holds text: it cannot be checked")
    return out


def _document_texts(document: Any) -> list[tuple[tuple[Any, ...], str]]:
    """The texts of an Anthropic ``document`` block with their paths: a plain-text source's data,
    a content source's text parts, its title and context."""
    source = field(document, "source")
    if field(source, "type") == "text":
        found = strings_at(source, ("data",), ("source",))
    else:
        found = strings_at(source, ("content", "*", "text"), ("source",)) if field(source, "type") == "content" else []
    return found + [found for key in SIDE_FIELDS for found in strings_at(document, (key,))]


def side_slots(arg: str, i: int | None, content: Any, path: tuple[Any, ...]) -> list[Slot]:
    """The `SIDE_FIELDS` of the documents and search results among ``content``'s parts, and
    among the parts of its tool results (Anthropic), as documents."""
    out = []
    for j, part in enumerate(content):
        kind = field(part, "type")
        if kind in ("document", "search_result"):
            out += [Slot(arg, i, "document", text, j, key, beside=True) if not path else
                    Slot(arg, i, "document", text, path=(*path, j, key), beside=True)
                    for key in SIDE_FIELDS if isinstance(text := field(part, key), str) and text]
        elif kind in TOOL_RESULT_PARTS and not path and isinstance(inner := field(part, "content"), (list, tuple)):
            out += side_slots(arg, i, inner, ("content", j, "content"))
    return out


def gemini_part_slots(arg: str, i: int | None, part: Any, source: str, at: tuple[Any, ...],
                       where: str) -> list[Slot]:
    """The texts of a Gemini part at path ``at``: its ``text``, an inline text file (`file_slots`,
    also among a function response's ``parts``), or the strings of a call, code, a function's
    response or the code's output (`GEMINI_FIELDS`); other files and images hold none; any other
    part that holds text is refused."""
    if isinstance(text := field(part, "text"), str):
        return [Slot(arg, i, source, text, path=(*at, "text"))]
    out = file_slots(arg, i, part, at, where)
    for key in ("function_response", "functionResponse"):  # (its parts: media, `FunctionResponsePart`)
        inner = field(field(part, key), "parts")
        out += [slot for k, one in enumerate(inner if isinstance(inner, (list, tuple)) else ())
                for slot in file_slots(arg, i, one, (*at, key, "parts", k), f"{where}.{key}.parts[{k}]")]
    out += [Slot(arg, i, owner, text, path=(*at, key, name, *path))
            for key, (name, owner) in GEMINI_FIELDS.items() if (value := field(part, key)) is not None
            for path, text in checked_leaves(field(value, name), f"{where}.{key}.{name}")]
    if holds_text(part, GEMINI_KEYS):
        raise ConfigError(f"{where} is a Gemini part guardlayer does not read and it holds text: give text, "
                          "inline_data or file_data parts")
    return out
