"""The best parse of a streamed prefix so far, for progress UIs (not for trusting: validate
the whole answer at the end)."""
from __future__ import annotations

import json
from typing import Any

from ..guard import REGEX_TIMEOUT
from ..timed_regex import timed_compile
from ..verdict import MISSING
from .repair import repair

_FENCE_OPEN = timed_compile(r"(?:`{3,}|~{3,})[ \t]*[A-Za-z0-9_+-]*")
_FENCE_CLOSE = timed_compile(r"(?:`{3,}|~{3,})")


def partial_parse(prefix: str) -> Any:
    """What the JSON being written in ``prefix`` holds so far; ``MISSING`` when none has begun.

    Skips prose and an opening fence, then closes what is open: ``'{"a": 1, "b": [2'`` gives
    ``{"a": 1, "b": [2]}``. The last value may still grow (a string or number being written).
    """
    text = prefix
    fence = _FENCE_OPEN.search(text, timeout=REGEX_TIMEOUT)
    if fence is not None:
        text = text[fence.end():]
        close = _FENCE_CLOSE.search(text, timeout=REGEX_TIMEOUT)
        text = text[: close.start()] if close is not None else text
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        try:
            return json.loads(text) if text.strip() else MISSING
        except ValueError:
            return MISSING
    body = text[min(starts):]
    try:
        return json.loads(body)
    except ValueError:
        return repair(body, stream_stable=True)
