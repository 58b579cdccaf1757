"""The training script's weighting and calibration helpers, and the generated data it reads."""
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "benchmarks" / "data" / "injection"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train = _load("train_injection", ROOT / "benchmarks" / "train_injection.py")


def _row(file: str, label: int, group: str) -> dict:
    return {"file": file, "label": label, "group": group}


def test_files_classes_and_groups_weigh_the_same() -> None:
    rows = ([_row("a", 0, f"a#{i}") for i in range(4)]                      # 4 benign rows, 4 groups
            + [_row("gen", 0, "gen:t1")] * 6 + [_row("gen", 0, "gen:t2")] * 2  # 2 templates
            + [_row("b", 1, f"b#{i}") for i in range(3)])                     # 3 attack rows
    w = train.weights_for(rows)
    by = Counter()
    for r, x in zip(rows, w):
        by[r["label"]] += x
        by[r["file"]] += x
        by[r["group"]] += x
    assert by[0] == pytest.approx(by[1]) and by["a"] == pytest.approx(by["gen"])
    assert by["gen:t1"] == pytest.approx(by["gen:t2"]) and by["a#0"] == pytest.approx(by["a"] / 4)
    assert sum(w) == pytest.approx(len(rows))


def test_top_quantile_counts_weight_not_rows() -> None:
    values = [5.0, 4.0, 3.0, 2.0, 1.0]
    assert train.top_quantile(values, [1.0] * 5, 0.2) == 4.0
    # the top value carries half the weight: a 20% share is already exceeded by it
    assert train.top_quantile(values, [4.0, 1.0, 1.0, 1.0, 1.0], 0.2) == 5.0
    assert train.top_quantile(values, [1.0] * 5, 1.0) == 1.0


def test_generated_rows_are_labelled_and_carry_templates() -> None:
    for name, label in (("benign_hard.jsonl", 0), ("attacks_extra.jsonl", 1)):
        rows = [json.loads(line) for line in (DATA / name).open(encoding="utf-8")]
        assert rows and all(r["label"] == label and r["template"] and r["text"].strip() for r in rows)
        assert len({r["text"] for r in rows}) == len(rows)
        assert not any("{" in r["text"] and "}" in r["text"] and r["template"].startswith(("ml-", "probe", "say"))
                       for r in rows), "a filler was left unfilled"
