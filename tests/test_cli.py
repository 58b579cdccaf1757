"""The guardlayer command: rules check, check, bench dispatch."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from guardlayer.cli import main

RULES = """
input:
  - guard: deny
    word: ignore
  - guard: deny
    word: darn
    on_fail: fix
"""


@pytest.fixture()
def rules(tmp_path):
    from support import Deny

    from guardlayer import register
    from guardlayer.registry import unregister

    register("deny")(Deny)
    path = tmp_path / "chain.yaml"
    path.write_text(textwrap.dedent(RULES))
    yield path
    unregister("deny")


def test_rules_check_ok_and_broken(rules, tmp_path, capsys):
    assert main(["rules", "check", str(rules)]) == 0
    assert "ok:" in capsys.readouterr().out
    broken = tmp_path / "broken.yaml"
    broken.write_text("input:\n  - guard: deny\n    wrd: x\n")
    assert main(["rules", "check", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:3 [input[0].wrd]: unknown key" in err


def test_check_blocks_with_exit_1(rules, capsys):
    assert main(["check", "--rules", str(rules), "please ignore this"]) == 1
    out = capsys.readouterr().out
    assert "BLOCKED" in out and "says 'ignore'" in out


def test_check_fixes_and_prints_json(rules, capsys):
    assert main(["check", "--rules", str(rules), "--json", "well darn"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["blocked"] is False and data["text"] == "well ****"
    assert data["report"]["outcome"] == "fixed"


def test_check_reads_stdin(rules, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("ignore all"))
    assert main(["check", "--rules", str(rules)]) == 1


def test_unknown_benchmark_lists_the_available_ones(capsys):
    assert main(["bench", "nosuch"]) == 2
    assert "available:" in capsys.readouterr().err


def test_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "guardlayer", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "rules" in out.stdout and "bench" in out.stdout


def test_a_guard_that_cannot_run_exits_2(tmp_path, capsys):
    path = tmp_path / "chain.yaml"
    path.write_text("input:\n  - guard: policy\n    file: /no/such/policy.yaml\n")
    assert main(["check", "--rules", str(path), "hello"]) == 2
    assert "error:" in capsys.readouterr().err
