"""The text inside a parsed value, changed where it stands: guards that change an answer's text
(PII restore and redaction) change the value parsed from it the same way."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from json import JSONDecodeError
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from .quoting import elide


class Unfit(ValueError):
    """A value whose strings were changed no longer holds together: a pydantic model refuses
    what a field now holds (a redacted card number in an ``int`` field), or two keys of one
    object became the same key. The message names the field, never its contents."""


def map_strings(value: Any, fn: Callable[[str], str], *, numbers: bool = False) -> Any:
    """``value`` with ``fn`` applied to every string in it (dict keys too), as a copy: dicts,
    lists, tuples, pydantic models and dataclasses are rebuilt, anything else is kept. With
    ``numbers``, a number whose digits ``fn`` changes becomes the string it returns (a card
    number the model wrote as a JSON number, redacted). A pydantic model with a field changed
    is validated again (its extra fields mapped too): raises `Unfit` when it refuses what the
    field now holds, or when two keys of a dict become one, rather than hand on a model whose
    fields lie about their types or lose an item."""
    def again(item: Any) -> Any:
        return map_strings(item, fn, numbers=numbers)

    if isinstance(value, str):
        return fn(value)
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(value)
        return changed if (changed := fn(digits)) != digits else value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new = again(key)
            if new in out:
                raise Unfit("two keys of an object would become one")
            out[new] = again(item)
        return out
    if isinstance(value, list):
        return [again(v) for v in value]
    if isinstance(value, tuple):
        items = [again(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)  # (a namedtuple)
    if hasattr(type(value), "model_fields") and hasattr(value, "model_validate"):
        return _model(value, again)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: again(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


def _model(model: Any, again: Callable[[Any], Any]) -> Any:
    """A pydantic ``model`` with ``again`` applied to its fields and extra fields: itself when
    nothing changed, else validated again by its class (which fields were set, and its private
    attributes, kept)."""
    cls = type(model)
    fields = {name: getattr(model, name) for name in cls.model_fields}
    extra = dict(model.model_extra or {})
    mapped, mapped_extra = {name: again(item) for name, item in fields.items()}, again(extra)
    if _same(mapped, fields) and _same(mapped_extra, extra):
        return model
    try:
        if getattr(cls, "__pydantic_root_model__", False):
            return cls.model_validate(mapped["root"])
        new = cls.model_validate({**mapped, **mapped_extra}, by_alias=False, by_name=True)
    except ValueError as exc:  # (pydantic's ValidationError)
        errors = exc.errors(include_input=False) if hasattr(exc, "errors") else []
        where = "; ".join(f"field `{'.'.join(map(str, e['loc']))}`: {elide(e['msg'], 200)}" for e in errors)
        raise Unfit(f"the {cls.__name__} refuses the value changed ({where or 'invalid'})") from exc
    object.__setattr__(new, "__pydantic_fields_set__", set(model.model_fields_set))
    if model.__pydantic_private__ is not None:
        object.__setattr__(new, "__pydantic_private__", dict(model.__pydantic_private__))
    return new


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether ``new`` has the keys of ``old`` and each item is the one of ``old``, or an equal
    one of the same type (a value whose ``==`` gives no truth, an array's, counts as changed)."""
    try:
        return list(new) == list(old) and all(n is o or (type(n) is type(o) and bool(n == o))
                                              for n, o in zip(new.values(), old.values()))
    except (TypeError, ValueError):
        return False


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
    return _literals(text)[0]


def json_literals(text: str) -> list[tuple[int, int]]:
    """Where the contents of the JSON string literals in ``text`` stand (see `json_strings`),
    and of a last one still open at its end (a streamed answer cut in a string). Whether a
    position is in a literal depends on the text before it only, so a growing text keeps it."""
    found, open_at = _literals(text)
    return [(start, end) for start, end, _ in found] + ([(open_at + 1, len(text))] if open_at is not None else [])


def _literals(text: str) -> tuple[list[tuple[int, int, str]], int | None]:
    """`json_strings`, and where a last literal opens that nothing closes (or None)."""
    found, at = [], text.find('"')
    while at >= 0:
        try:
            string, end = scanstring(text, at + 1, False)
        except JSONDecodeError as exc:
            after = text.find('"', exc.pos) if exc.pos > at else -1
            if after < 0:  # unterminated, or an escape the end cut: no later quote closes one either
                return found, at
            at = after
            continue
        found.append((at + 1, end - 1, string))
        at = text.find('"', end)
    return found, None


def json_escapes(contents: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each escape in the contents of a JSON string literal, each of which
    encodes one character (``\\n``, ``\\u00ed``, a surrogate pair's twelve characters); one the
    end of ``contents`` cuts runs to its end."""
    found, at = [], contents.find("\\")
    while at >= 0:
        end = at + 2
        if contents[at + 1:at + 2] == "u":
            end = at + 6
            if (_hex(contents[at + 2:end], 0xD800, 0xDC00) and contents.startswith("\\u", end)
                    and _hex(contents[end + 2:end + 6], 0xDC00, 0xE000)):
                end += 6
        found.append((at, min(end, len(contents))))
        at = contents.find("\\", end)
    return found


def _hex(digits: str, low: int, high: int) -> bool:
    """Whether ``digits`` are four hex digits of a number in ``[low, high)``."""
    return (len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits)
            and low <= int(digits, 16) < high)


def json_escape(string: str) -> str:
    """``string`` as the contents of a JSON string literal (quotes, backslashes, control
    characters and lone surrogates, which UTF-8 cannot carry, escaped; other characters as they
    are)."""
    contents = json.dumps(string, ensure_ascii=False)[1:-1]
    if not any("\ud800" <= c <= "\udfff" for c in contents):
        return contents
    return "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in contents)


def json_unescape(contents: str) -> str:
    """The string that the contents of a JSON string literal encode; a piece the end of a
    streamed text cut (a broken escape) as it is written."""
    try:
        return str(json.loads(f'"{contents}"'))
    except ValueError:
        return contents


def rewrite(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, int, int]]]:
    """``text`` with each ``(start, end, new)`` of ``edits`` (in order, not overlapping) put in,
    and each edit as ``(old_start, old_end, new_start, new_end)``."""
    out, moves, at, shift = [], [], 0, 0
    for start, end, new in edits:
        out += [text[at:start], new]
        moves.append((start, end, start + shift, start + shift + len(new)))
        shift += len(new) - (end - start)
        at = end
    return "".join(out) + text[at:], moves
