"""The tool_calls guard: allow-list, JSON Schema, policy rules on arguments, input shapes."""
from __future__ import annotations

import json
import textwrap
from types import SimpleNamespace

import pytest

from guardlayer.context import Context
from guardlayer.errors import ConfigError, RuleFileError
from guardlayer.guards.tool_calls import ToolCallGuard

TOOLS = {
    "run_sql": {
        "schema": {"type": "object", "properties": {"sql": {"type": "string"}},
                   "required": ["sql"], "additionalProperties": False},
        "rules": [{"id": "no-destructive-sql", "kind": "field",
                   "require": r"sql not matches '(?i)\b(drop|delete|truncate|alter)\b'"}],
    },
    "read_file": {
        "schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
        "rules": [{"id": "files-under-root", "kind": "field", "require": "path under /srv/data"}],
    },
    "get_weather": {"schema": {"type": "object", "properties": {"city": {"type": "string"},
                                                                  "days": {"type": "integer", "maximum": 7}}}},
}


@pytest.fixture(scope="module")
def g():
    return ToolCallGuard(TOOLS)


def completion(*calls, as_object=False):
    tcs = [{"id": f"call_{i}", "type": "function",
            "function": {"name": n, "arguments": a if isinstance(a, str) else json.dumps(a)}}
           for i, (n, a) in enumerate(calls)]
    data = {"id": "chatcmpl-1", "choices": [{"index": 0, "message": {"role": "assistant", "content": None,
                                                                    "tool_calls": tcs}}]}
    return _objectify(data) if as_object else data


def _objectify(x):
    if isinstance(x, dict):
        return SimpleNamespace(**{k: _objectify(v) for k, v in x.items()})
    if isinstance(x, list):
        return [_objectify(v) for v in x]
    return x


def run(g, *calls, **kw):
    return g.check("", Context(side="output", response=completion(*calls, **kw)))


def test_allowed_calls_pass(g):
    v = run(g, ("run_sql", {"sql": "SELECT * FROM orders WHERE id = 3"}),
            ("read_file", {"path": "reports/2024.csv"}), ("get_weather", {"city": "Oslo", "days": 3}))
    assert v.passed and v.meta["tool_calls"] == 3


def test_sdk_like_objects_are_read(g):
    assert run(g, ("run_sql", {"sql": "select 1"}), as_object=True).passed
    v = run(g, ("run_sql", {"sql": "drop table x"}), as_object=True)
    assert not v.passed and v.findings[0].kind == "no-destructive-sql"


def test_unknown_tool_blocked(g):
    v = run(g, ("delete_account", {"user": 1}))
    assert not v.passed and v.findings[0].kind == "tool_calls.unknown_tool"
    assert "delete_account" in v.reason and v.meta["action"] == "block"


@pytest.mark.parametrize("args,msg", [
    ({"query": "select 1"}, "'sql' is a required property"),
    ({"sql": 5}, "5 is not of type 'string'"),
    ({"sql": "select 1", "extra": 1}, "Additional properties"),
])
def test_schema_errors(g, args, msg):
    v = run(g, ("run_sql", args))
    assert not v.passed and any(f.kind == "tool_calls.schema" for f in v.findings)
    assert msg in v.reason


def test_schema_limits(g):
    assert not run(g, ("get_weather", {"city": "Oslo", "days": 30})).passed


@pytest.mark.parametrize("args", ["{not json", "[1, 2]", '"text"'])
def test_arguments_must_be_a_json_object(g, args):
    v = run(g, ("run_sql", args))
    assert not v.passed and v.findings[0].kind == "tool_calls.bad_arguments"


@pytest.mark.parametrize("sql", [
    "DROP TABLE users", "drop table users", "select 1; DELETE FROM users",
    "dr\u200bop table users", "TRUNCATE orders", "ＤＲＯＰ TABLE users",
])
def test_destructive_sql_blocked(g, sql):
    v = run(g, ("run_sql", {"sql": sql}))
    assert not v.passed and v.findings[0].kind == "no-destructive-sql"


@pytest.mark.parametrize("sql", ["select dropped_at from t", "SELECT * FROM deleted_items_view"])
def test_sql_words_inside_identifiers_pass(g, sql):
    assert run(g, ("run_sql", {"sql": sql})).passed


@pytest.mark.parametrize("path,ok", [
    ("reports/a.csv", True), ("/srv/data/reports/a.csv", True),
    ("../../etc/passwd", False), ("/etc/shadow", False), ("reports/../../../etc/passwd", False),
    ("/srv/data/../other", False), ("..\\..\\boot.ini", False), ("/srv/database.sql", False),
])
def test_paths_kept_under_root(g, path, ok):
    assert run(g, ("read_file", {"path": path})).passed is ok


def test_fix_drops_offending_calls_and_keeps_the_rest():
    g = ToolCallGuard(TOOLS, action="fix")
    v = run(g, ("run_sql", {"sql": "select 1"}), ("rm_rf", {}))
    assert not v.passed and v.meta["action"] == "fix"
    assert [c["name"] for c in v.value] == ["run_sql"]
    assert [c["function"]["name"] for c in json.loads(v.fixed)["tool_calls"]] == ["run_sql"]


def test_tool_calls_read_from_json_text(g):
    text = json.dumps({"tool_calls": [{"id": "1", "type": "function",
                                       "function": {"name": "rm", "arguments": "{}"}}]})
    assert not g.check(text, Context(side="output")).passed
    assert g.check("Just a plain answer.", Context(side="output")).passed
    v = g.check('{"tool_calls": [oops', Context(side="output"))
    assert not v.passed and v.findings[0].kind == "tool_calls.unreadable"
    # a function that returns the JSON as a str: the chain's response is that str
    assert not g.check(text, Context(side="output", response=text)).passed


def test_openai_tool_definitions_accepted():
    defs = [{"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}}}]
    g = ToolCallGuard(defs)
    assert run(g, ("lookup", {"id": 3})).passed
    assert not run(g, ("lookup", {"id": "3"})).passed
    assert not run(g, ("other", {})).passed


def test_tools_from_policy_file_and_errors(tmp_path):
    path = tmp_path / "tools.yaml"
    path.write_text(textwrap.dedent("""\
        tools:
          run_sql:
            schema: {type: object, properties: {sql: {type: string}}}
            rules:
              - {id: no-drop, kind: field, require: "sql not matches '(?i)drop'"}
        """))
    g = ToolCallGuard(file=str(path))
    assert run(g, ("run_sql", {"sql": "select 1"})).passed
    assert not run(g, ("run_sql", {"sql": "DROP x"})).passed
    path.write_text(textwrap.dedent("""\
        tools:
          run_sql:
            schema: {type: objekt}
        """))
    with pytest.raises(RuleFileError) as info:
        ToolCallGuard(file=str(path))
    assert info.value.line == 3 and "invalid JSON Schema" in str(info.value)
    path.write_text(textwrap.dedent("""\
        tools:
          run_sql:
            rules:
              - {id: bad, kind: field, require: "sql ~ 1"}
        """))
    with pytest.raises(RuleFileError) as info:
        ToolCallGuard(file=str(path))
    assert info.value.line == 4 and "'bad'" in str(info.value)
    with pytest.raises(ConfigError, match="needs tools"):
        ToolCallGuard()


@pytest.mark.parametrize("as_object", [False, True])
def test_anthropic_tool_use_blocks_are_read(g, as_object):
    def message(sql):  # the SDK's tool_use.input is a dict in its objects too
        blocks = [{"type": "text", "text": "Running it."},
                  {"type": "tool_use", "id": "toolu_1", "name": "run_sql", "input": {"sql": sql}}]
        if as_object:
            return SimpleNamespace(id="msg_1", role="assistant", content=[SimpleNamespace(**b) for b in blocks])
        return {"id": "msg_1", "type": "message", "role": "assistant", "content": blocks}

    assert g.check("Running it.", Context(side="output", response=message("select 1"))).passed
    v = g.check("Running it.", Context(side="output", response=message("DROP TABLE users")))
    assert not v.passed and v.findings[0].kind == "no-destructive-sql" and v.meta["tool_calls"] == 1


def test_a_bare_message_a_list_of_calls_and_the_legacy_function_call_are_read(g):
    calls = completion(("run_sql", {"sql": "drop table x"}))["choices"][0]["message"]["tool_calls"]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    legacy = {"choices": [{"message": {"role": "assistant", "content": None, "function_call":
                                       {"name": "run_sql", "arguments": '{"sql": "drop table x"}'}}}]}
    flat = [{"name": "run_sql", "arguments": {"sql": "drop table x"}}]
    for response in (message, calls, legacy, flat):
        v = g.check("", Context(side="output", response=response))
        assert not v.passed and v.findings[0].kind == "no-destructive-sql", response
    v = g.check("", Context(side="output", response=[{"function": {"arguments": "{}"}}]))
    assert not v.passed and v.findings[0].kind == "tool_calls.unreadable"


@pytest.mark.parametrize("schema, words", [
    ({"type": "object", "properties": {"p": {"$ref": "https://example.com/s.json"}}}, "fetches nothing"),
    ({"type": "object", "properties": {"p": {"$ref": "#/$defs/missing"}}}, "does not resolve"),
])
def test_a_tool_schema_whose_refs_would_fetch_or_dangle_fails_when_built(schema, words) -> None:
    with pytest.raises(ConfigError, match=words):
        ToolCallGuard(tools={"fetch": {"schema": schema}})


def test_a_tool_schema_format_is_checked() -> None:
    guard = ToolCallGuard(tools={"book": {"schema": {"type": "object", "properties": {
        "at": {"type": "string", "format": "date-time"}}}}})
    call = {"id": "c1", "type": "function", "function": {"name": "book", "arguments": '{"at": "tomorrow at noon"}'}}
    verdict = guard.check("", Context(response={"choices": [{"message": {"tool_calls": [call]}}]}))
    assert not verdict.passed and "date-time" in verdict.reason
