"""A policy fix on a pydantic instance comes back as an instance of the same model whatever its
aliases: the fixed JSON (read by alias) is read back by field name."""
from __future__ import annotations

import datetime
import enum
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from pydantic import (
    AliasChoices,
    AliasGenerator,
    AliasPath,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    computed_field,
)
from pydantic.alias_generators import to_camel

from guardlayer import guarded
from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard, dump
from guardlayer.guards.policy import PolicyGuard
from guardlayer.testing import ScriptedModel

DENY = {"id": "promise", "kind": "deny", "phrases": ["guaranteed refund"], "action": "fix"}


def ask(schema: type[BaseModel], answer: str, *rules: dict[str, Any]) -> Any:
    return guarded(ScriptedModel([answer]), output=[JsonGuard(schema=schema), PolicyGuard(rules=[DENY, *rules])],
                   retries=0)("q")


def fixed(instance: BaseModel, *rules: dict[str, Any]) -> Any:
    """The value the guard hands on for ``instance`` (as a JSON guard would have parsed it)."""
    verdict = PolicyGuard(rules=[DENY, *rules]).check(dump(instance), Context(side="output", value=instance))
    assert not verdict.passed
    return verdict.value


class Out(BaseModel):
    note: str = Field(serialization_alias="noteText")


class Both(BaseModel):
    note: str = Field(alias="noteText")


class In(BaseModel):
    note: str = Field(validation_alias="noteIn")


class Choices(BaseModel):
    note: str = Field(validation_alias=AliasChoices("n1", "n2"), serialization_alias="noteOut")


class ByName(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    note: str = Field(alias="noteText")


@pytest.mark.parametrize(("model", "answer"), [
    (Out, '{"note": "a guaranteed refund"}'),
    (Both, '{"noteText": "a guaranteed refund"}'),
    (In, '{"noteIn": "a guaranteed refund"}'),
    (Choices, '{"n1": "a guaranteed refund"}'),
    (ByName, '{"noteText": "a guaranteed refund"}'),
])
def test_a_fix_comes_back_as_the_model_whatever_the_alias(model: type[BaseModel], answer: str) -> None:
    out = ask(model, answer)
    assert type(out) is model and out.note == "a [REDACTED]"


def test_a_second_alias_choice_and_an_alias_path() -> None:
    class Nested(BaseModel):
        note: str = Field(validation_alias=AliasPath("data", "note"), serialization_alias="N")

    assert fixed(Choices.model_validate({"n2": "a guaranteed refund"})) == Choices(n1="a [REDACTED]")
    assert fixed(Nested.model_validate({"data": {"note": "a guaranteed refund"}})).note == "a [REDACTED]"


CAMEL_OUT = ConfigDict(alias_generator=AliasGenerator(serialization_alias=to_camel))


class Line(BaseModel):
    model_config = CAMEL_OUT
    line_text: str
    unit_price: float = 1.0


class Order(BaseModel):
    model_config = CAMEL_OUT
    order_id: str
    first_line: Line | None = None
    line_items: list[Line] = []
    pages: list[list[Line]] = []
    by_sku: dict[str, Line] = {}


def test_nested_models_lists_and_mappings_of_models_written_in_camel_case() -> None:
    out = ask(Order, '{"order_id": "guaranteed refund 7", "first_line": {"line_text": "a guaranteed refund"},'
                     ' "line_items": [{"line_text": "ok", "unit_price": 3}, {"line_text": "guaranteed refund"}],'
                     ' "pages": [[{"line_text": "no"}, {"line_text": "x guaranteed refund"}]],'
                     ' "by_sku": {"A-1": {"line_text": "guaranteed refund!"}}}')
    assert out == Order(order_id="[REDACTED] 7", first_line=Line(line_text="a [REDACTED]"),
                        line_items=[Line(line_text="ok", unit_price=3), Line(line_text="[REDACTED]")],
                        pages=[[Line(line_text="no"), Line(line_text="x [REDACTED]")]],
                        by_sku={"A-1": Line(line_text="[REDACTED]!")})


class Card(BaseModel):
    kind: Literal["card"] = "card"
    text: str = Field(serialization_alias="cardText")


class Wire(BaseModel):
    kind: Literal["wire"] = "wire"
    text: str = Field(serialization_alias="wireText")


class Payments(BaseModel):
    items: list[Annotated[Card | Wire, Field(discriminator="kind")]]


def test_keys_follow_their_items_when_a_fix_drops_an_item() -> None:
    value = Payments(items=[Card(text="guaranteed refund"), Wire(text="a guaranteed refund"), Card(text="ok")])
    first = {"id": "no-card-first", "kind": "field", "action": "fix",
             "when": "items[0].kind == 'card'", "require": "items[0] absent"}
    # the wire is first once the card is dropped: its keys are still read as a wire's
    assert fixed(value, first) == Payments(items=[Wire(text="a [REDACTED]"), Card(text="ok")])


class Roots(RootModel[list[Out]]):
    pass


def test_a_root_model() -> None:
    assert fixed(Roots([Out(note="a guaranteed refund")])) == Roots([Out(note="a [REDACTED]")])


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")
    note: str = Field(serialization_alias="N")


def test_extra_fields_keep_their_names() -> None:
    out = fixed(Open.model_validate({"note": "ok", "other": "a guaranteed refund"}))
    assert out.note == "ok" and out.model_extra == {"other": "a [REDACTED]"}


class Shouting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(serialization_alias="Note")

    @computed_field(alias="Loud")  # type: ignore[prop-decorator]
    @property
    def loud(self) -> str:
        return self.note.upper()


def test_a_computed_field_is_computed_again_from_the_fixed_fields() -> None:
    out = fixed(Shouting(note="a guaranteed refund"))
    assert out == Shouting(note="a [REDACTED]") and out.loud == "A [REDACTED]"


class Tier(enum.Enum):
    GOLD = "gold"


class Typed(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, alias_generator=AliasGenerator(serialization_alias=to_camel))
    note_text: str
    amounts: tuple[Decimal, ...]
    due_at: datetime.datetime
    ref: uuid.UUID
    tier: Tier
    tags: frozenset[int]
    blob: bytes
    ratio: float | None = None


def test_values_of_every_json_type_come_back_equal_in_a_strict_model() -> None:
    value = Typed(note_text="a guaranteed refund", amounts=(Decimal("5000.00"), Decimal("0.12345678901234567")),
                  due_at=datetime.datetime(2024, 6, 1, 9, 30, tzinfo=datetime.UTC), ref=uuid.uuid4(),
                  tier=Tier.GOLD, tags=frozenset({3, 1}), blob=b"raw")
    assert fixed(value) == value.model_copy(update={"note_text": "a [REDACTED]"})
