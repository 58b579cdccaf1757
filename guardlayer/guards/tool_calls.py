"""The ``tool_calls`` guard: checks a model's tool calls before the program runs them.

Tool calls are read from ``ctx.response`` (an OpenAI ChatCompletion or Anthropic message,
object or dict, a bare message, or a list of calls; `providers.tools`, no SDK imported). When
it carries none (a provider answer of text, a streamed answer, a function returning a str),
the answer text is read as calls only in the shapes that mean calls (``text_calls``):

- ``"marked"`` (the default): the whole answer is a JSON object that holds calls by name:
  ``{"tool_calls": [...]}`` (an OpenAI message, or this guard's own fix), a chat completion
  (``choices[].message.tool_calls``) or ``function_call``, an Anthropic message (``content``
  blocks of type ``tool_use``). Any other answer, a JSON list or an object with a ``name``
  key included, is an answer, not calls. Such an object whose JSON does not parse is unreadable.
- ``"protocol"``: for a prompt-only tool protocol, where the model calls a tool by writing it:
  also every JSON value in the text (whole, fenced, between tags or prose, repaired as the
  ``json`` guard repairs it) that is a call object, ``{"name", "arguments" | "parameters" |
  "input"}`` or ``{"function": {...}}``, or a list of them. Use it only where such JSON is
  always a call: ``{"name": "Bob", "arguments": [...]}`` is then a call to ``Bob``.
- ``"never"``: the text is never read as calls.

Placed after a ``pii`` output guard it sees the arguments with the originals restored; placed
before it, it sees the placeholders the model wrote (the chain keeps a guard that re-asks before pii).

Each call is checked for: a tool name on the allow-list, arguments that are a JSON object
valid against the tool's JSON Schema (jsonschema), and the tool's policy rules on argument
values (field rules over the parsed arguments, text rules over the raw arguments string), e.g.
(a pattern on SQL is a tripwire, not a permission: run such a tool under a read-only database
role; a list of bad words alone misses ``UPDATE``, ``/*!50000DROP*/``, ``EXEC('DR'+'OP ...')``)::

    tools:
      run_sql:
        schema: {type: object, properties: {sql: {type: string}}, required: [sql]}
        rules:  # one SELECT statement, and none of the words that write
          - {id: one-select, kind: field, require: 'sql matches "(?i)^\\s*select\\b[^;]*(;\\s*)?$"'}
          - {id: no-writes, kind: field, require: 'sql not matches
              "(?i)(?<![a-z])(drop|delete|truncate|update|insert|alter|grant|into|exec|execute|copy)(?![a-z])"'}
      read_file:
        schema: {type: object, properties: {path: {type: string}}, required: [path]}
        rules:
          - {id: files-under-root, kind: field, require: path under /srv/data}
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from .. import yaml_lines
from ..context import Context
from ..errors import ConfigError, RuleFileError
from ..extras import need
from ..providers.tools import ToolCall, tool_calls
from ..structured.extract import candidates, dumps
from ..structured.repair import Unreadable, plain
from ..structured.schema import checked_registry
from ..verdict import MISSING, Finding, Verdict
from .policy.engine import Fired, Outcome, Policy
from .policy.guard import verdict
from .policy.loader import load_file, parse_rules
from .policy.models import RuleBase

UNKNOWN_TOOL, BAD_ARGUMENTS, SCHEMA, UNREADABLE = ("tool_calls.unknown_tool", "tool_calls.bad_arguments",
                                                    "tool_calls.schema", "tool_calls.unreadable")
TextCalls = Literal["marked", "protocol", "never"]
_MARKS = ("tool_calls", "function_call", "tool_use")  # keys naming calls (quoted or not: a lenient reader)
_ARGUMENT_KEYS = ("arguments", "parameters", "input")  # where a call written as text keeps them


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
    ``text_calls`` says when an answer without provider calls is read as calls (see the module:
    ``marked`` by default, ``protocol`` for calls the model writes as JSON, or ``never``).
    """

    on_fail_actions = ("block", "fix", "fallback", "log")  # its verdicts name their own action
    sides = ("output",)  # tool calls are in answers

    def __init__(self, tools: dict[str, dict[str, Any]] | list[dict[str, Any]] | None = None,
                 file: str | Path | None = None, *, action: Literal["block", "fix", "fallback", "log"] = "block",
                 text_calls: TextCalls = "marked", name: str = "tool_calls") -> None:
        if text_calls not in ("marked", "protocol", "never"):
            raise ConfigError(f"text_calls is 'marked', 'protocol' or 'never', not {text_calls!r}")
        self.name = name
        self.action = action
        self.text_calls = text_calls
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
            calls = [] if ctx.response is None or isinstance(ctx.response, str) else _calls_from(ctx.response)
            if not calls and self.text_calls != "never":
                calls = _protocol_calls(text) if self.text_calls == "protocol" else _marked_calls(text)
        except (ValueError, RecursionError, Unreadable) as exc:
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


def _marked_calls(text: str) -> list[ToolCall]:
    """The calls of an answer that is a JSON object holding them by name ([] for any other
    answer). Raises ValueError when such an object does not parse."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return []
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError) as exc:
        if any(mark in stripped for mark in _MARKS):
            raise ValueError(f"the answer names tool calls but its JSON does not parse: {exc}") from exc
        return []
    return _calls_from(data) if _marked(data) else []


def _marked(data: Any) -> bool:
    """Does ``data`` hold tool calls by name: an OpenAI message or chat completion, an
    Anthropic message? Raises ValueError on ``tool_calls`` that is not a list."""
    if not isinstance(data, dict):
        return False
    if data.get("tool_calls") is not None and not isinstance(data["tool_calls"], list):
        raise ValueError("the answer's tool_calls is not a list")
    content = data.get("content")
    return (any(key in data for key in ("tool_calls", "function_call", "choices"))
            or (isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_use"
                                                  for b in content)))


def _protocol_calls(text: str) -> list[ToolCall]:
    """The calls written as JSON anywhere in ``text``: objects holding calls by name, call
    objects, lists of call objects. Raises ValueError on a list mixing calls and other values."""
    calls: list[ToolCall] = []
    for found in candidates(text):
        value = plain(found.value)
        calls += _calls_from(value) if _marked(value) else _calls_from([_call_dict(v) for v in _call_objects(value)])
    return [replace(call, index=i) for i, call in enumerate(calls)]


def _call_objects(value: Any) -> list[dict[str, Any]]:
    """The call objects ``value`` is (itself, or a list's items); [] when it is not calls."""
    items = value if isinstance(value, list) else [value]
    calls = [item for item in items if _is_call(item)]
    if calls and len(calls) != len(items):
        raise ValueError("a JSON list mixes tool calls and other values")
    return calls


def _is_call(item: Any) -> bool:
    fn = item.get("function", item) if isinstance(item, dict) else None
    return isinstance(fn, dict) and "name" in fn and any(key in fn for key in _ARGUMENT_KEYS)


def _call_dict(item: dict[str, Any]) -> dict[str, Any]:
    """A call object written as text, as an OpenAI call (its arguments as JSON text)."""
    fn = item.get("function", item)
    args = next(fn[key] for key in _ARGUMENT_KEYS if key in fn)
    text = args if args is None or isinstance(args, str) else dumps(args)
    return {"id": item.get("id"), "type": "function", "function": {"name": fn["name"], "arguments": text}}


def _openai_shape(call: dict[str, Any]) -> dict[str, Any]:
    return {"id": call["id"], "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]}}
