"""The output check of an answer parsed into a pydantic model, and of objects whose keys hold
personal data: what is handed on never lies about its types and never loses an item quietly.

A redacted, masked or hashed number is a string. Where the model's field takes a string it is
validated into the model again; where it does not (an ``int`` card number) the value cannot be
fixed: the verdict fails with no fix, so the chain blocks (or falls back), rather than handing
on a model whose ``int`` field holds a ``str``. Two keys of one object that the redaction makes
equal cannot be fixed either: one item would be lost."""
from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from guardlayer import guarded, step
from guardlayer.context import Context
from guardlayer.errors import Blocked
from guardlayer.guards.pii import PIIGuard
from guardlayer.verdict import MISSING, Verdict

CARD, MAIL = 4111111111111111, "bob.leak@example.org"
OPERATORS = ["redact", "mask", "hash"]


class Pay(BaseModel):
    card: int
    n: int = 0


class Order(BaseModel):
    pay: Pay
    note: str = ""


class Loose(BaseModel):
    card: int | str
    n: int = 0


class Text(BaseModel):
    model_config = ConfigDict(extra="allow")
    card: str
    n: int = 0


def ask(model: type[BaseModel], operator: str, answer: str, on_fail: str = "fix") -> Any:
    guard = PIIGuard(mode="regex", operator=operator, hash_key="k")
    return guarded(output=[step("json", schema=model), (guard, on_fail)])(lambda prompt: answer)("Pay my order.")


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("model,answer", [(Pay, f'{{"card": {CARD}, "n": 3}}'),
                                          (Order, f'{{"pay": {{"card": {CARD}}}, "note": "ok"}}')])
def test_a_number_redacted_out_of_an_int_field_cannot_be_fixed(operator: str, model: type[BaseModel],
                                                                answer: str) -> None:
    with pytest.raises(Blocked) as caught:
        ask(model, operator, answer)
    reason = caught.value.verdicts[0].reason
    assert "CREDIT_CARD" in reason and "field `card`" in reason and "valid integer" in reason
    assert str(CARD) not in reason


def test_an_unfit_value_takes_the_fallback_when_the_step_says_so() -> None:
    guard = PIIGuard(mode="regex", operator="redact")
    ask_ = guarded(output=[step("json", schema=Pay), (guard, "fallback")], fallback='{"card": 0}')(
        lambda prompt: f'{{"card": {CARD}}}')
    assert ask_("Pay my order.") == Pay(card=0)


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("model", [Loose, Text])
def test_where_the_field_takes_a_string_the_model_is_validated_again(operator: str, model: type[BaseModel]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (pydantic warns when a field holds the wrong type)
        value = ask(model, operator, f'{{"card": "{CARD}", "n": 3, "cc": "{MAIL}"}}'
                    if model is Text else f'{{"card": {CARD}, "n": 3}}')
        assert type(value) is model and isinstance(value.card, str) and value.n == 3
        assert str(CARD) not in value.model_dump_json() and MAIL not in value.model_dump_json()
    assert value.card != str(CARD) and "1111" in value.card if operator == "mask" else value.card.startswith("<CREDIT_CARD")
    if model is Text:  # an extra field is redacted too
        assert value.model_extra and MAIL not in str(value.model_extra)


class Reply(BaseModel):
    to: str
    n: int = 0


def test_originals_put_back_in_a_model_keep_it_a_valid_model_with_its_fields_set() -> None:
    guard = PIIGuard(mode="regex")
    value = guarded(input=[(guard, "fix")], output=[step("json", schema=Reply), (guard, "fix")])(
        lambda prompt: '{"to": "<EMAIL_ADDRESS_1>"}')(f"Write to {MAIL}.")
    assert value == Reply(to=MAIL) and type(value) is Reply
    verdict, _ = check("pseudonymize", Reply(to="<EMAIL_ADDRESS_1>"), f"Write to {MAIL}.")
    assert verdict.passed and verdict.value == Reply(to=MAIL)
    assert verdict.value.model_fields_set == {"to"}  # (a dump with exclude_unset is unchanged)


def check(operator: str, value: Any, prompt: str = "Hello.") -> tuple[Verdict, str]:
    guard = PIIGuard(mode="regex", operator=operator, hash_key="k")
    ctx = Context()
    guard.check(prompt, ctx)
    text = value.model_dump_json() if isinstance(value, BaseModel) else json.dumps(value)
    ctx.side, ctx.value = "output", value
    return guard.check(text, ctx), text


@pytest.mark.parametrize("operator", ["redact", "mask"])
@pytest.mark.parametrize("value", [{"a@x.org": 1, "b@y.org": 2}, {"list": [{"ann@x.org": "a", "bob@x.org": "b"}]}])
def test_keys_the_redaction_would_make_one_are_not_fixed(operator: str, value: Any) -> None:
    verdict, _ = check(operator, value)
    assert not verdict.passed
    assert verdict.fixed is None and verdict.value is MISSING  # nothing to fix with: the chain blocks
    assert "two keys of an object would become one" in verdict.reason and "@" not in verdict.reason


def test_keys_a_hash_keeps_apart_are_fixed_and_text_and_value_agree() -> None:
    verdict, _ = check("hash", {"a@x.org": 1, "b@y.org": 2, "n": 3})
    assert not verdict.passed and verdict.fixed is not None
    assert json.loads(verdict.fixed) == verdict.value
    assert len(verdict.value) == 3 and verdict.value["n"] == 3
    assert not any("@" in key for key in verdict.value)


def test_keys_that_collide_block_in_a_chain() -> None:
    guard = PIIGuard(mode="regex", operator="redact")
    with pytest.raises(Blocked, match="two keys of an object would become one"):
        guarded(output=[step("json"), (guard, "fix")])(lambda prompt: '{"a@x.org": 1, "b@y.org": 2}')("Hi.")


@pytest.mark.parametrize("operator", ["redact", "mask"])
@pytest.mark.parametrize("answer", ['{"a@x.org": 1, "b@y.org": 2}', 'Here:\n```json\n{"to": {"ann@x.org": 1, "bob@x.org": 2}}\n```'])
def test_keys_made_one_in_a_json_text_with_no_value_are_not_fixed_either(operator: str, answer: str) -> None:
    guard = PIIGuard(mode="regex", operator=operator)
    ctx = Context()
    ctx.side = "output"
    verdict = guard.check(answer, ctx)
    assert not verdict.passed and verdict.fixed is None
    assert "two keys of an object would become one" in verdict.reason


def test_a_json_text_whose_keys_stay_apart_is_fixed() -> None:
    guard = PIIGuard(mode="regex", operator="redact")
    ctx = Context()
    ctx.side = "output"
    verdict = guard.check('{"a@x.org": 1, "n": {"n": 2}, "same": 1, "same": 2}', ctx)  # (the answer's own twice)
    assert verdict.fixed == '{"<EMAIL_ADDRESS>": 1, "n": {"n": 2}, "same": 1, "same": 2}'
