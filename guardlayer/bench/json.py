"""``guardlayer bench json --corpus FILE --json OUT.json``: accuracy, refusals, latency and speed
of the structured-output guard on JSONL cases ``{raw, schema, expected, expect_failure,
coercion}``; plus speed against ``json.loads`` (valid JSON) and json-repair (broken JSON)."""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

from ..context import Context
from ..guards.json_output import JsonGuard
from ..verdict import MISSING
from ._common import machine, positive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="guardlayer bench json", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True,
                        help="JSONL cases (repeat for several files)")
    parser.add_argument("--json", type=Path, dest="out", help="write the results here")
    parser.add_argument("--repeat", type=positive(int), default=200,
                        help="runs per text in the speed comparisons (default 200)")
    parser.add_argument("--show", type=int, default=20, help="misses to print (default 20)")
    args = parser.parse_args(argv)
    try:
        corpora = {path: load(path) for path in args.corpus}
    except ValueError as exc:
        parser.error(str(exc))  # exits 2, as bad usage
    results: dict[str, Any] = {"machine": machine(), "corpora": {}}
    for path, cases in corpora.items():
        report = run_cases(cases)
        report["speed_valid_vs_json_loads"] = speed_valid(cases, args.repeat)
        results["corpora"][str(path)] = report
        print_report(path, report, args.show)
    repeat = max(args.repeat // 10, 10)
    results["speed_broken_10kb_vs_json_repair"] = speed_broken(broken_answer(10_000), repeat, "ratio <= 1.0")
    print_speed_broken("broken answer", results["speed_broken_10kb_vs_json_repair"])
    results["speed_uncommon_broken_10kb_vs_json_repair"] = speed_broken(
        uncommon_answer(10_000), repeat, "none: shows the cost when only json-repair can read the block")
    print_speed_broken("uncommon breakage", results["speed_uncommon_broken_10kb_vs_json_repair"])
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=repr), encoding="utf-8")
        print(f"saved {args.out}")
    return 0


def load(path: Path) -> list[dict[str, Any]]:
    """The cases of a JSONL corpus; a `ValueError` naming the file (and line) when it is bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from exc
    cases = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                case = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
            if not isinstance(case, dict) or "raw" not in case:
                raise ValueError(f"{path}:{number}: a case is an object with 'raw'")
            cases.append(case)
    return cases


def run_cases(cases: list[dict[str, Any]]) -> dict[str, Any]:
    guards: dict[str, JsonGuard] = {}
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    latencies: list[float] = []
    misses: list[dict[str, Any]] = []
    for case in cases:
        key = json.dumps(case.get("schema"), sort_keys=True)
        guard = guards.get(key) or guards.setdefault(key, JsonGuard(schema=case.get("schema")))
        start = time.perf_counter()
        verdict = guard.check(case["raw"], Context())
        latencies.append((time.perf_counter() - start) * 1000)
        failure = bool(case.get("expect_failure"))
        value = verdict.value if verdict.value is not MISSING else None
        good = (not verdict.passed) if failure else (verdict.passed and same(value, case.get("expected")))
        group = "expect_failure" if failure else (case.get("coercion") or "none")
        for name in ("all", f"tag:{group}", "coercion" if group not in ("none", "expect_failure") else group):
            tally[name][0] += good
            tally[name][1] += 1
        if not good:
            misses.append({"id": case.get("id"), "raw": case["raw"][:200], "expected": case.get("expected"),
                           "expect_failure": failure, "got": value if verdict.passed else None,
                           "reason": verdict.reason[:300]})
    rate = {name: {"correct": c, "total": t, "accuracy": round(c / t, 4)} for name, (c, t) in sorted(tally.items())}
    return {"cases": len(cases), "accuracy": rate.get("all"),
            "no_coercion": rate.get("none"), "coercion": rate.get("coercion"),
            "refusal_rate": rate.get("expect_failure"),
            "per_tag": {k[4:]: v for k, v in rate.items() if k.startswith("tag:")},
            "latency_ms": percentiles(latencies), "misses": misses}


def same(got: Any, expected: Any) -> bool:
    """Equal as JSON values (1 == 1.0 like JSON; True is not 1)."""
    if isinstance(got, bool) or isinstance(expected, bool):
        return got is expected
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(same(got[k], expected[k]) for k in got)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(map(same, got, expected))
    return bool(got == expected)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": round(pick(0.50), 4), "p95": round(pick(0.95), 4), "p99": round(pick(0.99), 4),
            "mean": round(statistics.fmean(values), 4), "n": len(values)}


def best_of(fn: Callable[[], Any], repeat: int, rounds: int = 5) -> float:
    """Seconds per call: the best of ``rounds`` rounds of ``repeat`` calls (least disturbed by load)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def speed_valid(cases: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    """The guard (no schema) against ``json.loads`` on the texts that are valid JSON as written."""
    texts = [c["raw"] for c in cases if _valid(c["raw"])]
    texts.append(json.dumps(_document(10_000)))
    guard, ctx = JsonGuard(), Context()
    ratios = []
    for text in texts:
        ours = best_of(lambda: guard.check(text, ctx), repeat)
        plain = best_of(lambda: json.loads(text), repeat)
        ratios.append((len(text), ours, plain))
    small = [o / p for n, o, p in ratios[:-1]]
    n, ours, plain = ratios[-1]
    return {"texts": len(small), "ratio_median": round(statistics.median(small), 3) if small else None,
            "ratio_max": round(max(small), 3) if small else None,
            "doc_10kb": {"chars": n, "guard_us": round(ours * 1e6, 2), "json_loads_us": round(plain * 1e6, 2),
                         "ratio": round(ours / plain, 3)},
            "overhead_us_median": round(statistics.median([(o - p) * 1e6 for _, o, p in ratios[:-1]]), 2)
            if small else None, "target": "ratio <= 1.5"}


def speed_broken(text: str, repeat: int, target: str) -> dict[str, Any]:
    """The guard (no schema) against json-repair alone on a broken answer."""
    import json_repair

    guard, ctx = JsonGuard(), Context()
    verdict = guard.check(text, ctx)
    if not verdict.passed or verdict.value != json_repair.repair_json(text, return_objects=True):
        raise SystemExit("the broken answer did not repair to json-repair's value")
    ours = best_of(lambda: guard.check(text, ctx), repeat)
    theirs = best_of(lambda: json_repair.repair_json(text, return_objects=True), repeat)
    return {"chars": len(text), "guard_ms": round(ours * 1000, 3), "json_repair_ms": round(theirs * 1000, 3),
            "ratio": round(ours / theirs, 3), "target": target}


def _valid(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _document(size: int) -> dict[str, Any]:
    """A plausible record list of about ``size`` characters of JSON."""
    rows, n = [], 0
    while len(json.dumps(rows)) < size:
        rows.append({"id": n, "name": f"item {n}", "price": round(3.5 * n, 2), "tags": ["a", "b"][: n % 3],
                     "in_stock": n % 2 == 0, "note": None if n % 4 else "fragile"})
        n += 1
    return {"items": rows, "count": n}


def broken_answer(size: int) -> str:
    """About ``size`` characters of the ways models break JSON: prose around it, single quotes,
    unquoted keys, trailing commas, comments, Python literals, and a cut-off end."""
    parts = ["Sure! Here is the data you asked for:\n{\n  items: ["]
    n = 0
    while sum(map(len, parts)) < size - 40:
        parts.append(f"\n    {{'id': {n}, name: 'item {n}', \"price\": {3.5 * n}, 'tags': ['a', 'b',],"
                     f" \"in_stock\": {'True' if n % 2 else 'False'}, 'note': None}}, // row {n}")
        n += 1
    parts.append('\n    {"id": 9999, "name": "last item, cut off mid-wo')
    return "".join(parts)


def uncommon_answer(size: int) -> str:
    """`broken_answer` with one breakage more that only json-repair mends, at the end, where the
    fast reader finds it last: a missing comma between the last two rows."""
    text = broken_answer(size)
    cut = text.rindex("}, // row")
    return text[:cut] + "} // row" + text[cut + len("}, // row"):]


def print_report(path: Path, report: dict[str, Any], show: int) -> None:
    print(f"== {path} ({report['cases']} cases)")
    for label in ("accuracy", "no_coercion", "coercion", "refusal_rate"):
        row = report.get(label)
        if row:
            print(f"  {label:13} {row['accuracy']:.2%} ({row['correct']}/{row['total']})")
    for tag, row in report["per_tag"].items():
        print(f"    {tag:24} {row['accuracy']:.2%} ({row['correct']}/{row['total']})")
    lat = report["latency_ms"]
    print(f"  latency ms    p50 {lat['p50']:.3f}  p95 {lat['p95']:.3f}  p99 {lat['p99']:.3f}")
    speed = report["speed_valid_vs_json_loads"]
    print(f"  valid JSON vs json.loads: median ratio {speed['ratio_median']} (max {speed['ratio_max']}, "
          f"median overhead {speed['overhead_us_median']} us over {speed['texts']} texts); "
          f"10 KB document ratio {speed['doc_10kb']['ratio']}")
    for miss in report["misses"][:show]:
        print(f"  MISS {miss['id']}: {miss['raw'][:80]!r} expected "
              f"{'refusal' if miss['expect_failure'] else repr(miss['expected'])[:60]} got {miss['got']!r:.60}"
              f"{' / ' + miss['reason'].splitlines()[0] if miss['reason'] else ''}")


def print_speed_broken(label: str, speed: dict[str, Any]) -> None:
    print(f"== {label} ({speed['chars']} chars): guard {speed['guard_ms']} ms, json-repair "
          f"{speed['json_repair_ms']} ms, ratio {speed['ratio']} (target: {speed['target']})")
