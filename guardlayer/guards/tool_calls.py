"""The ``tool_calls`` guard: checks a model's tool calls before the program runs them.

Tool calls are read from ``ctx.response`` (an OpenAI ChatCompletion or Anthropic message,
object or dict, a bare message, one in a ``message`` envelope (Ollama, Cohere), a LangChain
``AIMessage``, or a list of calls; `providers.tools`, no SDK imported, is the one reader of
these shapes, in a response and in JSON a text holds alike). LangChain's ``invalid_tool_calls``
(arguments its parser could not read as an object) are calls with unreadable arguments: refused,
as a program may still repair and run them. A provider's response (a stream of provider chunks
too: `stream` hands it over as a chat completion) says in its structure which calls it makes:
its text is an answer (an API example a coding assistant quotes included), read as calls only
in ``"protocol"`` mode. An
answer that is a plain str (a function returning text, a stream of str chunks) has no such
structure: its text is read as calls in the shapes that mean calls (``text_calls``), in every
JSON value of the text: the whole answer, fenced, after a line of prose or an invisible
character, before or after a fence (as the ``json`` guard finds them, and also outside the
fences, which that guard then skips):

- ``"marked"`` (the default; str answers only): a JSON object that holds calls by name: ``{"tool_calls": [...]}``
  (an OpenAI message, or this guard's own fix), ``invalid_tool_calls``, a chat completion
  (``choices[].message.tool_calls``), a message in a ``message`` envelope (whose ``message`` is
  an object holding calls), ``function_call``, an Anthropic message (``content`` blocks of
  type ``tool_use``); and an
  OpenAI call object (``{"type": "function", "function": {"name", "arguments"}}``) or a list of
  them. Any other value, a JSON list, an object with a ``name`` key or whose ``tool_calls`` is a
  number or a bool (a count, a flag) included, is an answer, not calls. Such an object whose JSON
  had to be repaired (a program's reader may read it otherwise), or does not parse, is unreadable.
  A str answer that is an example of an API message (the user asked how tool calls look) is
  checked as calls too: it fails closed (unknown tool); return the provider's response instead.
- ``"protocol"``: for a prompt-only tool protocol, where the model calls a tool by writing it
  (whatever the response's shape: a provider's text answer is the usual case; a program that
  reads calls out of a provider's text needs it too): the marked values and
  also every JSON value in the text (repaired as the ``json`` guard repairs it) that is a call
  object, ``{"name", "arguments" | "parameters" | "input" | "args"}`` or ``{"function": {...}}``,
  or a list of them. Use it only where such JSON is always a call: ``{"name": "Bob",
  "arguments": [...]}`` is then a call to ``Bob``. A call object that reads two ways (two of those argument keys; a
  ``function`` beside a name or arguments of its own) is unreadable. Calls nested in another
  value are not read: ``{"action": {"name", "arguments"}}``, ``{"calls": [...]}``, LangChain's
  ReAct ``{"action", "action_input"}`` (whose final answer is ``"action": "Final Answer"``) and
  ``{"tool", "tool_input"}``: a program that runs those reads them with its own parser; give this
  guard the calls that parser reads (OpenAI call objects, as ``Context.response``).
- ``"never"``: the text is never read as calls.

Calls both in ``choices`` and beside them (``tool_calls``, ``function_call``, ``tool_use``
blocks, a ``message``), and calls in a ``message`` that is not read (the object has text or calls
of its own, read as its answer) are unreadable, in a text and in a response alike: a reader of
one misses the other. So is JSON holding calls (as Python reads it, or as a reader
keeping the first of a key given twice does) that gives a key twice: readers differ on which
value they keep, and refusing is the only reading every program shares. JSON that had to be
repaired (read as calls in protocol mode; marked mode refuses it when it names calls) is refused
when it gives a key twice, as written or as json-repair reads it (whatever path it takes, a
value it drops included), and holds calls or gives twice a key that makes a value calls
(``name``, ``arguments``, ``tool_calls``...): which value a repairing reader keeps is not known. A call with no
readable arguments (missing, or in two places) is refused as bad arguments, never read as ``{}``.

The calls it read from an answer's text (``ToolCall.in_text``) are listed with the provider's
in ``Report.tool_calls`` (`tools.checked_calls`) as this guard read and checked them, after its
``fix`` only those it kept: a later guard's rewrite of the text (a ``json`` guard's extraction, a
``pii`` guard's restored originals) is not read again, as no tool_calls guard checked it. A
provider's calls are listed as the answer holds them, their arguments rewritten by a later guard
that opts in (``pii``). So with ``pii`` after this guard, a call read in the text is listed with
the placeholders (the caller's text has the originals): place ``pii`` first to list them restored.

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
from ..providers.tools import (
    CHECKED_CALLS,
    MARKS,
    CallsChecked,
    ToolCall,
    answer_calls,
    holds_calls,
    still_kept,
    written_calls,
)
from ..structured.extract import Candidate, candidates
from ..structured.repair import Unreadable, keys_given_twice, plain
from ..structured.schema import checked_registry
from ..verdict import MISSING, Finding, Verdict
from .policy.engine import Fired, Outcome, Policy
from .policy.guard import verdict
from .policy.loader import load_file, parse_rules
from .policy.models import RuleBase

UNKNOWN_TOOL, BAD_ARGUMENTS, SCHEMA, UNREADABLE = ("tool_calls.unknown_tool", "tool_calls.bad_arguments",
                                                    "tool_calls.schema", "tool_calls.unreadable")
TextCalls = Literal["marked", "protocol", "never"]
# A key or type every value holding calls has, written out or with a \u escape (only one can spell a letter)
_MARKED_WORDS = ("tool_calls", "function", "choices", "tool_use", "\\u")
_CALL_WORDS = (*_MARKED_WORDS, "name")
# The keys whose value decides whether JSON holds calls (`holds_calls`, `written_calls`)
_SHAPING = frozenset({"name", "type", "function", "arguments", "parameters", "input", "args", "tool_calls",
                      "invalid_tool_calls", "function_call", "choices", "message", "content"})
_TWICE = ("the answer's JSON holds tool calls and gives a key twice: a program's reader may keep either "
          "value; write each key once")
_INVISIBLE = " \t\r\n\ufeff\u200b\u200c\u200d\u2060\u00a0"  # what may open an answer before its JSON


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
    ``marked`` by default, for str answers only; ``protocol`` for calls the model writes as JSON,
    in any answer; or ``never``).
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
        provider = ctx.response is not None and not isinstance(ctx.response, str)
        try:
            read = answer_calls(ctx.response) if provider else []
            written = [] if read else self._in_text(text, provider)
        except (ValueError, RecursionError, Unreadable) as exc:
            return verdict(Outcome([self._fired(UNREADABLE, str(exc), "tool calls", fixable=False)], []))
        calls = still_kept(read, ctx)  # (an earlier tool_calls guard's fix dropped the others)
        fired: list[Fired] = []
        kept: list[ToolCall] = []
        for call in calls or written:
            found = self._check_call(call, ctx)
            fired += found
            if all(f.rule.action == "log" for f in found):
                kept.append(call)
        out = Outcome(fired, [])
        v = verdict(out)
        v = v._replace(meta={**v.meta, "tool_calls": len(calls or written)})
        checked = CallsChecked(written)
        if out.enforced and all(f.fixable for f in out.enforced):
            keep = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in kept]
            v = v._replace(value=keep, fixed=json.dumps({"tool_calls": [_openai_shape(c) for c in keep]}))
            checked = replace(checked, fix=keep, kept=frozenset(c.index for c in kept))
        ctx.state.setdefault(CHECKED_CALLS, []).append(checked)  # the calls as checked: `checked_calls`
        return v

    def _in_text(self, text: str, provider: bool) -> list[ToolCall]:
        """The calls read from the text of an answer (``provider``: a provider's) that has none
        in its structure, as ``text_calls`` says (see the module)."""
        if self.text_calls == "protocol" or self.text_calls == "marked" and not provider:
            calls = _text_calls(text, protocol=self.text_calls == "protocol")
        else:
            calls = _whole_marked(text) if self.text_calls == "marked" else []
        return [replace(call, index=i, in_text=True) for i, call in enumerate(calls)]

    def _check_call(self, call: ToolCall, ctx: Context) -> list[Fired]:
        name, args = call.name or "", call.parsed
        tool = self.tools.get(name)
        if tool is None:
            return [self._fired(UNKNOWN_TOOL, f"tool {name!r} is not allowed", name)]
        if args is MISSING:
            problem = "arguments are not JSON" if call.arguments else "no readable arguments"
            return [self._fired(BAD_ARGUMENTS, f"{name}: {problem}", name)]
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


def _text_calls(text: str, protocol: bool) -> list[ToolCall]:
    """The calls written in ``text``: in every JSON value found there (`_values`), objects that
    hold calls by name and lists of OpenAI call objects, and in ``protocol`` mode call objects
    and lists of them. Raises ValueError on calls that cannot be read one way only: in marked
    mode, JSON naming calls that had to be repaired (a program's reader may read it otherwise);
    JSON holding calls with a key given twice (repaired JSON too, `_keys_once`); an answer opening
    with an object naming calls that does not parse at all."""
    if not any(word in text for word in (_CALL_WORDS if protocol else _MARKED_WORDS)):
        return []  # no value here can hold calls (a quicker test than reading every value)
    calls: list[ToolCall] = []
    values = _values(text)
    for found in values:
        value, span = plain(found.value), text[found.start:found.end]
        marked = holds_calls(value)
        written = [] if marked else written_calls(value, any_shape=protocol)
        if found.repaired and not protocol and (marked or written or _names_calls(span)):
            raise ValueError("the answer names tool calls but its JSON had to be repaired: write valid JSON")
        if isinstance(value, (dict, list)):
            _keys_once(span, marked or bool(written), protocol, found.repaired)
        calls += answer_calls(value) if marked else written
    if _opens_unread(text, values):
        raise ValueError("the answer names tool calls but its JSON does not parse")
    return calls


def _whole_marked(text: str) -> list[ToolCall]:
    """The calls of a provider's text answer that is, as a whole, one JSON object holding calls
    by name (a program parsing the answer as JSON would run them); JSON quoted among prose or in
    fences is an answer."""
    body = text.strip(_INVISIBLE)
    if not body.startswith("{") or not any(word in body for word in _MARKED_WORDS):
        return []  # (a key written with an escape, ``tool\\u005fcalls``, has ``\\u``)
    try:
        value = json.loads(body)
    except ValueError:
        return []
    marked = holds_calls(value)
    _keys_once(body, marked, protocol=False)
    return answer_calls(value) if marked else []


def _keys_once(json_text: str, holds: bool, protocol: bool, repaired: bool = False) -> None:
    """Raises ValueError when the valid JSON ``json_text`` gives a key twice and holds calls as
    Python's reader reads it (``holds``: the last of the two) or as a reader that keeps the first
    does: the guards would check one set of calls and a program might run the other. JSON that
    had to be ``repaired`` is refused when a key is given twice in it (`keys_given_twice`: as
    written or as json-repair reads it) and it holds calls as read, or the key is one that makes
    a value calls (`_SHAPING`): which value a repairing reader keeps is not known."""
    if not any(word in json_text for word in (_CALL_WORDS if protocol else _MARKED_WORDS)):
        return
    if repaired:
        given = keys_given_twice(json_text)
        if given and holds:
            raise ValueError(_TWICE)
        if not given.isdisjoint(_SHAPING):
            raise ValueError(f"the answer's JSON had to be repaired and gives twice a key that decides whether "
                             f"it holds tool calls ({', '.join(sorted(given & _SHAPING))}): a program's reader "
                             "may keep either value; write valid JSON")
        return
    twice = False

    def first_kept(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal twice
        kept = dict(pairs)
        if len(kept) == len(pairs):
            return kept
        twice = True
        return dict(reversed(pairs))  # (the first of each key written last, so kept)

    first = json.loads(json_text.strip(), object_pairs_hook=first_kept)
    if twice and (holds or holds_calls(first) or written_calls(first, any_shape=protocol)):
        raise ValueError(_TWICE)


def _values(text: str) -> list[Candidate]:
    """Every JSON value in ``text``. `candidates` reads only the fenced ones when there is a
    fence; the text outside them (fences blanked, offsets kept) is read too, until no fence is left
    with a value in it."""
    found: list[Candidate] = []
    while True:
        new = candidates(text)
        found += new
        fenced = sorted((c.start, c.end) for c in new if c.form == "fenced")
        if not fenced:
            return found
        pieces, at = [], 0
        for start, end in fenced:  # every span blanked in one join (one per span grows as their square)
            start = max(start, at)
            pieces += [text[at:start], " " * max(end - start, 0)]
            at = max(at, end)
        text = "".join(pieces) + text[at:]


def _opens_unread(text: str, values: list[Candidate]) -> bool:
    """Does ``text`` open (after spaces and invisible characters) with a JSON object that names
    calls, and that no value of ``values`` was read from?"""
    first = len(text) - len(text.lstrip(_INVISIBLE))
    return (text[first:first + 1] == "{" and _names_calls(text)
            and not any(found.start <= first < found.end for found in values))


def _names_calls(text: str) -> bool:
    return any(mark in text for mark in MARKS)


def _openai_shape(call: dict[str, Any]) -> dict[str, Any]:
    return {"id": call["id"], "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]}}
