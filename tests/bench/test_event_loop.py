"""The event-loop benchmark runs both ways and saves what it measured."""
from __future__ import annotations

import json

from guardlayer.bench.event_loop import main


def test_it_measures_the_loop_with_and_without_offload(tmp_path):
    corpus = tmp_path / "pii.json"
    corpus.write_text(json.dumps([{"full_text": "Call Jane at 212-555-0199 or jane@example.com.", "spans": []}] * 40))
    out = tmp_path / "loop.json"
    assert main(["--corpus", str(corpus), "--kb", "1", "--mode", "regex", "--calls", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["chars"] == 1024 and report["machine"]["cpu_count"]
    for offload in (False, True):
        figures = report[f"offload={offload}"]
        assert figures["ticks"] > 0 and figures["longest_stall_ms"] >= figures["stall_ms"]["p50"] > 0
