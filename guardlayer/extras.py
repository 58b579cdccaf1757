"""Import an optional dependency, or fail with the ``pip install`` that fixes it."""
from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtra


def need(module: str, extra: str, what: str) -> ModuleType:
    """``need("tiktoken", "tokens", "token counting")`` -> the module, or `MissingExtra`."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise MissingExtra(what, extra, exc.name or module) from exc
