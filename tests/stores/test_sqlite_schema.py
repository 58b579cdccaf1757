"""The SQLite store's statements name their columns, so tables whose columns come in another
order or with more columns (the shape a later version might add) work; tables that cannot take
them (another program's, of the same names) are refused when the store opens, not at a call."""
from __future__ import annotations

import sqlite3

import pytest

from guardlayer.stores import Bucket, StoreUnavailable, Window, open_store


def _file(path, *tables: str) -> str:
    with sqlite3.connect(path) as conn:
        for table in tables:
            conn.execute(table)
    conn.close()
    return f"sqlite:///{path}"


def test_columns_in_another_order_and_extra_ones_work(tmp_path) -> None:
    url = _file(tmp_path / "b.db",
                "CREATE TABLE counters (expires REAL, note TEXT DEFAULT 'x', value INTEGER NOT NULL, "
                "key TEXT PRIMARY KEY)",
                "CREATE TABLE buckets (ts REAL NOT NULL, key TEXT PRIMARY KEY, extra INTEGER, "
                "expires REAL NOT NULL, level REAL NOT NULL)")
    store = open_store(url)
    window, bucket = Window(("w",), 10, 3, 60), Bucket("b", 10, 1.0, 4, 60)
    assert store.reserve([window, bucket], 1.0, "").used == (3, 4)
    assert store.reserve([window, bucket], 1.0, "").used == (6, 8)
    store.close()


@pytest.mark.parametrize(("table", "problem"), [
    ("CREATE TABLE buckets (key TEXT PRIMARY KEY, level REAL, ts REAL)", "table buckets has no column expires"),
    ("CREATE TABLE counters (key TEXT, value INTEGER, expires REAL)", "primary key of table counters is not its key column"),
    ("CREATE TABLE buckets (key TEXT PRIMARY KEY, level REAL, ts REAL, expires REAL, owner TEXT NOT NULL)",
     "column owner, which needs a value"),
])
def test_tables_that_cannot_take_the_statements_are_refused_when_opened(tmp_path, table, problem) -> None:
    url = _file(tmp_path / "other.db", table)
    with pytest.raises(StoreUnavailable, match=f"cannot open the SQLite budget store .*other.db: .*{problem}"):
        open_store(url)
