"""Presidio as it comes, for the pii benchmark's baseline (``guardlayer bench pii --baseline``).

The analyzer is built the way Presidio builds it from its own ``conf/default.yaml`` with the
model name changed: the whole spaCy pipeline loaded, Presidio's predefined English recognisers,
its lemma context enhancer, score threshold 0, and its anonymiser replacing each finding.
Two changes keep it offline and nothing else: the pipeline is loaded from the installed package
(Presidio's ``load()`` would download a missing one) and the email recogniser's tldextract
reads its bundled suffix list (the stock one fetches it). ``model=None`` is Presidio without
NER: a blank English tokenizer and the pattern recognisers alone.
"""
from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from typing import Any

Finder = Callable[[str], list[tuple[int, int, str]]]


def stock_presidio(model: str | None) -> Finder:
    """``text -> [(start, end, entity)]``: Presidio's analyzer results on ``text``, after its
    anonymiser has replaced them (timed as a scrub is)."""
    import spacy
    import yaml
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    from ..extras import need

    need("presidio_anonymizer", "bench", "the Presidio baseline")
    from presidio_anonymizer import AnonymizerEngine

    from ..guards.pii.recognizers import _email_recognizer

    path = importlib.resources.files("presidio_analyzer") / "conf" / "default.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    nlp_engine = SpacyNlpEngine(
        models=[{"lang_code": "en", "model_name": model or "blank"}],
        ner_model_configuration=NerModelConfiguration.from_dict(config["ner_model_configuration"]))
    nlp_engine.nlp = {"en": spacy.load(model) if model else spacy.blank("en")}
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    registry.recognizers = [_email_recognizer() if r.name == "EmailRecognizer" else r
                            for r in registry.recognizers
                            if model or r.name != "SpacyRecognizer"]
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    anonymizer = AnonymizerEngine()

    def find(text: str) -> list[tuple[int, int, str]]:
        results: list[Any] = analyzer.analyze(text, language="en")
        anonymizer.anonymize(text, results)
        return [(r.start, r.end, r.entity_type) for r in results]

    return find
