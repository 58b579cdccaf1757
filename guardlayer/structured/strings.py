"""The text inside a parsed value, changed where it stands: guards that change an answer's text
(PII restore and redaction) change the value parsed from it the same way."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
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
