"""Answer text as a reason may quote it. Reasons are logged and put in reports, so what they
quote of an answer must not carry personal data: a run of five or more digits (a card number,
a phone, an SSN, an account, a birth date), perhaps split by single spaces, dashes, dots or
slashes, is written with ``#`` for each digit, and an email address as ``<email>``. Shorter
numbers (``12``, ``2024``, ``1,500``) are kept: a model fixing its answer needs them."""
from __future__ import annotations

from ..guard import REGEX_TIMEOUT
from ..timed_regex import timed_compile

_DIGIT_RUN = timed_compile(r"[0-9](?:[ ./-]?[0-9]){4,}")
_EMAIL = timed_compile(r"[^\s@\"'`<>()\[\]{},;:]+@[^\s@\"'`<>()\[\]{},;:]+")
_HASHED = str.maketrans("0123456789", "#" * 10)


def elide(text: str, limit: int = 60) -> str:
    """``text`` with its digit runs and email addresses elided (see above), then clipped to
    ``limit`` characters (``...`` at the end when clipped)."""
    if "@" in text:
        text = _EMAIL.sub("<email>", text, timeout=REGEX_TIMEOUT)
    text = _DIGIT_RUN.sub(lambda m: m.group().translate(_HASHED), text, timeout=REGEX_TIMEOUT)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def quote(text: str, limit: int = 60) -> str:
    """``text`` elided (`elide`) and quoted as ``repr`` quotes it."""
    return repr(elide(text, limit))
