"""Prompt-injection and jailbreak detection: `InjectionGuard` (registered as ``injection``)."""
from .guard import Analysis, InjectionGuard

__all__ = ["Analysis", "InjectionGuard"]
