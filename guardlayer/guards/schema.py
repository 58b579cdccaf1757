"""The ``schema`` guard: validate (and coerce) the value an earlier guard parsed against a
schema; extract it from the text itself when nothing was parsed before it."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from ..context import Context
from ..structured.conform import Options, conform, parse
from ..structured.schema import Schema
from ..verdict import MISSING, Verdict
from .json_output import json_data, judged, verdict_of


class SchemaGuard:
    """Validates ``ctx.value`` (set by an earlier output guard such as ``json``) against
    ``schema``: a pydantic model class, a JSON Schema dict (draft 2020-12 unless it says
    otherwise), a path to a ``.json`` file or ``"module:Model"``. When ``ctx.value`` is
    missing it extracts the JSON from the text first. Coerces like `JsonGuard` (``strict``
    refuses that); the verdict's ``value`` is the model instance when a model was given. An
    answer that is only tool calls passes, as with `JsonGuard`."""

    name = "schema"
    on_fail = "reask"  # a model can usually fix its JSON when told what was wrong
    sides = ("output",)  # it judges answers, as `JsonGuard` does

    def __init__(self, schema: dict[str, Any] | str | type[BaseModel], *, strict: bool = False,
                 extra: Literal["drop", "keep", "forbid"] = "drop", repair: bool = True,
                 name: str = "schema") -> None:
        self.schema = Schema(schema)
        self.options = Options(strict=strict, extra=extra, repair=repair)
        self.name = name

    def check(self, text: str, ctx: Context) -> Verdict:
        if ctx.value is MISSING:
            return judged(parse(text, self.schema, self.options), ctx)
        model = self.schema.model
        if model is not None and type(ctx.value) is model:  # validated by this model already: its
            # dump would use the names its JSON is written with (serialization aliases, computed
            # fields), which its own validation may refuse
            return Verdict.ok(value=ctx.value)
        return verdict_of(conform(json_data(ctx.value), self.schema, self.options))
