"""json-repair, guarded: it answers ``""`` when it finds nothing, which is not a parse."""
from __future__ import annotations

from typing import Any

from ..extras import need
from ..verdict import MISSING


def repair(text: str, *, stream_stable: bool = False) -> Any:
    """The value json-repair recovers from ``text``, or ``MISSING`` when it recovers nothing.

    json-repair returns ``""`` both for "nothing found" and for a genuine empty string; only
    a text that really is an empty JSON string (``""`` or ``''``) keeps that answer.
    """
    json_repair = need("json_repair", "json", "JSON repair")
    try:
        value = json_repair.repair_json(text, return_objects=True, skip_json_loads=True,
                                        stream_stable=stream_stable)
    except ValueError as exc:  # without a schema or strict mode: only its "nesting exceeds" error
        raise RecursionError(str(exc)) from exc
    if value == "" and text.strip() not in ('""', "''"):
        return MISSING
    return value
