"""The text inside a parsed value, changed where it stands: guards that change an answer's text
(PII restore and redaction) change the value parsed from it the same way."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from json import JSONDecodeError
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any


def map_strings(value: Any, fn: Callable[[str], str], *, numbers: bool = False) -> Any:
    """``value`` with ``fn`` applied to every string in it (dict keys too), as a copy: dicts,
    lists, tuples, pydantic models and dataclasses are rebuilt, anything else is kept. With
    ``numbers``, a number whose digits ``fn`` changes becomes the string it returns (a card
    number the model wrote as a JSON number, redacted)."""
    def again(item: Any) -> Any:
        return map_strings(item, fn, numbers=numbers)

    if isinstance(value, str):
        return fn(value)
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(value)
        return changed if (changed := fn(digits)) != digits else value
    if isinstance(value, dict):
        return {again(k): again(v) for k, v in value.items()}
    if isinstance(value, list):
        return [again(v) for v in value]
    if isinstance(value, tuple):
        items = [again(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)  # (a namedtuple)
    if hasattr(type(value), "model_fields") and hasattr(value, "model_copy"):
        return value.model_copy(update={name: again(getattr(value, name)) for name in type(value).model_fields})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: again(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every string in a JSON-like ``value`` (dict values and list items, not keys) with the
    path of keys and indexes that leads to it."""
    if isinstance(value, str):
        return [(path, value)]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [leaf for key, item in items for leaf in leaves(item, (*path, key))]


def with_leaf(value: Any, path: tuple[Any, ...], text: str) -> Any:
    """A copy of ``value`` with the string at ``path`` (see `leaves`) replaced by ``text``."""
    if not path:
        return text
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: with_leaf(value[head], rest, text)}
    return [with_leaf(v, rest, text) if i == head else v for i, v in enumerate(value)]


def json_strings(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, string)`` of each JSON string literal in ``text``: where its contents stand
    between the quotes, and the string they encode. Read left to right; a quote that opens no
    valid literal (prose, a broken escape) is passed over, and nothing follows an unclosed one."""
    found, at = [], text.find('"')
    while at >= 0:
        try:
            string, end = scanstring(text, at + 1, False)
        except JSONDecodeError as exc:
            if exc.pos <= at:  # unterminated: no later quote closes a literal either
                break
            at = text.find('"', exc.pos)
            continue
        found.append((at + 1, end - 1, string))
        at = text.find('"', end)
    return found


def json_escapes(contents: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each escape in the contents of a valid JSON string literal, each of
    which encodes one character (``\\n``, ``\\u00ed``, a surrogate pair's twelve characters)."""
    found, at = [], contents.find("\\")
    while at >= 0:
        end = at + 2
        if contents[at + 1] == "u":
            end = at + 6
            if (0xD800 <= int(contents[at + 2:end], 16) < 0xDC00 and contents.startswith("\\u", end)
                    and 0xDC00 <= int(contents[end + 2:end + 6], 16) < 0xE000):
                end += 6
        found.append((at, end))
        at = contents.find("\\", end)
    return found
