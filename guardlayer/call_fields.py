"""Reading the fields of any value a call holds (a mapping's keys, an object's attributes):
the strings at a path, whether text is held, a tool call's arguments; fail closed when nested
too deep."""
from __future__ import annotations

from typing import Any

from .call_kinds import ID_FIELDS, MAX_NESTING
from .errors import ConfigError
from .providers import field
from .structured.strings import leaves


def checked_leaves(value: Any, where: str, text: str | None = None) -> list[tuple[tuple[Any, ...], str]]:
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


def field_names(item: Any) -> list[Any]:
    """The names of an item's fields (a mapping's keys, an object's attributes)."""
    if isinstance(item, dict):
        return list(item)
    return list(vars(item)) if hasattr(item, "__dict__") and not isinstance(item, type) else []


def holds_text(value: Any, skip: frozenset[str] = frozenset(), depth: int = 0) -> bool:
    """Does ``value`` hold a string that is not blank (in a field not in ``skip``)? Too deep to
    tell counts as yes (fail closed)."""
    if isinstance(value, str):
        return bool(value.strip())
    if depth > 32:
        return True
    if isinstance(value, (list, tuple)):
        return any(holds_text(v, depth=depth + 1) for v in value)
    return any(holds_text(field(value, k), depth=depth + 1) for k in field_names(value) if k not in skip)


def strings_at(value: Any, spec: tuple[str, ...], path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
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
                 ((k, field(value, k)) for k in field_names(value) if k not in ID_FIELDS))
        return [found for key, v in items for found in strings_at(v, spec, (*path, key))]
    head, rest = spec[0], spec[1:]
    if head == "*":
        return ([found for k, v in enumerate(value) for found in strings_at(v, rest, (*path, k))]
                if isinstance(value, (list, tuple)) else [])
    plain = value is None or isinstance(value, (str, bytes, int, float, list, tuple))
    return [] if plain else strings_at(field(value, head), rest, (*path, head))
