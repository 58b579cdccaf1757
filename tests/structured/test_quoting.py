"""Reasons quote what an answer wrote, and reasons are logged and put in reports: the digit runs
and email addresses in what they quote are elided (a card number in a field must not land in
the log record)."""
from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, StringConstraints

from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard
from guardlayer.structured.quoting import elide, quote

CARD, SPACED, SSN, PHONE, MAIL = "4111111111111111", "4111 1111 1111 1111", "078-05-1120", "212-555-0134", "bob.leak@example.org"
PRIVATE = [CARD, SPACED, SSN, PHONE, MAIL, "4111", "0134", "1120", "bob.leak"]


@pytest.mark.parametrize("text,shown", [
    (CARD, "#" * 16), (SPACED, "#### #### #### ####"), (SSN, "###-##-####"),
    (f"call {PHONE} now", "call ###-###-#### now"), ("born 1984/02/29.", "born ####/##/##."),
    (f"mail {MAIL}, thanks", "mail <email>, thanks"),
    ("about 12 units in 2024, 1,500 or 3.5", "about 12 units in 2024, 1,500 or 3.5"),  # kept: no run of 5
])
def test_elide_hides_digit_runs_and_email_addresses(text: str, shown: str) -> None:
    assert elide(text) == shown


def test_elide_clips_after_eliding_so_no_digits_of_a_cut_run_show() -> None:
    text = "x" * 50 + " 4111111111111111"
    assert elide(text) == ("x" * 50 + " " + "#" * 16)[:57] + "..."
    assert quote("a" * 100, 10) == repr("a" * 7 + "...")


class Card(BaseModel):
    card: int
    ok: bool = True


class Short(BaseModel):
    code: Annotated[str, StringConstraints(max_length=3)]


class Kind(BaseModel):
    kind: Literal["card", "cash"]


CASES: list[tuple[Any, dict[str, Any], str]] = [
    (Card, {}, f'{{"card": "{SPACED} dollars or 5"}}'),  # two numbers named: ambiguous
    (Card, {}, f'{{"card": "not {CARD}"}}'),  # negated
    (Card, {}, f'{{"card": "({CARD})"}}'),  # in parentheses
    (Card, {}, f'{{"card": "{SSN}", "ok": "{PHONE}"}}'),  # wrong types
    (Card, {"strict": True}, f'{{"card": "{CARD}"}}'),  # strict: a coercion refused
    (Card, {}, f'{{"card": {CARD}}} and {{"card": 4111111111111112}}'),  # two values
    (None, {}, f'{{"card": {CARD}}} and {{"card": {SSN.replace("-", "")}}}'),  # two values, no schema
    (Short, {}, f'{{"code": "{MAIL}"}}'),  # pydantic's error
    (Kind, {}, f'{{"kind": "not card: {CARD}"}}'),  # an enum value negated
    ({"type": "array", "uniqueItems": True}, {}, f"[{CARD}, {CARD}]"),  # jsonschema's own message
    ({"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer", "maximum": 3}]}, {}, f'"{MAIL}"'),
    ({"not": {"type": "integer"}}, {}, CARD),
    (None, {}, f'{{"n": {CARD}e999}}'),  # too large a number
]


@pytest.mark.parametrize("schema,options,answer", CASES)
def test_no_reason_or_report_detail_quotes_personal_data(schema: Any, options: dict[str, Any], answer: str) -> None:
    verdict = JsonGuard(schema, **options).check(answer, Context())
    assert not verdict.passed
    record = json.dumps(verdict.to_dict(), default=str)  # what a report logs
    assert [p for p in PRIVATE if p in record] == []
    assert "#" in record or "<email>" in record  # the value is shown, elided


def test_a_passing_coercion_records_no_personal_data() -> None:
    verdict = JsonGuard(Card).check(f'{{"card": "{CARD}", "ok": "yes"}}', Context())
    assert verdict.passed and verdict.value == Card(card=int(CARD), ok=True)
    record = json.dumps(verdict.to_dict(), default=str)
    assert CARD not in record and "number_from_string" in record
    assert re.search(r"'#{16}' -> #{16}", record)
