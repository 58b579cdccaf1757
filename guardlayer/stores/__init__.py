"""Where budgets keep their counts: memory, a SQLite file, or Redis, behind one interface."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError
from .base import Bucket, LocalStore, Outcome, Store, StoreUnavailable, Window

__all__ = ["Bucket", "LocalStore", "Outcome", "Store", "StoreUnavailable", "Window", "open_store"]


def open_store(url: str) -> Store:
    """A store from a URL: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////abs/path.db``
    or ``redis://host:port/db`` (``rediss://`` for TLS)."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise ConfigError(f"SQLite store URL {url!r} names no file: use sqlite:///path.db")
        from .sqlite import SQLiteStore

        return SQLiteStore(Path(path))
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisStore

        return RedisStore(url)
    raise ConfigError(f"unknown store URL {url!r}: use memory://, sqlite:///path.db or redis://host:port/db")
