"""A small typed condition language over JSON paths (no ``eval``).

Written in rule files as strings or mappings, parsed once at load::

    refund.amount <= order.total        # path vs path (a bare name on the right is a path)
    discount <= 20                      # numbers, "quoted strings", [lists], true/false/null
    status in [open, pending]           # in / not in
    price absent                        # exists / absent (null counts as absent)
    sku matches '^[A-Z]{3}-\\d+$'        # regex search (also on the folded text)
    file under /srv/data                # a filesystem path kept under a root
    {region: EU}  {price: absent}  {status: [a, b]}  {discount: {le: 20}}
    {total: {ge: {ref: order.subtotal}}}  {any: [...]}  {all: [...]}  {not: ...}

A comparison on a path that is absent is false: ``require: [discount <= 20]`` fires when
``discount`` is missing; write ``{any: [discount absent, discount <= 20]}`` for optional fields.
Types are not coerced: ``"20" <= 50`` is false. What can only be a typo fails at load: ``<``,
``<=``, ``>``, ``>=`` against unquoted words, a doubled operator (``>== 100``), a second condition
joined in words (``a > 1 and a < 9``: write a list).
"""
from __future__ import annotations

import json
import operator
import posixpath
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator, Union

import regex
import yaml

from ...guard import REGEX_TIMEOUT
from ...normalize import fold
from ...regex_lint import backtracking_error
from ...structured.extract import dumps
from ...timed_regex import timed_compile
from .paths import JsonPath

OPS = {"==": "eq", "=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
       "in": "in", "not in": "not_in", "matches": "matches", "not matches": "not_matches",
       "under": "under", "exists": "exists", "absent": "absent", "is absent": "absent",
       "is present": "exists"}
SYMBOL = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in",
          "not_in": "not in", "matches": "matches", "not_matches": "not matches",
          "under": "under", "exists": "exists", "absent": "absent"}
UNARY = {"exists", "absent"}
_EXPR = timed_compile(
    r"^\s*(?P<path>[^\s]+)\s+(?P<op>==|!=|<=|>=|=|<|>|not\s+in\b|in\b|not\s+matches\b|matches\b"
    r"|under\b|exists\b|absent\b|is\s+absent\b|is\s+present\b)\s*(?P<rest>.*?)\s*$", regex.DOTALL)
_BARE_PATH = timed_compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[(?:-?\d+|\*)\])*")
_DRIVE = timed_compile(r"[A-Za-z]:")
_LITERAL_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "none", "~"}
_NUMBER = timed_compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_CODE = timed_compile(r"[-+]?0\d+|\d+(?::\d+)+(?:\.\d*)?")
"""Kept as written, not read by YAML 1.1: a code with its zeros ("02139", "007": a ZIP, a SKU;
octal to YAML) and a time of day or a duration ("1:30", "12:00:05"; base 60 to YAML)."""
_JOINED = timed_compile(r"\s(?:and|or|&&|\|\|)\s+(?P<next>.+)", regex.IGNORECASE | regex.DOTALL)


def _number(v: Any) -> bool:
    """An int or a float, or a finite `Decimal` (a number read exactly: 5000.000000000000000001)."""
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or (isinstance(v, Decimal) and v.is_finite())


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps bools apart from numbers (``True != 1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


_ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def _order(op: str, a: Any, b: Any) -> bool:
    if not ((_number(a) and _number(b)) or (isinstance(a, str) and isinstance(b, str))):
        return False
    return bool(_ORDER[op](a, b))


def path_under(value: Any, root: str) -> bool:
    """True when ``value`` names a path inside ``root`` once ``..``, ``.``, doubled and back
    slashes are resolved; relative paths count from ``root``. (No symlink resolution: the
    filesystem is not consulted.)"""
    if not isinstance(value, str) or not value or "\x00" in value or value.startswith("~"):
        return False
    text = value.replace("\\", "/")
    if _DRIVE.match(text, timeout=REGEX_TIMEOUT) or text.startswith("file:"):
        return False
    base = posixpath.normpath(root.replace("\\", "/"))
    full = posixpath.normpath(posixpath.join(base, text))
    return full == base or full.startswith(base.rstrip("/") + "/")


@dataclass(frozen=True)
class Compare:
    """``path op operand``; ``ref`` is a path operand (``a <= b``)."""

    path: JsonPath
    op: str
    value: Any = None
    ref: JsonPath | None = None
    pattern: Any = field(default=None, compare=False, repr=False)

    key: tuple[str, str, str, str | None] = field(init=False, compare=False, repr=False)
    """Equal for comparisons that always give the same answer (a memo key)."""

    def __post_init__(self) -> None:
        operand = json.dumps(self.value, sort_keys=True, default=repr)
        object.__setattr__(self, "key", (self.path.text, self.op, operand,
                                         None if self.ref is None else self.ref.text))

    def holds(self, data: Any, memo: dict[Any, bool] | None = None) -> bool:
        """Whether the comparison holds on ``data``; ``memo`` (one per ``data``) shares the
        answer between equal comparisons of several rules."""
        if memo is None:
            return self._holds(data)
        key = self.key
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._holds(data)
        return hit

    def _holds(self, data: Any) -> bool:
        found = self.path.values(data)
        if self.op == "exists":
            return bool(found)
        if self.op == "absent":
            return not found
        if not found:
            return False
        other = self.value
        if self.ref is not None:
            refs = self.ref.values(data)
            if len(refs) != 1:
                return False
            other = refs[0]
        if len(found) == 1:
            return self._one(found[0], other)
        return all(self._one(v, other) for v in found)

    def _one(self, v: Any, other: Any) -> bool:
        op = self.op
        if op in _ORDER:
            return _order(op, v, other)
        if op == "eq":
            return _same(v, other)
        if op == "ne":
            return not _same(v, other)
        if op in ("in", "not_in"):
            inside = isinstance(other, list) and any(_same(v, o) for o in other)
            return inside if op == "in" else not inside
        if op in ("matches", "not_matches"):
            text = v if isinstance(v, str) else dumps(v)
            hit = any(self.pattern.search(t, timeout=REGEX_TIMEOUT) for t in (text, fold(text).text))
            return hit if op == "matches" else not hit
        return path_under(v, other)  # "under"

    def paths(self) -> Iterator[JsonPath]:
        yield self.path

    def __str__(self) -> str:
        if self.op in UNARY:
            return f"{self.path} {self.op}"
        rhs = str(self.ref) if self.ref is not None else json.dumps(self.value, ensure_ascii=False)
        return f"{self.path} {SYMBOL[self.op]} {rhs}"


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]

    def holds(self, data: Any, memo: dict[Any, bool] | None = None) -> bool:
        return all(c.holds(data, memo) for c in self.items)

    def paths(self) -> Iterator[JsonPath]:
        for c in self.items:
            yield from c.paths()

    def __str__(self) -> str:
        return " and ".join(f"({c})" for c in self.items)


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]

    def holds(self, data: Any, memo: dict[Any, bool] | None = None) -> bool:
        return any(c.holds(data, memo) for c in self.items)

    def paths(self) -> Iterator[JsonPath]:
        for c in self.items:
            yield from c.paths()

    def __str__(self) -> str:
        return " or ".join(f"({c})" for c in self.items)


@dataclass(frozen=True)
class Not:
    item: Condition

    def holds(self, data: Any, memo: dict[Any, bool] | None = None) -> bool:
        return not self.item.holds(data, memo)

    def paths(self) -> Iterator[JsonPath]:
        yield from self.item.paths()

    def __str__(self) -> str:
        return f"not ({self.item})"


Condition = Union[Compare, AllOf, AnyOf, Not]


def compare(path: str, op: str, value: Any = None, ref: str | None = None) -> Compare:
    """Build and check one comparison; raises ``ValueError`` with a readable message."""
    if op not in SYMBOL:
        raise ValueError(f"unknown operator {op!r}; use one of {', '.join(sorted(SYMBOL))}")
    jp, rp = JsonPath.parse(path), JsonPath.parse(ref) if ref is not None else None
    pattern = None
    if op in ("in", "not_in") and (rp is not None or not isinstance(value, list)):
        raise ValueError(f"{path} {SYMBOL[op]}: needs a list, got {value!r}")
    if op in ("matches", "not_matches", "under") and not isinstance(value, str):
        raise ValueError(f"{path} {SYMBOL[op]}: needs a string, got {value!r}")
    if op in ("matches", "not_matches"):
        try:
            pattern = timed_compile(value, regex.VERSION1)
        except regex.error as exc:
            raise ValueError(f"{path} {SYMBOL[op]}: bad regex {value!r}: {exc}") from exc
        if slow := backtracking_error(value, regex.VERSION1):
            raise ValueError(f"{path} {SYMBOL[op]} {value!r}: {slow}")
    if op in ("lt", "le", "gt", "ge") and rp is None and not (_number(value) or isinstance(value, str)):
        raise ValueError(f"{path} {SYMBOL[op]}: needs a number, a string or a path, got {value!r}")
    return Compare(jp, op, value, rp, pattern)


def _operand(op: str, rest: str) -> tuple[Any, str | None]:
    if op in ("matches", "not_matches", "under"):
        if len(rest) >= 2 and rest[0] == rest[-1] and rest[0] in "'\"":
            return rest[1:-1], None
        return rest, None
    if _BARE_PATH.fullmatch(rest, timeout=REGEX_TIMEOUT) and rest.lower() not in _LITERAL_WORDS:
        return None, rest
    if _CODE.fullmatch(rest, timeout=REGEX_TIMEOUT):  # before YAML, which reads 02137 as octal, 1:30 as 90
        return rest, None
    try:
        value = yaml.safe_load(rest)
    except yaml.YAMLError as exc:
        raise ValueError(f"cannot read the operand {rest!r}") from exc
    if isinstance(value, str) and rest[0] not in "'\"":
        return _unquoted(op, rest, value), None
    return value, None


def _unquoted(op: str, rest: str, value: str) -> Any:
    """An operand written as an unquoted string: a number YAML leaves as text (``1e3``; not a
    code with leading zeros, ``02139``, which stays text), else an
    error when it can only be a typo (an ordering against words, a doubled operator, a second
    condition joined by ``and``), else the string."""
    if _NUMBER.fullmatch(rest, timeout=REGEX_TIMEOUT):
        return float(rest)
    if rest[0] in "=<>!":
        raise ValueError(f"{SYMBOL[op]} {rest!r}: a misspelt operator? use one of ==, !=, <, <=, >, >=")
    joined = _JOINED.search(rest, timeout=REGEX_TIMEOUT)
    if joined is not None and _EXPR.match(joined.group("next"), timeout=REGEX_TIMEOUT):
        raise ValueError(f"{SYMBOL[op]} {rest!r}: one condition per string; join conditions with a "
                         "list (all of them) or {any: [...]}, or quote a string value")
    if op in _ORDER:
        raise ValueError(f"{SYMBOL[op]} {rest!r}: not a number, a path or a quoted string "
                         "(quote a string to compare text)")
    return value


def parse_expression(text: str) -> Compare:
    """``"refund.amount <= order.total"`` -> `Compare`."""
    m = _EXPR.match(text, timeout=REGEX_TIMEOUT)
    if m is None:
        raise ValueError(f"cannot read condition {text!r}; expected '<path> <op> <value>' "
                         f"with op one of {', '.join(sorted(set(OPS)))}")
    op = OPS[" ".join(m.group("op").split())]
    rest = m.group("rest")
    if op in UNARY:
        if rest:
            raise ValueError(f"condition {text!r}: nothing may follow {op!r}")
        return compare(m.group("path"), op)
    if not rest:
        raise ValueError(f"condition {text!r}: missing a value after {m.group('op')!r}")
    value, ref = _operand(op, rest)
    return compare(m.group("path"), op, value, ref)


def _from_spec(path: str, spec: Any) -> Condition:
    """One ``path: spec`` entry of a mapping condition."""
    if isinstance(spec, str) and spec in ("absent", "exists", "present"):
        return compare(path, "exists" if spec == "present" else spec)
    if isinstance(spec, list):
        return compare(path, "in", spec)
    if isinstance(spec, dict):
        items: list[Condition] = []
        for op, operand in spec.items():
            op = OPS.get(op, op)
            if op in UNARY:
                if operand is not True:
                    raise ValueError(f"{path}: write '{op}: true'")
                items.append(compare(path, op))
            elif isinstance(operand, dict):
                if set(operand) != {"ref"}:
                    raise ValueError(f"{path} {op}: a mapping operand must be {{ref: <path>}}")
                items.append(compare(path, op, ref=operand["ref"]))
            else:
                items.append(compare(path, op, operand))
        if not items:
            raise ValueError(f"{path}: empty condition")
        return items[0] if len(items) == 1 else AllOf(tuple(items))
    return compare(path, "eq", spec)


def parse_condition(raw: Any) -> Condition:
    """A condition from its rule-file form: a string, a mapping, or a list (all of them)."""
    if isinstance(raw, (Compare, AllOf, AnyOf, Not)):
        return raw
    if isinstance(raw, str):
        return parse_expression(raw)
    if isinstance(raw, list):
        if not raw:
            raise ValueError("empty list of conditions")
        items = tuple(parse_condition(r) for r in raw)
        return items[0] if len(items) == 1 else AllOf(items)
    if isinstance(raw, dict):
        if not raw:
            raise ValueError("empty condition")
        items_l: list[Condition] = []
        for key, spec in raw.items():
            if key in ("all", "any"):
                if not isinstance(spec, list) or not spec:
                    raise ValueError(f"'{key}' needs a non-empty list of conditions")
                parts = tuple(parse_condition(s) for s in spec)
                items_l.append(AllOf(parts) if key == "all" else AnyOf(parts))
            elif key == "not":
                items_l.append(Not(parse_condition(spec)))
            else:
                items_l.append(_from_spec(str(key), spec))
        return items_l[0] if len(items_l) == 1 else AllOf(tuple(items_l))
    raise ValueError(f"a condition is a string, a mapping or a list, not {type(raw).__name__}")
