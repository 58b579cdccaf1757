"""Which provider errors are worth retrying, and how long the provider asked us to wait.

Recognised without importing any SDK: by status code (``status_code``, ``status``,
``http_status`` or ``response.status_code``), by the error's type in its body (Anthropic reports
an overload met mid-stream as an error event in an HTTP 200 answer), by class name (OpenAI,
Anthropic, LiteLLM, httpx and requests timeouts, rate limits and connection errors), and builtin
timeouts.
"""
from __future__ import annotations

import asyncio
import email.utils
import time
from dataclasses import dataclass
from typing import Any

from .providers import field

TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
TRANSIENT_NAMES = frozenset({
    "RateLimitError", "APITimeoutError", "APIConnectionError", "InternalServerError",
    "ServiceUnavailableError", "OverloadedError", "Timeout", "TimeoutException", "ReadTimeout",
    "ConnectTimeout", "ConnectError", "ConnectionError", "RemoteProtocolError",
})
TRANSIENT_TYPES = frozenset({"overloaded_error", "rate_limit_error", "api_error", "timeout_error",
                             "server_error"})
"""Error types in an error's body (``{"error": {"type": ...}}``, Anthropic and OpenAI) that a
retry may cure."""


def status_of(exc: BaseException) -> int | None:
    for value in (getattr(exc, "status_code", None), getattr(exc, "status", None),
                  getattr(exc, "http_status", None),
                  field(getattr(exc, "response", None), "status_code")):
        if isinstance(value, int):
            return value
    return None


def is_transient(exc: BaseException) -> bool:
    """True for timeouts, rate limits, connection failures and 5xx answers."""
    if _body_type(exc) in TRANSIENT_TYPES:
        return True
    status = status_of(exc)
    if status is not None:
        return status in TRANSIENT_STATUS
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError, ConnectionError)):
        return True
    return any(cls.__name__ in TRANSIENT_NAMES for cls in type(exc).__mro__)


def _body_type(exc: BaseException) -> Any:
    """The error type an SDK error's body names (``body["error"]["type"]``, or ``body["type"]``)."""
    body = getattr(exc, "body", None)
    inner = field(body, "error") if isinstance(body, dict) else None
    return field(inner, "type") if isinstance(inner, dict) else field(body, "type") if isinstance(body, dict) else None


def retry_after(exc: BaseException, now: float | None = None) -> float | None:
    """Seconds the provider asked us to wait (Retry-After, retry-after-ms), if it said."""
    direct = getattr(exc, "retry_after", None)
    if isinstance(direct, (int, float)):
        return max(0.0, float(direct))
    headers = field(getattr(exc, "response", None), "headers") or getattr(exc, "headers", None)
    if not headers:
        return None
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = _header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now or time.time()))


def _header(headers: Any, name: str) -> str | None:
    try:
        value = headers.get(name)
        if value is None and isinstance(headers, dict):
            value = next((v for k, v in headers.items() if k.lower() == name), None)
    except (AttributeError, TypeError, ValueError):
        return None
    return str(value) if value is not None else None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter; a provider's Retry-After wins, up to ``max``."""

    initial: float = 0.5
    max: float = 20.0
    multiplier: float = 2.0
    jitter: bool = True
