"""Python rules for what the rule language cannot say, registered by name::

    from guardlayer.guards.policy import policy_rule

    @policy_rule("no_competitor_prices")
    def no_competitor_prices(text, value, ctx, *, competitors=("acme",)):
        return [Finding("x", m.start(), m.end()) for m in ...]   # or True / False

and used from a rule file as ``{id: ..., kind: python, rule: no_competitor_prices,
params: {competitors: [...]}}``. The function gets the checked text, the parsed value
(``MISSING`` when none) and the `Context`; it returns ``True``/findings when the rule fires
(findings with spans let ``fix`` redact them) and ``False``/``None``/``[]`` when it does not.
"""
from __future__ import annotations

import inspect
import threading
from typing import Any, Callable, TypeVar

from ...errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

_RULES: dict[str, Callable[..., Any]] = {}
_lock = threading.Lock()


def policy_rule(name: str, *, replace: bool = False) -> Callable[[F], F]:
    """Register ``fn(text, value, ctx, **params)`` as the Python rule ``name``."""

    def deco(fn: F) -> F:
        if not callable(fn):
            raise ConfigError(f"policy rule {name!r} must be callable")
        with _lock:
            if name in _RULES and not replace:
                raise ConfigError(f"a policy rule named {name!r} is already registered")
            _RULES[name] = fn
        return fn

    return deco


def unregister_rule(name: str) -> None:
    with _lock:
        _RULES.pop(name, None)


def get_rule(name: str, params: dict[str, Any]) -> Callable[..., Any]:
    """The registered function, after checking ``params`` fit its signature (``ValueError``)."""
    fn = _RULES.get(name)
    if fn is None:
        known = ", ".join(sorted(_RULES)) or "none registered"
        raise ValueError(f"unknown python rule {name!r} (known: {known}); register it with "
                         f"@policy_rule({name!r}) before loading the policy")
    try:
        inspect.signature(fn).bind("", None, None, **params)
    except TypeError as exc:
        raise ValueError(f"python rule {name!r}: params do not fit its signature: {exc}") from exc
    return fn
