"""What a guarded call returns when the model and the guards could not give a good answer:
fallback callables (a second model) tried in order, then a fixed value or a template."""
from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Callable

from .context import Context
from .errors import ConfigError


@dataclass(frozen=True)
class Template:
    """A fallback text filled from the call: ``{user}``, ``{session}``, ``{reason}``, tags."""

    text: str

    def __post_init__(self) -> None:
        """Refuses, as a `ConfigError`, a template that could not be rendered: broken braces,
        fields that are not plain names, conversions or format specs a text cannot take."""
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(self.text) if f is not None}
        except ValueError as exc:
            raise ConfigError(f"fallback template {self.text!r}: {exc} (write {{{{ or }}}} for a "
                              "brace)") from exc
        if any(not n.isidentifier() for n in names):
            raise ConfigError(f"fallback template {self.text!r}: fields must be plain names: "
                              f"{sorted(names)}")
        try:
            string.Formatter().vformat(self.text, (), _Blank())
        except ValueError as exc:
            raise ConfigError(f"fallback template {self.text!r}: {exc}") from exc

    def render(self, ctx: Context, reason: str) -> str:
        s = ctx.scope
        fields = {**{k: str(v) for k, v in s.tags.items()}, "user": s.user or "",
                  "session": s.session or "", "reason": reason}
        return string.Formatter().vformat(self.text, (), _Blank(fields))


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Fallbacks:
    """Callables to try in order, then an optional final value (``has_value``)."""

    callables: tuple[Callable[..., Any], ...] = ()
    value: Any = None
    has_value: bool = False

    @classmethod
    def of(cls, spec: Any) -> Fallbacks:
        """From a value, a callable, a `Template`, or a list of callables ending in a value."""
        if spec is None:
            return cls()
        items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
        calls = []
        for i, item in enumerate(items):
            if callable(item) and not isinstance(item, Template):
                calls.append(item)
            elif i != len(items) - 1:
                raise ConfigError("a fixed fallback value must come last: nothing after it is tried")
            else:
                return cls(tuple(calls), item, True)
        return cls(tuple(calls))

    def __bool__(self) -> bool:
        return bool(self.callables) or self.has_value

    def render(self, ctx: Context, reason: str) -> Any:
        return self.value.render(ctx, reason) if isinstance(self.value, Template) else self.value
