"""The PII guard's cost per chat turn as a conversation grows: turn k sends the whole history
again (k user messages and k - 1 answers, texts of the corpus), with the analysis of texts
seen lately kept (``recent``, the default) and without (``recent=0``).

    guardlayer bench pii_history --corpus FILE [--turns 20] [--mode ner|regex] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ._common import positive, save_json
from .pii import load_corpus


def _turns(texts: list[str], mode: str, recent: int | None, turns: int) -> list[float]:
    """Milliseconds of each guarded call (the PII guard on input and output) of one chat."""
    from ..decorator import guarded
    from ..guards.pii import PIIGuard

    options: dict[str, Any] = {} if recent is None else {"recent": recent}
    guard = PIIGuard(mode=mode, **options)  # type: ignore[arg-type]
    answers = iter(texts[1::2])
    chat = guarded(lambda messages: next(answers), input=[guard], output=[guard])
    history: list[dict[str, str]] = []
    took = []
    for user in texts[0:2 * turns:2]:
        history.append({"role": "user", "content": user})
        start = time.perf_counter()
        answer = chat(history)
        took.append(round((time.perf_counter() - start) * 1000, 2))
        history.append({"role": "assistant", "content": answer})
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="guardlayer bench pii_history", description=__doc__)
    ap.add_argument("--corpus", type=Path, required=True, help="PII corpus (presidio-research JSON)")
    ap.add_argument("--turns", type=positive(int), default=20)
    ap.add_argument("--mode", choices=("ner", "regex"), default="ner")
    ap.add_argument("--json", dest="out")
    args = ap.parse_args(argv)
    texts = list(dict.fromkeys(doc["full_text"] for doc in load_corpus(args.corpus)))  # distinct
    if len(texts) < 2 * args.turns + 1:
        ap.error(f"the corpus has {len(texts)} distinct texts: {2 * args.turns + 1} are needed")
    from ..context import Context
    from ..guards.pii import PIIGuard

    PIIGuard(mode=args.mode).check("warm up: Olivia Brown, olivia@example.com", Context())
    report: dict[str, Any] = {"mode": args.mode, "turns": args.turns}
    for name, recent in (("kept", None), ("not kept", 0)):
        took = _turns(texts, args.mode, recent, args.turns)
        report[name] = {"ms_per_turn": took, "total_ms": round(sum(took), 1)}
        print(f"{name:>9}: last turn {took[-1]:8.1f} ms, all {args.turns} turns {sum(took):9.1f} ms")
    save_json(args.out, report)
    return 0

