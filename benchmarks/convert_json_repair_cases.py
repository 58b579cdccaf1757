"""Convert json_repair's own test cases into the `guardlayer bench json` format.

    python benchmarks/convert_json_repair_cases.py ../shared/corpora/json/json_repair_cases.jsonl OUT.jsonl

Each input line is ``{input, kwargs, expected, expected_is_object, ...}``. json-repair answers
``""`` when it finds nothing; such cases become ``expect_failure`` (the guard must refuse).
Cases for json-repair's streaming modes (``stream_stable``) are left out: they pin two
different answers for one input, depending on a mode the guard does not have.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def convert(row: dict[str, Any]) -> dict[str, Any] | None:
    kwargs = row.get("kwargs", {})
    if "stream_stable" in kwargs:
        return None
    expected = row["expected"]
    if kwargs.get("logging"):
        expected = expected[0]
    elif not row.get("expected_is_object") and isinstance(expected, str):
        expected = json.loads(expected) if expected else ""
    raw = row["input"]
    failure = expected == "" and raw.strip() != '""'
    return {"raw": raw, "schema": kwargs.get("schema"), "expected": None if failure else expected,
            "expect_failure": failure, "coercion": None,
            "id": f"{row.get('test', 'case')}", "source": "json_repair"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="json_repair_cases.jsonl")
    parser.add_argument("out", type=Path, help="where to write the converted JSONL")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.source.read_text(encoding="utf-8").splitlines() if line.strip()]
    converted = [c for c in map(convert, rows) if c is not None]
    for i, case in enumerate(converted):
        case["id"] = f"{case['id']}#{i}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in converted), encoding="utf-8")
    print(f"{len(converted)} cases written to {args.out} ({len(rows) - len(converted)} left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
