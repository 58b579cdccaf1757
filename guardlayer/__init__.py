"""guardlayer: guards around any LLM callable.

    from guardlayer import guarded

    @guarded(rules="rules/support_bot.yaml")
    def ask(prompt: str) -> str: ...

The chain, the decorator and rule-file loading are imported on first use, so that
``import guardlayer`` stays cheap.
"""
from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from .context import Context, Scope, scope
from .errors import (Blocked, BudgetExceeded, CallTimeout, ConfigError, GuardlayerError,
                     MissingExtra, ProviderError, RuleFileError)
from .registry import register
from .report import Report, Usage
from .verdict import Action, Finding, Verdict

logging.getLogger("guardlayer").addHandler(logging.NullHandler())  # no records on stderr unless configured

if TYPE_CHECKING:
    from .chain import Chain, last_report
    from .decorator import guarded
    from .fallback import Template
    from .rules import load_rules
    from .steps import Step, step
    from .transient import Backoff

_LAZY = {
    "Chain": "chain", "last_report": "chain", "guarded": "decorator", "Template": "fallback",
    "load_rules": "rules", "Step": "steps", "step": "steps", "Backoff": "transient",
}

__all__ = [
    "Action", "Backoff", "Blocked", "BudgetExceeded", "CallTimeout", "Chain", "ConfigError",
    "Context", "Finding", "GuardlayerError", "MissingExtra", "ProviderError", "Report",
    "RuleFileError", "Scope", "Step", "Template", "Usage", "Verdict", "guarded", "last_report",
    "load_rules", "register", "scope", "step",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'guardlayer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
