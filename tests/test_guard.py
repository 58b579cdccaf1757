"""The regex time limit's setting: $GUARDLAYER_REGEX_TIMEOUT, read at import."""
import subprocess
import sys

import pytest

from guardlayer.errors import ConfigError
from guardlayer.guard import REGEX_TIMEOUT_ENV, _seconds


def test_the_limit_comes_from_the_environment_when_set(monkeypatch) -> None:
    monkeypatch.delenv("X_SECONDS", raising=False)
    assert _seconds("X_SECONDS", 0.2) == 0.2
    monkeypatch.setenv("X_SECONDS", "1.5")
    assert _seconds("X_SECONDS", 0.2) == 1.5


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "inf", "nan", ""])
def test_a_bad_limit_names_the_variable(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("X_SECONDS", raw)
    with pytest.raises(ConfigError, match=f"X_SECONDS must be a positive number of seconds, got '{raw}'"):
        _seconds("X_SECONDS", 0.2)


def test_guards_use_the_limit_set_before_import() -> None:
    code = ("from guardlayer.guards.pii import gates; from guardlayer import guard; "
            "print(guard.REGEX_TIMEOUT, gates.REGEX_TIMEOUT)")
    out = subprocess.run([sys.executable, "-c", code], env={REGEX_TIMEOUT_ENV: "0.75"},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0.75", "0.75"]
