"""Values written with other characters (full-width, no-break spaces) or escapes (JSON, URL,
HTML) are found, and what replaces them covers the characters as written."""
import json

import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.spellings import normalised

SPELLED = [
    ("card 5500\u00a00000\u00a00000\u00a00004 please", "5500", "CREDIT_CARD"),
    ("card 5500\u202f0000\u20090000\u20090004 please", "5500", "CREDIT_CARD"),
    ("card ５５００ ００００ ００００ ０００４ please", "５５００", "CREDIT_CARD"),
    ("my ssn is ５３６-２２-１２３４ ok", "５３６", "US_SSN"),
    ("email ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ now", "ａｌｉｃｅ", "EMAIL_ADDRESS"),
    ('{"email": "alice.smith\\u0040example.com"}', "alice.smith", "EMAIL_ADDRESS"),
    ("mail alice.smith%40example.com today", "alice.smith", "EMAIL_ADDRESS"),
    ("<a>alice.smith&#64;example.com</a>", "alice.smith", "EMAIL_ADDRESS"),
    ("write to al\u00adice.smith@exam\u200bple.com", "ice.smith", "EMAIL_ADDRESS"),
]


@pytest.mark.parametrize("mode", ["regex", "ner"])
@pytest.mark.parametrize(("text", "part", "kind"), SPELLED)
def test_a_value_spelled_otherwise_is_replaced_whole(text: str, part: str, kind: str, mode: str,
                                                     regex_guard: PIIGuard, ner_guard: PIIGuard) -> None:
    guard = regex_guard if mode == "regex" else ner_guard
    ctx = Context()
    verdict = guard.check(text, ctx)
    assert not verdict.passed and part not in verdict.fixed
    assert f"<{kind}_1>" in verdict.fixed
    assert [f.kind for f in verdict.findings] == [kind]
    finding = verdict.findings[0]
    assert text[:finding.start] + f"<{kind}_1>" + text[finding.end:] == verdict.fixed
    ctx.side = "output"  # the original comes back as written (JSON: escaped once)
    back = guard.check(verdict.fixed, ctx).fixed
    assert back == text or (text.startswith("{") and json.loads(back) == json.loads(text))


def test_the_view_maps_back_over_whole_characters_and_escapes() -> None:
    text = "a\u00a0b ＡＢ x%40y %20 \\u0040 \\n &#x40; 中文"
    spelling = normalised(text)
    assert spelling.text == "a b AB x@y %20 @ \\n @ 中文"
    at = spelling.text.index("x@y")
    assert text[slice(*spelling.span_back(at, at + 3))] == "x%40y"
    at = spelling.text.index("AB")
    assert text[slice(*spelling.span_back(at, at + 2))] == "ＡＢ"
    assert normalised("plain ascii, 100% sure").moves is None
    assert normalised("中文 and é").moves is None  # already NFKC: read as written


def test_escapes_of_separators_are_left_as_written() -> None:
    # %20, %2F, %3F, %26 shape a link: decoding them would cut it up
    text = "https://example.com/a%20b%2Fc?q=%3Fx%26y"
    assert normalised(text).moves is None


@pytest.mark.parametrize("operator", ["pseudonymize", "hash"])
def test_a_value_written_full_width_and_in_ascii_is_one_value(operator: str) -> None:
    guard = PIIGuard(mode="regex", operator=operator)  # type: ignore[arg-type]
    text = "Mail ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ or john@example.com today"
    fixed = guard.check(text, Context()).fixed
    assert fixed is not None and "john" not in fixed and "ｊｏｈｎ" not in fixed
    first, second = fixed.removeprefix("Mail ").removesuffix(" today").split(" or ")
    assert first == second and first.startswith("<EMAIL_ADDRESS_")


def test_an_answer_writing_a_value_of_the_prompt_in_ascii_holds_nothing_new() -> None:
    guard = PIIGuard(mode="regex", operator="mask")
    ctx = Context()
    guard.check("My mail is j\\u006fhn@example.com, card ４１１１ １１１１ １１１１ １１１１", ctx)
    ctx.side = "output"
    verdict = guard.check("Your mail john@example.com and card ４１１１ １１１１ １１１１ １１１１ are on file.", ctx)
    assert verdict.passed and verdict.fixed is None
