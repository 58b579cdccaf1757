"""guardlayer: guards around any LLM callable.

    from guardlayer import guarded

    @guarded(rules="rules/support_bot.yaml")
    def ask(prompt: str) -> str: ...
"""
from .chain import Chain, last_report
from .context import Context, Scope, scope
from .decorator import guarded
from .errors import (Blocked, BudgetExceeded, CallTimeout, ConfigError, GuardlayerError,
                     MissingExtra, ProviderError, RuleFileError)
from .fallback import Template
from .registry import register
from .report import Report, Usage
from .rules import load_rules
from .steps import Step, step
from .transient import Backoff
from .verdict import Action, Finding, Verdict

__all__ = [
    "Action", "Backoff", "Blocked", "BudgetExceeded", "CallTimeout", "Chain", "ConfigError",
    "Context", "Finding", "GuardlayerError", "MissingExtra", "ProviderError", "Report",
    "RuleFileError", "Scope", "Step", "Template", "Usage", "Verdict", "guarded", "last_report",
    "load_rules", "register", "scope", "step",
]
__version__ = "0.1.0"
