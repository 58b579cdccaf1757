"""Speed shortcuts in the pii guard change nothing found: the context keywords and context
words equal Presidio's own, street words found from their ending and the letter trees equal
the plain patterns, cheap checks before a regex call never skip a match, and the gated street
patterns and email recogniser find what the ungated ones find."""
from __future__ import annotations

import functools
from typing import Any

import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardlayer.guards.pii import PIIGuard, addresses
from guardlayer.guards.pii.gates import View

TEXTS = [
    "Ship it to Lodskovvej 28, 8000 Aarhus, or call +45 33 93 31 12. Kind regards, Anne-Marie",
    "My name is John Smith; email john.smith@example.com, IP 10.0.0.1, key:value pairs, be it so.",
    "I live at Hauptstraße 5 in Berlin and my friend at 5 Am Ring, near the Rue du Bac 110.",
    "During the string of meetings at 12 Baker Street Apt. 4 the tie was red: Keizersgracht 12",
    "Nothing here at all.",
]


def test_context_keywords_equal_presidios(ner_guard: PIIGuard, regex_guard: PIIGuard) -> None:
    for guard in (ner_guard, regex_guard):
        engine = guard._engine.nlp_engine
        for text in TEXTS:
            artifacts = engine.process_text(text, "en")
            assert artifacts.keywords == frozenset(NlpArtifacts.set_keywords(engine, artifacts.lemmas, "en"))
            assert artifacts.nlp_engine is engine


_PLAIN_STREET_WORD = regex.compile(
    rf"{addresses._SUFFIX}|\b{addresses._PREFIX}|\p{{L}}{addresses._COMPOUND}",
    regex.VERSION0 | regex.IGNORECASE)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aAeStrsgvijwR ’'-.5\n", max_size=30)
       | st.sampled_from(["Lodskovvej", "-vej", "'weg", "X-str.", "straße", "A'ring", "Am Ring"]))
def test_street_words_found_from_their_ending(text: str) -> None:
    assert addresses._has_street_word(text, 1.0) == bool(_PLAIN_STREET_WORD.search(text))


def test_gated_street_patterns_find_what_ungated_ones_find(monkeypatch) -> None:
    gated = [addresses.find_street_addresses(t) for t in TEXTS]
    monkeypatch.setattr(addresses, "_STREET_WHERE", ((None, False, ()),) * len(addresses._STREETS))
    monkeypatch.setattr(addresses, "digit_view", lambda views, kind: View(views["text"], [(0, len(views["text"]))]))
    assert [addresses.find_street_addresses(t) for t in TEXTS] == gated
    assert any(gated)


def test_url_gate_reads_the_domains_and_is_tighter() -> None:
    from presidio_analyzer.predefined_recognizers import UrlRecognizer

    from guardlayer.guards.pii.gates import GATES, gate_for

    gate = gate_for(UrlRecognizer())
    assert gate is not GATES["UrlRecognizer"]
    assert gate.search("mail me at a@shop.example.com") and gate.search("see WWW.X.ORG")
    assert not gate.search("e.g. J.R.R. Tolkien, i.e. no") and GATES["UrlRecognizer"].search("e.g. J.R.R. Tolkien")


def test_ner_uses_numpy_blas_only_when_it_runs_one_thread(ner_guard: PIIGuard) -> None:
    from guardlayer.guards.pii.engine import _numpy_blas_single_threaded

    ops = ner_guard._engine.nlp_engine.nlp["en"].get_pipe("ner").model.ops
    assert ops.use_blis is not _numpy_blas_single_threaded()


URL_TEXTS = [
    "see https://shop.example.com/a?b=1 and www.test.co.uk, mail a@b.org; 'http://x.io/p' ok",
    "two:shop.example.com,other.net/path(x) \"quoted.org\" e.g. J.R.R. Tolkien\nnext.line.com",
    "no links here at all", "x.com", " lead.org trail.net ", "a.co.uk.b.com/x/y\tz.de",
]


def _url_spans(recognizer, text: str) -> list[tuple[int, int, float]]:
    return sorted((r.start, r.end, r.score) for r in recognizer.analyze(text, ["URL"]))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab.:/-w com\n'\"()", max_size=40) | st.sampled_from(URL_TEXTS))
def test_url_recognizer_on_stretches_finds_what_it_finds_on_the_whole_text(text: str) -> None:
    from presidio_analyzer.predefined_recognizers import UrlRecognizer

    from guardlayer.guards.pii.gates import gated, is_local

    plain, local = UrlRecognizer(), gated(UrlRecognizer())
    assert is_local(plain)
    assert _url_spans(local, text) == _url_spans(plain, text)


# --- round 2: cheaper checks before regex calls, letter trees, own replacement --------------
WORDISH = ["Inc", "inc.", "L.L.C.", "GmbH", "Co", "Corp", "co", "S.p.A.", "e.V.", "INC", "Ltd",
           "Mr", "Mrs", "Srta", "Dr.", "Prof", "Smith", "Mrs.", "x", "-", ".", "'"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDISH) | st.text(alphabet="IincCoL.d ", max_size=5), max_size=8),
       st.lists(st.sampled_from([" ", "", "\n", ", ", "\t"]), min_size=8, max_size=8))
def test_letter_trees_match_the_alternations_they_replace(words, seps) -> None:
    from guardlayer.guards.pii import people

    text = "".join(w + s for w, s in zip(words, seps))
    plain_hint = regex.compile(
        rf"\b(?:{people._ORG_SUFFIX}|(?i:inc|llc|ltd|gmbh|plc|corp|incorporated))(?:\.|\b|(?<=\.))")
    assert bool(people._ORG_HINT.search(text)) == bool(plain_hint.search(text))
    titles = "|".join(sorted(people.TITLES))  # the order of an alternation of titles
    plain_titled = regex.compile(people._TITLED.pattern.replace(people._TITLE, f"(?:{titles})"))
    assert [m.span() for m in people._TITLED.finditer(text)] == [
        m.span() for m in plain_titled.finditer(text)]


def test_every_digit_is_seen() -> None:
    from guardlayer.guards.pii.gates import has_digit

    digits = regex.findall(r"\d", "".join(map(chr, range(0x110000))))
    assert all(has_digit(d) for d in digits) and not has_digit("aé.")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="Apt Box#PO.12aZ\t,Unit5", max_size=25)
       | st.sampled_from(["Apt. 5", "Apt 5b", "PO Box 12", "PSC 1234, Box 56", "FPO AP 12345", "# 42"]))
def test_a_part_can_end_in_a_unit_only_as_the_cheap_check_says(part: str) -> None:
    if addresses._PART_UNIT.search(part):
        assert addresses._may_end_in_unit(part)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a.:/@wcom \n", max_size=20))
def test_linkish_check_is_the_pattern(value: str) -> None:
    from guardlayer.guards.pii import results

    assert results._is_linkish(value) == bool(results._LINKISH.search(value))


EMAILISH = ["a@b.org", "john.smith@example.com", "x@y", "@", "mail@x.org", "a.b-c@d-e.co.uk", "me@"]


@functools.cache
def _email_recognizers() -> tuple[Any, Any]:
    from guardlayer.guards.pii.gates import gated
    from guardlayer.guards.pii.recognizers import _email_recognizer

    return _email_recognizer(), gated(_email_recognizer())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(EMAILISH) | st.text(alphabet="ab@.-_ \n", max_size=8), max_size=6))
def test_gated_email_recogniser_finds_what_the_plain_one_finds(pieces: list[str]) -> None:
    text = " ".join(pieces)
    plain, local = _email_recognizers()
    assert "analyze" in vars(local)
    assert sorted((r.start, r.end, r.score) for r in local.analyze(text, ["EMAIL_ADDRESS"])) == \
        sorted((r.start, r.end, r.score) for r in plain.analyze(text, ["EMAIL_ADDRESS"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["call", "phone", "a", "tel", "fax", "office", ","]), max_size=12),
       st.integers(0, 11), st.integers(0, 5),
       st.lists(st.sampled_from(["phone", "Call", "x", "tel"]), max_size=3))
def test_context_words_are_presidios(lemmas, index, n, context) -> None:
    from presidio_analyzer.context_aware_enhancers import (
        LemmaContextAwareEnhancer as Presidio,
    )
    from presidio_analyzer.nlp_engine import NlpArtifacts

    from guardlayer.guards.pii.engine import _enhancer_class

    ours = _enhancer_class()
    starts = [sum(len(w) + 1 for w in lemmas[:i]) for i in range(len(lemmas))]
    at = starts[min(index, len(lemmas) - 1)] if lemmas else 0

    def around(enhancer: type, prefix: int, suffix: int) -> set[str]:
        artifacts = NlpArtifacts([], lemmas, starts, lemmas, None, "en")  # (tokens = lemmas)
        artifacts.keywords = {w for w in lemmas if w in ("call", "phone", "tel")}
        return set(enhancer(context_prefix_count=prefix, context_suffix_count=suffix)
                   ._extract_surrounding_words(artifacts, "w", at))

    for prefix, suffix in ((n, 5 - n), (5, 2)):
        assert around(ours, prefix, suffix) == around(Presidio, prefix, suffix)
    assert ours._find_supportive_word_in_context(lemmas, context, "whole_word") == \
        Presidio._find_supportive_word_in_context(lemmas, context, "whole_word")
    # Presidio's substring mode, with the context word at a word's start ("x" is not in "fax")
    starting = next((c for c in context if any(w.lower().startswith(c.lower()) for w in lemmas)), "")
    assert ours._find_supportive_word_in_context(lemmas, context, "substring") == starting


_COUNTRY_BITS = ["France", "FRANCE", "france", "Chad", "chad", "Jordan", "Guinea-Bissau", "Guinea",
                 "United States", "United", "Côte d'Ivoire", "Côte", "Niger", "Nigeria", "Congo",
                 "x", "9", "-", "'", "’s", "é", "\u0301", "_", "Frances", "de", "the", "The", "THE", "Gambia",
                 "gambia", "GAMBIA", "Bahamas", "Saint", "Lucia", "saint", "lucia", "South", "Sudan", "d", "Ivoire"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_COUNTRY_BITS), max_size=8),
       st.lists(st.sampled_from([" ", "", "\n", "-", "'", ", ", "."]), min_size=8, max_size=8))
def test_countries_tried_at_first_words_are_what_a_search_finds(bits, seps) -> None:
    from guardlayer.guards.pii import people

    text = "".join(b + s for b, s in zip(bits, seps))
    searched = [(m.start(), m.end(), 0.5) for m in people._country_pattern().finditer(text)]
    assert people.find_countries(text) == searched


def test_every_country_form_starts_with_a_word() -> None:
    from guardlayer.guards.pii import people

    assert all(regex.match(r"\w", form) for form in people._country_forms())
    assert people.find_countries("in Chad, not Chadwick; Guinea-Bissau") == [(3, 7, 0.5), (23, 36, 0.5)]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="Kiel 24103Paris.A1B 2CD\t-", max_size=25)
       | st.sampled_from(["Kiel 24103", "75007 Paris", "SW1A 1AA", "London SW1A 1AA", "Lyon"]))
def test_a_part_holds_a_postcode_only_with_a_digit(part: str) -> None:
    from guardlayer.guards.pii.gates import has_digit

    if addresses._PART_POSTAL.match(part):
        assert has_digit(part)


_SEPARATOR = regex.compile(r"(?:[ \t]*[,\n][ \t>?*•|\-]*)+")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([" ", "\t", ",", "\n", "a", "-", ">", "•", "|", "?", "*", "b c", "\r", "1"]),
                max_size=16).map("".join))
def test_parts_are_cut_where_the_separator_pattern_finds(text: str) -> None:
    cuts, pos = [], 0
    for m in _SEPARATOR.finditer(text):
        cuts.append((pos, m.start()))
        pos = m.end()
    assert addresses._parts(text) == [*cuts, (pos, len(text))]


def test_every_address_label_is_tried_where_it_stands(monkeypatch) -> None:
    labels = ["Address:", "ADDR =", "ship to:", "Bill\tto:", "deliver to =", "zip:", "ZIPCODE:", "zip code is",
              "Post code:", "postcode is", "Postal code:", "\u212aaddress:", "\u0130address:"]
    texts = [f"{pre}{label} 12 Baker Street" for label in labels for pre in ("", "x ", "my-")]
    found = [addresses.find_street_addresses(text) for text in texts]
    assert sum(any(score == 0.6 and s > 3 for s, _, score in f) for f in found) >= len(labels)
    monkeypatch.setattr(addresses, "tried_at", lambda pattern, text, starts, timeout: pattern.finditer(
        text, timeout=timeout))
    assert [addresses.find_street_addresses(text) for text in texts] == found


DATEISH = ["12", "2024-03-14", "3/14/2024", "14.03.2024", "March", "12th", "of", "Jan.", "14:30", "9:05 pm", "pm",
           "+44", "(555)", "010-0100", "555 0100", "ext", "x12", "call", "٣", "-", "/", ":", "T", "Z", "UTC"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(DATEISH), max_size=10),
       st.lists(st.sampled_from([" ", "\n", "-", "/", ".", ":", "", "\t", " \n"]), min_size=10, max_size=10))
def test_dates_and_phones_on_digit_lines_are_what_whole_text_passes_find(words, seps) -> None:
    from guardlayer.guards.pii import dates, recognizers

    text = "".join(w + s for w, s in zip(words, seps))
    everywhere = {"text": text, ("lines", 1): View(text, [(0, len(text))], "\n")}
    assert dates.find_dates(text) == dates.find_dates(text, views=everywhere)
    assert recognizers.find_phone_numbers(text) == recognizers.find_phone_numbers(text, views=everywhere)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="1a \t٣x-B", max_size=12), st.integers(0, 12))
def test_a_house_number_ends_only_where_the_cheap_check_says(text: str, at: int) -> None:
    at = min(at, len(text))
    if addresses._HOUSE_NUMBER.search(text, max(0, at - 8), at):
        assert addresses._after_a_number(text, at)
