"""What every benchmark needs: the machine it ran on, percentiles, and saving the result."""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any


def machine() -> dict[str, Any]:
    """The machine a figure was measured on."""
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def percentiles(values: list[float], points: tuple[int, ...] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles, e.g. ``{"p50": ..., "p95": ..., "p99": ...}``."""
    if not values:
        return {f"p{p}": float("nan") for p in points}
    ordered = sorted(values)
    return {f"p{p}": ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))]
            for p in points}


def save_json(path: str | Path | None, data: dict[str, Any]) -> None:
    """Write ``data`` (with the machine added) to ``path``, creating its folder."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**data, "machine": machine()}, indent=2, default=str) + "\n")
    print(f"saved {path}")


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse ``type`` for counts and durations: ``kind`` above zero, else a usage error."""
    def parse(raw: str) -> int | float:
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'an integer' if kind is int else 'a number'}: {raw!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be above 0: {raw!r}")
        return value
    return parse
