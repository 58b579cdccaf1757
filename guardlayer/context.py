"""Per-call state. A `Scope` says who is calling (user, session, key) and lives across calls;
a `Context` lives for one guarded call and holds what guards must remember within it."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from .report import Report
from .verdict import MISSING

T = TypeVar("T")


@dataclass
class Scope:
    """Who is calling. Keep one `Scope` per session: `state` persists across its calls."""

    user: str | None = None
    session: str | None = None
    api_key: str | None = None
    model: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict, repr=False)

    def keys(self) -> dict[str, str]:
        """The identities a budget can be kept against."""
        found = {"user": self.user, "session": self.session, "api_key": self.api_key}
        found.update({k: str(v) for k, v in self.tags.items()})
        return {k: v for k, v in found.items() if v is not None}


_SCOPE: ContextVar[Scope | None] = ContextVar("guardlayer_scope", default=None)


@contextlib.contextmanager
def scope(current: Scope | None = None, **fields: Any) -> Iterator[Scope]:
    """Run guarded calls on behalf of someone: ``with scope(user="alice"): ask(...)``."""
    value = current if current is not None else Scope(**fields)
    token = _SCOPE.set(value)
    try:
        yield value
    finally:
        _SCOPE.reset(token)


def current_scope() -> Scope:
    """The active scope, or a fresh one (whose state lives for one call only)."""
    return _SCOPE.get() or Scope()


def active_scope() -> Scope | None:
    """The scope set by an enclosing ``with scope(...)``, if any."""
    return _SCOPE.get()


@dataclass
class Context:
    """State of one guarded call, handed to every guard. Guards keep nothing on `self`."""

    scope: Scope = field(default_factory=current_scope)
    report: Report = field(default_factory=Report)
    side: str = "input"
    source: str = "user"
    beside: bool = False
    """While input guards run: the text stands beside a document's own (its title, URL or
    metadata): judged as the document, but not marked by `spotlight` (the application uses it)."""
    value: Any = MISSING
    model: str | None = None
    response: Any = field(default=None, repr=False)
    messages: list[dict[str, Any]] | None = field(default=None, repr=False)
    texts: tuple[str, ...] = field(default=(), repr=False)
    """While input guards run: the call's untrusted texts outside its messages (its prompt and
    document arguments), for guards that judge the call as a whole: as they are now for a guard
    with ``whole_call``; for another, as they were when it began (its own fixes are written
    together when it has judged every text). ``messages`` and ``call`` likewise."""
    call: Any = field(default=None, repr=False)
    """While input guards run: the call (a `Call`), for guards that count what it sends beside
    its untrusted texts (token_limit: a system prompt argument, tool definitions)."""
    partial: bool = False  # True while a streamed answer is judged by its prefix
    state: dict[str, Any] = field(default_factory=dict, repr=False)

    def slot(self, key: str, factory: Callable[[], T]) -> T:
        """Per-call state for a guard, created on first use."""
        if key not in self.state:
            self.state[key] = factory()
        return self.state[key]
