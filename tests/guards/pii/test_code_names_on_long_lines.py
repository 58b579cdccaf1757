"""Whether a bare ``a.b`` is a name in code is decided from its line and the text, read once per
text, not once per value: a line of thousands of emails or links is checked in time that grows with
its length, not its square (how much text each value's questions read is counted here; the time
itself is measured by the PII benchmark, not in tests). The answers are the same as before."""
from __future__ import annotations

from typing import Any

import pytest

from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii import results as results_module


class Counting:
    """A compiled pattern that counts the characters it is asked to search."""

    def __init__(self, pattern: Any, read: list[int]) -> None:
        self.pattern, self.read = pattern, read

    def search(self, text: str, *args: Any, **kwargs: Any) -> Any:
        self.read.append(len(text))
        return self.pattern.search(text, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern, name)


@pytest.mark.parametrize("unit", ["mail a@b.co ", "x=b.co ", "`run` b.co "])
def test_a_line_of_many_values_is_read_once_not_once_per_value(regex_guard: PIIGuard, unit: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    compile_ = results_module.timed_compile
    monkeypatch.setattr(results_module, "_KEY_BEFORE", Counting(results_module._KEY_BEFORE, read))
    monkeypatch.setattr(results_module, "timed_compile", lambda *a, **k: Counting(compile_(*a, **k), read))
    text = unit * 600
    found = regex_guard.analyze(text)
    assert len(found) >= 600 and sum(read) < 100 * len(text)  # (before: ~900 times)


@pytest.mark.parametrize(("text", "kept"), [
    ("name = user.name and then `git config user.name` " * 50, True),
    ("FROM customers c WHERE c.name = 'x'; " * 50, True),
    ("see example.com or `example.com` " * 50, False),
    ("email: req.body.email, else {user.email} " * 50, True),
])
def test_names_in_code_on_a_long_line_are_left(regex_guard: PIIGuard, text: str, kept: bool) -> None:
    urls = [text[r.start:r.end] for r in regex_guard.analyze(text) if r.entity_type == "URL"]
    assert (urls == []) is kept
