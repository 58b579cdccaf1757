"""The ``json`` guard: turn what a model wrote into a JSON value (and, given a schema, into a
validated value or model instance), or a reason a model can act on."""
from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from ..context import Context
from ..providers.tools import tool_calls
from ..structured.conform import Options, Outcome, parse
from ..structured.extract import dumps, loads
from ..structured.partial import partial_parse
from ..structured.repair import Unreadable, Written
from ..structured.schema import Schema
from ..verdict import Finding, Verdict


class JsonGuard:
    """Extracts the JSON from an answer: fences, prose around it, several blocks, a bare
    scalar, truncated output; repairs broken syntax with json-repair.

    With ``schema`` (a pydantic model class, a JSON Schema dict, a path to a ``.json`` file or
    ``"module:Model"``) it also coerces and validates in the same step; the verdict's ``value``
    is then the model instance when a model was given, validated by pydantic (which accepts
    what ``Model.model_validate_json`` accepts). ``strict`` refuses coercions; ``extra`` drops,
    keeps or refuses keys the schema does not declare (with a model, ``drop`` leaves them to the
    model: another name of an ``AliasChoices``, its own ``extra`` setting); ``repair=False``
    accepts only JSON that parses as written. Judges the whole answer (no ``holdback``);
    `partial` gives a streamed prefix's best parse for progress UIs. An answer with tool calls
    and no JSON in its text ("Let me look that up.") passes: it is a turn that calls tools, not
    the answer (its calls are the ``tool_calls`` guard's).
    """

    name = "json"
    on_fail = "reask"  # a model can usually fix its JSON when told what was wrong
    sides = ("output",)  # it judges answers (on input it would refuse every prose prompt)
    partial = staticmethod(partial_parse)

    def __init__(self, schema: dict[str, Any] | str | type[BaseModel] | None = None, *,
                 strict: bool = False, extra: Literal["drop", "keep", "forbid"] = "drop",
                 repair: bool = True, name: str = "json") -> None:
        self.schema = Schema(schema) if schema is not None else None
        self.options = Options(strict=strict, extra=extra, repair=repair)
        self.name = name

    def check(self, text: str, ctx: Context) -> Verdict:
        try:
            if self.schema is None and text[:1] in "{[":
                try:  # fast path: an answer that is plain JSON needs nothing else
                    # positional: keyword arguments cost 0.2 us more on this hot path
                    return Verdict(True, 0.0, "", None, loads(text), (), "", {"form": "plain"})
                except (ValueError, Unreadable):  # (NaN: not JSON; parse gives the reason)
                    pass
            return judged(parse(text, self.schema, self.options), ctx)
        except RecursionError:  # json and json-repair both recurse once per level
            return Verdict.fail(f"the JSON is nested too deeply to read (more than about "
                                f"{sys.getrecursionlimit()} levels)")


def judged(outcome: Outcome, ctx: Context) -> Verdict:
    """`verdict_of` the outcome, but an answer that calls tools and holds no JSON value in its
    text (none, or words such as "Let me look that up.") passes: a turn that calls tools."""
    if not outcome.ok and outcome.source is None and ctx.side == "output" and tool_calls(ctx.response):
        return Verdict.ok(meta={"tool_calls": True})
    return verdict_of(outcome)


def verdict_of(outcome: Outcome) -> Verdict:
    """The verdict for an outcome. A passing verdict carries the value, and as ``fixed`` the
    clean JSON text when the value is not the answer as written (so later guards see it): a
    model instance's JSON always (the model fills its defaults and computes its computed
    fields)."""
    findings = [Finding("coercion", detail=c.describe()) for c in outcome.coercions]
    if outcome.source is not None and outcome.source.repaired:
        findings.append(Finding("repaired", outcome.source.start, outcome.source.end,
                                detail="truncated" if outcome.source.truncated else "syntax"))
    if not outcome.ok:
        return Verdict.fail(outcome.reason, findings=findings, meta=outcome.meta)
    changed = (outcome.coercions or isinstance(outcome.value, BaseModel)
               or (outcome.source is not None and outcome.source.form != "plain"))
    fixed = dump(outcome.value) if changed else None
    score = 0.5 if outcome.coercions or findings else 0.0
    return Verdict.ok(value=outcome.value, fixed=fixed, score=score, findings=findings,
                      meta=outcome.meta)


def dump(value: Any) -> str:
    """A value as JSON text (a pydantic instance through its own serialiser, by alias; a number
    read exactly as it was written)."""
    if isinstance(value, BaseModel):
        return value.model_dump_json(by_alias=True)
    return dumps(value)


def json_data(value: Any) -> Any:
    """A parsed value as the JSON it stands for: a pydantic instance dumped in JSON mode by
    alias (the names its JSON uses), its decimals as numbers (a `Decimal` where a float cannot
    hold one); anything else as it is."""
    if isinstance(value, BaseModel):
        return _numbers(value.model_dump(mode="json", by_alias=True), value.model_dump(by_alias=True))
    return value


def _numbers(data: Any, python: Any) -> Any:
    """``data`` with each `Decimal` of ``python`` (the same dump in Python mode) as a number:
    JSON mode writes decimals as strings, which no rule compares with a number. An int or a
    float when one holds it exactly (a `Written` float when its text ends in zeros the float
    drops: ``0.10``), else the `Decimal` itself (0.12345678901234567)."""
    if isinstance(python, Decimal) and python.is_finite() and isinstance(data, str):
        if python == python.to_integral_value():
            return int(python)
        number, text = float(python), str(python)
        if Decimal(repr(number)) != python:
            return python
        return Written(text) if text != repr(number) and "E" not in text else number
    if isinstance(data, dict) and isinstance(python, dict):
        return {k: _numbers(v, python.get(k)) for k, v in data.items()}
    if isinstance(data, list) and isinstance(python, (list, tuple)) and len(data) == len(python):
        return [_numbers(d, p) for d, p in zip(data, python)]
    return data
