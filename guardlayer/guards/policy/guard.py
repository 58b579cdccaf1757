"""The ``policy`` guard: business rules from YAML (or Python) enforced on input, output text
and the value an earlier output guard parsed."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, RootModel, ValidationError

from ...context import Context
from ...errors import ConfigError
from ...secrets import open_key_block
from ...structured.extract import dumps
from ...verdict import MISSING, Verdict
from ..json_output import dump, json_data
from .engine import Outcome, Policy
from .loader import load_file, parse_rules
from .models import RuleBase, SecretsRule


class PolicyGuard:
    """Rules from policy files and/or inline rule mappings, in that order.

    The verdict passes when no rule fires, or when only ``log`` rules fire (their findings are
    kept). Otherwise it fails with one finding per match (``kind`` = rule id);
    ``meta["actions"]`` maps each fired rule to its action and ``meta["action"]`` is the
    strongest (block > fallback > fix > log). ``fixed`` (and ``value`` for a parsed value) is
    set when every enforced rule that fired can be fixed. Field rules need a parsed value
    (``ctx.value``, or the text itself when it is JSON); without one they are skipped and
    listed in ``meta["skipped"]``. Text rules also judge the parsed value's strings where the
    text shows them only escaped (see `Policy.evaluate`); a value read from the text just for
    that is not handed on (the fix is its JSON text). A pydantic instance is read as its JSON
    (fields by alias), and a fixed one is handed back as an instance of its model, whatever
    its aliases. A fix of an answer with a parsed value stands only when the value handed on
    passes every rule (a number, a key or a length the text rules fixed in the text alone, a
    default the model puts back, a computed field: no fix).
    """

    on_fail_actions = ("block", "fix", "fallback", "log")  # its verdicts name their own action

    def __init__(self, file: str | Path | list[str | Path] | None = None,
                 rules: list[dict[str, Any]] | None = None, *, name: str = "policy") -> None:
        files = [file] if isinstance(file, (str, Path)) else list(file or [])
        loaded: list[RuleBase] = []
        for f in files:
            data, lines, path = load_file(f)
            loaded += parse_rules(data.get("rules"), file=path, lines=lines)
        loaded += parse_rules(rules)  # no file: errors name the field only
        ids = [r.id for r in loaded]
        dup = next((i for i in ids if ids.count(i) > 1), None)
        if dup is not None:
            raise ConfigError(f"rule id {dup!r} is defined twice across the policy files and rules")
        if not loaded:
            raise ConfigError("a policy guard needs rules: give file= or rules=")
        self.name = name
        self.policy = Policy(loaded)

    @property
    def rules(self) -> tuple[RuleBase, ...]:
        return self.policy.rules

    holdback = 128
    """Characters a streamed answer is held back, so a phrase split across chunks is judged
    whole (required content and field rules wait for the end of the answer)."""

    def safe_boundary(self, text: str) -> int:
        """Where a streamed prefix may be cut: with a ``secrets`` rule, never inside a private-key
        block whose END line has not arrived yet."""
        if any(isinstance(rule, SecretsRule) for rule in self.rules):
            return open_key_block(text)
        return len(text)

    def check(self, text: str, ctx: Context) -> Verdict:
        value = json_data(ctx.value)
        fields = self.policy.has_fields
        read = value is MISSING and (fields or (self.policy.judges_strings and "\\" in text))
        if read:
            value = _json_value(text)
        out = self.policy.evaluate(text, value, ctx)
        if read and not fields:
            out.fixed_value = MISSING  # read only for its strings: the answer stays a text
        elif out.fixed_text is not None and (ctx.value is not MISSING or out.fixed_value is not MISSING):
            self._settle(out, text, value, ctx)
        return verdict(out)

    def _settle(self, out: Outcome, text: str, value: Any, ctx: Context) -> None:
        """Keep a fix only when the value handed on passes every rule: the fixed value, or, when
        only the text could be fixed (a number, a key, a length, an appended phrase), the value
        as it was, which still holds what the rules found (except for a tool call's arguments,
        which the chain reads again from their fixed text)."""
        given, fixed = ctx.value, out.fixed_value
        if fixed is MISSING and ctx.source == "tool_call":
            return
        if fixed is MISSING:
            handed, data = given, value
        elif isinstance(given, BaseModel):
            handed = self._refixed(given, text, value, fixed, ctx)
            data = json_data(handed)
        else:
            handed = data = fixed
        if handed is MISSING or self.policy.evaluate(dump(handed), data, ctx).enforced:
            out.fixed_text, out.fixed_value = None, MISSING
        elif fixed is not MISSING:
            out.fixed_text, out.fixed_value = dump(handed), handed

    def _refixed(self, given: BaseModel, text: str, value: Any, fixed: Any, ctx: Context) -> Any:
        """``fixed``, the fix of ``given``'s JSON (``value``), as an instance of its model, or
        MISSING when the model refuses it (a required field dropped). It is read by field name,
        since a model validates no serialization alias: when a key is not its field's name, the
        fix is made again on JSON whose keys remember their fields (a walk of the value: only
        when fixing)."""
        keyed = _annotated(given, value, given.model_dump(mode="json"))
        if _has_key(keyed):
            fixed = self.policy.evaluate(text, keyed, ctx).fixed_value
        if fixed is MISSING:
            return MISSING
        try:
            return type(given).model_validate_json(dumps(_by_name(fixed)), by_alias=False, by_name=True)
        except ValidationError:
            return MISSING


class _Key(str):
    """A key of a pydantic instance's JSON that names another field (``field``; None for a
    computed field, which the model computes again): it stays on the key through a fix, so
    the fixed JSON can be read back by field name whatever the aliases."""

    field: str | None

    def __new__(cls, key: str, field: str | None) -> Self:
        self = super().__new__(cls, key)
        self.field = field
        return self


def _annotated(given: Any, data: Any, names: Any) -> Any:
    """``data`` (a JSON dump of ``given`` by alias) with each key that is not its field's name,
    or is a computed field's, as a `_Key`; ``names`` is the same dump by field name (the same
    shape, keys in the same order)."""
    if isinstance(given, RootModel):
        given = given.root
    if isinstance(data, dict):
        if not isinstance(names, dict) or len(names) != len(data):
            return data
        computed = getattr(type(given), "__pydantic_computed_fields__", None) or {}
        parts = (list(given.values()) if isinstance(given, dict) and len(given) == len(data)
                 else [getattr(given, n, None) for n in names])
        return {(_Key(k, None if n in computed else n) if k != n or n in computed else k):
                _annotated(part, v, names[n]) for (k, v), n, part in zip(data.items(), names, parts)}
    if isinstance(data, list) and isinstance(names, list) and len(data) == len(names):
        parts = (list(given) if isinstance(given, (list, tuple, set, frozenset)) and len(given) == len(data)
                 else [None] * len(data))
        return [_annotated(part, v, n) for part, v, n in zip(parts, data, names)]
    return data


def _has_key(value: Any) -> bool:
    """Whether a value annotated by `_annotated` has a `_Key`."""
    if isinstance(value, dict):
        return any(isinstance(k, _Key) or _has_key(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_key(v) for v in value)


def _by_name(value: Any) -> Any:
    """A value annotated by `_annotated` (and fixed) keyed by field names, computed fields left
    out, a `Decimal` as its text (pydantic reads a JSON number into a Decimal through a float)."""
    if isinstance(value, dict):
        return {k.field if isinstance(k, _Key) else k: _by_name(v) for k, v in value.items()
                if not isinstance(k, _Key) or k.field is not None}
    if isinstance(value, list):
        return [_by_name(v) for v in value]
    return str(value) if isinstance(value, Decimal) else value


def _json_value(text: str) -> Any:
    """The text as JSON when it is a JSON object or array, else MISSING."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return MISSING
    try:
        return json.loads(stripped)
    except ValueError:
        return MISSING


def verdict(out: Outcome) -> Verdict:
    """The verdict for an evaluation (shared with the tool_calls guard)."""
    findings = [x for f in out.fired for x in f.findings]
    meta: dict[str, Any] = {"actions": {f.rule.id: f.rule.action for f in out.fired}}
    if out.action:
        meta["action"] = out.action
    if out.skipped:
        meta["skipped"] = out.skipped
    if not out.enforced:
        reason = "; ".join(f"{f.rule.id}: {f.message} (logged)" for f in out.fired)
        return Verdict.ok(findings=findings, reason=reason, meta=meta,
                          score=max((x.score for x in findings), default=0.0))
    reason = "; ".join(f"{f.rule.id}: {f.message}" for f in out.enforced)
    return Verdict.fail(reason, findings=findings, fixed=out.fixed_text, value=out.fixed_value,
                        meta=meta)
