"""The guardlayer command: rules check, check, serve's start-up errors, bench dispatch (scan:
test_cli_scan.py; serve running: test_server_serve.py)."""
from __future__ import annotations

import io
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


def stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_check_reads_stdin(rules, monkeypatch, capsys):
    stdin(monkeypatch, "ignore all, café".encode())
    assert main(["check", "--rules", str(rules)]) == 1


@pytest.mark.parametrize("given", [["-"], [], ["ignore \udcff all"]])
def test_text_that_is_not_utf8_exits_2_not_blocked(rules, monkeypatch, capsys, given):
    stdin(monkeypatch, b"ignore \xff\xfe all")  # an argument the locale could not decode: surrogates
    assert main(["check", "--rules", str(rules), *given]) == 2
    captured = capsys.readouterr()
    assert "BLOCKED" not in captured.out and captured.err.count("\n") == 1
    assert "not UTF-8" in captured.err and "byte 0xff at offset 7" in captured.err


def test_unknown_benchmark_lists_the_available_ones(capsys):
    assert main(["bench", "nosuch"]) == 2
    assert "available:" in capsys.readouterr().err


def test_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "guardlayer", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "rules" in out.stdout and "bench" in out.stdout
    assert "scan" in out.stdout and "serve" in out.stdout


def test_check_judges_a_text_as_an_answer_with_side_output(tmp_path, rules, capsys):
    path = tmp_path / "output.yaml"
    path.write_text("output:\n  - guard: deny\n    word: refund\n")
    assert main(["check", "--rules", str(path), "--side", "output", "we refund you"]) == 1
    assert "BLOCKED" in capsys.readouterr().out
    assert main(["check", "--rules", str(path), "we refund you"]) == 0  # no input guards


@pytest.mark.parametrize("given, words", [
    (["--upstream", "api.openai.com/v1"], "the upstream must be an http:// or https:// URL"),
    (["--upstream", "http://127.0.0.1:9/v1", "--api-key-env", "GUARDLAYER_TEST_UNSET_KEY"],
     "--api-key-env GUARDLAYER_TEST_UNSET_KEY: that environment variable is not set"),
    (["--upstream", "http://127.0.0.1:9/v1", "--max-body", "0"], "max_body must be a positive number"),
    (["--upstream", "http://127.0.0.1:9/v1", "--grace", "-1"], "grace must be 0 or more seconds"),
])
def test_serve_refuses_to_start_with_one_line_saying_why(rules, monkeypatch, capsys, given, words):
    monkeypatch.delenv("GUARDLAYER_TEST_UNSET_KEY", raising=False)
    assert main(["serve", "--rules", str(rules), *given]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_serve_with_a_broken_rule_file_exits_2(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("input:\n  - guard: nosuch\n")
    assert main(["serve", "--rules", str(path), "--upstream", "http://127.0.0.1:9/v1"]) == 2
    assert "unknown guard 'nosuch'" in capsys.readouterr().err


def test_a_guard_that_cannot_run_exits_2(tmp_path, capsys):
    path = tmp_path / "chain.yaml"
    path.write_text("input:\n  - guard: policy\n    file: /no/such/policy.yaml\n")
    assert main(["check", "--rules", str(path), "hello"]) == 2
    assert "error:" in capsys.readouterr().err


class Explodes:
    """A user guard whose constructor fails with an error guardlayer does not know."""

    def __init__(self) -> None:
        raise RuntimeError("no GPU here")


@pytest.mark.parametrize("body, words", [
    ("fallback:\n  - template: 'Sorry {user, no'\n", ":2 [fallback[0].template]: fallback template"),
    ("input: &x\n  - guard: deny\n  - *x\n", ":3 [input[1]]: an alias inside the value it names"),
    ("input:\n  - guard: deny\n    1: 2\n", ":3 [input[0]]: a key must be a name"),
    ("input:\n  - guard: explodes\n", ": cannot build the chain: RuntimeError: no GPU here"),
])
@pytest.mark.parametrize("command", [["rules", "check"], ["check", "--rules"]])
def test_any_rule_file_that_cannot_load_exits_2_with_one_line(rules, tmp_path, capsys, body, words,
                                                              command):
    from guardlayer import register
    from guardlayer.registry import unregister

    path = tmp_path / "broken.yaml"
    path.write_text(body)
    register("explodes")(Explodes)
    try:
        assert main([*command, str(path), *(["hi"] if command[0] == "check" else [])]) == 2
    finally:
        unregister("explodes")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}{words}")


@pytest.mark.parametrize("content, words", [
    (None, ": cannot read: No such file or directory"),
    (b'{"raw": "{}"}\nnot json\n', ":2: not JSON"),
    (b'{"raw": "{}"}\n5\n', ":2: a case is an object with 'raw'"),
    (b'\xff\xfe{"raw": 1}\n', ": cannot read: 'utf-8' codec can't decode"),
])
def test_bench_json_with_a_bad_corpus_exits_2_naming_it(tmp_path, capsys, content, words):
    corpus = tmp_path / "cases.jsonl"
    if content is not None:
        corpus.write_bytes(content)
    with pytest.raises(SystemExit) as info:
        main(["bench", "json", "--corpus", str(corpus)])
    assert info.value.code == 2
    assert f"error: {corpus}{words}" in capsys.readouterr().err


def test_commands_check_budget_stores_without_opening_them(rules, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "budget.yaml"
    for store in ("sqlite:///budget.db", "redis://127.0.0.1:9/0"):
        path.write_text(f"input:\n  - guard: deny\n    word: x\nbudget:\n  store: {store}\n"
                        "  limits: [{per: user, tokens: 100}]\n")
        assert main(["rules", "check", str(path)]) == 0
        assert main(["check", "--rules", str(path), "hello"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["budget.yaml", "chain.yaml"]
    path.write_text("budget:\n  store: sqlite:///no/dir/b.db\n  limits: [{per: user, tokens: 100}]\n")
    assert main(["rules", "check", str(path)]) == 2
    assert f"{path}:2 [budget.store]: cannot open" in capsys.readouterr().err
