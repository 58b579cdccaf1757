"""Placeholders written otherwise by the model (another case, blanks inside the brackets, the
brackets HTML-escaped) are put back, only those this call issued, also when streamed."""
import random

import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard

FORMS = ["<person_1>", "< PERSON_1 >", "<PERSON_1 >", "&lt;PERSON_1&gt;", "<Person_1>", "&lt; person_1 &gt;"]


@pytest.mark.parametrize("form", FORMS)
def test_a_placeholder_written_otherwise_is_put_back(regex_guard: PIIGuard, form: str) -> None:
    ctx = Context()
    assert regex_guard.check("I am John Smith, mail john@example.com.", ctx).fixed == \
        "I am <PERSON_1>, mail <EMAIL_ADDRESS_1>."
    ctx.side = "output"
    verdict = regex_guard.check(f"Hi {form}, I wrote to <email_address_1>.", ctx)
    assert verdict.passed and verdict.fixed == "Hi John Smith, I wrote to john@example.com."


def test_only_issued_placeholders_are_put_back(regex_guard: PIIGuard) -> None:
    ctx = Context()
    regex_guard.check("I am John Smith.", ctx)
    ctx.side = "output"
    answer = "Hi <person_2>, &lt;EMAIL_ADDRESS_1&gt; and <b>bold</b>."
    assert regex_guard.check(answer, ctx).fixed is None  # nothing issued there: left as written


def test_a_placeholder_the_prompt_wrote_in_another_case_is_not_issued(regex_guard: PIIGuard) -> None:
    ctx = Context()
    scrubbed = regex_guard.check("Template: dear <person_1>. I am John Smith.", ctx).fixed
    assert scrubbed == "Template: dear <person_1>. I am <PERSON_2>."


@pytest.mark.parametrize("form", FORMS)
def test_a_streamed_placeholder_in_any_form_is_never_split(regex_guard: PIIGuard, form: str) -> None:
    ctx = Context()
    regex_guard.check("I am John Smith.", ctx)
    ctx.side = "output"
    answer = f"Hello {form}, and again {form}."
    for seed in range(30):  # release up to safe_boundary, as the chain does
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(answer)), k=10))
        buffer, released, out = "", 0, []
        for a, b in zip([0, *cuts], [*cuts, len(answer)]):
            buffer += answer[a:b]
            boundary = len(buffer) if b == len(answer) else regex_guard.safe_boundary(buffer)
            if boundary > released:
                piece = buffer[released:boundary]
                out.append(regex_guard.check(piece, ctx).fixed or piece)
                released = boundary
        assert "".join(out) == "Hello John Smith, and again John Smith."
