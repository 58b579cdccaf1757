"""The ``policy`` guard: declarative business rules enforced in code.

Parts: `paths` (JSON paths), `conditions` (the field condition language), `models` (typed
rules), `text` (phrase and link matching), `custom` (Python rules by name), `loader` (policy
files), `engine` (compiled evaluation), `guard` (`PolicyGuard`).
"""
from .custom import policy_rule, unregister_rule
from .guard import PolicyGuard

__all__ = ["PolicyGuard", "policy_rule", "unregister_rule"]
