from guardlayer.context import Context, Scope
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.operators import Vault, keyed_hash, mask

TEXT = "Write to jane.doe@example.com or call +1 (202) 555-0134 today."


def test_redact(regex_guard: PIIGuard) -> None:
    guard = PIIGuard(mode="regex", operator="redact")
    v = guard.check(TEXT, Context())
    assert not v.passed
    assert v.fixed == "Write to <EMAIL_ADDRESS> or call <PHONE_NUMBER> today."
    assert {f.kind for f in v.findings} == {"EMAIL_ADDRESS", "PHONE_NUMBER"}


def test_mask_keeps_separators_and_last_chars() -> None:
    assert mask("+1 (202) 555-0134") == "+* (***) ***-0134"
    assert mask("abc") == "***"  # too short to keep anything
    v = PIIGuard(mode="regex", operator="mask").check(TEXT, Context())
    assert v.fixed is not None and "555-0134" not in v.fixed and "***-0134" in v.fixed
    assert "jane.doe" not in v.fixed


def test_hash_is_keyed_and_linkable() -> None:
    a = PIIGuard(mode="regex", operator="hash", hash_key="k1")
    b = PIIGuard(mode="regex", operator="hash", hash_key="k2")
    text = "mail jane@example.com and again jane@example.com, not bob@example.com"
    fixed = a.check(text, Context()).fixed
    assert fixed is not None and "@" not in fixed
    tokens = [w.strip(",") for w in fixed.split() if w.startswith("<EMAIL_ADDRESS_")]
    assert len(tokens) == 3 and tokens[0] == tokens[1] != tokens[2]
    # linkable across calls with the same key, different under another key
    assert a.check("jane@example.com", Context()).fixed == tokens[0]
    assert b.check("jane@example.com", Context()).fixed != tokens[0]
    assert keyed_hash("EMAIL_ADDRESS", "jane@example.com", b"k1") == tokens[0]


def test_pseudonymize_stable_per_value() -> None:
    guard = PIIGuard(mode="regex")
    text = "a@example.com, b@example.com, a@example.com"
    v = guard.check(text, Context())
    assert v.fixed == "<EMAIL_ADDRESS_1>, <EMAIL_ADDRESS_2>, <EMAIL_ADDRESS_1>"


def test_vault_restore_reports_spans() -> None:
    vault = Vault()
    p = vault.placeholder("PERSON", "Ann Lee")
    restored, spans = vault.restore(f"Hi {p}, and <PERSON_9>.")
    assert restored == "Hi Ann Lee, and <PERSON_9>."
    assert [restored[s:e] for s, e in spans] == ["Ann Lee"]


def test_one_person_in_any_case_is_one_placeholder_and_comes_back_as_written() -> None:
    guard = PIIGuard(mode="regex")
    text = "Name: John Smith\nEmail: js@example.com\nPlease call JOHN SMITH or john  smith today."
    ctx = Context()
    v = guard.check(text, ctx)
    assert v.fixed is not None and v.fixed.count("<PERSON_1>") == 3 and "<PERSON_2>" not in v.fixed
    ctx.side = "output"
    assert guard.check(v.fixed, ctx).fixed == text  # an echo: each spelling back where it was
    answer = guard.check("Sure, I will call <PERSON_1>.", ctx)
    assert answer.fixed == "Sure, I will call John Smith."  # one occurrence: the first spelling


def test_vault_tells_values_apart_case_folded() -> None:
    vault = Vault()
    assert vault.placeholder("PERSON", "Ann Lee") == vault.placeholder("PERSON", "ANN  LEE") == "<PERSON_1>"
    assert vault.placeholder("PERSON", "Ann Leeds") == "<PERSON_2>"
    assert vault.placeholder("LOCATION", "ann lee") == "<LOCATION_1>"  # per entity
    vault.scrubbed([("PERSON", "ANN  LEE"), ("PERSON", "Ann Lee")])
    assert vault.restore("<PERSON_1> / <PERSON_1> / <PERSON_1>")[0] == "ANN  LEE / Ann Lee / Ann Lee"


def test_a_known_name_written_in_another_case_in_the_answer_is_not_a_new_leak() -> None:
    guard = PIIGuard(operator="pseudonymize")
    ctx = Context()
    guard.check("Name: John Smith\nPlease call him.", ctx)
    ctx.side = "output"
    answer = "Name: JOHN SMITH\nEmail: js@example.org"
    assert [(f.kind, answer[f.start:f.end]) for f in guard.check(answer, Context()).findings][0] == (
        "PERSON", "JOHN SMITH")  # found as a person in an answer on its own
    verdict = guard.check(answer, ctx)
    assert "JOHN SMITH" in verdict.fixed and "<PERSON" not in verdict.fixed  # the user's own name


def test_values_whose_case_matters_keep_their_own_placeholders() -> None:
    """Two API keys that differ only in case are two secrets: folding them into one placeholder
    put the production key back where the model wrote about the staging one."""
    vault = Vault()
    prod, staging = "Xk29sLqP7vB3nM8t", "xK29SlQp7Vb3Nm8T"
    assert vault.placeholder("SECRET", prod) != vault.placeholder("SECRET", staging)
    assert vault.restore(vault.placeholder("SECRET", staging))[0] == staging
    assert vault.placeholder("EMAIL_ADDRESS", "Ann@Example.org") == vault.placeholder("EMAIL_ADDRESS", "ann@example.org")
    assert vault.known("PERSON", "ANN LEE") is False
    vault.placeholder("PERSON", "Ann Lee")
    assert vault.known("PERSON", "ANN  LEE") and not vault.known("SECRET", prod.upper())


def test_a_placeholder_the_prompt_already_holds_is_not_handed_out_again() -> None:
    """A template's ``<PERSON_1>`` beside a real name: the name gets another placeholder, and
    an echo of the prompt comes back exact (the template's placeholder stays as written)."""
    guard = PIIGuard(mode="regex")
    prompt = ("Dear <PERSON_1>, write to <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_3>.\n"
              "Name: Carla Mendes\nEmail: carla.mendes@example.pt, c.m@example.pt")
    ctx = Context()
    fixed = guard.check(prompt, ctx).fixed
    assert fixed == ("Dear <PERSON_1>, write to <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_3>.\n"
                     "Name: <PERSON_2>\nEmail: <EMAIL_ADDRESS_2>, <EMAIL_ADDRESS_4>")
    ctx.side = "output"
    assert guard.check(f"Echo: {fixed}", ctx).fixed == f"Echo: {prompt}"


def test_a_placeholder_in_a_sessions_earlier_turn_is_skipped_in_later_ones() -> None:
    """A session's vault (as one call's, which its messages share): a placeholder written in an
    earlier one (with no personal data in it, or in JSON escapes) is not given to a value."""
    guard = PIIGuard(mode="regex", memory="session")
    session = Scope(session="templates")
    assert guard.check('{"greeting": "Hi \\u003cPERSON_1\\u003e", "to": "<PERSON_2>"}', Context(scope=session)).passed
    fixed = guard.check("Name: Ivo Petrov", Context(scope=session)).fixed
    assert fixed == "Name: <PERSON_3>"


def test_a_placeholder_given_out_is_kept_when_written_again() -> None:
    vault = Vault()
    assert vault.placeholder("PERSON", "Ann Lee") == "<PERSON_1>"
    vault.reserve("as before, <PERSON_1> and <PERSON_2>")
    assert vault.placeholder("PERSON", "Ann Lee") == "<PERSON_1>"
    assert vault.placeholder("PERSON", "Bo Chen") == "<PERSON_3>"
    assert vault.restore("<PERSON_1>, <PERSON_2>, <PERSON_3>")[0] == "Ann Lee, <PERSON_2>, Bo Chen"
