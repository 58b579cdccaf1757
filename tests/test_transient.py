"""Recognising transient provider errors and Retry-After, from SDK-like exception shapes."""
from __future__ import annotations

import email.utils

import pytest

from guardlayer.testing import ProviderFailure
from guardlayer.transient import is_transient, retry_after


class RateLimitError(Exception):
    """Named like openai.RateLimitError / anthropic.RateLimitError."""


class APIConnectionError(Exception):
    pass


class BadRequestError(Exception):
    status_code = 400


class Response:
    def __init__(self, status_code, headers):
        self.status_code, self.headers = status_code, headers


class HTTPStatusError(Exception):
    def __init__(self, status_code, headers=None):
        super().__init__(status_code)
        self.response = Response(status_code, headers or {})


class APIStatusError(Exception):
    """As anthropic raises an error event met in a streamed HTTP 200 answer."""

    def __init__(self, body):
        super().__init__("error event")
        self.status_code, self.body = 200, body


@pytest.mark.parametrize("exc, expected", [
    (RateLimitError("slow down"), True),
    (APIStatusError({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}), True),
    (APIStatusError({"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}), False),
    (APIStatusError(None), False),
    (APIConnectionError("reset"), True),
    (TimeoutError(), True),
    (ConnectionResetError(), True),
    (HTTPStatusError(503), True),
    (HTTPStatusError(529), True),
    (ProviderFailure(429), True),
    (BadRequestError("no"), False),
    (HTTPStatusError(401), False),
    (ValueError("bug"), False),
])
def test_is_transient(exc, expected):
    assert is_transient(exc) is expected


def test_retry_after_forms():
    assert retry_after(HTTPStatusError(429, {"retry-after": "7"})) == 7
    assert retry_after(HTTPStatusError(429, {"Retry-After-Ms": "1500"})) == 1.5
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after(HTTPStatusError(429, {"retry-after": date}), now=now) == pytest.approx(30, abs=1)
    assert retry_after(HTTPStatusError(429)) is None
    assert retry_after(HTTPStatusError(429, {"retry-after": "soon"})) is None
