"""Kinds left out (``exclude_entities``) are dropped before overlaps are merged: what identifies
someone inside an excluded span (an email in a link) is still replaced."""
from pathlib import Path

import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard

LINKS = [
    ("my CRM page https://crm.example.com/c?email=alice.smith@example.com", "https://crm.example.com/c?email="),
    ("compose: https://mail.google.com/mail/?view=cm&to=alice.smith@example.com", "&to="),
    ("write to mailto:alice.smith@example.com", "mailto:"),
]


@pytest.fixture(scope="module")
def no_urls() -> PIIGuard:
    return PIIGuard(exclude_entities=["URL"])


@pytest.mark.parametrize(("text", "kept"), LINKS)
def test_an_email_inside_an_excluded_link_is_replaced(no_urls: PIIGuard, text: str, kept: str) -> None:
    verdict = no_urls.check(text, Context())
    assert not verdict.passed and "alice.smith" not in verdict.fixed
    assert kept + "<EMAIL_ADDRESS_1>" in verdict.fixed  # the link around it stays
    assert [f.kind for f in verdict.findings] == ["EMAIL_ADDRESS"]


def test_an_excluded_link_hides_guesses_and_dates_in_it(no_urls: PIIGuard) -> None:
    text = "see https://example.com/Sarah/2023-05-01/report for details"
    assert no_urls.check(text, Context()).passed


def test_shipped_support_bot_replaces_an_email_in_a_link() -> None:
    from guardlayer import guarded

    sent = []

    @guarded(rules=Path(__file__).resolve().parents[3] / "rules" / "support_bot.yaml")
    def ask(messages: list[dict]) -> str:
        sent.append(messages[0]["content"])
        return "Sure."
    ask([{"role": "user", "content": LINKS[0][0]}])
    assert sent == ["my CRM page https://crm.example.com/c?email=<EMAIL_ADDRESS_1>"]


@pytest.mark.parametrize("mode", ["ner", "regex"])
def test_an_excluded_emails_domain_is_left_with_it(mode: str) -> None:
    guard = PIIGuard(mode=mode, exclude_entities=["EMAIL_ADDRESS"])  # type: ignore[arg-type]
    text = "Write to support@help.example.org today, or see https://help.example.org/contact now."
    verdict = guard.check(text, Context())
    assert verdict.fixed == "Write to support@help.example.org today, or see <URL_1> now."
