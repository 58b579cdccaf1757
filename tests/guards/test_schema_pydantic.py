"""With a pydantic model, the ``json`` and ``schema`` guards accept exactly what
``Model.model_validate_json`` accepts (after repair and coercion), and refuse with pydantic's own
error locations: the model's JSON Schema says less than the model (a second name of an
``AliasChoices``, a naive datetime) and must not refuse what the model takes."""
from __future__ import annotations

import datetime
import enum
import json
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import pytest
from pydantic import AliasChoices, AwareDatetime, BaseModel, Field, ValidationError

from guardlayer.context import Context
from guardlayer.guards.json_output import JsonGuard
from guardlayer.guards.schema import SchemaGuard


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Cat(BaseModel):
    kind: Literal["cat"]
    meows: int


class Dog(BaseModel):
    kind: Literal["dog"]
    barks: int


class Line(BaseModel):
    sku: str = Field(validation_alias=AliasChoices("sku", "item_code"))
    qty: int = 1


class Everything(BaseModel):
    name: str = Field(validation_alias=AliasChoices("name", "full_name"))
    nick: str | None = Field(None, validation_alias=AliasChoices("nick", "nickname"))
    when: datetime.datetime
    aware: AwareDatetime
    day: datetime.date
    id: uuid.UUID
    price: Decimal
    color: Color
    size: Literal["s", "m", "l"]
    note: int | None = None
    since: datetime.datetime | None = None
    lines: list[Line] = []
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


GOOD = {"full_name": "Ann", "nickname": "Annie", "when": "2024-01-02T03:04:05", "aware": "2024-01-02T03:04:05Z",
        "day": "2024-01-02", "id": "12345678-1234-5678-1234-567812345678", "price": "12.50", "color": "red",
        "size": "m", "note": None, "since": "2024-01-02 03:04", "lines": [{"item_code": "A1", "qty": 2}, {"sku": "B2"}],
        "pet": {"kind": "dog", "barks": 2}}
CHANGES = [{}, {"name": "Bo", "full_name": None}, {"nickname": None, "nick": "Bo"}, {"price": 12.5},
           {"aware": "2024-01-02T03:04:05+02:00"}, {"pet": {"kind": "cat", "meows": 1}}, {"since": None},
           {"when": "2024-01-02"}, {"color": "blue"}]
BAD = [{"aware": "2024-01-02T03:04:05"}, {"day": "2024-13-02"}, {"id": "not-a-uuid"}, {"price": "twelve"},
       {"color": "green"}, {"size": "xl"}, {"pet": {"kind": "dog", "meows": 1}}, {"pet": {"kind": "fish"}},
       {"lines": [{"qty": 2}]}, {"full_name": None}, {"when": "yesterday"}]


def answer(change: dict[str, object]) -> str:
    data = {**GOOD, **change}
    return json.dumps({k: v for k, v in data.items() if v is not None or k in ("note", "since", "nick")})


def pydantic_locations(text: str) -> list[str]:
    try:
        Everything.model_validate_json(text)
    except ValidationError as exc:
        return ["".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]).lstrip(".")
                for e in exc.errors()]
    return []


def guards() -> list[object]:
    return [JsonGuard(Everything), SchemaGuard(Everything)]


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("guard", guards(), ids=["json", "schema"])
def test_what_pydantic_accepts_is_accepted_as_pydantic_reads_it(guard: object, change: dict[str, object]) -> None:
    text = answer(change)
    expected = Everything.model_validate_json(text)
    verdict = guard.check(text, Context())
    assert verdict.passed, verdict.reason
    assert verdict.value == expected and type(verdict.value) is Everything


@pytest.mark.parametrize("change", BAD)
@pytest.mark.parametrize("guard", guards(), ids=["json", "schema"])
def test_what_pydantic_refuses_is_refused_at_its_own_locations(guard: object, change: dict[str, object]) -> None:
    text = answer(change)
    locations = pydantic_locations(text)
    assert locations  # (the case is one pydantic refuses)
    verdict = guard.check(text, Context())
    assert not verdict.passed
    assert [f"field `{at}`" in verdict.reason for at in locations] == [True] * len(locations)


def test_the_schema_guard_after_json_validates_the_parsed_value_alike() -> None:
    ctx = Context()
    ctx.side, ctx.value = "output", json.loads(answer({}))
    verdict = SchemaGuard(Everything).check(answer({}), ctx)
    assert verdict.passed and verdict.value == Everything.model_validate_json(answer({}))


def test_the_guards_own_forbid_still_refuses_keys_the_model_does_not_name() -> None:
    verdict = JsonGuard(Line, extra="forbid").check('{"sku": "A1", "colour": "red"}', Context())
    assert not verdict.passed and "`colour`" in verdict.reason
