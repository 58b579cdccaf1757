"""The guard protocol. A guard is any object with ``check(text, ctx) -> Verdict``.

Optional attributes the chain reads:

- ``name``: how the guard appears in Reports (defaults to its registry name or class name).
- ``holdback``: an ``int`` number of characters; a guard that has it can judge a prefix of a
  streamed answer, and the chain holds that many characters back before releasing them.
- ``safe_boundary(text) -> int``: where a streamed prefix may be cut without splitting
  something the guard must see whole (a PII placeholder, say).
- ``restores = True``: on output it puts private originals back (PII), so the chain refuses to
  place a guard that can re-ask the model after it.
- ``tool_arguments = True``: on output it also judges each tool call's arguments (their JSON
  text, with ``ctx.value`` the parsed arguments, which its verdict's ``value`` may rewrite).
- ``assistant_turns = True``: on input it also judges the assistant's earlier turns in the
  messages (source ``assistant``), which other guards skip as the application's own text;
  ``system_turns = True``: likewise system and developer messages (source ``system``).
- ``whole_call = True``: its verdict is on the call as a whole wherever it is run, so a failure
  on the application's own text is acted on, not only logged (token_limit). A call that holds
  media alone (a user turn of an image or a file, no text) is judged by such guards only, each
  run once on an empty text (``ctx.messages`` and ``ctx.call`` hold the call); a fix of that
  empty text has nowhere to go and is refused (`ConfigError` naming the guard).
- ``per_request = True``: on input it also judges each re-ask, whose conversation is longer
  (the answer and the reason added), before it is sent (a token limit); one it refuses or would
  change (a cut could drop the question) is not sent, and the call goes on as when the re-asks
  run out.
- ``offload = True``: it keeps a CPU busy for milliseconds, so an async chain runs the guards
  in a worker thread rather than stall the event loop (the chain's ``offload`` option decides
  when it is given).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .errors import ConfigError

if TYPE_CHECKING:
    from .context import Context
    from .verdict import Verdict


@runtime_checkable
class Guard(Protocol):
    def check(self, text: str, ctx: Context) -> Verdict: ...


def guard_name(guard: object) -> str:
    return getattr(guard, "name", None) or type(guard).__name__


def _seconds(variable: str, default: float) -> float:
    raw = os.environ.get(variable)
    try:
        value = default if raw is None else float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{variable} must be a positive number of seconds, got {raw!r}")
    return value


REGEX_TIMEOUT_ENV = "GUARDLAYER_REGEX_TIMEOUT"
REGEX_TIMEOUT = _seconds(REGEX_TIMEOUT_ENV, 0.2)
"""Seconds any one regex call on untrusted text may take (the ``regex`` module's ``timeout=``;
$GUARDLAYER_REGEX_TIMEOUT, read at import, else 0.2). A timeout raises ``TimeoutError``; the
chain then counts the guard as failed (fail closed). The ``regex`` module counts the process's
CPU time, not wall time: every thread's work and a garbage collection during the call count too.
`timed_regex` corrects for that: a call that runs out is tried again with the limit scaled by
this thread's share of the process's CPU time."""
