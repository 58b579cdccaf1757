"""Policy regex rules are linted when loaded, as injection signatures are: a pattern that backtracks
catastrophically is refused with the file, line and field, instead of failing closed on every answer."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from guardlayer import Context
from guardlayer.errors import RuleFileError
from guardlayer.guards.policy import PolicyGuard


def policy(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "mine.yaml"
    quoted = pattern.replace("'", "''")
    path.write_text(textwrap.dedent(f"""\
        rules:
          - id: fine
            kind: deny
            phrases: [banana]
          - id: mine
            kind: regex
            pattern: '{quoted}'
            message: forbidden
        """), encoding="utf-8")
    return path


@pytest.mark.parametrize("pattern", [r"(a|aa)+$", r"(\w+\s?)+!", r"(x+x+)+y"])
def test_a_catastrophic_regex_rule_is_refused_naming_file_line_and_field(tmp_path: Path, pattern: str) -> None:
    path = policy(tmp_path, pattern)
    with pytest.raises(RuleFileError) as err:
        PolicyGuard(str(path))
    assert err.value.file == str(path) and err.value.line == 7 and err.value.field == "rules[1].pattern"
    assert "backtracks catastrophically" in str(err.value) and "rule 'mine'" in str(err.value)


@pytest.mark.parametrize(("pattern", "text"), [(r"\b\d{3}-\d{2}-\d{4}\b", "SSN 123-45-6789"),
                                             (r"(?i)internal use only", "INTERNAL USE ONLY: draft"),
                                             (r"[\w.]+@example\.com", "write to jo.doe@example.com")])
def test_ordinary_regex_rules_load_and_match(tmp_path: Path, pattern: str, text: str) -> None:
    guard = PolicyGuard(str(policy(tmp_path, pattern)))
    assert [r.id for r in guard.rules] == ["fine", "mine"]
    assert not guard.check(text, Context()).passed and guard.check("nothing to see", Context()).passed


def test_a_catastrophic_regex_in_a_field_condition_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fields.yaml"
    path.write_text(textwrap.dedent("""\
        rules:
          - id: names
            kind: field
            require: "name not matches '(a|aa)+$'"
            message: forbidden
        """), encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        PolicyGuard(str(path))
    assert err.value.line == 4 and "backtracks catastrophically" in str(err.value)
