"""Scoring of `guardlayer bench pii` (guardlayer/bench/pii.py) on hand-made cases."""
import json
from pathlib import Path

from guardlayer.bench.pii import main, score

DOC = {"full_text": "Mr. John Smith lives at 12 Baker Street, London.",
       "spans": [{"entity_type": "TITLE", "start_position": 0, "end_position": 3},
                 {"entity_type": "PERSON", "start_position": 4, "end_position": 14},
                 {"entity_type": "ADDRESS", "start_position": 24, "end_position": 39},
                 {"entity_type": "LOCATION", "start_position": 41, "end_position": 47}]}


def test_perfect_prediction_under_the_mapping() -> None:
    # STREET_ADDRESS is scored as ADDRESS, GPE as LOCATION; the TITLE token counts for nothing
    pred = [[(0, 14, "PERSON"), (24, 39, "STREET_ADDRESS"), (41, 47, "GPE")]]
    r = score([DOC], pred)
    assert r["overall"]["f2"] == 1.0 and r["merged_locations"]["overall"]["f2"] == 1.0


def test_an_address_that_takes_in_its_city_is_a_location_miss_unless_merged() -> None:
    r = score([DOC], [[(0, 14, "PERSON"), (24, 47, "STREET_ADDRESS")]])
    assert r["per_entity"]["LOCATION"]["fn"] == 1 and r["per_entity"]["ADDRESS"]["fp"] == 1
    assert r["overall"]["f2"] < 1.0 and r["merged_locations"]["overall"]["f2"] == 1.0
    assert r["removal_recall"] == 1.0
    assert r["removal_recall"] == 1.0 and r["removal_precision"] == 1.0


def test_wrong_type_is_a_miss_and_a_false_positive() -> None:
    r = score([DOC], [[(4, 14, "ORGANIZATION")]])
    assert r["per_entity"]["PERSON"]["fn"] == 2 and r["per_entity"]["ORGANIZATION"]["fp"] == 2
    # but the name is gone: entity-agnostic removal counts it
    assert r["removal_precision"] == 1.0
    gold_chars = len("JohnSmith") + len("12BakerStreet") + len("London")
    assert r["removal_recall"] == round(len("JohnSmith") / gold_chars, 4)


def test_partial_token_hits_count_by_character() -> None:
    # half of "Smith" removed: token level calls the token covered, character level does not
    r = score([DOC], [[(4, 12, "PERSON")]])
    assert r["removal_recall_tokens"] > r["removal_recall"]
    assert r["spans_fully_removed"] == 0.0


def test_over_removal_lowers_precision() -> None:
    r = score([DOC], [[(0, len(DOC["full_text"]), "PERSON")]])
    assert r["removal_recall"] == 1.0
    kept = sum(c.isalnum() for c in "livesat")  # removed but not PII ("Mr" is not scored)
    gold = sum(c.isalnum() for c in "JohnSmith12BakerStreetLondon")
    assert r["removal_precision"] == round(gold / (gold + kept), 4)


def test_main_writes_a_report(tmp_path: Path) -> None:
    corpus = tmp_path / "c.json"
    corpus.write_text(json.dumps([DOC] * 3), encoding="utf-8")
    out = tmp_path / "r.json"
    assert main(["--corpus", str(corpus), "--json", str(out), "--mode", "regex",
                 "--kb-samples", "1"]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    res = report["modes"]["regex"]
    assert report["machine"]["cpu_count"] >= 1 and res["startup_s"] > 0
    assert res["per_entity"]["ADDRESS"]["recall"] == 1.0  # the street
    assert res["per_entity"]["LOCATION"]["recall"] == 0.0  # the city, found in the address
    assert res["merged_locations"]["per_entity"]["LOCATION"]["recall"] == 1.0  # both, one entity
    assert res["latency_ms_per_kb"]["p50"] > 0
