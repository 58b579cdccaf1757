"""Policy files: loading, shipped policies, and errors naming file, line and rule id."""
from __future__ import annotations

import textwrap

import pytest

from guardlayer.errors import RuleFileError
from guardlayer.guards.policy import PolicyGuard
from guardlayer.paths import shipped_rules


def write(tmp_path, body: str):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def error_of(tmp_path, body: str) -> RuleFileError:
    path = write(tmp_path, body)
    with pytest.raises(RuleFileError) as info:
        PolicyGuard(str(path))
    assert info.value.file == str(path)
    return info.value


def test_shipped_policy_by_name_and_by_path():
    by_name = PolicyGuard("support_bot")
    by_path = PolicyGuard(str(shipped_rules("policies", "support_bot.yaml")))
    assert [r.id for r in by_name.rules] == [r.id for r in by_path.rules]
    assert len(by_name.rules) >= 10


def test_file_and_inline_rules_combine(tmp_path):
    path = write(tmp_path, """\
        rules:
          - {id: a, kind: deny, phrases: [foo]}
        """)
    g = PolicyGuard(str(path), rules=[{"id": "b", "kind": "max_length", "max": 5}])
    assert [r.id for r in g.rules] == ["a", "b"]


def test_bad_field_names_line_and_rule_id(tmp_path):
    e = error_of(tmp_path, """\
        policy: t
        rules:
          - id: ok-rule
            kind: deny
            phrases: [x]
          - id: too-long
            kind: max_length
            max: -3
        """)
    assert e.line == 8 and "too-long" in str(e) and e.field == "rules[1].max"


def test_bad_condition_names_line(tmp_path):
    e = error_of(tmp_path, """\
        rules:
          - id: refund
            kind: field
            when: {action: refund}
            require: refund.amount ~ 3
        """)
    assert e.line == 5 and "'refund'" in str(e) and "cannot read condition" in str(e)


def test_bad_regex_names_line(tmp_path):
    e = error_of(tmp_path, """\
        rules:
          - id: r1
            kind: regex
            pattern: "(unclosed"
        """)
    assert e.line == 4 and "bad regex" in str(e) and "r1" in str(e)


def test_unknown_kind_and_unknown_key(tmp_path):
    e = error_of(tmp_path, """\
        rules:
          - id: k
            kind: magic
        """)
    assert e.line == 3 and "'kind' must be one of" in str(e)
    e = error_of(tmp_path, """\
        rules:
          - id: k
            kind: deny
            phrases: [x]
            colour: red
        """)
    assert e.line == 5 and "colour" in str(e)


def test_bad_action_and_missing_id(tmp_path):
    e = error_of(tmp_path, """\
        rules:
          - id: k
            kind: deny
            phrases: [x]
            action: explode
        """)
    assert e.line == 5 and "action" in str(e)
    e = error_of(tmp_path, """\
        rules:
          - kind: deny
            phrases: [x]
        """)
    assert e.line == 2 and "rule #1" in str(e) and "id" in str(e)


def test_duplicate_ids_and_bad_domain(tmp_path):
    e = error_of(tmp_path, """\
        rules:
          - {id: same, kind: deny, phrases: [x]}
          - {id: same, kind: deny, phrases: [y]}
        """)
    assert e.line == 3 and "duplicate id" in str(e)
    e = error_of(tmp_path, """\
        rules:
          - id: links
            kind: urls
            allow_domains: ["https://example.com/"]
        """)
    assert e.line == 4 and "not a domain" in str(e)


def test_yaml_syntax_and_top_level_errors(tmp_path):
    e = error_of(tmp_path, "rules:\n  - {id: a, kind: deny\n")
    assert "not valid YAML" in str(e) and e.line is not None
    e = error_of(tmp_path, "rulez: []\n")
    assert e.line == 1 and "unknown key 'rulez'" in str(e)
    with pytest.raises(RuleFileError, match="no such policy file"):
        PolicyGuard("no_such_policy_anywhere")


def test_bad_inline_rule_names_the_field_and_no_file():
    with pytest.raises(RuleFileError) as err:
        PolicyGuard(rules=[{"id": "r1", "kind": "regex", "pattern": "(a"}])
    assert err.value.file is None and err.value.field == "rules[0].pattern"
    assert "[rules[0].pattern]: rule 'r1': pattern: bad regex" in str(err.value)
