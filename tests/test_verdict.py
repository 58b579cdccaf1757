"""The Verdict: immutable, cheap, equal on what a guard judged (not on its meta)."""
from __future__ import annotations

import pytest

from guardlayer.verdict import MISSING, Finding, Verdict


def test_constructors_and_fields():
    ok = Verdict.ok(value=None, meta={"form": "plain"})
    assert ok.passed and ok.has_value and ok.value is None and ok.meta["form"] == "plain"
    bad = Verdict.fail("too long", score=0.7, fixed="short", findings=[Finding("len", 0, 9)])
    assert not bad.passed and bad.value is MISSING and not bad.has_value
    assert bad.findings == (Finding("len", 0, 9),)


def test_immutable_including_the_default_meta():
    verdict = Verdict.ok()
    with pytest.raises(AttributeError):
        verdict.passed = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        verdict.meta["x"] = 1  # type: ignore[index]
    assert Verdict.ok().meta == {}


def test_equality_ignores_meta_and_naming_keeps_the_rest():
    a = Verdict.fail("r", meta={"t": 1})
    assert a == Verdict.fail("r", meta={"t": 2}) and hash(a) == hash(Verdict.fail("r"))
    assert a != Verdict.fail("other")
    named = a.named("g")
    assert named.guard == "g" and named.reason == "r" and named.meta == {"t": 1}
    assert named.to_dict()["guard"] == "g" and named.to_dict()["meta"] == {"t": 1}
