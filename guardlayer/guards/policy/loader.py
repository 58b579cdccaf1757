"""Policy files (YAML) -> typed rules, with errors that name the file, line and rule id.

A policy file::

    policy: support-bot            # optional name
    description: ...               # optional
    rules: [ {id, kind, message, action, sides, ...kind fields}, ... ]
    tools: {name: {schema: {...}, rules: [...]}, ...}   # read by the tool_calls guard
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ... import yaml_lines
from ...errors import RuleFileError
from ...paths import shipped_rules
from .models import KINDS, RULE, RuleBase

TOP_KEYS = {"policy", "description", "rules", "tools"}


def resolve_file(file: str | Path) -> Path:
    """A path to a policy file; a bare name (``support_bot``) means a shipped policy."""
    path = Path(file)
    if path.is_file():
        return path
    shipped = shipped_rules("policies", f"{path.name.removesuffix('.yaml')}.yaml")
    if path.parent == Path(".") and shipped.is_file():
        return shipped
    raise RuleFileError("no such policy file (nor a shipped policy of that name)", file=str(file))


def load_file(file: str | Path) -> tuple[dict[str, Any], yaml_lines.Lines, str]:
    """Read a policy file: its top-level mapping, its line table and its display name."""
    path = resolve_file(file)
    data, lines = yaml_lines.load(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RuleFileError("a policy file is a mapping with a 'rules' list", file=str(path), line=1)
    unknown = set(data) - TOP_KEYS
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise RuleFileError(f"unknown key {key!r}; expected {', '.join(sorted(TOP_KEYS))}",
                            file=str(path), line=yaml_lines.line_of(lines, (key,)), field=key)
    return data, lines, str(path)


def parse_rules(raw: Any, *, file: str | None = None, lines: yaml_lines.Lines | None = None,
                at: tuple[Any, ...] = ("rules",)) -> list[RuleBase]:
    """Validate a list of rule mappings into typed rules (``RuleFileError`` on the first bad one)."""
    lines = lines or {}
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RuleFileError("'rules' must be a list of rules", file=file,
                            line=yaml_lines.line_of(lines, at), field=yaml_lines.field_name(at))
    rules: list[RuleBase] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        here = at + (i,)
        rid = item.get("id") if isinstance(item, dict) else None
        if isinstance(item, RuleBase):
            rule = item
        else:
            rule = _validate(item, file=file, lines=lines, here=here, rid=rid)
        if rule.id in seen:
            raise RuleFileError(f"rule {rule.id!r}: duplicate id (also rule #{seen[rule.id] + 1})",
                                file=file, line=yaml_lines.line_of(lines, here + ("id",)),
                                field=yaml_lines.field_name(here + ("id",)))
        seen[rule.id] = i
        rules.append(rule)
    return rules


def _validate(item: Any, *, file: str | None, lines: yaml_lines.Lines, here: tuple[Any, ...],
              rid: Any) -> RuleBase:
    who = f"rule {rid!r}" if rid is not None else f"rule #{here[-1] + 1}"
    if not isinstance(item, dict):
        raise RuleFileError(f"{who}: a rule is a mapping", file=file,
                            line=yaml_lines.line_of(lines, here), field=yaml_lines.field_name(here))
    if "kind" not in item or item["kind"] not in KINDS:
        got = f" (got {item['kind']!r})" if "kind" in item else ""
        loc = here + (("kind",) if "kind" in item else ())
        raise RuleFileError(f"{who}: 'kind' must be one of {', '.join(KINDS)}{got}", file=file,
                            line=yaml_lines.line_of(lines, loc), field=yaml_lines.field_name(here + ("kind",)))
    try:
        return RULE.validate_python(item)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"][1:])  # the first element is the kind tag
        path = here + tuple(p for p in loc if isinstance(p, (str, int)))
        msg = err["msg"].removeprefix("Value error, ")
        raise RuleFileError(f"{who}: {'.'.join(map(str, loc)) or 'rule'}: {msg}", file=file,
                            line=yaml_lines.line_of(lines, path), field=yaml_lines.field_name(path)) from exc
    except RuleFileError:
        raise
    except ValueError as exc:  # raised while compiling (e.g. a phrase that folds to nothing)
        raise RuleFileError(f"{who}: {exc}", file=file, line=yaml_lines.line_of(lines, here),
                            field=yaml_lines.field_name(here)) from exc
