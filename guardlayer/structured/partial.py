"""The best parse of a streamed prefix so far, for progress UIs (not for trusting: validate
the whole answer at the end)."""
from __future__ import annotations

from typing import Any

from ..guard import REGEX_TIMEOUT
from ..verdict import MISSING
from .extract import FENCE, loads
from .repair import Unreadable, repair


def partial_parse(prefix: str) -> Any:
    """What the JSON being written in ``prefix`` holds so far; ``MISSING`` when none has begun.

    Skips prose and an opening fence, then closes what is open: ``'{"a": 1, "b": [2'`` gives
    ``{"a": 1, "b": [2]}``. The last value may still grow (a string or number being written).
    ``MISSING`` too for a prefix holding NaN or Infinity, or too deep or too long to repair
    (see `repair.Unreadable`).
    """
    fence = FENCE.search(prefix, timeout=REGEX_TIMEOUT)
    text = prefix if fence is None else fence.group("body")
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        try:
            return loads(text) if text.strip() else MISSING
        except (ValueError, Unreadable):
            return MISSING
    body = text[min(starts):]
    try:
        try:
            return loads(body)
        except (ValueError, RecursionError):
            return repair(body, stream_stable=True)
    except Unreadable:
        return MISSING
