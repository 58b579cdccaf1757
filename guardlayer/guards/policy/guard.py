"""The ``policy`` guard: business rules from YAML (or Python) enforced on input, output text
and the value an earlier output guard parsed."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ...context import Context
from ...errors import ConfigError
from ...verdict import MISSING, Verdict
from ..json_output import json_data
from .engine import Outcome, Policy
from .loader import load_file, parse_rules
from .models import RuleBase


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
    (fields by alias), and a fixed one is handed back as an instance of its model (no fix when
    the model refuses it).
    """

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

    def check(self, text: str, ctx: Context) -> Verdict:
        value = json_data(ctx.value)
        fields = self.policy.has_fields
        read = value is MISSING and (fields or (self.policy.judges_strings and "\\" in text))
        if read:
            value = _json_value(text)
        out = self.policy.evaluate(text, value, ctx)
        if read and not fields:
            out.fixed_value = MISSING  # read only for its strings: the answer stays a text
        elif isinstance(ctx.value, BaseModel) and out.fixed_value is not MISSING:
            _as_model(out, type(ctx.value))
        return verdict(out)


def _as_model(out: Outcome, model: type[BaseModel]) -> None:
    """Turn a fixed value back into an instance of ``model``, or, when the model refuses it
    (a required field dropped), withdraw the fix."""
    try:
        out.fixed_value = model.model_validate_json(json.dumps(out.fixed_value))
    except ValidationError:
        out.fixed_text, out.fixed_value = None, MISSING


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
