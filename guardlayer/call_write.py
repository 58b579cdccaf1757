"""Putting a fixed text back where it was read: into a message, a content part, a field of an
item or a tool call's arguments, as a copy of the same shape; a text read as parts joined is
split back among them."""
from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Sequence
from typing import Any

from .call_files import encoded
from .call_kinds import CALL_ITEMS, NAME_FIELD, NAME_LIMIT, TEXT_PARTS, TOOL_OUTPUT_ITEMS, TOOL_RESULT_PARTS
from .call_parts import part_text
from .call_read import item_calls
from .call_slot import Slot
from .errors import ConfigError
from .providers import field
from .providers.tools import with_tool_arguments
from .structured.strings import with_leaf


def changed(item: Any, slot: Slot, text: str) -> Any:
    """``item`` (a text, message or item of the call) with ``slot``'s text replaced."""
    return changed_all(item, [(slot, text)])


def changed_all(item: Any, changes: Sequence[tuple[Slot, str]]) -> Any:
    """``item`` with each slot's text replaced, as `changed` one slot after another would make it,
    but each list, part and field on the way copied once: a message of n parts with each part
    changed costs n, not n² (`Call.with_slots`)."""
    if isinstance(item, str):
        return changes[-1][1]
    parts: dict[int, list[tuple[str | None, str | bytes]]] = {}
    paths: list[tuple[tuple[Any, ...], str | bytes]] = []
    for slot, given in changes:
        text: str | bytes = given if slot.encoded is None else encoded(slot.encoded, given)
        if slot.tool is not None:
            item = _with_tool_text(item, slot.tool, text)
        elif slot.path == NAME_FIELD:
            item = _with_name(item, text)
        elif slot.path is not None:
            paths.append((slot.path, text))
        elif slot.part is not None:
            parts.setdefault(slot.part, []).append((slot.field, text))
        else:
            item = _with_content(item, text)
    if parts:
        item = _with_parts(item, parts)
    return _with_paths(item, paths) if paths else item


def _with_tool_text(message: Any, tool: tuple[int, tuple[Any, ...] | None], text: str) -> Any:
    number, path = tool
    call = item_calls(message)[number]
    call = call.with_text(text) if path is None else call.with_value(with_leaf(call.parsed, path, text))
    try:
        if field(message, "type") in CALL_ITEMS:
            return with_tool_arguments([message], [call])[0]
        return with_tool_arguments(message, [call])
    except ValueError as exc:  # (copies of its arguments that match no call, or two)
        raise ConfigError(f"cannot write the fixed arguments back into a tool call of the history: {exc}") from exc


def _with_paths(obj: Any, texts: list[tuple[tuple[Any, ...], str | bytes]]) -> Any:
    """A copy of ``obj`` with each text at its path (keys and list indexes), each list and object
    on the way copied once; a text at the empty path is ``obj`` replaced whole."""
    whole = [text for path, text in texts if not path]
    if whole:
        return whole[-1]
    heads: dict[Any, list[tuple[tuple[Any, ...], str | bytes]]] = {}
    for path, text in texts:
        heads.setdefault(path[0], []).append((path[1:], text))
    if isinstance(next(iter(heads)), int):
        items = list(obj)
        for head, inner in heads.items():
            items[head] = _with_paths(obj[head], inner)
        return tuple(items) if type(obj) is tuple else items
    return _with_fields(obj, {head: _with_paths(field(obj, head), inner) for head, inner in heads.items()})


def _with_name(message: Any, text: str) -> Any:
    """A copy of ``message`` with ``text`` made a valid name (``^[a-zA-Z0-9_-]+$``: any other
    character becomes ``_``, as spaces and a placeholder's brackets do; cut to `NAME_LIMIT`
    characters) as its ``name``; without a name when nothing of it is left."""
    name = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in text).strip("_")
    name = name[:NAME_LIMIT].rstrip("_")
    if name:
        return _with_field(message, "name", name)
    if isinstance(message, dict):
        return {k: v for k, v in message.items() if k != "name"}
    return _with_field(message, "name", None)


def _with_field(obj: Any, key: str, value: Any) -> Any:
    """A copy of ``obj`` (a dict, a pydantic model or any object) with ``key`` set to ``value``."""
    return _with_fields(obj, {key: value})


def _with_fields(obj: Any, values: dict[str, Any]) -> Any:
    """A copy of ``obj`` (a dict, a pydantic model or any object) with the fields of ``values`` set."""
    if isinstance(obj, dict):
        return {**obj, **values}
    if hasattr(obj, "model_copy"):
        return obj.model_copy(update=values)
    try:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):  # (frozen ones too)
            return dataclasses.replace(obj, **values)
        if isinstance(obj, tuple) and hasattr(obj, "_replace"):  # a NamedTuple
            return obj._replace(**values)
        new = copy.copy(obj)
        for key, value in values.items():
            setattr(new, key, value)
    except (AttributeError, TypeError, ValueError) as exc:  # (a frozen object, a read-only property)
        raise ConfigError(f"cannot write the fixed text back into a frozen {type(obj).__name__} "
                          f"(its {', '.join(map(repr, values))}): give the texts as dicts or mutable objects") from exc
    return new


def _with_content(message: Any, text: str) -> Any:
    """A copy of ``message`` with ``text`` as its content (a Responses tool output item: its
    output; a bare text block: its text)."""
    if field(message, "type") in TEXT_PARTS and field(message, "role") is None:
        return _with_field(message, "text", text)  # a bare text block
    return _with_field(message, _content_key(message), text)


def _with_parts(message: Any, texts: dict[int, list[tuple[str | None, str | bytes]]]) -> Any:
    """A copy of ``message`` with new texts in its content parts, by part: each the part's text
    (`_with_part_text`), or the text of its field named beside it (a document's title)."""
    key = _content_key(message)
    parts = list(field(message, key))
    for j, writes in texts.items():
        for side, text in writes:
            parts[j] = _with_field(parts[j], side, text) if side else _with_part_text(parts[j], text)
    return _with_field(message, key, parts)


def _content_key(message: Any) -> str:
    """Where a message holds its content: a Responses tool output item's ``output``, else ``content``."""
    return "output" if field(message, "type") in TOOL_OUTPUT_ITEMS else "content"


def _with_part_text(part: Any, text: str) -> Any:
    """A copy of a content part with ``text`` as its text; a tool result's, a search result's or
    a document's content (its source's) keeps its shape: a string is replaced, a list of parts
    has only its text parts changed, images and other parts kept in order (`_with_texts`)."""
    if isinstance(part, str):
        return text
    kind = field(part, "type")
    if kind in (*TOOL_RESULT_PARTS, "search_result"):
        return _with_field(part, "content", _with_texts(field(part, "content"), text))
    if kind == "refusal":
        return _with_field(part, "refusal", text)
    if kind == "document":
        origin = field(part, "source")
        if field(origin, "type") == "text":
            return _with_field(part, "source", _with_field(origin, "data", text))
        return _with_field(part, "source", _with_field(origin, "content", _with_texts(field(origin, "content"), text)))
    return _with_field(part, "text", text)


def _with_texts(content: Any, text: str) -> Any:
    """``content`` (a string, or a list of parts read as their texts joined by line breaks:
    `call_parts`) with ``text`` in its place: a string is replaced; in a list only the text parts
    change, each getting back its own lines of ``text`` (`split_back`), a part left with no
    text dropped; images and other parts are kept, in order."""
    if not isinstance(content, (list, tuple)):
        return text
    texts = [(i, t) for i, t in enumerate(part_text(p, "tool")[1] for p in content) if t is not None]
    if not texts:  # (nothing was read from it: nothing to put back but the text)
        return [*content, {"type": "text", "text": text}] if text else list(content)
    new = dict(zip((i for i, _ in texts), split_back([t for _, t in texts], text)))
    return [p if i not in new else _with_part_text(p, new[i]) for i, p in enumerate(content)
            if new.get(i, True) is not None]


def split_back(texts: list[str], fixed: str) -> list[str | None]:
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
