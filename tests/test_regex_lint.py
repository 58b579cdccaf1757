"""The backtracking lint reads the pattern instead of timing it: the same verdict on every run and
under any load; the classic catastrophic patterns are refused naming the part at fault, ordinary
ones (and every shipped policy and recogniser pattern) pass."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import regex

from guardlayer import regex_lint, yaml_lines
from guardlayer.guards.policy import PolicyGuard
from guardlayer.regex_lint import backtracking_error, lint, slowness

RULES = Path(__file__).resolve().parent.parent / "rules"

CLASSICS = [  # (pattern, the part the message names, kind)
    (r"(a+)+$", "'(a+)+' (at 0)", "exponential"),
    (r"(a|a)*$", "'(a|a)*' (at 0)", "exponential"),
    (r"(\w+\s?)*$", r"'(\w+\s?)*' (at 0)", "exponential"),
    (r"^(\d+)*$", r"'(\d+)*' (at 1)", "exponential"),
    (r"(a|aa)+$", "'(a|aa)+' (at 0)", "exponential"),
    (r"(?:a(?:b?|c?))*$", "'(?:a(?:b?|c?))*' (at 0)", "exponential"),  # two empty branches per 'a'
    (r"(a|a){0,20}$", "'(a|a){0,20}' (at 0)", "exponential"),  # 2**20 readings
    (r".*.*=.*", "'.*' (at 0) and '.*' (at 2)", "polynomial"),
    (r"^\s*select\b[^;]*;?\s*$", r"'[^;]*' (at 12) and '\s*' (at 19)", "polynomial"),
    (r"\S+@\S+\.\w+", r"'\S+' (at 0) and '\S+' (at 4)", "polynomial"),
    (r"(?:\w+\s?){0,3}!", r"two copies of '\w+' (at 3) in '(?:\w+\s?){0,3}' (at 0)", "polynomial"),
    ("(?x) # a comment, with a [ and a ( in it\n (a +) + $", "'(a +) +' (at 42)", "exponential"),
]

ORDINARY = [
    r"(\w++\s?)*$",                                   # possessive: each word read one way
    r"(?:\w+ )*\w+$",                                 # a space between the words
    r"(a|a)*a|\w+\s*\w*",                             # ambiguous, but every text ends a match at once
    r"[^\s@]+@\S+\.\w+",                              # the fix of \S+@\S+
    r"[\w.]+@example\.com",
    r"\b(?:reveal|print) (?:\w+ ){0,3}?system prompt\b",
    r"\b(?:two|2) ways\b(?: \w+){0,12}? gpt\b(?: \w+){0,20}? dan",  # short counted loops
    r"!\[[^\]\n]{0,100}\]\(https?://[^)\s]{1,200}\?q=",
    r"(?:ignore all previous instructions){e<=3}",    # fuzzy
    r"[[:alpha:]]+ mode enabled",                     # POSIX class
    r"\p{Lu}\p{Ll}+ (?:says|said)\b",                 # Unicode properties
    r"(?i:refund)\s+of\s+\$?\d+(?:\.\d\d)?",
    "(?x) \\b refund (?:ed)? \\b  # a comment, with a [ and a ( in it\n [^.\\n]{0,30}? \\d+",
    r"(?:[.-]{1,7}(?: / | {1,3}|/|$)){8,}",          # "$" passed only at the end (or before a newline)
    r"(?:[ \t\n]++|#[^\n]*+)*x",                     # a possessive repeat is skipped only before what it cannot read
]


@pytest.mark.parametrize(("pattern", "part", "kind"), CLASSICS)
def test_catastrophic_patterns_are_refused_naming_the_part(pattern: str, part: str, kind: str) -> None:
    slow = slowness(pattern)
    assert slow is not None and slow.kind == kind and part in slow.detail
    error = backtracking_error(pattern) or ""
    assert error.startswith("the pattern backtracks catastrophically: ") and part in error


def test_the_message_shows_a_text_that_makes_it_slow() -> None:
    assert "on 'select' then ' ' repeated, then ';a'" in (lint(r"^\s*select\b[^;]*;?\s*$") or "")
    assert "on characters of '1' repeated, then 'a'" in (lint(r"^(\d+)*$") or "")


@pytest.mark.parametrize("pattern", ORDINARY)
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert slowness(pattern) is None and backtracking_error(pattern) is None


def test_version_1_sets_and_flags_are_read() -> None:
    assert slowness(r"[[a-z]--[aeiou]]+ing\b", regex.VERSION1) is None
    assert "'([[a-z]--[aeiou]]+x?)+'" in (lint(r"([[a-z]--[aeiou]]+x?)+!", regex.VERSION1) or "")


def test_a_lookarounds_body_is_checked() -> None:
    assert "'(a+)+' (at 3)" in (lint(r"(?=(a+)+$)x") or "")
    assert r"'(\w+\s?)*'" in (lint(r"y(?<!(\w+\s?)*!)") or "")


def test_syntax_it_cannot_follow_is_refused_as_unchecked() -> None:
    for pattern in (r"(?R)?x", r"(?P<n>a|b(?&n))"):
        slow = slowness(pattern)
        assert slow is not None and slow.kind == "unchecked"
        assert (backtracking_error(pattern) or "").startswith("the pattern cannot be checked")


def test_the_verdict_does_not_depend_on_load() -> None:
    """Read, not timed: the same verdicts while another thread keeps the CPU busy."""
    patterns = [p for p, _, _ in CLASSICS] + ORDINARY
    idle = [slowness.__wrapped__(p) for p in patterns]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            pass
    busy = threading.Thread(target=spin)
    busy.start()
    try:
        loaded = [slowness.__wrapped__(p) for p in patterns]
    finally:
        stop.set()
        busy.join()
    assert loaded == idle and [s is None for s in idle] == [False] * len(CLASSICS) + [True] * len(ORDINARY)


def test_shipped_policy_and_recogniser_patterns_pass() -> None:
    assert PolicyGuard(str(RULES / "policies" / "support_bot.yaml")).rules  # regex rules linted at load
    found = []
    for path in sorted((RULES / "pii").glob("*.yaml")):
        data, _ = yaml_lines.load(path)
        found += [p["regex"] for r in data["recognizers"] for p in r.get("patterns") or []]
    assert len(found) >= 3 and [p for p in found if lint(p)] == []


def test_limits_make_a_huge_pattern_unchecked_not_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regex_lint, "_BUDGET", 10)
    pattern = r"(?:\w+ ){0,5}(?:a|b|c)+x"
    slow = slowness.__wrapped__(pattern)
    assert slow is not None and slow.kind == "unchecked" and "too large" in slow.detail
