"""Every store gives the same answers: all-or-nothing reserve, adjust, expiry, token buckets."""
from __future__ import annotations

import sqlite3

import pytest

from guardlayer.errors import ConfigError
from guardlayer.stores import Bucket, StoreUnavailable, Window, open_store


def test_reserve_is_all_or_nothing(store, ns) -> None:
    a, b = Window((f"{ns}:a",), 10, 6, 60), Window((f"{ns}:b",), 100, 6, 60)
    assert store.reserve([a, b], 1000.0, f"{ns}-1").used == (6, 6)
    denied = store.reserve([b, a], 1000.0, f"{ns}-2")
    assert not denied.granted and denied.denied == 1 and denied.used == (6, 6)
    assert store.usage([a, b], 1000.0) == (6, 6)  # b was not charged for the refused call


def test_adjust_is_unconditional_and_refunds(store, ns) -> None:
    w = Window((f"{ns}:w",), 10, 8, 60)
    store.reserve([w], 1.0, f"{ns}-1")
    assert store.adjust([Window(w.keys, 10, 5, 60)], 1.0, f"{ns}-2").used == (13,)
    assert store.adjust([Window(w.keys, 10, -4, 60)], 1.0, f"{ns}-3").used == (9,)
    assert not store.reserve([Window(w.keys, 10, 2, 60)], 1.0, f"{ns}-4").granted
    assert store.reserve([Window(w.keys, 10, 1, 60)], 1.0, f"{ns}-5").granted


def test_window_sums_its_buckets_and_counters_expire(store, ns) -> None:
    keys = (f"{ns}:s1", f"{ns}:s2", f"{ns}:s3")
    store.adjust([Window((keys[0],), 0, 3, 10)], 100.0, f"{ns}-1")
    store.adjust([Window((keys[2],), 0, 4, 1000)], 100.0, f"{ns}-2")
    assert store.usage([Window(keys, 10, 0, 10)], 105.0) == (7,)
    # The local stores expire by the caller's clock (Redis by its own; keys roll by name).
    if not hasattr(store, "client"):
        assert store.usage([Window(keys, 10, 0, 10)], 111.0) == (4,)


def test_token_bucket_refills(store, ns) -> None:
    b = Bucket(f"{ns}:b", capacity=10, rate=1.0, amount=10, ttl=60)
    assert store.reserve([b], 0.0, f"{ns}-1").granted
    assert not store.reserve([Bucket(b.key, 10, 1.0, 1, 60)], 0.5, f"{ns}-2").granted
    out = store.reserve([Bucket(b.key, 10, 1.0, 4, 60)], 4.0, f"{ns}-3")
    assert out.granted and out.used == pytest.approx((10.0,))
    assert store.usage([Bucket(b.key, 10, 1.0, 0, 60)], 100.0) == pytest.approx((0.0,))
    # settling more than reserved puts the bucket in debt; it does not go above capacity on refunds
    store.adjust([Bucket(b.key, 10, 1.0, 15, 60)], 100.0, f"{ns}-4")
    assert store.usage([Bucket(b.key, 10, 1.0, 0, 60)], 100.0) == pytest.approx((15.0,))
    store.adjust([Bucket(b.key, 10, 1.0, -50, 60)], 100.0, f"{ns}-5")
    assert store.usage([Bucket(b.key, 10, 1.0, 0, 60)], 100.0) == pytest.approx((0.0,))


def test_sqlite_is_a_shared_wal_file(tmp_path) -> None:
    path = tmp_path / "shared.db"
    one, two = open_store(f"sqlite:///{path}"), open_store(f"sqlite:///{path}")
    one.reserve([Window(("k",), 10, 7, None)], 1.0, "")
    assert not two.reserve([Window(("k",), 10, 4, None)], 1.0, "").granted
    assert two.usage([Window(("k",), 10, 0, None)], 1.0) == (7,)
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_sqlite_unwritable_path_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(StoreUnavailable, match="cannot open"):
        open_store(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")


def test_store_urls() -> None:
    with pytest.raises(ConfigError, match="unknown store URL"):
        open_store("postgres://x")
    with pytest.raises(ConfigError, match="names no file"):
        open_store("sqlite://")
