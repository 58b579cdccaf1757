"""Whose a text in a call is: the roles of messages, the sources they make, and `Slot`, one
untrusted text with where it sits."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TRUSTED_ROLES = frozenset({"system", "developer", "assistant"})
"""Roles whose messages are ours; every other role (none, "user", "User", "tool", ...) is untrusted."""
HISTORY = "assistant"
"""The source of the assistant's earlier turns: trusted, seen only by guards with
``assistant_turns = True``."""
SYSTEM = "system"
"""The source of system and developer messages: trusted, seen only by guards with
``system_turns = True`` (PII: personal data leaves the process in any message)."""
OWN_SOURCES = frozenset({HISTORY, SYSTEM})
"""Sources of the application's own text: never a reason to refuse a call, never cut."""
TOOL_ROLES = frozenset({"tool", "function", "ipython"})
HISTORY_ROLES = frozenset({"assistant", "model"})
"""Roles of the assistant's earlier turns (``model``: Gemini's)."""
KIND_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "function"}
"""The role of a LangChain message, which names it by its ``type``."""
PAIR_ROLES = frozenset({"human", "user", "ai", "assistant", "system", "developer", "tool", "function",
                        "placeholder"})
"""Roles of a LangChain ``(role, text)`` message."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One untrusted text in a call: which argument (and message), and its source."""

    arg: str
    index: int | None
    source: str
    text: str
    part: int | None = None  # the content part of a message that holds the text
    field: str | None = None  # a document part's field that holds it besides its text (`SIDE_FIELDS`)
    tool: tuple[int, tuple[Any, ...] | None] | None = None
    """In an assistant turn's tool call: the call's number and the path to the string among its
    parsed arguments (None: arguments that are not JSON, the text whole)."""
    path: tuple[Any, ...] | None = None
    """Where the text is inside the message (or argument), when it is not its content or a
    part's text: a message's ``name``, a field of a Responses item, a title in a tool result."""
    beside: bool = False
    """The text stands beside a document's own (a title, a URL, metadata): `Context.beside`."""
    encoded: str | None = None
    """How the text was decoded from an inline text file: its encoding (and BOM), then its data-URL
    header (``"cp1252,data:text/csv;base64,"``), ``base64`` (bare base64 text: a LangChain or Gemini
    block) or ``bytes`` (raw bytes): a text put back is encoded the same way (`call_files.encoded`)."""

    @property
    def target(self) -> str:
        where = self.arg if self.index is None else f"{self.arg}[{self.index}]"
        if self.path is not None:
            return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        if self.tool is not None:
            number, path = self.tool
            return f"{where}.tool_calls[{number}].arguments" + "".join(f"[{p!r}]" for p in path or ())
        where = where if self.part is None else f"{where}.content[{self.part}]"
        return where if self.field is None else f"{where}.{self.field}"
