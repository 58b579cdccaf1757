"""`guardlayer bench ...` on bad input: one line naming the problem and exit 2, no traceback."""
import pytest

from guardlayer.cli import main


@pytest.mark.parametrize("args, says", [
    (["pii", "--corpus", "{missing}", "--json", "{out}"], "cannot read a JSON corpus"),
    (["pii", "--corpus", "{bad}", "--json", "{out}", "--mode", "regex"], "cannot read a JSON corpus"),
    (["pii", "--corpus", "{wrong}", "--json", "{out}", "--mode", "regex"], "presidio-research JSON list"),
    (["pii_history", "--corpus", "{bad}"], "cannot read a JSON corpus"),
    (["event_loop", "--corpus", "{missing}"], "cannot read a JSON corpus"),
    (["injection", "--corpus", "{bad}", "--json", "{out}"], ":1: expected"),
    (["tokens", "--sqlite", "{missing}/x.db", "--calls", "10", "--procs", "1", "--seconds", "0.1"],
     "cannot open the SQLite budget store"),
])
def test_a_bad_file_is_one_line_and_exit_2(tmp_path, capsys, args: list[str], says: str) -> None:
    (tmp_path / "bad.txt").write_text("not json\n")
    (tmp_path / "wrong.json").write_text('[{"text": "no full_text"}]')
    names = {"missing": tmp_path / "nope", "bad": tmp_path / "bad.txt",
             "wrong": tmp_path / "wrong.json", "out": tmp_path / "o.json"}
    assert main(["bench", *(a.format(**names) for a in args)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["overhead", "--calls", "0"], ["overhead", "--calls", "-5"],
                                  ["json", "--repeat", "0"], ["tokens", "--seconds", "inf"],
                                  ["pii", "--corpus", "x", "--json", "y", "--kb-samples", "many"]])
def test_a_count_below_one_is_a_usage_error(capsys, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "must be above 0" in err or "not an integer: 'many'" in err


def test_every_benchmark_the_cli_lists_can_run(capsys) -> None:
    import importlib

    assert main(["bench", "nope"]) == 2
    listed = capsys.readouterr().err.split("available: ")[1].strip().split(", ")
    assert "pii" in listed and "injection" in listed
    for name in listed:  # (pii_presidio was listed and had no main: a traceback)
        assert callable(getattr(importlib.import_module(f"guardlayer.bench.{name}"), "main", None)), name
