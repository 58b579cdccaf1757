"""The ``schema`` guard: validate (and coerce) the value an earlier guard parsed against a
schema; extract it from the text itself when nothing was parsed before it."""
from __future__ import annotations

from typing import Any, Literal

import regex

from pydantic import BaseModel

from ..context import Context
from ..guard import REGEX_TIMEOUT
from ..structured.conform import Options, conform, parse
from ..structured.schema import Schema
from ..timed_regex import timed_compile
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
            return _unquoted(judged(parse(text, self.schema, self.options), ctx))
        model = self.schema.model
        if model is not None and type(ctx.value) is model:  # validated by this model already: its
            # dump would use the names its JSON is written with (serialization aliases, computed
            # fields), which its own validation may refuse
            return Verdict.ok(value=ctx.value)
        return _unquoted(verdict_of(conform(json_data(ctx.value), self.schema, self.options)))


_GOT = timed_compile(r"\bgot .*")  # what a reason says the answer held, to the line's end
_STRING = timed_compile(r'"(?:[^"\\\n]|\\.)*+(?:"|$)', regex.M)  # a JSON string, perhaps clipped


def _unquoted(verdict: Verdict) -> Verdict:
    """``verdict`` with the strings its reason and its problems (``meta``) quote from the answer
    written as ``"…"``: placed after the pii guard, this guard sees the originals it put back (a
    name, which `quoting` does not elide as it does digits and emails), and reasons are logged
    and sent back to the model. What the schema says (its enums, its keys) is quoted as before."""
    if verdict.passed or "got " not in verdict.reason:
        return verdict
    meta = dict(verdict.meta)
    if isinstance(meta.get("problems"), list):
        meta["problems"] = [_elided(p) if isinstance(p, str) else p for p in meta["problems"]]
    return Verdict.fail(_elided(verdict.reason), score=verdict.score, fixed=verdict.fixed, value=verdict.value,
                        findings=verdict.findings, meta=meta)


def _elided(text: str) -> str:
    return _GOT.sub(lambda m: _STRING.sub('"…"', m.group(), timeout=REGEX_TIMEOUT), text, timeout=REGEX_TIMEOUT)
