"""The pipeline both JSON guards run: extract -> (coerce -> validate) -> one value or a reason.

`parse` starts from text; `conform` from an already parsed value. Both return an `Outcome`,
whose ``reason`` is written for a model to fix its answer (the chain's reask sends it back).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..extras import need
from ..verdict import MISSING
from .coerce import SCHEMA_DIRECTED, Ambiguous, Coercer, Coercion, Extra, where
from .extract import Candidate, candidates
from .quoting import elide
from .repair import Unreadable
from .schema import Schema, show

FIX_HINT = "Reply with only the corrected JSON."


@dataclass(frozen=True, slots=True)
class Options:
    """``strict``: refuse any coercion (schema defaults and dropped extras aside) and an answer
    cut off before its JSON closes (by default such an answer is closed by repair and marked
    truncated). ``extra``: undeclared keys are dropped, kept, or refused (with a model, ``drop``
    leaves them to the model, which ignores them unless its config says otherwise, or reads
    them as another name of a field). ``repair``: allow syntax repair."""

    strict: bool = False
    extra: Extra = "drop"
    repair: bool = True

    def __post_init__(self) -> None:
        if self.repair:  # missing, it fails when a guard is built, not on the first broken answer
            need("json_repair", "json", "JSON repair")


@dataclass(slots=True)
class Outcome:
    ok: bool
    value: Any = MISSING
    reason: str = ""
    coercions: list[Coercion] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    source: Candidate | None = None

    @property
    def meta(self) -> dict[str, Any]:
        info: dict[str, Any] = {"coercions": [c.to_dict() for c in self.coercions]}
        if self.problems:
            info["problems"] = list(self.problems)
        if self.source is not None:
            info.update(form=self.source.form, repaired=self.source.repaired,
                        truncated=self.source.truncated)
        return info


def conform(value: Any, schema: Schema | None, options: Options = Options(),
            source: Candidate | None = None) -> Outcome:
    """Coerce ``value`` toward ``schema`` and validate it."""
    try:
        return _conform(value, schema, options, source)
    except RecursionError:
        return _too_deep(source)


def parse(text: str, schema: Schema | None, options: Options = Options()) -> Outcome:
    """Find the JSON in ``text`` and conform it to ``schema`` (when given)."""
    try:
        return _parse(text, schema, options)
    except Unreadable as exc:
        return _failed([str(exc)], [], None, "The JSON cannot be read")
    except RecursionError:
        return _too_deep(None)


def _too_deep(source: Candidate | None) -> Outcome:
    """Python's JSON reader, pydantic and the coercion recurse once per level."""
    return _failed(["the JSON is nested too deeply to read"], [], source, "The JSON cannot be read",
                   hint="Reply with only the JSON, nested less deeply.")


def _conform(value: Any, schema: Schema | None, options: Options, source: Candidate | None) -> Outcome:
    if schema is None:
        return Outcome(True, value, source=source)
    # With a model, keys its JSON Schema does not name are pydantic's to judge (another name of
    # an AliasChoices; the model's own ``extra``), unless the guard forbids them.
    model = schema.model is not None
    coercer = Coercer(schema.json, schema.fits, "keep" if model and options.extra == "drop" else options.extra,
                      defaults=not model)
    try:
        value = coercer.coerce(value)
    except Ambiguous as exc:
        return _failed([str(exc)], coercer.changes, source, "The answer is ambiguous")
    changes = coercer.changes
    if coercer.extras:
        problems = [f"{where(p)}: unexpected field (not in the schema)" for p in coercer.extras]
        return _failed(problems, changes, source)
    refused = [c for c in changes if c.kind not in SCHEMA_DIRECTED]
    if options.strict and refused:
        problems = [_strict_problem(c) for c in refused]
        return _failed(problems, changes, source, "Strict mode: the JSON needs changes to fit the schema")
    checked, problems = schema.validate(value, strict=options.strict)
    if problems:
        return _failed(problems, changes, source)
    return Outcome(True, checked, coercions=changes, source=source)


def _parse(text: str, schema: Schema | None, options: Options) -> Outcome:
    if not text.strip():
        return _failed(["the answer is empty"], [], None, "No JSON found")
    found = candidates(text, allow_repair=options.repair)
    cut = next((c for c in found if c.truncated), None)
    if options.strict and cut is not None:
        problem = (f"the answer ends before its JSON closes (cut off after {len(text) - cut.start} "
                   "characters of JSON): items or fields may be missing")
        return _failed([problem], [], cut, "Strict mode: the JSON is incomplete",
                       hint="Reply with the complete JSON.")
    if schema is None:
        return _pick_any(found)
    if len(found) > 1 and schema.wants_list and all(isinstance(c.value, dict) for c in found):
        # Several objects where the schema wants a list: together they are the answer.
        joined = Candidate([c.value for c in found], found[0].form, found[0].start, found[-1].end,
                           any(c.repaired for c in found), found[-1].truncated)
        together = _conform(joined.value, schema, options, joined)
        if together.ok:
            return together
    if not found and schema.top_type is None:
        return _failed(["no JSON value in the answer"], [], None, "No JSON found")
    outcomes = [_conform(c.value, schema, options, c) for c in found]
    good = [o for o in outcomes if o.ok]
    if not good and schema.top_type is not None:
        # A scalar answer in words ("The answer is One", "about $12"): coerce the text itself.
        plain = Candidate(text.strip(), "text", 0, len(text))
        outcomes.append(_conform(plain.value, schema, options, plain))
        good = [o for o in outcomes if o.ok]
    if not good:
        return min(outcomes, key=lambda o: len(o.problems))
    distinct = _distinct([o.value for o in good])
    if len(distinct) > 1:
        shown = "; ".join(_short(v) for v in distinct[:3])
        return _failed([f"found {len(distinct)} different JSON values that fit the schema ({shown})"],
                       [], None, "The answer is ambiguous",
                       hint="Reply with exactly one JSON value.")
    return good[0]


def _pick_any(found: list[Candidate]) -> Outcome:
    if not found:
        return _failed(["no JSON value in the answer"], [], None, "No JSON found")
    values = _distinct([c.value for c in found])
    if len(values) > 1:
        # Empty containers beside real content are placeholders, not answers.
        values = [v for v in values if v not in ({}, [])] or values
    if len(values) > 1:
        shown = "; ".join(_short(v) for v in values[:3])
        return _failed([f"found {len(values)} separate JSON values ({shown})"], [], None,
                       "The answer is ambiguous", hint="Reply with exactly one JSON value.")
    source = next(c for c in found if c.value == values[0])
    return Outcome(True, source.value, source=source)


def _failed(problems: list[str], changes: list[Coercion], source: Candidate | None,
            headline: str = "The JSON does not match the schema", *, hint: str = FIX_HINT) -> Outcome:
    listed = "\n".join(f"- {p}" for p in problems)
    return Outcome(False, reason=f"{headline}:\n{listed}\n{hint}", coercions=list(changes),
                   problems=list(problems), source=source)


def _strict_problem(change: Coercion) -> str:
    return (f"{where(change.path)}: got {show(change.before)}, "
            f"which only fits after a change ({change.kind} -> {show(change.after)}); "
            f"write the value exactly as the schema requires")


def _distinct(values: list[Any]) -> list[Any]:
    """``values`` without repeats (equal and of the same type), in order; compared only with
    values of the same `_key` (14,000 one-number blocks took 4.8 s compared all with all)."""
    out: list[Any] = []
    seen: dict[Any, list[Any]] = {}
    for value in values:
        same = seen.setdefault((type(value), _key(value)), [])
        if not any(value == other for other in same):
            same.append(value)
            out.append(value)
    return out


def _key(value: Any) -> Any:
    """A hashable key that equal JSON values share (numbers by their hash, which equal numbers
    of any type share: ``[1] == [1.0]``)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("list", *map(_key, value))
    if isinstance(value, (bool, int, float, Decimal)):
        return hash(value)
    return value if isinstance(value, str) or value is None else repr(value)


def _short(value: Any) -> str:
    return elide(repr(value), 40)

