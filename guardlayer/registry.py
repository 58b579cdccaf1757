"""Guard names -> import paths, resolved lazily. Rule files, the CLI and benchmarks all
resolve through this one table; ``@register`` adds user guards to it."""
from __future__ import annotations

import importlib
import threading
from typing import Any, Callable, TypeVar

from .errors import ConfigError, MissingExtra

T = TypeVar("T")

# name -> ("module:attribute", extra that provides its dependencies or None)
BUILTIN: dict[str, tuple[str, str | None]] = {
    "injection": ("guardlayer.guards.injection:InjectionGuard", None),
    "canary": ("guardlayer.guards.canary:CanaryGuard", None),
    "pii": ("guardlayer.guards.pii:PIIGuard", "pii"),
    "token_limit": ("guardlayer.guards.limits:TokenLimit", "tokens"),
    "json": ("guardlayer.guards.json_output:JsonGuard", "json"),
    "schema": ("guardlayer.guards.schema:SchemaGuard", "json"),
    "policy": ("guardlayer.guards.policy:PolicyGuard", None),
    "tool_calls": ("guardlayer.guards.tool_calls:ToolCallGuard", "json"),
    "spotlight": ("guardlayer.spotlight:Spotlight", None),
}

_user: dict[str, Any] = {}
_resolved: dict[str, Any] = {}
_lock = threading.Lock()


def register(name: str, *, replace: bool = False) -> Callable[[T], T]:
    """Register a guard class (or factory) under ``name`` so rule files can use it."""

    def deco(obj: T) -> T:
        with _lock:
            if not replace and (name in _user or name in BUILTIN):
                raise ConfigError(f"a guard named {name!r} is already registered")
            _user[name] = obj
            _resolved.pop(name, None)
        return obj

    return deco


def unregister(name: str) -> None:
    with _lock:
        _user.pop(name, None)
        _resolved.pop(name, None)


def names() -> list[str]:
    return sorted({*BUILTIN, *_user})


def resolve(name: str) -> Any:
    """The class or factory registered as ``name``; imports it on first use."""
    if name in _user:
        return _user[name]
    if name in _resolved:
        return _resolved[name]
    if name not in BUILTIN:
        raise ConfigError(f"unknown guard {name!r}; known: {', '.join(names())}")
    path, extra = BUILTIN[name]
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if extra and exc.name and not exc.name.startswith("guardlayer"):
            raise MissingExtra(f"the {name!r} guard", extra, exc.name) from exc
        raise
    obj = getattr(module, attr)
    with _lock:
        _resolved[name] = obj
    return obj
