"""The policy engine's shortcuts (regex gate, substring search for few phrases, letter
mapping without fold offsets, shared field conditions) give the same verdicts as the plain
way."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guardlayer.context import Context
from guardlayer.guards.policy import PolicyGuard
from guardlayer.guards.policy.engine import _gate
from guardlayer.guards.policy.text import Letters, PhraseIndex, fold_text
from guardlayer.verdict import Verdict


def _spans(v: Verdict) -> list[tuple[str, int, int]]:
    return [(f.kind, f.start, f.end) for f in v.findings]


def test_regex_rules_behind_a_gate_find_what_each_finds_alone() -> None:
    rules = [{"id": "a", "kind": "regex", "pattern": r"\bTICKET-\d{4}\b"},
             {"id": "b", "kind": "regex", "pattern": "drop table", "ignore_case": True},
             {"id": "c", "kind": "regex", "pattern": r"(?i)secret"},
             {"id": "d", "kind": "regex", "pattern": "Case"}]
    together = PolicyGuard(rules=rules)
    assert together.policy._gates[False] is not None
    texts = ["TICKET-1234 and DROP TABLE users", "a SECRET case", "case only", "Case", "nothing here",
             "TICKET-12345", ""]
    for text in texts:
        combined = together.check(text, Context(side="output"))
        alone = sorted(s for r in rules for s in _spans(PolicyGuard(rules=[r]).check(text, Context(side="output"))))
        assert sorted(_spans(combined)) == alone, text
        assert combined.fixed == PolicyGuard(rules=rules).check(text, Context(side="output")).fixed


def test_no_gate_for_patterns_that_refer_to_groups() -> None:
    from guardlayer.guards.policy.models import RegexRule
    backref = RegexRule(id="r", kind="regex", pattern=r"(\w)\1")
    other = RegexRule(id="s", kind="regex", pattern=r"(x)y")
    assert _gate([backref, other]) is None
    verbose = RegexRule(id="v", kind="regex", pattern="(?x) a b  # a comment")
    assert _gate([verbose, other]) is None and _gate([other, other]) is not None
    guard = PolicyGuard(rules=[backref.model_dump(), other.model_dump()])
    assert [f.text for f in guard.check("book xy", Context()).findings] == ["oo", "xy"]


def test_few_phrases_are_found_like_many() -> None:
    phrases = ["no refund", "refund", "guaranteed", "fund"]
    few = PhraseIndex([(p, i) for i, p in enumerate(phrases)])
    many = PhraseIndex([(p, i) for i, p in enumerate(phrases)] +
                       [(f"filler phrase {k}", 100 + k) for k in range(20)])
    assert few._few is not None and many._few is None
    for text in ["No refund! refund, norefund, re-fund; GUARANTEED guaran teed fund", "nothing",
                 "refundrefund", "f u n d"]:
        folded = fold_text(text)
        got = few.find(Letters(folded, text), text)
        want = [h for h in many.find(Letters(folded, text), text) if h.owner < 100]
        assert got == want, text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcXYZ019@$!| .,-_\t\n'\"", max_size=60))
def test_letter_mapping_without_offsets_matches_offsets(text: str) -> None:
    folded = fold_text(text)
    letters = Letters(folded, text)
    n = len(letters.text)
    for i in range(n):
        offsets = folded.offsets
        j = [k for k, c in enumerate(folded.text) if c.isalnum()][i]
        assert letters.original(i, i + 1) == (offsets[j], offsets[j] + 1)


def test_shared_field_conditions_are_judged_per_rule() -> None:
    shared = {"when": {"action": "refund"}}
    rules = [{"id": f"f{i}", "kind": "field", **shared, "require": [f"refund.amount <= {limit}"],
              "action": "fix"} for i, limit in enumerate([100, 200, 300])]
    guard = PolicyGuard(rules=rules)
    value = {"action": "refund", "refund": {"amount": 150}}
    v = guard.check("{}", Context(side="output", value=value))
    assert sorted(v.meta["actions"]) == ["f0"]
    assert v.fixed is None  # an absent amount is not "<= 100" either: not fixable
    assert guard.check("{}", Context(side="output", value={"action": "other", "refund": {"amount": 999}})).passed


def test_fix_is_judged_on_the_fixed_value_not_the_shared_answers() -> None:
    rules = [{"id": f"p{i}", "kind": "field", "when": {"region": "EU"}, "require": ["price absent"],
              "action": "fix"} for i in range(2)]
    v = PolicyGuard(rules=rules).check("{}", Context(side="output", value={"region": "EU", "price": 3}))
    assert sorted(v.meta["actions"]) == ["p0", "p1"]
    assert v.value == {"region": "EU"}
