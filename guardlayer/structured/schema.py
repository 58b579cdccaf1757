"""A schema given as a pydantic model, a JSON Schema dict, a path to a ``.json`` file or a
``"module:Model"`` import path; validation that reports problems a model can act on
(which field, what was expected, what came). Checked when built: every ``$ref`` resolves within
the schema (nothing is ever fetched), and every format it names has a checker installed."""
from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Union

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema

from ..errors import ConfigError
from ..extras import need
from .coerce import json_type, where
from .quoting import elide

if TYPE_CHECKING:
    from referencing import Registry

SchemaSpec = Union[dict[str, Any], str, Path, type[BaseModel]]

FORMAT_PACKAGES = {
    "date-time": "rfc3339-validator", "time": "rfc3339-validator", "duration": "isoduration",
    "hostname": "fqdn", "idn-hostname": "idna", "uri": "rfc3986-validator",
    "uri-reference": "rfc3986-validator", "iri": "rfc3987-syntax", "iri-reference": "rfc3987-syntax",
    "json-pointer": "jsonpointer", "relative-json-pointer": "jsonpointer",
    "uri-template": "uri-template", "color": "webcolors",
}
"""The JSON Schema formats jsonschema checks only with another package installed (its
``format-nongpl`` extra), and that package. A schema naming one of them without its checker is
refused when built (it would pass any string); formats JSON Schema does not define (OpenAPI's
``int32``, ``binary``...) are annotations, not checked."""


class Schema:
    """A compiled schema. ``model`` is the pydantic class when one was given (values then
    validate into instances of it); ``json`` is always the JSON Schema used for coercion."""

    def __init__(self, spec: SchemaSpec) -> None:
        self.model: type[BaseModel] | None = None
        if isinstance(spec, type) and issubclass(spec, BaseModel):
            self.model = spec
            self.json: dict[str, Any] | bool = model_schema(spec)
        elif isinstance(spec, (dict, bool)):
            self.json = spec
        elif isinstance(spec, (str, Path)):
            self.json, self.model = _load(spec)
        else:
            raise ConfigError(f"a schema must be a pydantic model class, a JSON Schema dict, a path "
                              f"to a .json file or 'module:Model'; got {type(spec).__name__}")
        jsonschema = need("jsonschema", "json", "JSON Schema validation")
        cls = jsonschema.validators.validator_for(self.json, default=jsonschema.Draft202012Validator)
        try:
            cls.check_schema(self.json)
        except jsonschema.SchemaError as exc:
            raise ConfigError(f"invalid JSON Schema: {exc.message} (at "
                              f"{'/'.join(map(str, exc.path)) or 'the root'})") from exc
        registry = checked_registry(self.json, formats=self.model is None)
        # a model's formats are pydantic's to check (a naive date-time is no RFC 3339 "date-time")
        self._validator = cls(self.json, format_checker=cls.FORMAT_CHECKER if self.model is None else None,
                              registry=registry)

    @property
    def top_type(self) -> str | None:
        """``enum`` or the root's type when an answer in words may be coerced to it (a number,
        an integer, a boolean or an enum value; unquoted text is never taken as a string)."""
        root = self.json if isinstance(self.json, dict) else {}
        if "enum" in root or "const" in root:
            return "enum"
        kind = root.get("type")
        return kind if kind in ("number", "integer", "boolean") else None

    @property
    def wants_list(self) -> bool:
        return isinstance(self.json, dict) and self.json.get("type") == "array"

    def fits(self, value: Any, subschema: Any) -> bool:
        """Whether ``value`` validates against a part of this schema (refs resolve from the root)."""
        return bool(self._validator.evolve(schema=subschema).is_valid(value))

    def validate(self, value: Any, *, strict: bool = False) -> tuple[Any, list[str]]:
        """(validated value, problems). With a model the value is an instance of it, validated
        by pydantic alone (its JSON Schema says less than the model accepts: a second name of
        an ``AliasChoices``, a naive datetime), its problems at pydantic's own locations."""
        if self.model is None:
            return value, [_describe(e) for e in sorted(self._validator.iter_errors(value),
                                                        key=lambda e: (list(map(str, e.absolute_path)), e.validator))]
        try:
            return self.model.model_validate_json(json.dumps(value), strict=strict), []
        except ValidationError as exc:
            return value, [_describe_pydantic(e) for e in exc.errors(include_url=False)]


def checked_registry(schema: dict[str, Any] | bool, *, formats: bool) -> Registry[Any]:
    """A registry for ``schema`` (and the JSON Schema meta-schemas) that never fetches, once
    every ``$ref`` in it resolves; and, when ``formats``, every format of `FORMAT_PACKAGES` it
    names has its checker installed (a format the schema's draft does not define is an
    annotation there, and a pydantic model's values are validated by pydantic, which checks its
    own formats). Raises `ConfigError` naming the ref or the format."""
    from jsonschema import FormatChecker
    from jsonschema_specifications import REGISTRY as META_SCHEMAS
    from referencing import Registry, Resource
    from referencing.exceptions import CannotDetermineSpecification, Unresolvable
    from referencing.jsonschema import DRAFT202012

    checked = set(FormatChecker().checkers)  # every format a checker is installed for, any draft

    try:
        root = Resource.from_contents(schema, default_specification=DRAFT202012)
    except CannotDetermineSpecification as exc:
        raise ConfigError(f"unknown JSON Schema dialect {exc.contents.get('$schema')!r}") from exc
    registry: Registry[Any] = Registry(retrieve=_never_fetch).combine(META_SCHEMAS)
    pending = [(registry.resolver_with_root(root), root)]
    unchecked: set[str] = set()
    while pending:
        resolver, resource = pending.pop()
        contents = resource.contents
        if isinstance(contents, dict):
            ref = contents.get("$ref")
            if isinstance(ref, str):
                try:
                    resolver.lookup(ref)
                except Unresolvable as exc:
                    raise ConfigError(f"the JSON Schema's $ref {ref!r} does not resolve within the "
                                      "schema (guardlayer fetches nothing: put what it refers to "
                                      "under $defs)") from exc
            name = contents.get("format")
            if formats and isinstance(name, str) and name not in checked and name in FORMAT_PACKAGES:
                unchecked.add(name)
        pending.extend((resolver.in_subresource(sub), sub) for sub in resource.subresources())
    if unchecked:
        needs = ", ".join(f"{name!r} needs {FORMAT_PACKAGES[name]}" for name in sorted(unchecked))
        raise ConfigError(f"the JSON Schema names formats that would not be checked ({needs}): "
                          "pip install 'jsonschema[format-nongpl]'")
    return registry


def _never_fetch(uri: str) -> NoReturn:
    raise ConfigError(f"the JSON Schema refers to {uri!r}, which is not in the schema: guardlayer "
                      "fetches nothing (put the referenced schema under $defs)")


def _load(spec: str | Path) -> tuple[dict[str, Any] | bool, type[BaseModel] | None]:
    text = str(spec)
    if text.endswith(".json") or Path(text).is_file():
        try:
            return json.loads(Path(text).read_text(encoding="utf-8")), None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the JSON Schema file {text}: {exc}") from exc
    module_name, _, attr = text.partition(":")
    if not attr:
        raise ConfigError(f"schema {text!r} is neither a .json file nor 'module:Model'")
    try:
        model = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import the schema model {text!r}: {exc}") from exc
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ConfigError(f"{text!r} is not a pydantic model class")
    return model_schema(model), model


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a pydantic model, each ``Decimal`` marked ``"format": "decimal"``:
    coercion then gives such a field a number as it was written (``0.10``, not ``0.1``)."""
    return model.model_json_schema(schema_generator=_MarkedDecimals)


class _MarkedDecimals(GenerateJsonSchema):
    def decimal_schema(self, schema: Any) -> dict[str, Any]:
        return {**super().decimal_schema(schema), "format": "decimal"}


def show(value: Any) -> str:
    """A value as a model should see it in an error: JSON, shortened, with its JSON type; its
    digit runs and email addresses elided (`quoting`: reasons are logged)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return f"{elide(text)} ({json_type(value)})"


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: Any) -> str:
    """One jsonschema error as "field `x`: expected ..., got ..."."""
    at = where(_path(error.absolute_path))
    kind, rule, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [r for r in rule if isinstance(value, dict) and r not in value]
        return f"{at}: missing required field{'s' if len(missing) > 1 else ''} " + \
               ", ".join(f"`{m}`" for m in missing)
    if kind == "type":
        wanted = " or ".join(rule) if isinstance(rule, list) else rule
        return f"{at}: expected {wanted}, got {show(value)}"
    if kind == "enum":
        return f"{at}: expected one of {', '.join(json.dumps(o) for o in rule)}, got {show(value)}"
    if kind == "const":
        return f"{at}: expected exactly {json.dumps(rule)}, got {show(value)}"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        known = error.schema.get("properties", {})
        extra = [k for k in value if k not in known] if isinstance(value, dict) else []
        return f"{at}: unexpected field{'s' if len(extra) > 1 else ''} " + \
               ", ".join(f"`{k}`" for k in extra) + " (not allowed by the schema)"
    if kind in ("anyOf", "oneOf"):
        inner = sorted({_describe(e).split(": ", 1)[1] for e in error.context if not e.relative_path})
        detail = "; or ".join(inner) if inner else elide(error.message, 200)
        return f"{at}: matches none of the allowed shapes ({detail})"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                "maxLength", "minItems", "maxItems", "pattern", "format", "multipleOf"):
        return f"{at}: expected {kind} {json.dumps(rule)}, got {show(value)}"
    return f"{at}: {elide(error.message, 200)}"  # (jsonschema's messages quote the value)


def _describe_pydantic(error: dict[str, Any]) -> str:
    at = where(_path(error.get("loc", ())))
    if error.get("type") == "missing":
        return f"{at}: missing required field"
    return f"{at}: {elide(str(error.get('msg', 'invalid')), 200)}, got {show(error.get('input'))}"
