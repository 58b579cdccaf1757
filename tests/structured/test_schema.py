"""Schema problems are caught when the schema is built: refs that do not resolve within it
(nothing is fetched) and formats whose checker is not installed."""
import datetime
import re
import urllib.request

import jsonschema
import pytest
from jsonschema import FormatChecker
from pydantic import BaseModel

from guardlayer.errors import ConfigError
from guardlayer.structured.schema import FORMAT_PACKAGES, Schema

_CHECKED = set(jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers)


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError("the schema tried to fetch a URL")


@pytest.mark.parametrize("ref", ["https://example.com/a.json", "other.json#/$defs/a", "#/$defs/missing",
                                 "#/properties/nope"])
def test_a_ref_that_does_not_resolve_within_the_schema_is_refused_when_built(ref: str, monkeypatch) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    with pytest.raises(ConfigError, match=re.escape(f"$ref '{ref}' does not resolve")):
        Schema({"type": "object", "properties": {"a": {"$ref": ref}}, "$defs": {"b": {}}})


def test_refs_resolve_within_the_schema_and_its_ids() -> None:
    schema = Schema({"$id": "https://example.com/root.json", "$defs": {
        "n": {"$id": "https://example.com/n.json", "properties": {"k": {"$ref": "#/$defs/q"}},
              "$defs": {"q": {"type": "integer"}}}},
        "properties": {"n": {"$ref": "n.json"}, "m": {"$ref": "root.json#/$defs/n"}}})
    assert schema.validate({"n": {"k": 1}, "m": {"k": 2}})[1] == []
    assert schema.validate({"n": {"k": "x"}})[1] == ['field `n.k`: expected integer, got "x" (string)']


@pytest.mark.parametrize("name", sorted(FORMAT_PACKAGES))
def test_a_format_is_checked_or_refused_when_built(name: str) -> None:
    spec = {"type": "object", "properties": {"v": {"type": "string", "format": name}}}
    if name in _CHECKED:
        assert Schema(spec).validate({"v": "{no such value!"})[1]
    elif name in FormatChecker().checkers:  # checked by another draft: an annotation in this one
        assert Schema(spec).validate({"v": "{no such value!"})[1] == []
    else:
        with pytest.raises(ConfigError, match=f"'{name}' needs {FORMAT_PACKAGES[name]}.*format-nongpl"):
            Schema(spec)


def test_a_format_whose_checker_is_not_installed_is_refused(monkeypatch) -> None:
    monkeypatch.setitem(FORMAT_PACKAGES, "made-up", "made-up-validator")  # no draft checks it
    with pytest.raises(ConfigError, match="'made-up' needs made-up-validator.*format-nongpl"):
        Schema({"type": "object", "properties": {"v": {"type": "string", "format": "made-up"}}})


def test_a_ref_to_a_meta_schema_resolves_without_fetching() -> None:
    schema = Schema({"type": "object", "properties": {"s": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}})
    assert schema.validate({"s": {"type": "string"}})[1] == []


def test_formats_checked_without_extra_packages_still_work() -> None:
    spec = {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
    assert Schema(spec).validate({"day": "tomorrow"})[1]
    assert Schema(spec).validate({"day": "2024-02-29"})[1] == []


def test_formats_json_schema_does_not_define_are_annotations() -> None:
    assert Schema({"type": "integer", "format": "int32"}).validate(5)[1] == []


def test_a_pydantic_model_checks_its_own_formats() -> None:
    class Event(BaseModel):
        when: datetime.datetime

    schema = Schema(Event)
    assert schema.validate({"when": "tomorrow at noon"})[1]
    assert schema.validate({"when": "2024-02-29T12:00:00Z"})[0].when.year == 2024
