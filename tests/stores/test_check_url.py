"""Store URLs checked without opening anything (what `rules check` needs), as `open_store`
checks them."""
from __future__ import annotations

import pytest

from guardlayer.errors import ConfigError
from guardlayer.stores import check_url, open_store


@pytest.mark.parametrize("url, kind", [
    ("memory://", "memory"), ("sqlite:///budget.db", "sqlite"), ("sqlite:////srv/budget.db", "sqlite"),
    ("redis://localhost:6379/0", "redis"), ("rediss://cache.example.com/1", "redis"),
    ("redis://localhost:6379", "redis"), ("redis://localhost:6379/15", "redis"),
    ("unix:///run/redis.sock", "redis"),
])
def test_the_kind_of_store_a_url_opens(url, kind, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check_url(url) == kind
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("url, match", [
    ("postgres://db/x", "unknown store URL"), ("memory", "unknown store URL"),
    ("sqlite://", "names no file"), ("sqlite:///", "names no file"), ("sqlite://budget.db", "names no file"),
    ("redis://localhost:63a9/0", "Port could not be cast"), ("redis://localhost:70000/0", "out of range"),
    ("unix://", "names no socket"), ("redis://[::1/0", "Invalid IPv6"),
    ("redis://h:6379/budgets", "database number"), ("redis://h:6379/1/2", "database number"),
    ("rediss://h/0/", "database number"), ("redis://h:6379/-1", "database number"),
])
def test_a_url_open_store_refuses_is_refused_without_opening(url, match, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=match):
        check_url(url)
    with pytest.raises(ConfigError, match=match):  # no connection tried first
        open_store(url)
    assert not any(tmp_path.iterdir())


def test_checking_a_sqlite_url_creates_no_file(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    assert check_url(url) == "sqlite" and not (tmp_path / "budget.db").exists()
    open_store(url).close()
    assert (tmp_path / "budget.db").exists()
