"""Schema-aware coercion of a parsed value toward a JSON Schema, recording every change.

Kinds of change (the ``kind`` of a `Coercion`):

- ``enum_case``: "active" -> "ACTIVE"; ``enum_in_text``: "The answer is One" -> "ONE"
- ``number_from_string``: "12" -> 12; ``number_format``: "1,234.5" / "$12" -> 1234.5 / 12;
  ``number_in_text``: "about 12 units" -> 12
- ``string_from_number``: 42 -> "42"; ``bool_from_string``: "yes" -> true
- ``wrap_list``: one value where a list is wanted; ``unwrap_list``: a list of one where a
  scalar is wanted; ``wrap_object``: a value where an object with one required field is wanted
- ``key_case``: "Name" -> "name" when the schema only knows "name"
- ``default``: a missing optional field filled with its default (or null when allowed)
- ``extra_dropped``: a key the schema does not declare, dropped (``extra="drop"``)

A number read exactly (a `Decimal`: more digits than a float holds) becomes its text where the
schema takes a number or a string (pydantic's ``Decimal``), so no digit is lost; elsewhere the
nearest float (an int when whole), as JSON's own reading gives. A number written with zeros
ending its fraction (a `Written` float: ``0.10``) becomes its text where the schema takes a
number or a string marked ``"format": "decimal"`` (as `schema.model_schema` marks pydantic's
``Decimal``), else its float. This is no change of meaning and is not recorded.

Text that names two enum values, or two numbers where one is wanted, raises `Ambiguous`
rather than guessing; so does text whose plain reading would change its meaning: an enum
value after a negation ("not high"), a number in parentheses (an accounting negative), a
percentage, a scale word or suffix ("5 million"), a bound ("over 5", "5+"), a sign in
words or a dash ("minus 5", "−5"), or a single comma group ("1,500": a thousands separator
or a decimal comma). A hedge ("about 5") keeps
its number. Unions (``anyOf``/``oneOf``/type lists) take the branch that validates
with the fewest changes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Literal

import regex

from ..guard import REGEX_TIMEOUT
from ..timed_regex import timed_compile
from .quoting import elide, quote
from .repair import Written

Extra = Literal["drop", "keep", "forbid"]
# Changes a strict guard accepts: both are what the schema and the guard's config ask for.
SCHEMA_DIRECTED = frozenset({"default", "extra_dropped"})

_CURRENCY = "$€£¥₹"
_NUMBER = timed_compile(
    rf"[-+]?[{_CURRENCY}]?[-+]?(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)")
_NUMBER_IN_TEXT = timed_compile(rf"(?<![\w.,]){_NUMBER.pattern}(?![\w]|[.,]\d)")
_NEGATION = timed_compile(
    r"(?<!\w)(?:not|no(?![.\w])|never|non|none|neither|nor|without)(?!\w)|n['’]t(?!\w)",
    regex.IGNORECASE)
_ONE_GROUP = timed_compile(r"\D*\d{1,3},\d{3}")
_NUMBER_REFUSALS = (  # (pattern before the number, pattern after it, why the number is refused)
    (None, r"\s*(?:%|‰|per\s*cent|pct)", "is a percentage (12% may mean 12 or 0.12)"),
    (r"\(\s*$", None, "is in parentheses (an accounting negative?)"),
    (r"(?:(?<!\w)(?:minus|negative)\s*|[−–—]\s*)$", None,
     "has a sign written as a word or a dash"),
    (None, r"\s*(?:k|m|mm|mn|bn|b|t|tn|thousand|million|billion|trillion|lakh|crore|dozen|hundred)(?!\w)",
     "is scaled by a word or suffix"),
    ((r"(?:(?:less|more|fewer|greater|lower|higher)\s+than|over|under|above|below|at\s+least"
      r"|at\s+most|up\s+to|min(?:imum)?|max(?:imum)?|[<>≤≥]=?)\s*$"),
     r"\s*(?:\+|or\s+(?:more|less|fewer|above|below|over|under|higher|lower)(?!\w))",
     "is a bound, not a value"),
)
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_SCALAR_TYPES = {"string", "number", "integer", "boolean", "null"}


@dataclass(frozen=True, slots=True)
class Coercion:
    """One change made to fit the schema: where (a field path), what kind, before and after."""

    path: str
    kind: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.path or 'the value'}: {self.kind} {elide(repr(self.before))} -> {elide(repr(self.after))}"

    def to_dict(self) -> dict[str, Any]:
        """Before and after as `repr` writes them, elided (`quoting`): reports are logged."""
        return {"path": self.path, "kind": self.kind, "before": elide(repr(self.before)),
                "after": elide(repr(self.after))}


class Ambiguous(ValueError):
    """The text could mean more than one value; says where and why."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{where(path)}: {message}")


def where(path: str) -> str:
    return f"field `{path}`" if path else "the value"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else type(value).__name__


class Coercer:
    """Coerces values toward ``root`` (a JSON Schema). ``fits(value, subschema)`` validates
    against a part of the root schema (used to pick union branches). ``defaults=False`` leaves
    missing fields missing (a pydantic model fills its own defaults, and a field it reads by
    another name, an ``AliasChoices``, must not be filled under its first one). One per value:
    the changes made land in ``changes`` and the undeclared keys seen in ``extras``."""

    def __init__(self, root: dict[str, Any] | bool, fits: Callable[[Any, Any], bool],
                 extra: Extra = "drop", *, defaults: bool = True) -> None:
        self.root, self.fits, self.extra, self.defaults = root, fits, extra, defaults
        self.changes: list[Coercion] = []
        self.extras: list[str] = []

    def coerce(self, value: Any, schema: Any = None, path: str = "") -> Any:
        schema = self._resolve(self.root if schema is None else schema)
        if isinstance(value, (Decimal, Written)):
            value = self._exact(value, schema)
        if not isinstance(schema, dict):
            return _floats(value)
        branches = _branches(schema)
        if branches:
            return self._union(value, branches, path)
        if "const" in schema:
            return self._enum(value, [schema["const"]], path)
        if "enum" in schema:
            return self._enum(value, list(schema["enum"]), path)
        kind = schema.get("type") or ("object" if "properties" in schema else
                                      "array" if "items" in schema or "prefixItems" in schema else None)
        if kind == "object":
            return self._object(value, schema, path)
        if kind == "array":
            return self._array(value, schema, path)
        if kind in _SCALAR_TYPES:
            return self._scalar(value, kind, path)
        return _floats(value)

    def _exact(self, value: Decimal | Written, schema: Any) -> Any:
        """A number read exactly (a `Decimal`) or written with zeros ending its fraction
        (`Written`): its text where ``schema`` takes a number or a string, for a `Written` only
        where it is also marked ``"format": "decimal"`` (pydantic's ``Decimal``, as `Schema`
        writes it: ``0.10`` stays ``Decimal('0.10')``); left to the branches of a union that
        takes no number itself (``Optional[Decimal]``); else the nearest float (for a `Decimal`
        an int when whole; a `Written` where a string is wanted keeps its text, `_number_text`)."""
        branches = [b for b in map(self._resolve, _branches(schema) if isinstance(schema, dict) else [])
                    if isinstance(b, dict)]
        kinds = {b.get("type") for b in branches}
        if {"number", "string"} <= kinds and (
                isinstance(value, Decimal) or any(b.get("format") == "decimal" for b in branches)):
            return str(value) if isinstance(value, Decimal) else value.text
        if branches and "number" not in kinds:
            return value  # (`_union` tries each branch with it)
        if isinstance(value, Written):
            return value if isinstance(schema, dict) and schema.get("type") == "string" else float(value)
        return _nearest(value)

    def _note(self, path: str, kind: str, before: Any, after: Any) -> Any:
        self.changes.append(Coercion(path, kind, before, after))
        return after

    def _resolve(self, schema: Any) -> Any:
        """Follow local ``$ref``s and fold a single-branch ``allOf`` (as pydantic writes them)."""
        for _ in range(32):
            if not isinstance(schema, dict):
                return schema
            if "$ref" in schema and isinstance(schema["$ref"], str) and schema["$ref"].startswith("#"):
                target = _pointer(self.root, schema["$ref"])
                if target is None:
                    return schema
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                schema = {**target, **rest} if rest and isinstance(target, dict) else target
            elif isinstance(schema.get("allOf"), list):
                merged = {k: v for k, v in schema.items() if k != "allOf"}
                for part in schema["allOf"]:
                    part = self._resolve(part)
                    if isinstance(part, dict):
                        merged = {**part, **merged,
                                  "properties": {**part.get("properties", {}), **merged.get("properties", {})},
                                  "required": [*part.get("required", []), *merged.get("required", [])]}
                schema = merged
            else:
                return schema
        return schema

    # -- unions -------------------------------------------------------------------------
    def _union(self, value: Any, branches: list[Any], path: str) -> Any:
        best: tuple[int, Any, Coercer] | None = None
        for branch in branches:
            trial = Coercer(self.root, self.fits, self.extra, defaults=self.defaults)
            try:
                candidate = trial.coerce(value, branch, path)
            except Ambiguous:
                continue
            if not self.fits(candidate, branch):
                continue
            cost = sum(c.kind not in SCHEMA_DIRECTED for c in trial.changes)
            if best is None or cost < best[0]:
                best = (cost, candidate, trial)
            if cost == 0:
                break
        if best is None:
            return _floats(value)
        self.changes.extend(best[2].changes)
        self.extras.extend(best[2].extras)
        return best[1]

    # -- enums ----------------------------------------------------------------------------
    def _enum(self, value: Any, options: list[Any], path: str) -> Any:
        if any(_same(value, o) for o in options):
            return value
        if isinstance(value, list) and len(value) == 1:
            inner = self._enum(value[0], options, path)
            if any(_same(inner, o) for o in options):
                return self._note(path, "unwrap_list", value, inner)
            return value
        texts = [o for o in options if isinstance(o, str)]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            matches = [o for o in texts if o == str(value)]
            return self._note(path, "string_from_number", value, matches[0]) if matches else value
        if not isinstance(value, str):
            return value
        numbers = [o for o in options if isinstance(o, (int, float)) and not isinstance(o, bool)]
        if numbers and not texts:
            parsed = self._number(value, "number", path)
            return parsed if any(_same(parsed, o) for o in numbers) else value
        key = _norm(value)
        exact = [o for o in texts if _norm(o) == key]
        if len(exact) == 1:
            return self._note(path, "enum_case", value, exact[0])
        if len(exact) > 1:
            raise Ambiguous(path, f"{quote(value)} matches several allowed values: {_list(exact)}")
        named = _named_in(value, texts)
        if len(named) == 1:
            if _negated(value, named[0]):
                raise Ambiguous(path, f"{quote(value)} negates {named[0]!r}; answer with exactly one "
                                      "allowed value")
            return self._note(path, "enum_in_text", value, named[0])
        if len(named) > 1:
            raise Ambiguous(path, f"the text names several allowed values ({_list(named)}); "
                                  "answer with exactly one")
        return value

    # -- containers -------------------------------------------------------------------------
    def _object(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        props: dict[str, Any] = schema.get("properties", {})
        required: list[str] = schema.get("required", [])
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            value = self._note(path, "unwrap_list", value, value[0])
        if not isinstance(value, dict):
            if len(required) == 1 and value is not None:
                field = required[0]
                inner = self.coerce(value, props.get(field, True), _join(path, field))
                return self._note(path, "wrap_object", value, {field: inner})
            return value
        out: dict[str, Any] = {}
        lowered = {k.casefold(): k for k in props}
        patterns = schema.get("patternProperties") or {}
        extra_schema = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                out[key] = self.coerce(item, props[key], _join(path, key))
                continue
            known = lowered.get(key.casefold()) if isinstance(key, str) else None
            if known is not None and known not in value and known not in out:
                self._note(_join(path, key), "key_case", key, known)
                out[known] = self.coerce(item, props[known], _join(path, known))
                continue
            pattern = next((s for p, s in patterns.items()
                            if timed_compile(p).search(key)), None)
            if pattern is not None:
                out[key] = self.coerce(item, pattern, _join(path, key))
            elif isinstance(extra_schema, dict) or extra_schema is True:
                out[key] = self.coerce(item, extra_schema, _join(path, key))
            elif not props or self.extra == "keep":
                out[key] = item
            elif self.extra == "drop":
                self._note(_join(path, key), "extra_dropped", item, None)
            else:
                self.extras.append(_join(path, key))
                out[key] = item
        for key, sub in props.items() if self.defaults else ():
            if key in out or key in required:
                continue
            sub = self._resolve(sub)
            if isinstance(sub, dict) and "default" in sub:
                out[key] = self._note(_join(path, key), "default", None, sub["default"])
            elif self.fits(None, sub) and sub not in ({}, True):
                out[key] = self._note(_join(path, key), "default", None, None)
        return out

    def _array(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if value is None:
            return value
        if not isinstance(value, list):
            value = self._note(path, "wrap_list", value, [value])
        prefix: list[Any] = schema.get("prefixItems", [])
        items = schema.get("items", True)
        return [self.coerce(item, prefix[i] if i < len(prefix) else items, f"{path}[{i}]")
                for i, item in enumerate(value)]

    # -- scalars ---------------------------------------------------------------------------
    def _scalar(self, value: Any, kind: str, path: str) -> Any:
        if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], (list, dict)):
            inner = self._scalar(value[0], kind, path)
            if _is_type(inner, kind):
                return self._note(path, "unwrap_list", value, inner)
            return value
        if _is_type(value, kind):
            return value
        if kind in ("number", "integer") and isinstance(value, str):
            return self._number(value, kind, path)
        if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._note(path, "string_from_number", value, _number_text(value))
        if kind == "boolean" and isinstance(value, str):
            word = value.strip().strip(".!").casefold()
            if word in _TRUE or word in _FALSE:
                return self._note(path, "bool_from_string", value, word in _TRUE)
        return value

    def _number(self, text: str, kind: str, path: str) -> Any:
        stripped = text.strip().rstrip(".")
        whole = _NUMBER.fullmatch(stripped, timeout=REGEX_TIMEOUT)
        if whole:
            _refuse_one_group(whole.group(), text, path)
            number, formatted = _to_number(whole.group(), kind)
            if number is not None:
                return self._note(path, "number_format" if formatted else "number_from_string",
                                  text, number)
            return text
        found = list(_NUMBER_IN_TEXT.finditer(text, timeout=REGEX_TIMEOUT))
        if len(found) > 1:
            raise Ambiguous(path, f"expected one {kind}, the text names {len(found)} numbers: "
                                  f"{quote(text)}")
        if not found:
            return text
        match = found[0]
        _refuse_one_group(match.group(), text, path)
        before, after = text[:match.start()], text[match.end():]
        if _NEGATION.search(before, timeout=REGEX_TIMEOUT):
            raise Ambiguous(path, f"{quote(text)} negates the number; answer with one {kind}")
        for ahead, behind, why in _NUMBER_REFUSALS:
            if (ahead and timed_compile(ahead, regex.IGNORECASE).search(before)) or (
                    behind and timed_compile(behind, regex.IGNORECASE).match(after)):
                raise Ambiguous(path, f"the number in {quote(text)} {why}; answer with the {kind} itself")
        number, _ = _to_number(match.group(), kind)
        return text if number is None else self._note(path, "number_in_text", text, number)


def _nearest(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _floats(value: Any) -> Any:
    """``value`` with each `Decimal` in it as `_nearest`, each `Written` as its float (where the
    schema says nothing of it)."""
    if isinstance(value, Decimal):
        return _nearest(value)
    if isinstance(value, Written):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _refuse_one_group(token: str, text: str, path: str) -> None:
    """"1,500" may be 1500 (thousands separator) or 1.5 (decimal comma): refuse to guess."""
    if _ONE_GROUP.fullmatch(token, timeout=REGEX_TIMEOUT):
        raise Ambiguous(path, f"{quote(text)} may use a thousands separator or a decimal comma; "
                              "write the number without separators")


def _branches(schema: dict[str, Any]) -> list[Any]:
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            rest = {k: v for k, v in schema.items() if k != key}
            return [{**rest, **b} if isinstance(b, dict) and rest else b for b in schema[key]]
    if isinstance(schema.get("type"), list):
        return [{**schema, "type": t} for t in schema["type"]]
    return []


def _pointer(root: Any, ref: str) -> Any:
    node = root
    for part in ref.lstrip("#").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return json_type(value) == kind


def _to_number(token: str, kind: str) -> tuple[int | float | None, bool]:
    """(number or None, whether it was written with a currency sign or thousands separators)."""
    formatted = any(c in token for c in _CURRENCY + ",")
    i, negative, signs = 0, False, 0
    while i < len(token) and token[i] in "+-" + _CURRENCY:
        negative ^= token[i] == "-"
        signs += token[i] in "+-"
        i += 1
    if signs > 1:
        return None, formatted
    digits = token[i:].replace(",", "")
    try:
        number: int | float = float(digits)
    except ValueError:
        return None, formatted
    if not math.isfinite(number):
        return None, formatted
    if kind == "integer" or not any(c in digits for c in ".eE"):
        if not number.is_integer():
            return None, formatted
        number = int(digits) if digits.isdigit() else int(number)
    return (-number if negative else number), formatted


def _number_text(value: int | float) -> str:
    if isinstance(value, Written):
        return value.text
    return str(int(value)) if isinstance(value, float) and value.is_integer() and abs(value) < 1e16 else str(value)


def _norm(text: str) -> str:
    return timed_compile(r"[\s_\-]+").sub(" ", text.strip().strip("\"'`.!?*").casefold())


def _named_in(text: str, options: list[str]) -> list[str]:
    """The options named in ``text`` as whole words (case-insensitive; ``_``, ``-`` and spaces
    alike). An option found only inside a longer named option ("progress" in "in progress")
    does not count."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for option in options:
        pattern = _option_pattern(option)
        if pattern is None:
            continue
        found = [m.span() for m in timed_compile(pattern, regex.IGNORECASE).finditer(text)]
        if found:
            spans[option] = found
    named = []
    for option, own in spans.items():
        others = [s for o, ss in spans.items() if o != option for s in ss]
        if any(not any(a <= s and e <= b and (a, b) != (s, e) for a, b in others) for s, e in own):
            named.append(option)
    distinct: dict[str, str] = {}
    for option in named:
        distinct.setdefault(_norm(option), option)
    return list(distinct.values())


def _negated(text: str, option: str) -> bool:
    """Whether a negation ("not", "non-", "isn't"...) stands before ``option`` in ``text``."""
    pattern = _option_pattern(option)
    first = timed_compile(pattern, regex.IGNORECASE).search(text) if pattern else None
    return bool(first and _NEGATION.search(text, 0, first.start(), timeout=REGEX_TIMEOUT))


def _option_pattern(option: str) -> str | None:
    """A pattern for ``option`` as whole words, ``_``, ``-`` and spaces alike (None if empty)."""
    words = [regex.escape(w) for w in _norm(option).split(" ") if w]
    return r"(?<!\w)" + r"[\s_\-]+".join(words) + r"(?!\w)" if words else None


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _list(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)
