"""The example recogniser file shipped in rules/pii/, used by name and from a rule file."""
from pathlib import Path

import pytest

from guardlayer.context import Context
from guardlayer.errors import RuleFileError
from guardlayer.guards.pii import PIIGuard
from guardlayer.paths import shipped_rules
from guardlayer.rules import load_rules

TEXT = "Employee EMP-004211 reopened INC-2024-00917 about project Kestrel; mail bo@example.com"


def test_shipped_company_ids_by_name() -> None:
    assert shipped_rules("pii", "company_ids.yaml").is_file()
    guard = PIIGuard(mode="regex", operator="redact", recognizers=["company_ids"])
    v = guard.check(TEXT, Context())
    assert v.fixed == ("Employee <EMPLOYEE_ID> reopened <INTERNAL_TICKET> about project "
                       "<PROJECT_CODE_NAME>; mail <EMAIL_ADDRESS>")


def test_badge_numbers_need_context() -> None:
    guard = PIIGuard(mode="regex", operator="redact", recognizers=["company_ids"])
    assert guard.check("the part AB12345 shipped", Context()).passed
    assert guard.check("staff badge AB12345", Context()).fixed == "staff badge <EMPLOYEE_ID>"


def test_rule_file_uses_shipped_recognizers(tmp_path: Path) -> None:
    rules = tmp_path / "chain.yaml"
    rules.write_text("input:\n  - guard: pii\n    on_fail: fix\n    mode: regex\n"
                     "    operator: redact\n    recognizers: [company_ids]\n", encoding="utf-8")
    text, report = load_rules(rules).check_text(TEXT)
    assert text.startswith("Employee <EMPLOYEE_ID> reopened <INTERNAL_TICKET>")
    assert "EMP-004211" not in text and "bo@example.com" not in text


def test_unknown_recognizer_file_is_a_rule_error() -> None:
    with pytest.raises(RuleFileError, match="cannot read"):
        PIIGuard(mode="regex", recognizers=["no_such_recognizers"])


def test_default_action_is_fix(tmp_path: Path) -> None:
    from guardlayer.steps import step
    from guardlayer.verdict import Action

    assert step(PIIGuard(mode="regex")).on_fail is Action.FIX
    rules = tmp_path / "chain.yaml"
    rules.write_text("input:\n  - guard: pii\n    mode: regex\n    operator: redact\n", encoding="utf-8")
    text, _ = load_rules(rules).check_text("mail bo@example.com")
    assert text == "mail <EMAIL_ADDRESS>"
