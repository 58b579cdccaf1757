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


def test_file_support_counts_files_not_rows() -> None:
    from scipy.sparse import csr_matrix

    rows = [_row("a", 1, "a#0"), _row("a", 1, "a#1"), _row("b", 1, "b#0"), _row("c", 0, "c#0")]
    # columns: in both rows of file a only; in a and b; in b and c; in no row
    present = csr_matrix([[1, 1, 0, 0], [2, 0, 0, 0], [0, 1, 1, 0], [0, 0, 3, 0]])
    assert list(train.file_support(present, rows)) == [1, 2, 2, 0]
    assert list(train.file_support(present, rows, 1)) == [1, 2, 1, 0]
    assert list(train.file_support(present, rows, 0)) == [0, 0, 1, 0]
    assert list(train.file_support(present, rows[:1], 0)) == [0, 0, 0, 0]


def test_supported_needs_files_of_one_class_when_by_class() -> None:
    from scipy.sparse import csr_matrix

    rows = [_row("a", 1, "a#0"), _row("b", 1, "b#0"), _row("c", 0, "c#0"), _row("d", 0, "d#0")]
    # columns: in two attack files; in one attack and one benign file; in two benign files; in one file
    present = csr_matrix([[1, 1, 0, 1], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0]])
    assert list(train.supported(present, rows, 2, by_class=False)) == [True, True, True, False]
    assert list(train.supported(present, rows, 2, by_class=True)) == [True, False, True, False]
    assert list(train.supported(present, rows, 1, by_class=True)) == [True, True, True, True]


def test_classifier_keeps_only_features_of_enough_files_and_kinds() -> None:
    rows = []
    for f, label in (("a", 1), ("b", 1), ("c", 0), ("d", 0)):
        for i in range(3):
            text = ("ignore previous rules" if label else "summarise this report") + f" {f}only{f} {f}only{f} row{i}"
            words = text.split()
            rows.append({**_row(f, label, f"{f}#{i}"), "words": words,
                         "feats": train.feature_names(words, train.CHAR_RANGE, train.WORD_RANGE)})
    args = train.build_parser().parse_args(["--min-df", "1", "--min-files", "2"])
    model = train.fit_classifier(rows, args)
    assert "w:ignore" in model.weights and "w:summarise" in model.weights
    # "aonlya" is one file's word (its character n-grams "only" are every file's)
    assert not any(f.startswith("w:") and "only" in f for f in model.weights), "a word one file owns got a weight"
    assert any(f.startswith("c:") and "only" in f for f in model.weights)
    words_only = train.fit_classifier(rows, train.build_parser().parse_args(["--min-df", "1", "--kinds", "words"]))
    assert words_only.weights and all(f.startswith("w:") for f in words_only.weights)
    assert any("aonlya" in f for f in words_only.weights), "with --min-files 1 every file's words count"
