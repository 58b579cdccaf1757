"""A condition that can only be a typo fails at load, naming file, line and field, instead of
comparing a number with a string (a ``when:`` that never applies, a ``require:`` always broken)."""
from __future__ import annotations

import textwrap

import pytest

from guardlayer.errors import RuleFileError
from guardlayer.guards.policy import PolicyGuard
from guardlayer.guards.policy.conditions import parse_condition


@pytest.mark.parametrize("cond", [
    "amount > 100 and amount < 1000",   # two conditions joined in words
    "amount >== 100", "amount <== 100", "amount => 100", "amount =< 100", "amount === 100",
    "amount != = 3", "amount < 100abc", "amount >= 1 00",
    "status == open and amount < 3",
])
def test_typos_are_refused(cond):
    with pytest.raises(ValueError):
        parse_condition(cond)


@pytest.mark.parametrize("cond,data,expected", [
    ("amount < 1e3", {"amount": 999}, True),           # a number YAML reads as a string
    ("amount >= -2.5", {"amount": -2}, True),
    ('code < "B"', {"code": "A"}, True),               # a quoted string still compares
    ("amount <= limit", {"amount": 1, "limit": 2}, True),
    ("title == 'Terms and conditions'", {"title": "Terms and conditions"}, True),
    ("title == \"a < b\"", {"title": "a < b"}, True),
    ("zip == 02139", {"zip": "02139"}, True),           # a code with its leading zero stays text
    ("sku != 0089", {"sku": "0089"}, False),
    ("zip == 02137", {"zip": "02137"}, True),           # not octal 1119, as YAML 1.1 reads it
    ("code == 007", {"code": "007"}, True),
    ("starts == 1:30", {"starts": "1:30"}, True),      # not 90, base 60 to YAML 1.1
    ("starts != 1:30", {"starts": 90}, True),
    ("at == 12:00:05", {"at": "12:00:05"}, True),
    ("ratio == 0.5", {"ratio": 0.5}, True),
])
def test_what_is_not_a_typo_still_loads(cond, data, expected):
    assert parse_condition(cond).holds(data) is expected


def test_a_typo_in_a_policy_file_names_file_line_and_field(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent("""\
        rules:
          - id: approval
            kind: field
            when: amount > 100 and amount < 1000
            require: approved == true
        """), encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        PolicyGuard(str(path))
    e = info.value
    assert e.file == str(path) and e.line == 4 and e.field == "rules[0].when"
    assert "'approval'" in str(e) and "100 and amount < 1000" in str(e)
