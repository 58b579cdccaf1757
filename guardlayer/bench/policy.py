"""Policy guard cost per call: a file of 50 rules on a ~2 KB answer (target p50 <= 0.5 ms).

``guardlayer bench policy --json OUT.json [--plots DIR] [--iterations N]``. The 50 rules mix
every text kind (deny phrase lists, regexes, a URL allow-list, secrets, required content, max
length) with field rules over a parsed value; the answers are synthetic support replies
(ASCII; with homoglyphs and zero-width characters; one that fires several rules).
"""
from __future__ import annotations

import argparse
import gc
import random
import time
from pathlib import Path
from typing import Any

from ._common import percentiles, positive, save_json

_WORDS = ("order shipping parcel refund account invoice delivery address warehouse tracking "
          "customer support team days business return policy item package courier update "
          "please thank you we your the a is will be within and of to for on").split()


def policy_rules() -> list[dict[str, Any]]:
    """50 rules: 20 deny lists (8 phrases each), 10 regexes, urls, secrets, require,
    max_length, 16 field rules."""
    rng = random.Random(5)
    rules: list[dict[str, Any]] = []
    for i in range(20):
        phrases = [f"{rng.choice(['never', 'forbidden', 'banned', 'secret'])} {rng.choice(_WORDS)}{i}{j}"
                   for j in range(7)] + [f"promise term{i}"]
        rules.append({"id": f"deny-{i}", "kind": "deny", "phrases": phrases, "action": "fix"})
    for i in range(10):
        rules.append({"id": f"regex-{i}", "kind": "regex", "pattern": rf"\bTICKET-{i}\d{{6}}\b",
                      "action": "fix"})
    rules += [
        {"id": "urls", "kind": "urls", "allow_domains": ["example.com", "examplecdn.net"], "action": "fix"},
        {"id": "secrets", "kind": "secrets", "action": "fix"},
        {"id": "disclaimer", "kind": "require", "phrases": ["refunds are subject to review"], "action": "fix"},
        {"id": "max-length", "kind": "max_length", "max": 4000, "action": "fix"},
    ]
    for i in range(16):
        rules.append({"id": f"field-{i}", "kind": "field", "when": {"action": "refund"},
                      "require": ["refund.amount <= order.total", f"refund.amount <= {500 + i}",
                                  {"refund.currency": ["EUR", "USD"]}], "action": "block"})
    assert len(rules) == 50
    return rules


def answers(size: int = 2048) -> dict[str, str]:
    rng = random.Random(7)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < size - 120:
        words.append(rng.choice(_WORDS))
        if rng.random() < 0.08:
            words[-1] += "."
    body = " ".join(words)
    clean = (body[: size - 110] + " Track it at https://shop.example.com/track/123."
             " Refunds are subject to review.")
    tricky = clean.replace("o", "\u043e", 20).replace("e", "e\u200b", 20)  # Cyrillic o, zero-width
    firing = ("We promise term3! See ![x](https://evil.com/p.png?d=1) key AKIAIOSFODNN7EXAMPLE "
              + clean[:size - 200])
    return {"clean_ascii": clean, "homoglyphs_zero_width": tricky, "firing": firing}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="guardlayer bench policy", description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, required=True, help="where to write the report")
    ap.add_argument("--plots", type=Path, help="folder for a PNG latency plot")
    ap.add_argument("--iterations", type=positive(int), default=2000)
    ap.add_argument("--size", type=positive(int), default=2048, help="answer size in characters")
    args = ap.parse_args(argv)
    if args.iterations < 10:
        ap.error("--iterations must be at least 10")

    from ..context import Context
    from ..guards.policy import PolicyGuard
    from ..guards.policy.text import fold_text

    t0 = time.perf_counter()
    guard = PolicyGuard(rules=policy_rules())
    build_ms = (time.perf_counter() - t0) * 1000
    value = {"reply": "ok", "action": "refund", "refund": {"amount": 120, "currency": "EUR"},
             "order": {"id": "A-1", "total": 200}}
    results: dict[str, Any] = {}
    samples: dict[str, list[float]] = {}
    for label, text in answers(args.size).items():
        ctx = Context(side="output", value=value)
        v = guard.check(text, ctx)
        for _ in range(50):  # warm-up
            guard.check(text, ctx)
        times, cpu = _time(lambda: guard.check(text, ctx), args.iterations)
        fold_times, _ = _time(lambda: fold_text(text), args.iterations)
        samples[label] = times
        pct = {k: round(x, 4) for k, x in percentiles(times).items()}
        cpu_pct = {f"cpu_{k}": round(x, 4) for k, x in percentiles(cpu).items()}
        fold_p50 = round(percentiles(fold_times)["p50"], 4)
        results[label] = {"chars": len(text), "passed": v.passed, "fired": sorted(v.meta["actions"]),
                          **pct, "mean": round(sum(times) / len(times), 4), **cpu_pct,
                          "fold_p50": fold_p50}
        print(f"{label:24s} {len(text):5d} chars  wall p50 {pct['p50']:.3f} p95 {pct['p95']:.3f} "
              f"p99 {pct['p99']:.3f} ms | cpu p50 {cpu_pct['cpu_p50']:.3f} ms | of which "
              f"fold_text p50 {fold_p50:.3f} ms | fired: {', '.join(results[label]['fired']) or '-'}")
    target = results["clean_ascii"]["p50"] <= 0.5
    print(f"build (compile 50 rules): {build_ms:.1f} ms; target p50 <= 0.5 ms on clean 2 KB: "
          f"{'met' if target else 'NOT met'}")
    save_json(args.json, {"benchmark": "policy", "rules": 50, "iterations": args.iterations,
                          "build_ms": round(build_ms, 2), "results": results,
                          "target_p50_ms": 0.5, "target_met": target})
    if args.plots:
        _plot(samples, args.plots)
    return 0


def _time(fn: Any, n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``n`` calls (CPU time is less disturbed by other load)."""
    wall, cpu = [], []
    gc.disable()
    try:
        for _ in range(n):
            w, c = time.perf_counter(), time.process_time()
            fn()
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    finally:
        gc.enable()
    return wall, cpu


def _plot(samples: dict[str, list[float]], folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, times in samples.items():
        cut = sorted(times)[: int(len(times) * 0.99)]
        ax.hist(cut, bins=60, alpha=0.5, label=label)
    ax.axvline(0.5, color="k", linestyle="--", label="target p50 0.5 ms")
    ax.set_xlabel("ms per check (50 rules, 2 KB)")
    ax.set_ylabel("calls")
    ax.legend()
    fig.tight_layout()
    out = folder / "policy_latency.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"saved {out}")


if __name__ == "__main__":
    raise SystemExit(main())
