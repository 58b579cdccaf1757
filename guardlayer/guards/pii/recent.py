"""The analysis of texts seen lately, kept so that a conversation's history, which a chat sends
again with every turn, is analysed once: a call's work follows its new messages, not its
whole history. Only results are kept, under a keyed digest of the text (never the text)."""
from __future__ import annotations

import copy
import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

_KEY = secrets.token_bytes(32)


class Recent:
    """The results of the last ``size`` distinct texts analysed (0: none kept); thread-safe.
    Results go in and come out as copies, so callers may move their spans."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._results: OrderedDict[bytes, list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def analysed(self, text: str, analyze: Callable[[str], list[Any]], kind: str = "") -> list[Any]:
        """``analyze(text)``, or its results kept from an earlier call on the same text and
        ``kind`` of analysis."""
        if not self.size:
            return analyze(text)
        key = hashlib.blake2b(kind.encode() + b"\x00" + text.encode("utf-8", "surrogatepass"),
                              digest_size=16, key=_KEY).digest()
        with self._lock:
            kept = self._results.get(key)
            if kept is not None:
                self._results.move_to_end(key)
        if kept is None:
            kept = [copy.copy(r) for r in analyze(text)]
            with self._lock:
                self._results[key] = kept
                while len(self._results) > self.size:
                    self._results.popitem(last=False)
        return [copy.copy(r) for r in kept]
