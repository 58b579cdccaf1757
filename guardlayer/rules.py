"""Rule files: YAML that configures a chain without code.

    name: support_bot
    retries: 2
    timeout: 30
    fallback: "Sorry, I can't help with that."
    input:
      - guard: injection
        on_fail: block
      - guard: pii
        on_fail: fix
    output:
      - guard: json
        on_fail: reask

Each guard entry names a registered guard, its ``on_fail`` and optional ``name``; every other
key is a parameter of the guard, checked against its constructor. String parameters that
start with ``./`` or ``../`` are paths relative to the rule file. Errors name the file, the
line and the field, and nothing is half-loaded: the chain is built only when all of it is right.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import typing
from pathlib import Path
from typing import Any, Callable, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from . import registry, yaml_lines
from .chain import Chain
from .errors import ConfigError, GuardlayerError, RuleFileError
from .fallback import Fallbacks, Template
from .guard import REGEX_TIMEOUT
from .steps import Step
from .transient import Backoff
from .verdict import Action

_STEP_KEYS = {"guard", "on_fail", "name"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FallbackItem(_Strict):
    """One fallback: a fixed ``text``, a ``template``, or a callable ``call: module:function``."""

    text: str | None = None
    template: str | None = None
    call: str | None = None


class BackoffSpec(_Strict):
    initial: float = Field(0.5, ge=0)
    max: float = Field(20.0, ge=0)
    multiplier: float = Field(2.0, ge=1)
    jitter: bool = True


class RuleFile(_Strict):
    """The top level of a rule file."""

    version: Literal[1] = 1
    name: str | None = None
    description: str | None = None
    input: list[Any] = []
    output: list[Any] = []
    retries: int = Field(2, ge=0, le=10)
    timeout: float | None = Field(None, gt=0)
    fallback: str | FallbackItem | list[str | FallbackItem] | None = None
    backoff: BackoffSpec | None = None
    budget: dict[str, Any] | None = None


def load_rules(path: str | Path, **overrides: Any) -> Chain:
    """Build the chain a rule file describes. ``overrides`` replace chain options (for
    example a fallback callable, which YAML can only name by import path)."""
    file = str(path)
    data, lines = yaml_lines.load(Path(path), name=file)
    return _Loader(file, lines, Path(path).resolve().parent).chain(data, overrides)


class _Loader:
    def __init__(self, file: str, lines: yaml_lines.Lines, base: Path) -> None:
        self.file, self.lines, self.base = file, lines, base

    def error(self, message: str, path: tuple[Any, ...]) -> RuleFileError:
        return RuleFileError(message, file=self.file, line=yaml_lines.line_of(self.lines, path),
                             field=yaml_lines.field_name(path) or None)

    def validation_error(self, exc: ValidationError, prefix: tuple[Any, ...]) -> RuleFileError:
        problems = exc.errors()
        first = problems[0]
        path = prefix + tuple(first["loc"])
        messages = [_message(first)] + [
            f"{yaml_lines.field_name(prefix + tuple(p['loc']))}: {_message(p)}" for p in problems[1:]]
        return self.error("; ".join(messages), path)

    def chain(self, data: Any, overrides: dict[str, Any]) -> Chain:
        if not isinstance(data, dict):
            raise self.error("a rule file is a mapping with keys such as input, output, fallback", ())
        try:
            spec = RuleFile.model_validate(data)
        except ValidationError as exc:
            raise self.validation_error(exc, ()) from None
        options: dict[str, Any] = {
            "input": tuple(self.step(e, ("input", i)) for i, e in enumerate(spec.input)),
            "output": tuple(self.step(e, ("output", i)) for i, e in enumerate(spec.output)),
            "retries": spec.retries, "timeout": spec.timeout,
            "name": spec.name or Path(self.file).stem,
            "fallback": self.fallback(spec.fallback),
        }
        if spec.backoff is not None:
            options["backoff"] = Backoff(**spec.backoff.model_dump())
        if spec.budget is not None:
            options["budget"] = self.budget(spec.budget)
        options.update(overrides)
        try:
            return Chain.build(**options)
        except ConfigError as exc:
            raise RuleFileError(str(exc), file=self.file) from exc

    def step(self, entry: Any, path: tuple[Any, ...]) -> Step:
        if not isinstance(entry, dict):
            raise self.error("each guard entry is a mapping with a 'guard' key", path)
        name = entry.get("guard")
        if not isinstance(name, str):
            raise self.error("missing 'guard': the name of a registered guard", path)
        try:
            factory = registry.resolve(name)
        except GuardlayerError as exc:
            raise self.error(str(exc), path + ("guard",)) from exc
        on_fail = entry.get("on_fail", getattr(factory, "on_fail", None) or "block")
        try:
            action = Action(on_fail)
        except ValueError:
            raise self.error(f"on_fail must be one of {[a.value for a in Action]}, not {on_fail!r}",
                             path + ("on_fail",)) from None
        params = {k: self.resolve_path(v) for k, v in entry.items() if k not in _STEP_KEYS}
        if "name" in entry and "name" in inspect.signature(factory).parameters:
            params["name"] = entry["name"]  # the guard's own name keys its per-call state
        try:
            checked = _params_model(factory).model_validate(params)
        except ValidationError as exc:
            raise self.validation_error(exc, path) from None
        try:
            guard = factory(**{k: getattr(checked, f"p_{k}", params[k]) for k in params})
        except RuleFileError as exc:
            raise self.nested_error(exc, path, params) from exc
        except (GuardlayerError, ValueError, TypeError, OSError) as exc:
            raise self.error(f"guard {name!r} refused its parameters: {exc}",
                             path + _named_param(str(exc), params)) from exc
        label = entry.get("name", name)
        if not isinstance(label, str):
            raise self.error("name must be a string", path + ("name",))
        return Step(guard, action, label)

    def nested_error(self, exc: RuleFileError, path: tuple[Any, ...],
                     params: dict[str, Any]) -> RuleFileError:
        """A guard's own rule-file error, placed in this file too. Without a file of its own
        it is about the entry's inline parameters (its field is relative to the entry);
        otherwise it is about a file the entry names, and keeps that file's location."""
        if exc.file is None:
            return self.error(exc.message, path + _field_path(exc.field or ""))
        return self.error(str(exc), path + _param_naming(exc.file, params))

    def resolve_path(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve_path(v) for v in value]
        if isinstance(value, str) and value.startswith(("./", "../")):
            return str((self.base / value).resolve())
        return value

    def fallback(self, spec: Any) -> Fallbacks:
        items = spec if isinstance(spec, list) else [] if spec is None else [spec]
        out: list[Any] = []
        for i, item in enumerate(items):
            path = ("fallback", i) if isinstance(spec, list) else ("fallback",)
            if isinstance(item, str):
                out.append(item)
            elif sum(v is not None for v in (item.text, item.template, item.call)) != 1:
                raise self.error("a fallback has exactly one of text, template or call", path)
            elif item.text is not None:
                out.append(item.text)
            elif item.template is not None:
                try:
                    out.append(Template(item.template))
                except ConfigError as exc:
                    raise self.error(str(exc), path + ("template",)) from exc
            else:
                out.append(self.import_callable(str(item.call), path + ("call",)))
        try:
            return Fallbacks.of(out or None)
        except ConfigError as exc:
            raise self.error(str(exc), ("fallback",)) from exc

    def import_callable(self, target: str, path: tuple[Any, ...]) -> Callable[..., Any]:
        module, _, attr = target.partition(":")
        try:
            fn = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise self.error(f"cannot import {target!r} (write it as module:function): {exc}",
                             path) from exc
        if not callable(fn):
            raise self.error(f"{target!r} is not callable", path)
        return fn  # type: ignore[no-any-return]

    def budget(self, config: dict[str, Any]) -> Any:
        from .budget import Budget

        try:
            return Budget.from_config(config)
        except RuleFileError:
            raise
        except (GuardlayerError, ValueError, TypeError) as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise self.validation_error(exc.__cause__, ("budget",)) from exc
            raise self.error(str(exc).removeprefix("budget: "), ("budget",)) from exc


@functools.lru_cache(maxsize=None)
def _params_model(factory: Any) -> type[BaseModel]:
    """A pydantic model of a guard's constructor parameters, for checking rule-file entries.
    Fields are stored as ``p_<name>`` under their own names as aliases, so that a parameter
    called ``schema`` or ``copy`` does not clash with BaseModel's attributes."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    signature = inspect.signature(factory)
    try:
        hints = typing.get_type_hints(target)
    except (NameError, TypeError):
        hints = {}
    fields: dict[str, Any] = {}
    extra: Literal["forbid", "allow"] = "forbid"
    for p in signature.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            extra = "allow"
        elif p.kind is not p.VAR_POSITIONAL:
            default = ... if p.default is p.empty else p.default
            fields[f"p_{p.name}"] = (hints.get(p.name, Any), Field(default, alias=p.name))
    config = ConfigDict(extra=extra, arbitrary_types_allowed=True)
    return create_model(f"{getattr(factory, '__name__', 'guard')}Params", __config__=config, **fields)


def _named_param(message: str, params: dict[str, Any]) -> tuple[str, ...]:
    """The one given parameter a guard's error message names as a word, if exactly one."""
    named = [k for k in params if regex.search(rf"(?<![\w]){regex.escape(k)}(?![\w])", message,
                                               regex.IGNORECASE, timeout=REGEX_TIMEOUT)]
    return (named[0],) if len(named) == 1 else ()


def _param_naming(file: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """Where among the parameters (``("file",)``, ``("recognizers", 0)``) ``file`` is named."""
    for key, value in params.items():
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, (str, Path)) and _same_file(item, file):
                return (key, i) if isinstance(value, list) else (key,)
    return ()


def _same_file(a: str | Path, b: str) -> bool:
    try:
        return str(a) == b or Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


def _field_path(field: str) -> tuple[Any, ...]:
    """``"rules[0].pattern"`` -> ``("rules", 0, "pattern")``."""
    return tuple(int(p[1:-1]) if p.startswith("[") else p
                 for p in regex.findall(r"\[\d+\]|[^.\[\]]+", field, timeout=REGEX_TIMEOUT))


def _message(problem: dict[str, Any]) -> str:
    if problem["type"] == "extra_forbidden":
        return "unknown key"
    if problem["type"] == "missing":
        return "required key is missing"
    return str(problem["msg"])
