"""The ``pii`` guard: Presidio + spaCy detection, scrubbing on input, restore and leak checks
on output. Parts: `engine` (the shared analyzer), `recognizers` (what is added to Presidio's:
`addresses`, `dates`, `people`, secrets, phones, YAML files), `results` (tidying what was
found), `operators`, `guard`."""
from .guard import PIIGuard

__all__ = ["PIIGuard"]
