"""Every package folder is listed in pyproject (it lists them so rules/ can ship inside)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_and_data_folder_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "guardlayer").rglob("__init__.py")}
    data = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "guardlayer").rglob("*")
            if p.is_dir() and p.name != "__pycache__" and not (p / "__init__.py").exists()}
    data |= {".".join(("guardlayer", "rules_data", *p.relative_to(ROOT / "rules").parts))
             for p in [ROOT / "rules", *(ROOT / "rules").rglob("*")] if p.is_dir()}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == data
