"""The ``tool_calls`` guard: checks a model's tool calls before the program runs them.

Tool calls are read from ``ctx.response`` (an OpenAI ChatCompletion or Anthropic message,
object or dict, a bare message, or a list of calls; `providers.tools`, no SDK imported) or,
when there is none, from the checked text when it is JSON carrying ``tool_calls``. Placed
after a ``pii`` output guard it sees the arguments with the originals restored; placed before
it, it sees the placeholders the model wrote (the chain keeps a guard that re-asks before pii).

Each call is checked for: a tool name on the allow-list, arguments that are a JSON object
valid against the tool's JSON Schema (jsonschema), and the tool's policy rules on argument
values (field rules over the parsed arguments, text rules over the raw arguments string), e.g.::

    tools:
      run_sql:
        schema: {type: object, properties: {sql: {type: string}}, required: [sql]}
        rules:
          - {id: no-destructive-sql, kind: field, require: 'sql not matches "(?i)\\b(drop|delete|truncate)\\b"'}
      read_file:
        schema: {type: object, properties: {path: {type: string}}, required: [path]}
        rules:
          - {id: files-under-root, kind: field, require: path under /srv/data}
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import yaml_lines
from ..context import Context
from ..errors import ConfigError, RuleFileError
from ..extras import need
from ..providers.tools import ToolCall, tool_calls
from ..structured.schema import checked_registry
from ..verdict import MISSING, Finding, Verdict
from .policy.engine import Fired, Outcome, Policy
from .policy.guard import verdict
from .policy.loader import load_file, parse_rules
from .policy.models import RuleBase

UNKNOWN_TOOL, BAD_ARGUMENTS, SCHEMA, UNREADABLE = ("tool_calls.unknown_tool", "tool_calls.bad_arguments",
                                                    "tool_calls.schema", "tool_calls.unreadable")


@dataclass(frozen=True)
class _Tool:
    name: str
    validator: Any  # a jsonschema validator, or None
    policy: Policy | None


@dataclass(frozen=True)
class _BuiltinRule:
    """Stands in for a policy rule in findings and verdict meta for the built-in checks."""

    id: str
    message: str
    action: str
    kind: str = "builtin"
    sides: tuple[str, ...] = ("input", "output")


class ToolCallGuard:
    """Allow-list, schema and policy checks on the tool calls in a model answer.

    ``tools`` maps each allowed tool name to ``{schema: <JSON Schema>, rules: [...]}``
    (either may be left out); a list of OpenAI tool definitions (``{"type": "function",
    "function": {"name", "parameters"}}``) is also accepted. ``file`` reads the ``tools:``
    section of a policy file. ``action`` is what the built-in checks (unknown tool, bad
    arguments, schema) ask for; ``fix`` drops the offending call. The verdict's ``value`` is
    the list of calls that may run (``{"id", "name", "arguments"}``) when it can be fixed.
    """

    on_fail_actions = ("block", "fix", "fallback", "log")  # its verdicts name their own action
    sides = ("output",)  # tool calls are in answers

    def __init__(self, tools: dict[str, dict[str, Any]] | list[dict[str, Any]] | None = None,
                 file: str | Path | None = None, *, action: Literal["block", "fix", "fallback", "log"] = "block",
                 name: str = "tool_calls") -> None:
        self.name = name
        self.action = action
        specs: dict[str, tuple[dict[str, Any], str | None, dict[Any, int], tuple[Any, ...]]] = {}
        if file is not None:
            data, lines, path = load_file(file)
            raw = data.get("tools")
            if not isinstance(raw, dict) or not raw:
                raise RuleFileError("the policy file has no 'tools' mapping", file=path, line=1, field="tools")
            specs.update({n: (s, path, lines, ("tools", n)) for n, s in raw.items()})
        for n, s in _tool_specs(tools).items():
            specs[n] = (s, "<tools>", {}, ("tools", n))
        if not specs:
            raise ConfigError("a tool_calls guard needs tools (the allow-list): give tools= or file=")
        self.tools = {n: _build(n, *spec) for n, spec in specs.items()}

    def check(self, text: str, ctx: Context) -> Verdict:
        try:
            calls = (_calls_from(ctx.response) if ctx.response is not None and not isinstance(ctx.response, str)
                     else _calls_from_text(text))
        except ValueError as exc:
            return verdict(Outcome([self._fired(UNREADABLE, str(exc), "tool calls", fixable=False)], []))
        fired: list[Fired] = []
        keep: list[dict[str, Any]] = []
        for call in calls:
            found = self._check_call(call, ctx)
            fired += found
            if all(f.rule.action == "log" for f in found):
                keep.append({"id": call.id, "name": call.name, "arguments": call.arguments})
        out = Outcome(fired, [])
        v = verdict(out)
        meta = {**v.meta, "tool_calls": len(calls)}
        if out.enforced and all(f.fixable for f in out.enforced):
            return v._replace(value=keep, meta=meta,
                              fixed=json.dumps({"tool_calls": [_openai_shape(c) for c in keep]}))
        return v._replace(meta=meta)

    def _check_call(self, call: ToolCall, ctx: Context) -> list[Fired]:
        name, args = call.name or "", call.parsed
        tool = self.tools.get(name)
        if tool is None:
            return [self._fired(UNKNOWN_TOOL, f"tool {name!r} is not allowed", name)]
        if args is MISSING:
            return [self._fired(BAD_ARGUMENTS, f"{name}: arguments are not JSON", name)]
        if not isinstance(args, dict):
            return [self._fired(BAD_ARGUMENTS, f"{name}: arguments must be a JSON object", name)]
        fired = []
        if tool.validator is not None:
            for err in sorted(tool.validator.iter_errors(args), key=lambda e: list(e.path)):
                where = "/".join(map(str, err.path)) or "(root)"
                fired.append(self._fired(SCHEMA, f"{name}: {where}: {err.message}", name))
        if tool.policy is not None:
            out = tool.policy.evaluate(call.arguments, args, ctx)
            for f in out.fired:
                f.findings = [Finding(x.kind, x.start, x.end, x.text, x.score, f"{name}: {x.detail}")
                              for x in f.findings]
                f.fixable = True  # fixing a tool call means not running it
            fired += out.fired
        return fired

    def _fired(self, rule_id: str, detail: str, target: str, *, fixable: bool = True) -> Fired:
        rule = _BuiltinRule(rule_id, detail, self.action)
        return Fired(rule, [Finding(rule_id, 0, 0, target, 1.0, detail)], fixable=fixable)  # type: ignore[arg-type]


def _tool_specs(tools: dict[str, dict[str, Any]] | list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    if tools is None:
        return {}
    if isinstance(tools, dict):
        return tools
    out = {}
    for t in tools:
        fn = t.get("function", t) if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ConfigError(f"not a tool definition (needs function.name): {t!r}")
        out[fn["name"]] = {"schema": fn.get("parameters"), **({"rules": t["rules"]} if "rules" in t else {})}
    return out


def _build(name: str, spec: Any, file: str | None, lines: dict[Any, int], at: tuple[Any, ...]) -> _Tool:
    def error(msg: str, key: tuple[Any, ...] = ()) -> RuleFileError:
        return RuleFileError(f"tool {name!r}: {msg}", file=file, line=yaml_lines.line_of(lines, at + key),
                             field=yaml_lines.field_name(at + key))

    if spec is None:
        spec = {}
    if not isinstance(spec, dict) or set(spec) - {"schema", "rules", "description"}:
        raise error("a tool is a mapping with 'schema' and/or 'rules'")
    validator = None
    if spec.get("schema") is not None:
        jsonschema = need("jsonschema", "json", "the tool_calls guard")
        schema = spec["schema"]
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise error(f"invalid JSON Schema: {exc.message}", ("schema",)) from exc
        try:  # every $ref resolved now, nothing ever fetched; every format named has a checker
            registry = checked_registry(schema, formats=True)
        except ConfigError as exc:
            raise error(str(exc), ("schema",)) from exc
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER, registry=registry)
    rules: list[RuleBase] = parse_rules(spec.get("rules"), file=file, lines=lines, at=at + ("rules",))
    return _Tool(name, validator, Policy(rules) if rules else None)


def _calls_from(response: Any) -> list[ToolCall]:
    """Tool calls of every choice of a ChatCompletion, of an Anthropic message (objects or
    dicts), of a bare message, or a list of calls."""
    calls = tool_calls(response)
    for call in calls:
        if call.name is None:
            raise ValueError(f"tool call {call.index} has no function name")
    return calls


def _calls_from_text(text: str) -> list[ToolCall]:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        if "tool_calls" in text:
            raise ValueError("the text mentions tool_calls but is not JSON")
        return []
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        if "tool_calls" in text:
            raise ValueError(f"tool_calls JSON does not parse: {exc}") from exc
        return []
    if isinstance(data, dict) and not ("tool_calls" in data or "choices" in data):
        return []
    return _calls_from(data)


def _openai_shape(call: dict[str, Any]) -> dict[str, Any]:
    return {"id": call["id"], "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]}}
