"""The chat-history benchmark runs with and without kept analyses and saves what it measured."""
from __future__ import annotations

import json

import pytest

from guardlayer.bench.pii_history import main


def test_it_times_every_turn_both_ways(tmp_path):
    corpus = tmp_path / "pii.json"
    corpus.write_text(json.dumps([{"full_text": f"Message {i}: call Jane at 212-555-01{i:02d}.", "spans": []}
                                  for i in range(9)]))
    out = tmp_path / "history.json"
    assert main(["--corpus", str(corpus), "--turns", "4", "--mode", "regex", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    for name in ("kept", "not kept"):
        took = report[name]["ms_per_turn"]
        assert len(took) == 4 and all(ms > 0 for ms in took)
        assert report[name]["total_ms"] == pytest.approx(sum(took), abs=0.1)


def test_a_corpus_too_small_for_the_turns_is_refused(tmp_path):
    corpus = tmp_path / "pii.json"
    corpus.write_text(json.dumps([{"full_text": "one text", "spans": []}] * 30))  # one distinct
    with pytest.raises(SystemExit):
        main(["--corpus", str(corpus), "--turns", "2"])
