"""The output check of an answer with a parsed value (a JSON answer after the ``json`` guard, a
tool call's arguments): one analysis covers the text and the value; originals come back and new
personal data is replaced in both, and findings' spans point into the checked text."""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardlayer import guarded, step
from guardlayer.chain import last_report
from guardlayer.context import Context
from guardlayer.errors import Blocked
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.operators import keyed_hash, mask
from guardlayer.guards.pii.recent import Recent
from guardlayer.structured.strings import json_escapes, json_strings, map_strings
from guardlayer.verdict import MISSING, Verdict

JANE, LEAK = "jane.doe@example.com", "bob.leak@example.org"
PROMPT = f"Write to {JANE}."  # -> <EMAIL_ADDRESS_1>


class CountingEngine:
    """The real Presidio engine, keeping the texts it is asked to analyse."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.texts = engine, []

    def analyze(self, text: str, **kwargs: Any) -> Any:
        self.texts.append(text)
        return self.engine.analyze(text, **kwargs)


@pytest.fixture
def counted(regex_guard: PIIGuard) -> PIIGuard:
    guard = copy.copy(regex_guard)
    guard._engine = CountingEngine(regex_guard._engine)
    guard._recent = Recent(0)  # every check analyses: none of its texts kept from other tests
    return guard


def check(guard: PIIGuard, text: str, value: Any = MISSING, prompt: str | None = PROMPT) -> Verdict:
    """The output check as the chain runs it: the input scrubbed first, ``ctx.value`` set."""
    ctx = Context()
    if prompt:
        guard.check(prompt, ctx)
    ctx.side, ctx.value = "output", value
    return guard.check(text, ctx)


def spans(verdict: Verdict, text: str) -> list[str]:
    """What the findings point at in the checked text."""
    return [text[f.start:f.end] for f in verdict.findings]


# --- one analysis ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    {"to": "<EMAIL_ADDRESS_1>", "note": "ok"},  # passes
    {"to": "<EMAIL_ADDRESS_1>", "cc": LEAK, "note": "ship to 10 Downing Street\nLondon SW1A 2AA"},
])
def test_a_value_answer_is_analysed_once(counted: PIIGuard, value: dict[str, str]) -> None:
    verdict = check(counted, json.dumps(value), value)
    assert verdict.value["to"] == JANE
    (analysed,) = counted._engine.texts[1:]  # [0]: the input
    assert all(s in analysed for s in [JANE, *list(value.values())[1:]])  # restored, decoded
    assert verdict.passed == ("cc" not in value)


def test_through_the_chain_a_json_answer_and_a_tool_call_are_analysed_once(counted: PIIGuard) -> None:
    arguments = json.dumps({"to": "<EMAIL_ADDRESS_1>", "body": "Hello"})
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "send", "arguments": arguments}}]}}]}
    json_answer = guarded(input=[(counted, "fix")], output=[step("json"), counted])(lambda prompt: arguments)
    assert json_answer(PROMPT) == {"to": JANE, "body": "Hello"}
    assert len(counted._engine.texts) == 2  # the prompt, the answer
    tool_call = guarded(input=[(counted, "fix")], output=[counted])(lambda prompt: answer)
    result = tool_call(PROMPT)
    assert json.loads(result["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])["to"] == JANE
    assert len(counted._engine.texts) == 4  # the prompt, the arguments (the empty content is not)


def test_strings_the_text_does_not_spell_are_analysed_in_the_same_pass(counted: PIIGuard) -> None:
    """A schema's default or a coerced field is in the value but not in the JSON text."""
    value = {"n": 1, "note": f"write to {LEAK}"}
    verdict = check(counted, '{"n": 1}', value)
    assert len(counted._engine.texts) == 2  # the input, then the answer once
    assert not verdict.passed and verdict.value == {"n": 1, "note": "write to <EMAIL_ADDRESS>"}
    assert verdict.findings == () and verdict.fixed == '{"n": 1}'  # nothing in the text


def test_a_text_without_a_value_is_analysed_once(counted: PIIGuard) -> None:
    verdict = check(counted, f"Sent to <EMAIL_ADDRESS_1>, cc {LEAK}.")
    assert len(counted._engine.texts) == 2
    assert verdict.fixed == f"Sent to {JANE}, cc <EMAIL_ADDRESS>."


# --- the behaviours -------------------------------------------------------------------------
def test_a_json_answer_gets_the_originals_back(regex_guard: PIIGuard) -> None:
    @guarded(input=[(regex_guard, "fix")], output=[step("json"), regex_guard])
    def ask(prompt: str) -> str:
        (email,) = re.findall(r"<EMAIL_ADDRESS_\d+>", prompt)
        return json.dumps({"to": email, "note": "ok"})

    assert ask(PROMPT) == {"to": JANE, "note": "ok"}


def test_a_json_answer_with_new_data_blocks_when_the_step_blocks(regex_guard: PIIGuard) -> None:
    ask = guarded(input=[(regex_guard, "fix")], output=[step("json"), (regex_guard, "block")])(
        lambda prompt: json.dumps({"to": "<EMAIL_ADDRESS_1>", "cc": LEAK}))
    with pytest.raises(Blocked, match="personal data in the answer"):
        ask(PROMPT)


def test_new_data_is_redacted_in_text_and_value_and_spans_point_into_the_text(regex_guard: PIIGuard) -> None:
    value = {"to": "<EMAIL_ADDRESS_1>", "cc": LEAK, "card": 4111111111111111, "n": 12}
    text = json.dumps(value)
    verdict = check(regex_guard, text, value)
    assert verdict.value == {"to": JANE, "cc": "<EMAIL_ADDRESS>", "card": "<CREDIT_CARD>", "n": 12}
    assert verdict.fixed == text.replace("<EMAIL_ADDRESS_1>", JANE).replace(LEAK, "<EMAIL_ADDRESS>").replace(
        "4111111111111111", '"<CREDIT_CARD>"')  # the number in the JSON text too, as a string
    assert json.loads(verdict.fixed) == verdict.value
    assert spans(verdict, text) == [LEAK, "4111111111111111"]


@pytest.mark.parametrize("other", ["joann@example.com.invalid", "serial 94111 1111 1111 11115"])
def test_a_leak_is_redacted_where_it_stands_alone_not_inside_longer_words(regex_guard: PIIGuard,
                                                                          other: str) -> None:
    value = {"a": f"mail {LEAK}, card 4111 1111 1111 1111", "b": other.replace("joann@example.com", f"jo{LEAK}")}
    verdict = check(regex_guard, json.dumps(value), value)
    assert verdict.value == {"a": "mail <EMAIL_ADDRESS>, card <CREDIT_CARD>", "b": value["b"]}


def test_a_leak_after_an_underscore_or_a_colon_is_redacted(regex_guard: PIIGuard) -> None:
    value = {"a": "card 4111-1111-1111-1111", "b": "order_4111-1111-1111-1111", "c": f"Mail:{LEAK}"}
    verdict = check(regex_guard, json.dumps(value), value)
    assert verdict.value == {"a": "card <CREDIT_CARD>", "b": "order_<CREDIT_CARD>", "c": "Mail:<EMAIL_ADDRESS>"}


@pytest.mark.parametrize("key,flagged", [("ssn", True), ("id", False)])
def test_a_number_is_read_with_its_key(regex_guard: PIIGuard, key: str, flagged: bool) -> None:
    """Keys stay in the text analysed around the numbers: a US SSN needs the word's context."""
    value = {key: 536228374}
    verdict = check(regex_guard, json.dumps(value), value, prompt=None)
    assert verdict.passed != flagged
    assert verdict.value == ({key: "<US_SSN>"} if flagged else value)
    assert verdict.fixed == (f'{{"{key}": "<US_SSN>"}}' if flagged else None)


def test_an_address_the_json_writes_on_one_line_is_redacted_whole_in_both(regex_guard: PIIGuard) -> None:
    value = {"note": "ship to 10 Downing Street\nLondon SW1A 2AA"}
    text = json.dumps(value)
    verdict = check(regex_guard, text, value, prompt=None)
    assert verdict.value == {"note": "ship to <STREET_ADDRESS>"} == json.loads(verdict.fixed)
    assert spans(verdict, text) == ["10 Downing Street\\nLondon SW1A 2AA"]  # as the JSON spells it


def test_a_name_with_quotes_is_redacted_in_both(ner_guard: PIIGuard) -> None:
    value = {"note": 'Dear Robert "Bobby" Tables, welcome.'}
    verdict = check(ner_guard, json.dumps(value), value, prompt=None)
    assert verdict.value["note"].endswith("<PERSON>, welcome.")  # (NER may take "Dear" with it)
    assert json.loads(verdict.fixed) == verdict.value


def test_an_escaped_placeholder_is_restored_and_a_leak_beside_it_redacted(regex_guard: PIIGuard) -> None:
    text = '{"to": "\\u003cEMAIL_ADDRESS_1\\u003e", "cc": "' + LEAK + '"}'
    verdict = check(regex_guard, text, json.loads(text))
    assert verdict.value == {"to": JANE, "cc": "<EMAIL_ADDRESS>"}
    assert json.loads(verdict.fixed) == verdict.value  # the text restored too
    assert spans(verdict, text) == [LEAK]


def test_data_in_prose_around_the_json_is_redacted(regex_guard: PIIGuard) -> None:
    value = {"to": "<EMAIL_ADDRESS_1>"}
    text = f"I wrote to {LEAK} as well:\n```json\n{json.dumps(value)}\n```"
    verdict = check(regex_guard, text, value)
    assert verdict.value == {"to": JANE}
    assert verdict.fixed == text.replace(LEAK, "<EMAIL_ADDRESS>").replace("<EMAIL_ADDRESS_1>", JANE)
    assert spans(verdict, text) == [LEAK]


def test_spans_stay_right_after_escapes_emoji_and_restored_originals(regex_guard: PIIGuard) -> None:
    value = {"b\u00f6dy": f'\U0001f600 Dear <EMAIL_ADDRESS_1>,\n"hi" \u2013 tab\there, write to {LEAK}\\ ok'}
    text = json.dumps(value)  # \ud83d\ude00, \n, \", \u2013, \t, \\ in the text
    verdict = check(regex_guard, text, value)
    expected = {"b\u00f6dy": value["b\u00f6dy"].replace("<EMAIL_ADDRESS_1>", JANE).replace(LEAK, "<EMAIL_ADDRESS>")}
    assert verdict.value == expected == json.loads(verdict.fixed)
    assert spans(verdict, text) == [LEAK]


FRAGMENTS = ["hello", "\u00dcn\u00efc\u00f6d\u00e9", "\U0001f600", '"q"', "back\\slash", "\n", "\t",
             "ok.", "<EMAIL_ADDRESS_1>", LEAK]
strings = st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(" ".join)
values = st.recursive(strings | st.integers(0, 99) | st.booleans(),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3),
                      max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values, ascii_=st.booleans(), brackets=st.sampled_from([("<", ">"), ("\\u003c", "\\u003e"), ("\\u003C", ">")]),
       parsed=st.booleans())
def test_any_value_comes_back_restored_and_redacted_in_text_and_value(regex_guard: PIIGuard, value: Any,
                                                                      ascii_: bool, brackets: tuple[str, str],
                                                                      parsed: bool) -> None:
    """Also with ``<`` and ``>`` written as JSON escapes, and without a parsed value (``pii``
    before ``json``, a stream): the text is valid JSON of the value expected."""
    (left, right) = brackets
    text = json.dumps(value, ensure_ascii=ascii_).replace("<", left).replace(">", right)
    verdict = check(regex_guard, text, value if parsed else MISSING)
    expected = map_strings(value, lambda s: s.replace("<EMAIL_ADDRESS_1>", JANE).replace(LEAK, "<EMAIL_ADDRESS>"))
    assert verdict.value == (expected if parsed else MISSING)
    assert json.loads(verdict.fixed or text) == expected
    assert spans(verdict, text) == [LEAK] * text.count(LEAK)
    assert verdict.passed == (LEAK not in text)


# --- reading JSON strings -------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(value=st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(), inner, max_size=3), max_leaves=8),
       ascii_=st.booleans())
def test_json_strings_reads_every_string_where_it_stands(value: Any, ascii_: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_)
    found = json_strings(text)
    every: list[str] = []
    map_strings(value, lambda s: every.append(s) or s)
    assert sorted(s for _, _, s in found) == sorted(every)
    for start, end, string in found:
        contents = text[start:end]
        assert json.loads(f'"{contents}"') == string
        pieces, at = [], 0
        for a, b in json_escapes(contents):  # each escape is one character
            pieces += [contents[at:a], json.loads(f'"{contents[a:b]}"')]
            at = b
        assert "".join(pieces) + contents[at:] == string
        assert all(len(json.loads(f'"{contents[a:b]}"')) == 1 for a, b in json_escapes(contents))


def test_json_strings_passes_over_quotes_that_open_no_string() -> None:
    # the bad one's closing quote opens the next: reading goes on, its pairing a guess (the PII
    # check analyses any value string that no literal spells on its own)
    assert json_strings('say "a\\q" then "ok"') == [(9, 15, " then ")]
    assert json_strings('"' + '\\"' * 5000) == []  # unclosed: stops at once
    assert json_strings('5" long, "x"') == [(2, 9, " long, ")]


def test_a_leak_written_against_cjk_text_is_redacted_in_the_value(regex_guard: PIIGuard) -> None:
    value = {"a": f"联系邮箱{LEAK}谢谢"}
    verdict = check(regex_guard, json.dumps(value, ensure_ascii=False), value)
    assert LEAK not in verdict.value["a"] and verdict.value["a"].startswith("联系邮箱")


# --- the text of a JSON answer stays valid JSON, with the value's contents ------------------
ORDERS = ["json, pii", "pii, json", "pii", "stream"]


def answered(guard: PIIGuard, order: str, answer: str, prompt: str = PROMPT,
             parse: Callable[[str], Any] = json.loads) -> tuple[Any, str]:
    """What a caller of a guarded function whose model returns ``answer`` gets: the value
    (without ``json``: ``parse`` of the text), and the text (what ``pii`` passed on in the
    chain, the answer without ``json``, the stream)."""
    if order == "stream":
        def chunks(prompt: str) -> Any:
            for i in range(0, len(answer), 3):  # cuts in escapes and placeholders
                yield answer[i:i + 3]
        text = "".join(guarded(input=[(guard, "fix")], output=[guard])(chunks)(prompt))
        return parse(text), text
    output = {"json, pii": [step("json"), guard], "pii, json": [guard, step("json", "block")],
              "pii": [guard]}[order]
    result = guarded(input=[(guard, "fix")], output=output)(lambda prompt: answer)(prompt)
    if order == "pii":
        return parse(result), result
    report = last_report()
    assert report is not None
    (pii,) = [c.verdict for c in report.checks if c.verdict.guard == guard.name and c.target == "output"]
    return result, pii.fixed or answer


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("written", ["\\u003cEMAIL_ADDRESS_1\\u003e", "\\u003cEMAIL_ADDRESS_1>",
                                     "<EMAIL_ADDRESS_1\\u003e", "<EMAIL\\u005fADDRESS_1>",
                                     "\\u003C\\u0045MAIL_ADDRESS_1\\u003E", "\\u003c\\u003cEMAIL_ADDRESS_1\\u003e"])
def test_a_placeholder_written_with_json_escapes_is_restored_in_the_text(regex_guard: PIIGuard, order: str,
                                                                         written: str) -> None:
    value, text = answered(regex_guard, order, f'{{"to": "{written}", "n": 1}}')
    expected = {"to": JANE if not written.startswith("\\u003c\\u003c") else f"<{JANE}", "n": 1}
    assert value == expected == json.loads(text)


ADDRESS = "221B Baker Street\nLondon NW1 6XE"
QUOTED = PIIGuard(mode="regex", deny={"PERSON": ['Robert "Bobby" Tables', "ACME\\bobby"]})


@pytest.mark.parametrize("order", ORDERS)
def test_an_original_put_back_in_a_json_string_is_escaped(order: str) -> None:
    prompt = f'Ship to {ADDRESS} for Robert "Bobby" Tables, login ACME\\bobby.'
    answer = '{"where": "<STREET_ADDRESS_1>", "who": ["<PERSON_1>", "<PERSON_2>"], "<PERSON_1>": 1}'
    value, text = answered(QUOTED, order, answer, prompt)
    expected = {"where": ADDRESS, "who": ['Robert "Bobby" Tables', "ACME\\bobby"], 'Robert "Bobby" Tables': 1}
    assert value == expected == json.loads(text)  # (json.loads is strict: a raw line break fails)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("operator,card", [("redact", "<CREDIT_CARD>"), ("mask", "************1111"),
                                           ("hash", None)])
def test_a_number_replaced_in_the_text_becomes_a_json_string(order: str, operator: str, card: str | None) -> None:
    """A placeholder, a mask or a hash is not a number: in the text and in the value the number
    becomes a string (the rest of the number as it was written)."""
    guard = PIIGuard(mode="regex", operator=operator)
    answer = '{"card": 4111111111111111, "all": [[-4111111111111111.0, 7]], "n":4111111111111111}'
    value, text = answered(guard, order, answer, prompt="Pay my order.")
    if card is None:
        card = value["card"]
        assert re.fullmatch(r"<CREDIT_CARD_[0-9a-f]{16}>", card)
    assert value == {"card": card, "all": [[f"-{card}.0", 7]], "n": card} == json.loads(text)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("operator", ["mask", "hash"])
def test_a_value_the_json_writes_with_escapes_is_replaced_alike_in_text_and_value(order: str,
                                                                                 operator: str) -> None:
    """The address is ``...Street\\nLondon...`` in the JSON text: the mask or hash is of the
    string it encodes, written escaped (a mask of the escape itself, ``\\*``, is not JSON)."""
    guard = PIIGuard(mode="regex", operator=operator, mask_keep=0, hash_key="k")
    answer = json.dumps({"note": "ship to 10 Downing Street\nLondon SW1A 2AA", "cc": f"\u00e9\n{LEAK}\t"})
    value, text = answered(guard, order, answer, prompt="Hello.")
    assert value == json.loads(text)
    assert LEAK not in text and "Downing" not in text
    assert value["cc"].startswith("\u00e9\n") and value["cc"].endswith("\t")  # nothing around them eaten
    if order == "json, pii":  # (pii alone analyses the JSON text: the address may not be found whole)
        address = "10 Downing Street\nLondon SW1A 2AA"  # hashed as the string, not as its JSON
        assert value["note"] == "ship to " + (mask(address, 0) if operator == "mask"
                                              else keyed_hash("STREET_ADDRESS", address, b"k"))


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("mask_char", ['"', "\\"])
def test_a_mask_of_quotes_or_backslashes_is_escaped_in_a_json_string(order: str, mask_char: str) -> None:
    guard = PIIGuard(mode="regex", operator="mask", mask_char=mask_char)
    value, text = answered(guard, order, json.dumps({"cc": LEAK, "card": 4111111111111111}), prompt="Hi.")
    assert value == json.loads(text) == {"cc": mask(LEAK, 4, mask_char), "card": mask_char * 12 + "1111"}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("answer,expected", [
    ({LEAK: 1, "n": {LEAK: [LEAK]}}, {"<EMAIL_ADDRESS>": 1, "n": {"<EMAIL_ADDRESS>": ["<EMAIL_ADDRESS>"]}}),
    ({"<EMAIL": "_ADDRESS_1>", "a": ["<EMAIL_", "ADDRESS_1>"]}, None),  # no placeholder made across strings
    ({"a": "\\u003cEMAIL_ADDRESS_1\\u003e"}, None),  # the text "\u003c", written "\\u003c", is not "<"
    ({"a": "\\<EMAIL_ADDRESS_1>"}, {"a": f"\\{JANE}"}),
    ({"cc": f"\U0001f600\n{LEAK}\U0001f600", "d": "\ud800"}, {"cc": "\U0001f600\n<EMAIL_ADDRESS>\U0001f600",
                                                             "d": "\ud800"}),
])
def test_keys_split_placeholders_and_surrogates(regex_guard: PIIGuard, order: str, answer: Any,
                                                expected: Any) -> None:
    value, text = answered(regex_guard, order, json.dumps(answer))
    assert value == (expected or answer) == json.loads(text)


@pytest.mark.parametrize("order", ["pii", "stream"])
def test_a_value_found_across_strings_is_replaced_in_each(order: str) -> None:
    """Read as it is written (``pii`` before ``json``), the JSON text may hold a finding across
    strings (here a deny-listed phrase): each piece is replaced in its string, the JSON kept."""
    guard = PIIGuard(mode="regex", deny={"PERSON": ['Ann", "Lee']})
    value, text = answered(guard, order, '{"names": ["Ann", "Lee"], "n": 1}', prompt="Hi.")
    assert value == json.loads(text) == {"names": ["<PERSON>", "<PERSON>"], "n": 1}


@pytest.mark.parametrize("order", ["pii, json", "pii", "stream"])
def test_json_in_a_fenced_block_stays_valid_json_and_prose_stays_prose(regex_guard: PIIGuard, order: str) -> None:
    prompt = f"Ship to {ADDRESS}, write to {JANE}."
    answer = ('Card 4111111111111111, to "<STREET_ADDRESS_1>":\n```json\n'
              '{"where": "<STREET_ADDRESS_1>", "to": "\\u003cEMAIL_ADDRESS_1\\u003e", "card": 4111111111111111}\n```')
    value, text = answered(regex_guard, order, answer, prompt, parse=lambda text: None)
    prose, block = text.split("\n```json\n")
    assert prose == f'Card <CREDIT_CARD>, to "{ADDRESS}":'  # (not JSON: written as it is)
    expected = {"where": ADDRESS, "to": JANE, "card": "<CREDIT_CARD>"}
    assert json.loads(block.removesuffix("\n```")) == expected == (value or expected)
