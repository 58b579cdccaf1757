"""Texts written for guardlayer, in none of the corpus templates (data/realistic.json, in
presidio-research format plus a ``keep`` list): every listed value is gone after scrubbing,
and the ordinary words around it (including vague dates and acronyms) are still there."""
import json
from pathlib import Path

import pytest

from guardlayer.context import Context
from guardlayer.guards.pii import PIIGuard

DOCS = json.loads((Path(__file__).parent / "data" / "realistic.json").read_text(encoding="utf-8"))
PATTERN_TYPES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                 "IP_ADDRESS", "STREET_ADDRESS"}


@pytest.mark.parametrize("doc", DOCS, ids=[d["full_text"][:30] for d in DOCS])
def test_ner_mode_removes_every_value_and_keeps_the_rest(ner_guard: PIIGuard, doc: dict) -> None:
    v = ner_guard.check(doc["full_text"], Context())
    scrubbed = v.fixed if v.fixed is not None else doc["full_text"]
    for span in doc["spans"]:
        assert span["entity_value"] not in scrubbed, span
    for phrase in doc["keep"]:
        assert phrase in scrubbed, phrase


@pytest.mark.parametrize("doc", DOCS, ids=[d["full_text"][:30] for d in DOCS])
def test_regex_mode_removes_pattern_entities(regex_guard: PIIGuard, doc: dict) -> None:
    v = regex_guard.check(doc["full_text"], Context())
    scrubbed = v.fixed if v.fixed is not None else doc["full_text"]
    for span in doc["spans"]:
        written_date = span["entity_type"] == "DATE_TIME" and any(
            c.isdigit() for c in span["entity_value"])  # not "Friday": that takes NER
        if span["entity_type"] in PATTERN_TYPES or written_date:
            assert span["entity_value"] not in scrubbed, span
    for phrase in doc["keep"]:
        assert phrase in scrubbed, phrase
