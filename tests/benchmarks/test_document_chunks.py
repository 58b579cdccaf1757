"""The document-chunks script: files cut into benign rows the injection bench reads, METADATA read
from its description, the files' hashes recorded."""
import hashlib
import importlib.util
import json
from pathlib import Path

from guardlayer.bench.injection import corpus_files, load_jsonl

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("document_chunks", ROOT / "benchmarks" / "document_chunks.py")
dc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dc)


def test_chunks_are_cut_by_size_and_short_ones_dropped():
    text = "a" * 700 + " " * 300  # the third piece holds 100 letters: too short to be read as a document
    assert dc.chunks(text, 300, 10) == ["a" * 300, "a" * 300]
    assert dc.chunks(text, 300, 1) == ["a" * 300]


def test_rows_are_benign_and_readable_by_the_bench(tmp_path):
    readme = tmp_path / "METADATA"
    readme.write_text("Metadata-Version: 2.1\nName: demo\n\n" + "## Usage\n\nRun the tool. " * 40)
    out = tmp_path / "docs" / "readmes.jsonl"
    assert dc.main(["--out", str(out), "--metadata", "--chars", "400", str(readme)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["label"] == 0 and r["source"] == "readmes" for r in rows)
    assert not any("Metadata-Version" in r["text"] for r in rows)
    assert corpus_files([out.parent]) == [out]  # (the hashes file beside it is no corpus)
    assert load_jsonl(out) == [(r["text"], 0) for r in rows]
    sources = json.loads(Path(f"{out}.sources.json").read_text())
    assert sources == [{"file": str(readme), "sha256": hashlib.sha256(readme.read_bytes()).hexdigest()}]
