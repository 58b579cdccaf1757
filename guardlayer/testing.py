"""A scripted stand-in for a remote model, for tests and the demo (no network).

    model = ScriptedModel(["not json", '{"ok": true}'])
    model("prompt")  -> "not json", then '{"ok": true}'

Each answer is a ``str``, a response object, or an exception to raise. ``calls`` records what
the model was asked.
"""
from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any


class ProviderFailure(Exception):
    """Shaped like an SDK's HTTP error: ``status_code`` and ``response.headers``."""

    def __init__(self, status_code: int, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message or f"HTTP {status_code}")
        self.status_code = status_code
        self.response = _Response(status_code, {} if retry_after is None else
                                  {"retry-after": str(retry_after)})


class _Response:
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code, self.headers = status_code, headers


class ScriptedModel:
    """Answers from a script, in order (the last answer repeats). Thread-safe."""

    def __init__(self, answers: Sequence[Any], *, chunk: int | None = None) -> None:
        if not answers:
            raise ValueError("a scripted model needs at least one answer")
        self.answers, self.chunk = list(answers), chunk
        self.calls: list[Any] = []
        self._lock = threading.Lock()

    def _next(self, asked: Any) -> Any:
        with self._lock:
            answer = self.answers[min(len(self.calls), len(self.answers) - 1)]
            self.calls.append(asked)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def __call__(self, prompt: Any = None, **kwargs: Any) -> Any:
        answer = self._next(kwargs.get("messages", prompt))
        return self._chunks(answer) if self.chunk else answer

    async def ask(self, prompt: Any = None, **kwargs: Any) -> Any:
        """The async face of the same script."""
        answer = self._next(kwargs.get("messages", prompt))
        return self._achunks(answer) if self.chunk else answer

    def _chunks(self, answer: str) -> Iterator[str]:
        size = self.chunk or len(answer)
        for i in range(0, len(answer), size):
            yield answer[i:i + size]

    async def _achunks(self, answer: str) -> AsyncIterator[str]:
        for piece in self._chunks(answer):
            yield piece
