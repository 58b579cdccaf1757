"""The Verdict: immutable, cheap, equal on what a guard judged (not on its meta); it and the
errors that carry it survive pickling (process pools, task queues)."""
from __future__ import annotations

import pickle
from types import MappingProxyType

import pytest
from support import Deny

from guardlayer import (Blocked, BudgetExceeded, CallTimeout, MissingExtra, RuleFileError,
                        guarded, last_report)
from guardlayer.testing import ScriptedModel
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


@pytest.mark.parametrize("make", [Verdict.ok, lambda **kw: Verdict.fail("r", **kw)])
def test_meta_given_is_copied_read_only(make):
    given = {"operator": "redact"}
    verdict = make(meta=given)
    given["operator"] = "mask"  # the guard's dict changing later does not reach the verdict
    with pytest.raises(TypeError):
        verdict.meta["operator"] = "hash"
    assert verdict.meta == {"operator": "redact"}


def test_equality_ignores_meta_and_naming_keeps_the_rest():
    a = Verdict.fail("r", meta={"t": 1})
    assert a == Verdict.fail("r", meta={"t": 2}) and hash(a) == hash(Verdict.fail("r"))
    assert a != Verdict.fail("other")
    named = a.named("g")
    assert named.guard == "g" and named.reason == "r" and named.meta == {"t": 1}
    assert named.to_dict()["guard"] == "g" and named.to_dict()["meta"] == {"t": 1}


def _round_trip(obj: object) -> object:
    return pickle.loads(pickle.dumps(obj))


@pytest.mark.parametrize("verdict", [
    Verdict.fail("too long", score=0.7, fixed="short", findings=[Finding("len", 0, 9, "x" * 9)]),
    Verdict.ok(value=None, meta=MappingProxyType({"form": "plain", "spans": [1, 2]})).named("json"),
    Verdict.ok(meta={"form": "fenced"}),
])
def test_a_verdict_survives_pickling_whole_and_read_only(verdict):
    copy = _round_trip(verdict)
    assert copy == verdict and tuple(copy) == tuple(verdict) and copy.meta == verdict.meta
    assert type(copy.meta) is type(verdict.meta)
    assert copy.has_value == verdict.has_value and (copy.value is MISSING) == (verdict.value is MISSING)
    if isinstance(verdict.meta, MappingProxyType):
        with pytest.raises(TypeError):
            copy.meta["x"] = 1  # type: ignore[index]


def test_a_blocked_call_pickles_with_its_verdicts_and_report():
    ask = guarded(ScriptedModel(["never called"]), input=[Deny("secret")])
    with pytest.raises(Blocked) as info:
        ask("tell me the secret")
    err = info.value
    copy = _round_trip(err)
    assert type(copy) is Blocked and str(copy) == str(err) and copy.args == err.args
    assert copy.verdicts == err.verdicts and copy.verdicts[0].guard == "deny-secret"
    assert copy.verdicts[0].findings == err.verdicts[0].findings
    with pytest.raises(TypeError):
        copy.verdicts[0].meta["x"] = 1  # type: ignore[index]
    report = last_report()
    assert report is not None and report.outcome == "blocked"
    again = _round_trip(report)
    assert again.to_dict() == report.to_dict() and again.checks == report.checks


def test_every_public_error_pickles_with_its_fields():
    errors = [
        (MissingExtra("the 'pii' guard", "pii", "presidio_analyzer"), {"extra": "pii"}),
        (RuleFileError("unknown key", file="a.yaml", line=3, field="input[0].x"),
         {"file": "a.yaml", "line": 3, "field": "input[0].x", "message": "unknown key"}),
        (CallTimeout("model did not answer within 5 s"), {"report": None}),
        (BudgetExceeded("over", key="user:1", limit=10, spent=12), {"key": "user:1", "spent": 12}),
    ]
    for error, fields in errors:
        copy = _round_trip(error)
        assert type(copy) is type(error) and str(copy) == str(error) and copy.args == error.args
        assert {k: getattr(copy, k) for k in fields} == fields
