"""Where budgets keep their counts: memory, a SQLite file, or Redis, behind one interface."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ..errors import ConfigError
from .base import Bucket, LocalStore, Outcome, Store, StoreUnavailable, Window

__all__ = ["Bucket", "LocalStore", "Outcome", "Store", "StoreUnavailable", "Window", "check_url", "open_store"]

StoreKind = Literal["memory", "sqlite", "redis"]
_KINDS: dict[str, StoreKind] = {"memory": "memory", "sqlite": "sqlite", "redis": "redis", "rediss": "redis",
                                "unix": "redis"}
_SQLITE = "sqlite:///"
_REDIS_DB = re.compile(r"/?|/[0-9]+")


def check_url(url: str) -> StoreKind:
    """The kind of store ``url`` opens, checked as `open_store` checks it but without opening
    anything (no file created, no connection: for validating a rule file); `ConfigError` for a
    URL it refuses."""
    try:
        parts = urlsplit(url)
        kind = _KINDS.get(parts.scheme)
        if kind == "redis":
            _ = parts.port  # ValueError for a port that is no number or out of range
    except ValueError as exc:
        raise ConfigError(f"bad store URL {url!r}: {exc}") from None
    if kind is None:
        raise ConfigError(f"unknown store URL {url!r}: use memory://, sqlite:///path.db or redis://host:port/db")
    if kind == "sqlite" and not (url.startswith(_SQLITE) and url[len(_SQLITE):]):
        raise ConfigError(f"SQLite store URL {url!r} names no file: use sqlite:///path.db")
    if parts.scheme == "unix" and not parts.path:
        raise ConfigError(f"Redis socket URL {url!r} names no socket: use unix:///path/to/redis.sock")
    if kind == "redis" and parts.scheme != "unix" and not _REDIS_DB.fullmatch(parts.path):
        raise ConfigError(f"Redis store URL {url!r}: the path after the port is the database "
                          f"number, not {parts.path!r}: use redis://host:port/0")
    return kind


def open_store(url: str) -> Store:
    """A store from a URL: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////abs/path.db``
    or ``redis://host:port/db`` (``rediss://`` for TLS, ``unix:///path/to/redis.sock``)."""
    kind = check_url(url)
    if kind == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    if kind == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(Path(url[len(_SQLITE):]))
    from .redis import RedisStore

    return RedisStore(url)
