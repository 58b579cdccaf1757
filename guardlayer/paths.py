"""Where the shipped rule files are: ``rules/`` in a checkout, ``guardlayer.rules_data`` when
installed from a wheel."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def shipped_rules(*parts: str) -> Path:
    """Path of a shipped rule file or folder, e.g. ``shipped_rules("injection")``."""
    checkout = Path(__file__).resolve().parent.parent / "rules"
    if checkout.is_dir():
        return checkout.joinpath(*parts)
    spec = importlib.util.find_spec("guardlayer.rules_data")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("guardlayer's shipped rules/ folder is missing from this install")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
