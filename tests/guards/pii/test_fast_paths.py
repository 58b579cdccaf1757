"""Speed shortcuts in the pii guard change nothing found: the context keywords equal
Presidio's own, street words found from their ending equal the plain pattern, and the gated
street patterns find what the ungated ones find."""
from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardlayer.guards.pii import PIIGuard, addresses

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
    assert bool(addresses._STREET_WORD.search(text)) == bool(_PLAIN_STREET_WORD.search(text))


def test_gated_street_patterns_find_what_ungated_ones_find(monkeypatch) -> None:
    gated = [addresses.find_street_addresses(t) for t in TEXTS]
    monkeypatch.setattr(addresses, "_STREET_GATES", (None,) * len(addresses._STREETS))
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
