"""`import guardlayer` stays light: no heavy dependency is loaded by it."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["presidio_analyzer", "presidio_anonymizer", "spacy", "tiktoken", "numpy", "httpx",
         "starlette", "uvicorn", "anyio", "redis", "onnxruntime", "tokenizers", "jsonschema",
         "json_repair", "sklearn", "torch"]


def test_import_loads_no_heavy_module():
    code = ("import sys, json, guardlayer; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_command_loads_no_server_until_serve_runs():
    code = ("import sys, json, guardlayer.cli; guardlayer.cli.parser(); "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names_resolve():
    import guardlayer

    for name in guardlayer.__all__:  # (``dir`` lists ``__all__`` itself: resolve each name)
        assert getattr(guardlayer, name) is not None, name
    assert len(guardlayer.__all__) <= 30
