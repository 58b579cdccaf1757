"""Train the injection classifier and its fusion weights; optionally measure leave-one-source-out.

    python benchmarks/train_injection.py --corpus ../shared/corpora/injection benchmarks/data [--loso]

Reads JSONL ``{"text", "label"}`` files (rows of the project's own files carry a ``template``
id: a share of templates, picked by a seeded hash of each id, is held out of training and scored
as ``NAME:heldout``).
Features are the shipped classifier's own (`guardlayer.guards.injection.classifier.feature_names`
on the first window of words of the folded text); scikit-learn fits TF-IDF + logistic regression
with every file weighted equally within its class, the classes balanced, and within a file every
template of the generated files (a row elsewhere) weighted equally (`weights_for`). Fusion weights
(classifier log-odds, signature evidence, behaviour cues) are fitted on out-of-source classifier
predictions (GroupKFold by file), with the same weighting; then the fusion bias is lowered until
no training benign file has more than ``--fpr-target`` (3%) of its out-of-source weight at or
above 0.5. Writes ``classifier.json.gz`` and ``training.json`` (data sha256,
settings, metrics) to ``--out``.
With ``--loso`` every file is scored by a detector trained without it (the full detector:
signatures, decoding, windows, fusion refitted inside the fold). Other scripts reuse the loop
(`leave_one_source_out` with a `Scorer`), the detector with one more fused input (`detector_scorer`
with an `Extra`) and the bias rule (`bias_shift`): see ``benchmarks/encoder_loso.py``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardlayer.bench.injection import corpus_files, machine, macro_balanced_accuracy, metrics  # noqa: E402
from guardlayer.guards.injection import InjectionGuard  # noqa: E402
from guardlayer.guards.injection.classifier import (  # noqa: E402
    MODEL_DIR, WINDOW_WORDS, LinearModel, feature_names, windows, words_of)
from guardlayer.guards.injection.cues import CUES  # noqa: E402
from guardlayer.guards.injection.fusion import Fusion  # noqa: E402
from guardlayer.guards.injection.guard import Analysis  # noqa: E402
from guardlayer.normalize import fold  # noqa: E402

CHAR_RANGE = (3, 5)
WORD_RANGE = (1, 2)
KINDS = {"words": "w:", "chars": "c:"}
"""Feature kinds (``--kinds``) and the prefix of their names in `feature_names`."""

# Extra log-odds for the fusion: ``extra(fit_rows, score_rows)`` fits a model on the first rows and
# returns its log-odds for the second (used out of source, as the classifier's are).
Extra = Callable[[list[dict], list[dict]], list[float]]
# ``scorer(train_rows, held_rows)``: fit on the first, score the second, plus facts to report.
Scorer = Callable[[list[dict], list[dict]], tuple[list[float], dict[str, Any]]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def detector_files() -> list[Path]:
    """What the features the model is fitted on are computed by: the injection guard's code, the
    text folding and the shipped signatures (a change to any of them calls for retraining)."""
    package = ROOT / "guardlayer"
    return sorted([*(package / "guards" / "injection").glob("*.py"), package / "normalize.py",
                   *(ROOT / "rules" / "injection").glob("*.yaml")])


def detector_sha256() -> str:
    """One sha256 over `detector_files` (their paths and contents with LF line ends, in order)."""
    digest = hashlib.sha256()
    for path in detector_files():
        digest.update(f"{path.relative_to(ROOT).as_posix()}\0".encode())
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))  # a CRLF checkout reads alike
    return digest.hexdigest()


def load(files: list[Path], heldout_frac: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Rows for training and rows held out (templates of the project's own files)."""
    train, held = [], []
    for path in files:
        rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
        # Each template is held out by a hash of its id, so adding a template moves no other one.
        out = {t for t in {r["template"] for r in rows if "template" in r}
               if int(hashlib.sha256(f"{seed}:{path.name}:{t}".encode()).hexdigest()[:8], 16) < heldout_frac * 2**32}
        for i, r in enumerate(rows):
            group = f"{path.name}:{r['template']}" if "template" in r else f"{path.name}#{i}"
            row = {"text": r["text"], "label": int(r["label"]), "file": path.name, "group": group}
            if r.get("template") in out:
                held.append({**row, "file": f"{path.name}:heldout"})
            else:
                train.append(row)
    return train, held


def evidence_of(analysis: Analysis) -> float:
    """The signature evidence the guard fused for ``analysis`` (each distinct signature once)."""
    weights = {m.hit.signature.id: m.hit.signature.weight for m in analysis.matches}
    return Fusion().evidence([*weights.values(), *(w for _, w in analysis.signals)])


def prepare(rows: list[dict], sig_guard: InjectionGuard) -> None:
    """Attach classifier features (first window of the folded text), signature evidence and cues."""
    for r in rows:
        r["words"] = windows(words_of(fold(r["text"]).text))[0]
        r["feats"] = feature_names(r["words"], CHAR_RANGE, WORD_RANGE)
        a = sig_guard.analyze(r["text"])
        r["evidence"] = evidence_of(a)
        r["cues"] = set(a.cues)


def weights_for(rows: list[dict]) -> list[float]:
    """Each file weighs the same within its class, both classes the same, and within a file each
    group the same (a template of the generated files, which only varies its fillers; a row of
    the others)."""
    group_rows = Counter(r["group"] for r in rows)
    file_groups = Counter((r["file"], r["label"]) for r in {r["group"]: r for r in rows}.values())
    files_in = {lab: len({f for f, l in file_groups if l == lab}) for lab in (0, 1)}
    return [len(rows) / 2 / files_in[r["label"]] / file_groups[(r["file"], r["label"])] / group_rows[r["group"]]
            for r in rows]


def top_quantile(values: list[float], weights: list[float], share: float) -> float:
    """The value above which lies ``share`` of the total weight (the weighted ``1 - share`` quantile)."""
    total, seen = sum(weights), 0.0
    ranked = sorted(zip(values, weights), reverse=True)
    for value, weight in ranked:
        seen += weight
        if seen > share * total:
            return value
    return ranked[-1][0]


def file_support(present: Any, rows: list[dict], label: int | None = None) -> Any:
    """For each column of ``present`` (rows x features, nonzero where a row has the feature), the
    number of distinct files with a row (of class ``label``, or of either) that has it."""
    import numpy as np
    from scipy.sparse import csr_matrix

    keep = [i for i, r in enumerate(rows) if label is None or r["label"] == label]
    files = sorted({rows[i]["file"] for i in keep})
    if not files:
        return np.zeros(present.shape[1], dtype=int)
    index = {f: k for k, f in enumerate(files)}
    owner = csr_matrix(([1] * len(keep), ([index[rows[i]["file"]] for i in keep], keep)), shape=(len(files), len(rows)))
    return np.asarray(((owner @ (present != 0).astype(int)) > 0).sum(axis=0)).ravel()


def supported(present: Any, rows: list[dict], min_files: int, by_class: bool) -> Any:
    """Columns found in at least ``min_files`` files: of one class (attack files or benign files)
    when ``by_class``, of either class otherwise. Vocabulary that one source owns gets no weight."""
    if by_class:
        return (file_support(present, rows, 1) >= min_files) | (file_support(present, rows, 0) >= min_files)
    return file_support(present, rows) >= min_files


def fit_classifier(rows: list[dict], args: argparse.Namespace) -> LinearModel:
    """TF-IDF as `LinearModel` reads it (counts from `feature_names`, smooth idf, each row divided
    by sqrt(sum(count * idf ** 2))), then logistic regression. Features are those of ``kinds`` in
    ``min_df`` rows and ``min_files`` files (`supported`), the ``max_features`` most frequent of them."""
    import numpy as np
    from scipy.sparse import diags
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = CountVectorizer(analyzer=lambda feats: feats, min_df=args.min_df)
    counts = vec.fit_transform([r["feats"] for r in rows]).tocsr()
    prefixes = tuple(KINDS[k] for k in args.kinds)
    vocabulary = vec.get_feature_names_out()
    kinds = np.array([name.startswith(prefixes) for name in vocabulary], dtype=bool)
    cols = np.flatnonzero(kinds & supported(counts, rows, args.min_files, args.support == "class"))
    totals = np.asarray(counts[:, cols].sum(axis=0)).ravel()
    cols = np.sort(cols[(-totals).argsort()[:args.max_features]])  # as CountVectorizer picks
    counts, names = counts[:, cols], vocabulary[cols]
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = np.log((1 + counts.shape[0]) / (1 + df)) + 1.0
    norms = np.sqrt(np.asarray(counts @ (idf ** 2)).ravel())
    x = diags(1.0 / np.where(norms > 0, norms, 1.0)) @ counts @ diags(idf)
    clf = LogisticRegression(C=args.C, max_iter=3000, random_state=args.seed)
    clf.fit(x, [r["label"] for r in rows], sample_weight=weights_for(rows))
    coef = clf.coef_[0]
    weights = {str(feat): (float(idf[j]), float(coef[j])) for j, feat in enumerate(names) if coef[j] != 0}
    return LinearModel(weights, float(clf.intercept_[0]), CHAR_RANGE, WORD_RANGE, {})


def bias_shift(z: list[float], rows: list[dict], share: float) -> float:
    """How far to lower the bias so that, on these out-of-source log-odds ``z``, no benign file
    has more than ``share`` of its weight at or above score 0.5 (each group weighs as in the fit)."""
    per_file: dict[str, tuple[list[float], list[float]]] = {}
    for zz, w, r in zip(z, weights_for(rows), rows):
        if r["label"] == 0:
            per_file.setdefault(r["file"], ([], []))
            per_file[r["file"]][0].append(zz)
            per_file[r["file"]][1].append(w)
    return max(0.0, max(top_quantile(v, w, share) for v, w in per_file.values()))


def out_of_source(rows: list[dict], folds: int, predict: Extra) -> list[float]:
    """``predict``'s log-odds for every row from a fit without the row's file (GroupKFold by file)."""
    from sklearn.model_selection import GroupKFold

    groups = [r["file"] for r in rows]
    out = [0.0] * len(rows)
    for tr, te in GroupKFold(n_splits=min(folds, len(set(groups)))).split(rows, groups=groups):
        for i, value in zip(te, predict([rows[i] for i in tr], [rows[i] for i in te]), strict=True):
            out[i] = value
    return out


def fit_fusion(rows: list[dict], args: argparse.Namespace, folds: int, extra: Extra | None = None) -> dict[str, Any]:
    """Fusion weights from out-of-source classifier log-odds (GroupKFold over files), and from
    the out-of-source log-odds of ``extra`` if given (one more input, weight ``extra``)."""
    from sklearn.linear_model import LogisticRegression

    def classifier(fit_rows: list[dict], score_rows: list[dict]) -> list[float]:
        model = fit_classifier(fit_rows, args)
        return [model.window_logit(r["words"])[0] for r in score_rows]

    logits = out_of_source(rows, folds, classifier)
    names = list(CUES)
    tail = [[e] for e in out_of_source(rows, folds, extra)] if extra is not None else [[] for _ in rows]
    x = [[lg, r["evidence"], *(float(c in r["cues"]) for c in names), *t] for lg, r, t in zip(logits, rows, tail)]
    lr = LogisticRegression(C=args.fusion_C, max_iter=2000).fit(x, [r["label"] for r in rows],
                                                              sample_weight=weights_for(rows))
    coef = [float(v) for v in lr.coef_[0]]
    a, b = max(0.05, coef[0]), max(0.05, coef[1])
    if extra is not None:
        coef[-1] = max(0.05, coef[-1])
    bias = float(lr.intercept_[0])
    if args.fpr_target:
        # Move the bias so that, on these out-of-source scores, no benign file is flagged above the
        # target rate at score 0.5 (the guard's default threshold).
        z = [bias + a * v[0] + b * v[1] + sum(w * f for w, f in zip(coef[2:], v[2:])) for v in x]
        bias -= bias_shift(z, rows, args.fpr_target)
    fusion = {"a": round(a, 4), "b": round(b, 4), "bias": round(bias, 4),
              "cues": {c: round(w, 4) for c, w in zip(names, coef[2:])}}
    if extra is not None:
        fusion["extra"] = round(coef[-1], 4)
    return fusion


def train(rows: list[dict], args: argparse.Namespace, folds: int, extra: Extra | None = None) -> LinearModel:
    model = fit_classifier(rows, args)
    model.meta["fusion"] = fit_fusion(rows, args, folds, extra)
    return model


def score_rows(model: LinearModel, rows: list[dict], rules: list[str], extra: list[float] | None = None) -> list[float]:
    """Scores from the real guard with ``model`` (signatures, decoding, windows, fusion); with
    ``extra`` (one log-odds per row) its fusion weight adds ``fusion["extra"] * extra[i]``."""
    params = dict(model.meta["fusion"])
    weight = params.pop("extra", 0.0)
    guard = InjectionGuard(rules=rules, classifier=False)
    guard.model = model
    guard.fusion = Fusion(**params)
    if extra is None:
        return [guard.analyze(r["text"]).score for r in rows]
    scores = []
    for r, value in zip(rows, extra, strict=True):
        a = guard.analyze(r["text"])
        fusion = Fusion(**{**params, "bias": params["bias"] + weight * value})
        scores.append(fusion.score(a.classifier.logit if a.classifier else None, evidence_of(a), a.cues))
    return scores


def evaluate(model: LinearModel, rows: list[dict], rules: list[str], threshold: float) -> dict[str, Any]:
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(r["file"], []).append(r)
    out = {}
    for name, group in by_file.items():
        out[name] = metrics(score_rows(model, group, rules), [r["label"] for r in group], threshold)
    return out


def detector_scorer(args: argparse.Namespace, extra: Extra | None = None) -> Scorer:
    """The full detector (fusion refitted with 3 folds), optionally with ``extra`` fused in."""
    def fit_and_score(rest: list[dict], held: list[dict]) -> tuple[list[float], dict[str, Any]]:
        model = train(rest, args, folds=3, extra=extra)
        scores = score_rows(model, held, args.rules, extra(rest, held) if extra is not None else None)
        return scores, {"fusion": model.meta["fusion"]}
    return fit_and_score


def leave_one_source_out(train_rows: list[dict], held_rows: list[dict], scorer: Scorer,
                         threshold: float, label: str = "LOSO") -> dict[str, Any]:
    """Score every file (with its held-out templates) by ``scorer`` fitted without it; per-file
    metrics, macro balanced accuracy and a threshold sweep."""
    loso: dict[str, Any] = {}
    scored: dict[str, tuple[list[float], list[int]]] = {}
    for name in sorted({r["file"] for r in train_rows}):
        rest = [r for r in train_rows if r["file"] != name]
        held = [r for r in train_rows + held_rows if r["file"].split(":")[0] == name]
        t0 = time.perf_counter()
        scores, info = scorer(rest, held)
        scored[name] = (scores, [r["label"] for r in held])
        loso[name] = {**metrics(scores, [r["label"] for r in held], threshold), **info}
        m = loso[name]
        print(f"{label} {name:45s} tpr={m['tpr']} fpr={m['fpr']} auc={m['auc']} ({time.perf_counter() - t0:.0f}s)",
              flush=True)
    sweep = {}
    for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        per = {n: metrics(s, y, t) for n, (s, y) in scored.items()}
        sweep[str(t)] = {"macro_balanced_accuracy": macro_balanced_accuracy(per),
                         "max_benign_fpr": max(m["fpr"] for m in per.values() if m["fpr"] is not None),
                         "min_attack_tpr": min(m["tpr"] for m in per.values() if m["tpr"] is not None)}
    result = {"files": loso, "macro_balanced_accuracy": macro_balanced_accuracy(loso), "threshold_sweep": sweep}
    print(f"{label} threshold sweep:", json.dumps(sweep), flush=True)
    print(f"{label} macro balanced accuracy: {result['macro_balanced_accuracy']:.4f}", flush=True)
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = fit_options(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--out", default=str(MODEL_DIR))
    parser.add_argument("--loso", action="store_true", help="also measure leave-one-source-out")
    parser.add_argument("--only-loso", action="store_true", help="measure LOSO, do not write a model")
    return parser


def fit_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser`` with the options of the data and of the detector's fit (other scripts that
    refit the detector take these too)."""
    parser.add_argument("--corpus", nargs="+", default=[str(ROOT.parent / "shared" / "corpora" / "injection"),
                                                        str(ROOT / "benchmarks" / "data" / "injection")])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--min-df", type=int, default=3)
    parser.add_argument("--max-features", type=int, default=40000)
    parser.add_argument("--min-files", type=int, default=1,
                        help="keep a classifier feature only if this many training files have it (see --support)")
    parser.add_argument("--kinds", nargs="+", choices=tuple(KINDS), default=list(KINDS),
                        help="classifier features: word n-grams, character n-grams or both")
    parser.add_argument("--support", choices=("any", "class"), default="any",
                        help="count --min-files among files of either class, or among the attack files or the benign files")
    parser.add_argument("--heldout-frac", type=float, default=0.25)
    parser.add_argument("--fpr-target", type=float, default=0.03,
                        help="shift the fusion bias so that out-of-source benign files stay under this FPR at 0.5")
    parser.add_argument("--fusion-C", type=float, default=1.0, help="regularisation of the fusion fit")
    parser.add_argument("--folds", type=int, default=5, help="GroupKFold folds for the fusion fit")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--rules", nargs="*", default=[], help="extra signature files used in evaluation")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    random.seed(args.seed)
    started = time.perf_counter()

    files = corpus_files(args.corpus)
    train_rows, held_rows = load(files, args.heldout_frac, args.seed)
    sig_guard = InjectionGuard(rules=args.rules, classifier=False)
    print(f"{len(train_rows)} training rows, {len(held_rows)} held-out rows from {len(files)} files", flush=True)
    prepare(train_rows, sig_guard)
    prepare(held_rows, sig_guard)
    report: dict[str, Any] = {
        "data": [{"file": f.name, "sha256": sha256(f)} for f in files],
        "detector_sha256": detector_sha256(),
        "settings": {"seed": args.seed, "C": args.C, "min_df": args.min_df, "max_features": args.max_features,
                     "min_files": args.min_files, "support": args.support, "kinds": args.kinds,
                     "heldout_frac": args.heldout_frac, "char_range": CHAR_RANGE, "word_range": WORD_RANGE,
                     "window_words": WINDOW_WORDS, "fusion_C": args.fusion_C, "fpr_target": args.fpr_target, "threshold": args.threshold},
        "machine": machine(),
    }

    if args.loso or args.only_loso:
        report["loso"] = leave_one_source_out(train_rows, held_rows, detector_scorer(args), args.threshold)

    if not args.only_loso:
        model = train(train_rows, args, folds=args.folds)
        model.meta.update({"trained_on": [f.name for f in files], "seed": args.seed})
        if held_rows:
            report["heldout"] = evaluate(model, held_rows, args.rules, args.threshold)
            for name, m in report["heldout"].items():
                print(f"held-out {name}: tpr={m['tpr']} fpr={m['fpr']}")
        report["fusion"] = model.meta["fusion"]
        report["features"] = len(model.weights)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        model.save(out / "classifier.json.gz")
        print(f"wrote {out / 'classifier.json.gz'} ({(out / 'classifier.json.gz').stat().st_size / 1e6:.2f} MB, "
              f"{len(model.weights)} features, fusion {model.meta['fusion']})")
    report["seconds"] = round(time.perf_counter() - started, 1)
    name = "loso.json" if args.only_loso else "training.json"
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / name).write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {Path(args.out) / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
