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

Each guard entry names a registered guard, its ``on_fail``, optional ``name`` and ``timeout``
(the guard's time limit in seconds; the top-level ``guard_timeout`` is that of every guard
without one); every other key is a parameter of the guard, checked against its constructor.
String parameters that start with ``./`` or ``../`` are paths relative to the rule file, and so
is a budget's SQLite store written so (``store: sqlite:///./budget.db``; ``sqlite:///budget.db``
is relative to the working directory, as in any SQLite URL). Errors name the file, the line
and the field, and nothing is half-loaded: the chain is built only when all of it is right.

Options given in code are checked by the same models (`ChainOptions`, `params_model`), through
`checked`: their errors are `ConfigError`s that name the guard or the chain and the option.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Protocol, TypeVar, runtime_checkable

import regex
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from . import yaml_lines
from .chain import Chain
from .errors import ConfigError, GuardlayerError, MissingExtra, RuleFileError
from .fallback import Fallbacks, Template
from .steps import Step, check_side, step
from .timed_regex import timed_compile
from .transient import Backoff

_STEP_KEYS = {"guard", "on_fail", "name", "timeout"}
_SQLITE = "sqlite:///"  # + a path: relative to the rule file, or absolute (sqlite:////abs.db)
_FIELD_PARTS = timed_compile(r"\[\d+\]|[^.\[\]]+")  # "output[0].file" -> output, [0], file
M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class FallbackItem(_Strict):
    """One fallback: a fixed ``text``, a ``template``, or a callable ``call: module:function``."""

    text: str | None = None
    template: str | None = None
    call: str | None = None


class BackoffSpec(_Strict):
    """A `Backoff`: a mapping in a rule file, a mapping or a `Backoff` in code."""

    model_config = ConfigDict(from_attributes=True)

    initial: float = Field(0.5, ge=0)
    max: float = Field(20.0, ge=0)
    multiplier: float = Field(2.0, ge=1)
    jitter: bool = True

    def build(self) -> Backoff:
        return Backoff(**self.model_dump())


@runtime_checkable
class BudgetLike(Protocol):
    """What the chain calls on a budget (a `guardlayer.budget.Budget` or your own)."""

    def reserve(self, ctx: Any, prompt: Any = None, *, arguments: Any = None) -> Any: ...  # arguments: optional

    def settle(self, ticket: Any, ctx: Any) -> None: ...


class ChainOptions(_Strict):
    """The chain's options, given in code (`chain_options`) or in a rule file (`RuleFile`)."""

    name: str | None = None
    retries: int = Field(2, ge=0, le=10)
    timeout: float | None = Field(None, gt=0, allow_inf_nan=False)
    guard_timeout: float | None = Field(None, gt=0, allow_inf_nan=False)
    fallback: Any = None
    backoff: BackoffSpec | None = None
    budget: BudgetLike | None = None
    offload: bool | None = None


class RuleFile(ChainOptions):
    """The top level of a rule file: the chain's options as YAML can write them, and guards."""

    version: Literal[1] = 1
    description: str | None = None
    input: list[Any] = []
    output: list[Any] = []
    fallback: str | FallbackItem | list[str | FallbackItem] | None = None
    budget: dict[str, Any] | None = None


def checked(model: type[M], values: dict[str, Any], where: str) -> M:
    """``values`` validated by ``model``; else a `ConfigError` naming ``where`` and the field
    (from the `ValidationError`, kept as its cause for rule files to place by line)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        path, message = _problems(exc, ())
        raise ConfigError(message, where=where, field=yaml_lines.field_name(path) or None) from exc


def chain_options(options: dict[str, Any]) -> dict[str, Any]:
    """Chain options given in code (``guarded(...)``, `load_rules` overrides), checked as a
    rule file's are, ready for `Chain.build`. ``None`` keeps an option's default."""
    spec = checked(ChainOptions, options, "chain")
    given = {k: getattr(spec, k) for k in spec.model_fields_set if getattr(spec, k) is not None}
    if spec.backoff is not None:
        given["backoff"] = spec.backoff.build()
    if "fallback" in given and not isinstance(given["fallback"], Fallbacks):
        try:
            given["fallback"] = Fallbacks.of(given["fallback"])
        except ConfigError as exc:
            raise ConfigError(exc.message, where="chain", field="fallback") from exc
    return given


def load_rules(path: str | Path, *, open_stores: bool = True, **overrides: Any) -> Chain:
    """Build the chain a rule file describes. ``overrides`` replace chain options (for
    example a fallback callable, which YAML can only name by import path).

    ``open_stores=False`` is for validating a file: a budget's store URL is checked but
    nothing is opened (no SQLite file created, no Redis connection), and the chain's budget
    counts in memory."""
    file = str(path)
    data, lines = yaml_lines.load(Path(path), name=file)
    return _Loader(file, lines, Path(path).resolve().parent, open_stores).chain(data, overrides)


class _Loader:
    def __init__(self, file: str, lines: yaml_lines.Lines, base: Path, open_stores: bool) -> None:
        self.file, self.lines, self.base, self.open_stores = file, lines, base, open_stores

    def error(self, message: str, path: tuple[Any, ...]) -> RuleFileError:
        return RuleFileError(message, file=self.file, line=yaml_lines.line_of(self.lines, path),
                             field=yaml_lines.field_name(path) or None)

    def validation_error(self, exc: ValidationError, prefix: tuple[Any, ...]) -> RuleFileError:
        path, message = _problems(exc, prefix)
        return self.error(message, path)

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
            "retries": spec.retries, "timeout": spec.timeout, "guard_timeout": spec.guard_timeout,
            "offload": spec.offload,
            "name": spec.name or Path(self.file).stem,
            "fallback": self.fallback(spec.fallback),
        }
        if spec.backoff is not None:
            options["backoff"] = spec.backoff.build()
        if spec.budget is not None:
            options["budget"] = self.budget(spec.budget)
        options.update(chain_options(overrides))
        try:
            return Chain.build(**options)
        except ConfigError as exc:
            raise RuleFileError(str(exc), file=self.file) from exc

    def step(self, entry: Any, path: tuple[Any, ...]) -> Step:
        """A guard entry, built by `step` as code builds it; its errors placed in this file."""
        if not isinstance(entry, dict):
            raise self.error("each guard entry is a mapping with a 'guard' key", path)
        name = entry.get("guard")
        if not isinstance(name, str):
            raise self.error("missing 'guard': the name of a registered guard", path)
        params = {k: self.resolve_path(v) for k, v in entry.items() if k not in _STEP_KEYS}
        try:
            placed = step(name, entry.get("on_fail"), name=entry.get("name"), timeout=entry.get("timeout"),
                          **params)
            check_side(placed, path[0])
            return placed
        except RuleFileError as exc:
            named, inside = _param_naming(str(exc.file), params), _field_path(exc.field or "")
            if not named and inside[:1] and inside[0] in params:  # about a value in this entry
                raise self.error(exc.message, path + inside) from exc
            raise self.error(str(exc), path + named) from exc  # about a file: keeps its place
        except ConfigError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise self.validation_error(exc.__cause__, path) from exc
            raise self.error(exc.message, path + _field_path(exc.field or "")) from exc
        except MissingExtra as exc:
            raise self.error(str(exc), path + ("guard",)) from exc

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
        from .stores import StoreUnavailable

        if isinstance(config.get("store"), str):
            config = {**config, "store": self.store_url(config["store"])}
        try:
            return Budget.from_config(config)
        except RuleFileError:
            raise
        except ConfigError as exc:  # (names the field as written: limits[0].tokens)
            raise self.error(exc.message, ("budget", *_field_path(exc.field or ""))) from exc
        except (GuardlayerError, ValueError, TypeError) as exc:
            where = ("budget", "store") if isinstance(exc, StoreUnavailable) else ("budget",)
            raise self.error(str(exc), where) from exc

    def store_url(self, url: str) -> str:
        """A budget store's URL with an SQLite path that starts with ``./`` or ``../`` made
        relative to the rule file; without `open_stores`, the URL checked (`stores.check_url`)
        and ``memory://`` in its place, so that nothing is opened or connected to."""
        path = url[len(_SQLITE):] if url.startswith(_SQLITE) else ""
        if path.startswith(("./", "../")):
            path = str(self.base / path)
            url = _SQLITE + path
        if self.open_stores:
            return url
        from .stores import check_url

        try:
            check_url(url)
        except ConfigError as exc:
            raise self.error(exc.message, ("budget", "store")) from exc
        if path and not Path(path).parent.is_dir():
            raise self.error(f"cannot open the SQLite budget store {path}: no such directory",
                             ("budget", "store"))
        return "memory://"


@functools.lru_cache(maxsize=None)
def params_model(factory: Any) -> type[BaseModel]:
    """A pydantic model of a guard's constructor parameters, for checking its options.
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
            hint = hints.get(p.name, Any)
            if _numeric(hint):
                hint = Annotated[hint, BeforeValidator(_not_a_bool)]
            fields[f"p_{p.name}"] = (hint, Field(default, alias=p.name))
    config = ConfigDict(extra=extra, arbitrary_types_allowed=True)
    return create_model(f"{getattr(factory, '__name__', 'guard')}Params", __config__=config, **fields)


def _numeric(hint: Any) -> bool:
    """Whether a parameter takes numbers and not booleans (pydantic would read true as 1)."""
    kinds = typing.get_args(hint) or (hint,)
    return any(k in (int, float) for k in kinds) and bool not in kinds


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"a number, not {str(value).lower()} (YAML reads yes, no, on and off as "
                         "true and false)")
    return value


def named_param(message: str, params: dict[str, Any]) -> str | None:
    """The one given parameter a guard's error message names as a word, if exactly one."""
    named = [k for k in params
             if timed_compile(rf"(?<![\w]){regex.escape(k)}(?![\w])", regex.IGNORECASE).search(message)]
    return named[0] if len(named) == 1 else None


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
                 for p in _FIELD_PARTS.findall(field))


def _problems(exc: ValidationError, prefix: tuple[Any, ...]) -> tuple[tuple[Any, ...], str]:
    """Where the first problem is, and a message with every problem (the others by field)."""
    first, *others = exc.errors()
    return prefix + tuple(first["loc"]), "; ".join([_message(first)] + [
        f"{yaml_lines.field_name(prefix + tuple(p['loc']))}: {_message(p)}" for p in others])


def _message(problem: dict[str, Any]) -> str:
    if problem["type"] == "extra_forbidden":
        return "unknown key"
    if problem["type"] == "missing":
        return "required key is missing"
    if problem["type"] == "value_error":  # our own validators' words, without pydantic's prefix
        return str(problem["ctx"]["error"])
    return str(problem["msg"])
